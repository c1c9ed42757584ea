import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import {
  addKey,
  type Call,
  expectNoSecrets,
  expectUnauthorized,
  revoke,
  SECURITY_GROUPS,
  seedOwnerEnvironment,
  send,
  snapshot,
  specOperations,
  withoutRequestId,
} from './support/security.js';

const harness = useHarness(httpBackend);

type Fixture = Awaited<ReturnType<typeof seedOwnerEnvironment>>;

/** The owner, with its own key, still sees its environment exactly as `seedOwnerEnvironment` left it. */
async function expectOwnerIntact(h: Harness, f: Fixture) {
  const view = await json(await h.request('GET', `/v1/environments/${f.env}`, { key: f.owner.key }));
  expect(view).toMatchObject({ name: f.env, token: f.token, holder: 'owner-b', upper: 2 });
  const log = await json(await h.request('GET', `/v1/environments/${f.env}/log`, { key: f.owner.key }));
  expect(log.entries.map((e: { data: unknown }) => e.data)).toEqual([{ secret: 'owner-data' }, 'more']);
  const history = await json(await h.request('GET', `/v1/environments/${f.env}/history`, { key: f.owner.key }));
  expect(history.items.map((i: { holder: string }) => i.holder)).toEqual(['owner-b', 'owner-a']);
  const candidate = await json(await h.request('GET', `/v1/environments/${f.env}/deployments/4`, { key: f.owner.key }));
  expect(candidate).toMatchObject({ state: 'ready_to_promote', holder: 'owner-candidate', token: null });
}

/**
 * One case per operation of openapi.yaml under /v1/environments. `crossTenant` is what another
 * tenant's key gets: 404 where the path names this tenant's environment, or its own namespace where
 * the operation creates or lists (a name is unique per tenant, not globally).
 */
const cases: Record<string, { call: (f: Fixture) => Call; crossTenant: 'not_found' | 'own_namespace' }> = {
  'GET /v1/environments': {
    call: () => ({ method: 'GET', path: '/v1/environments' }),
    crossTenant: 'own_namespace',
  },
  'PUT /v1/environments/{env}': {
    call: (f) => ({ method: 'PUT', path: `/v1/environments/${f.env}` }),
    crossTenant: 'own_namespace',
  },
  'GET /v1/environments/{env}': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}` }),
    crossTenant: 'not_found',
  },
  'DELETE /v1/environments/{env}': {
    call: (f) => ({ method: 'DELETE', path: `/v1/environments/${f.env}` }),
    crossTenant: 'not_found',
  },
  'POST /v1/environments/{env}/fence': {
    call: (f) => ({
      method: 'POST',
      path: `/v1/environments/${f.env}/fence`,
      body: { deploy_generation: 9, holder: 'intruder' },
    }),
    crossTenant: 'own_namespace',
  },
  'POST /v1/environments/{env}/confirm': {
    call: (f) => ({ method: 'POST', path: `/v1/environments/${f.env}/confirm`, body: { token: f.token } }),
    crossTenant: 'not_found',
  },
  'POST /v1/environments/{env}/log': {
    call: (f) => ({
      method: 'POST',
      path: `/v1/environments/${f.env}/log`,
      body: { token: f.token, expected_upper: 2, entries: ['intrusion'] },
    }),
    crossTenant: 'not_found',
  },
  'GET /v1/environments/{env}/log': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}/log` }),
    crossTenant: 'not_found',
  },
  'GET /v1/environments/{env}/history': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}/history` }),
    crossTenant: 'not_found',
  },
  'PUT /v1/environments/{env}/deployments/{generation}': {
    call: (f) => ({ method: 'PUT', path: `/v1/environments/${f.env}/deployments/10`, body: { holder: 'intruder' } }),
    crossTenant: 'own_namespace',
  },
  'GET /v1/environments/{env}/deployments/{generation}': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}/deployments/4` }),
    crossTenant: 'not_found',
  },
  'GET /v1/environments/{env}/deployments': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}/deployments` }),
    crossTenant: 'not_found',
  },
  'POST /v1/environments/{env}/deployments/{generation}/ready': {
    call: (f) => ({ method: 'POST', path: `/v1/environments/${f.env}/deployments/4/ready` }),
    crossTenant: 'not_found',
  },
  'POST /v1/environments/{env}/deployments/{generation}/promote': {
    call: (f) => ({
      method: 'POST',
      path: `/v1/environments/${f.env}/deployments/4/promote`,
      body: { skip_catchup: true },
    }),
    crossTenant: 'not_found',
  },
  // An event stream when allowed; every refusal below is answered before the stream starts.
  'GET /v1/environments/{env}/watch': {
    call: (f) => ({ method: 'GET', path: `/v1/environments/${f.env}/watch`, headers: { 'last-event-id': '0' } }),
    crossTenant: 'not_found',
  },
};

const operations = Object.entries(cases);

describe('security — environments: coverage', () => {
  it('exercises every operation of openapi.yaml under /v1/environments', () => {
    expect(Object.keys(cases).sort()).toEqual(specOperations(SECURITY_GROUPS.environments));
  });
});

describe('security — environments: revoked keys', () => {
  it('a key revoked after a write with an Idempotency-Key gets 401 on the retry, not the replay, and nothing changes', async () => {
    const h = harness();
    const f = await seedOwnerEnvironment(h);
    const writer = await addKey(h, f.owner.tenant, 'revoked after a write');
    const fenceCall: Call = {
      method: 'POST',
      path: `/v1/environments/${h.uniqueName()}/fence`,
      body: { deploy_generation: 1, holder: 'before-revocation' },
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    };
    expect((await send(h, fenceCall, writer.key)).status).toBe(200);
    await revoke(h, writer.keyId);

    const before = await snapshot(h);
    await expectUnauthorized(await send(h, fenceCall, writer.key), 'idempotent retry with a revoked key', [
      writer.key,
      h.adminToken,
    ]);
    expect(await snapshot(h)).toEqual(before);
    await expectOwnerIntact(h, f);
  });
});

describe('security — environments: tenant isolation (404)', () => {
  it('another tenant’s 404 is indistinguishable from the 404 for an environment that exists nowhere', async () => {
    const h = harness();
    const f = await seedOwnerEnvironment(h);
    const intruder = await h.newTenant();
    const nowhere = h.uniqueName();
    expect(nowhere).toHaveLength(f.env.length);
    const ghost: Fixture = { ...f, env: nowhere };
    for (const [op, { call }] of operations.filter(([, c]) => c.crossTenant === 'not_found')) {
      const existing = await send(h, call(f), intruder.key);
      const missing = await send(h, call(ghost), intruder.key);
      expect(existing.status, op).toBe(404);
      expect(missing.status, op).toBe(404);
      const a = JSON.stringify(withoutRequestId(await json(existing)));
      const b = JSON.stringify(withoutRequestId(await json(missing))).replaceAll(nowhere, f.env);
      expect(a, op).toBe(b);
    }
  });

  it('PUT, fence and list by another tenant act on its own namespace only, and leave the owner’s environment unchanged', async () => {
    const h = harness();
    const f = await seedOwnerEnvironment(h);
    const intruder = await h.newTenant();
    const ownerRows = () =>
      h.scratch.handle.db
        .select()
        .from(environments)
        .where(and(eq(environments.tenant, f.owner.tenant), eq(environments.name, f.env)));
    const ownerBefore = await ownerRows();
    const own = operations.filter(([, c]) => c.crossTenant === 'own_namespace').map(([op]) => op);
    expect(own.sort()).toEqual([
      'GET /v1/environments',
      'POST /v1/environments/{env}/fence',
      'PUT /v1/environments/{env}',
      'PUT /v1/environments/{env}/deployments/{generation}',
    ]);

    const list = await send(h, cases['GET /v1/environments']!.call(f), intruder.key);
    expect(await json(list)).toEqual({ items: [], next_cursor: null });

    const put = await send(h, cases['PUT /v1/environments/{env}']!.call(f), intruder.key);
    expect(put.status).toBe(201);
    expect(await json(put)).toMatchObject({ name: f.env, token: null, holder: null, upper: 0 });

    const fence = await send(h, cases['POST /v1/environments/{env}/fence']!.call(f), intruder.key);
    expect(fence.status).toBe(200);
    expect(await json(fence)).toEqual({ token: { deploy_generation: 9, epoch: 1 }, previous: null });

    const candidate = await send(
      h,
      cases['PUT /v1/environments/{env}/deployments/{generation}']!.call(f),
      intruder.key,
    );
    expect(candidate.status).toBe(201);
    expect(await json(candidate)).toMatchObject({
      environment: f.env,
      deploy_generation: 10,
      state: 'initializing',
      holder: 'intruder',
    });

    const listed = await json(await send(h, cases['GET /v1/environments']!.call(f), intruder.key));
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({
      name: f.env,
      token: { deploy_generation: 9, epoch: 1 },
      holder: 'intruder',
      upper: 0,
    });

    expect(await ownerRows()).toEqual(ownerBefore);
    await expectOwnerIntact(h, f);
    const ownerList = await json(await h.request('GET', '/v1/environments', { key: f.owner.key }));
    expect(ownerList.items).toHaveLength(1);
    expect(ownerList.items[0]).toMatchObject({ token: f.token, holder: 'owner-b' });
  });

  it('the owner’s token is worthless in another tenant’s environment of the same name', async () => {
    const h = harness();
    const f = await seedOwnerEnvironment(h);
    const intruder = await h.newTenant();
    expect((await h.request('PUT', `/v1/environments/${f.env}`, { key: intruder.key })).status).toBe(201);
    const before = await snapshot(h);
    // The intruder's environment has no token: the owner's token was never issued there.
    for (const path of ['confirm', 'log']) {
      const res = await h.request('POST', `/v1/environments/${f.env}/${path}`, {
        key: intruder.key,
        body: path === 'confirm' ? { token: f.token } : { token: f.token, entries: ['x'] },
      });
      await expectProblem(res, 409, 'token_from_future', { your_token: f.token, current_token: null });
    }
    expect(await snapshot(h)).toEqual(before);
    await expectOwnerIntact(h, f);
  });
});

describe('security — environments: Idempotency-Key is scoped per tenant', () => {
  it('tenant B reusing tenant A’s Idempotency-Key on fence, same route and body, gets its own fresh result', async () => {
    const h = harness();
    const a = await h.newTenant();
    const b = await h.newTenant();
    const env = h.uniqueName();
    const idem = `idem-${h.uniqueName()}`;
    expect(
      (
        await h.request('POST', `/v1/environments/${env}/fence`, {
          key: a.key,
          body: { deploy_generation: 1, holder: 'a-first' },
        })
      ).status,
    ).toBe(200);
    const call: Call = {
      method: 'POST',
      path: `/v1/environments/${env}/fence`,
      body: { deploy_generation: 1, holder: 'same-holder' },
      headers: { 'idempotency-key': idem },
    };
    const first = await send(h, call, a.key);
    expect(first.status).toBe(200);
    const aBody = await json(first);
    expect(aBody).toEqual({
      token: { deploy_generation: 1, epoch: 2 },
      previous: { token: { deploy_generation: 1, epoch: 1 }, holder: 'a-first' },
    });

    const fromB = await send(h, call, b.key);
    expect(fromB.status).toBe(200);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(await json(fromB)).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
    const bView = await json(await h.request('GET', `/v1/environments/${env}`, { key: b.key }));
    expect(bView).toMatchObject({ token: { deploy_generation: 1, epoch: 1 }, holder: 'same-holder' });

    // Each tenant's retry replays its own response.
    const replayA = await send(h, call, a.key);
    expect(replayA.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(replayA)).toEqual(aBody);
    const replayB = await send(h, call, b.key);
    expect(replayB.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(replayB)).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
    const aView = await json(await h.request('GET', `/v1/environments/${env}`, { key: a.key }));
    expect(aView).toMatchObject({ token: { deploy_generation: 1, epoch: 2 }, holder: 'same-holder' });
  });

  it('tenant B reusing tenant A’s Idempotency-Key on a log append gets its own offset, and A’s log is untouched', async () => {
    const h = harness();
    const a = await h.newTenant();
    const b = await h.newTenant();
    const env = h.uniqueName();
    const idem = `idem-${h.uniqueName()}`;
    for (const t of [a, b]) {
      const fence = await json(
        await h.request('POST', `/v1/environments/${env}/fence`, {
          key: t.key,
          body: { deploy_generation: 1, holder: 'h' },
        }),
      );
      expect(fence.token).toEqual({ deploy_generation: 1, epoch: 1 });
    }
    const token = { deploy_generation: 1, epoch: 1 };
    expect(
      (
        await h.request('POST', `/v1/environments/${env}/log`, {
          key: a.key,
          body: { token, entries: ['a0', 'a1', 'a2'] },
        })
      ).status,
    ).toBe(201);
    const call: Call = {
      method: 'POST',
      path: `/v1/environments/${env}/log`,
      body: { token, entries: ['same'] },
      headers: { 'idempotency-key': idem },
    };
    const fromA = await send(h, call, a.key);
    expect(fromA.status).toBe(201);
    expect(await json(fromA)).toEqual({ offset: 3, upper: 4 });

    const fromB = await send(h, call, b.key);
    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    expect(await json(fromB)).toEqual({ offset: 0, upper: 1 });

    const bLog = await json(await h.request('GET', `/v1/environments/${env}/log`, { key: b.key }));
    expect(bLog.entries.map((e: { data: unknown }) => e.data)).toEqual(['same']);
    const aLog = await json(await h.request('GET', `/v1/environments/${env}/log`, { key: a.key }));
    expect(aLog.entries.map((e: { data: unknown }) => e.data)).toEqual(['a0', 'a1', 'a2', 'same']);
  });

  it('two keys of one tenant share its Idempotency-Key scope: the second key gets the replay', async () => {
    const h = harness();
    const a = await h.newTenant();
    const second = await addKey(h, a.tenant);
    const env = h.uniqueName();
    const call: Call = {
      method: 'POST',
      path: `/v1/environments/${env}/fence`,
      body: { deploy_generation: 2, holder: 'h' },
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    };
    const first = await json(await send(h, call, a.key));
    const retry = await send(h, call, second.key);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(retry)).toEqual(first);
    const view = await json(await h.request('GET', `/v1/environments/${env}`, { key: a.key }));
    expect(view.token).toEqual({ deploy_generation: 2, epoch: 1 });
  });
});

describe('security — environments: problem bodies', () => {
  it('no error answered to an authenticated request carries the presented key or the admin token', async () => {
    const h = harness();
    const f = await seedOwnerEnvironment(h);
    const secrets = [f.owner.key, h.adminToken];
    const errors: [Call, number][] = [
      [{ method: 'GET', path: `/v1/environments/${h.uniqueName()}` }, 404],
      [
        { method: 'POST', path: `/v1/environments/${f.env}/fence`, body: { deploy_generation: 1, holder: 'stale' } },
        409,
      ],
      [
        {
          method: 'POST',
          path: `/v1/environments/${f.env}/confirm`,
          body: { token: { deploy_generation: 3, epoch: 1 } },
        },
        409,
      ],
      [
        {
          method: 'POST',
          path: `/v1/environments/${f.env}/confirm`,
          body: { token: { deploy_generation: 4, epoch: 1 } },
        },
        409,
      ],
      [
        {
          method: 'POST',
          path: `/v1/environments/${f.env}/log`,
          body: { token: f.token, expected_upper: 0, entries: [1] },
        },
        409,
      ],
      [{ method: 'POST', path: `/v1/environments/${f.env}/log`, body: { token: f.token, entries: [] } }, 400],
      [{ method: 'GET', path: `/v1/environments/${f.env}/log?limit=5000` }, 400],
      [{ method: 'PUT', path: '/v1/environments/Not_A_Name' }, 400],
    ];
    for (const [call, status] of errors) {
      const res = await send(h, call, f.owner.key);
      const text = await res.text();
      expect(res.status, `${call.method} ${call.path}: ${text}`).toBe(status);
      expectNoSecrets(`${call.method} ${call.path}`, text, res.headers, secrets);
    }
    const malformed = await h.request('POST', `/v1/environments/${f.env}/log`, {
      key: f.owner.key,
      rawBody: `{"token": ${JSON.stringify(f.token)}, "entries": ["${f.owner.key}"`,
      headers: { 'content-type': 'application/json' },
    });
    const text = await malformed.text();
    expect(malformed.status).toBe(400);
    expectNoSecrets('malformed JSON', text, malformed.headers, secrets);
    await expectOwnerIntact(h, f);
  });
});
