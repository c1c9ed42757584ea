import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments, idempotencyKeys } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import {
  addKey,
  type Call,
  expectForbidden,
  expectNoSecrets,
  expectUnauthorized,
  SECURITY_GROUPS,
  send,
  snapshot,
  specOperations,
} from './support/security.js';

const harness = useHarness(httpBackend);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A tenant with a key and limit overrides set by the admin. */
type Fixture = { owner: Tenant };

async function setLimits(h: Harness, tenant: string, body: Record<string, unknown>) {
  const res = await h.request('PUT', `/v1/tenants/${tenant}/limits`, { key: h.adminToken, body });
  expect(res.status, await res.clone().text()).toBe(200);
  return json(res);
}

async function setup(h: Harness): Promise<Fixture> {
  const owner = await h.newTenant();
  await setLimits(h, owner.tenant, { environments: 5, webhooks: 3 });
  return { owner };
}

/** One case per operation of openapi.yaml under /v1/api-keys and /v1/tenants, each aimed at the fixture's tenant. */
const cases: Record<string, { call: (f: Fixture) => Call; adminStatus: number }> = {
  'POST /v1/api-keys': {
    call: (f) => ({ method: 'POST', path: '/v1/api-keys', body: { tenant: f.owner.tenant, name: 'escalation' } }),
    adminStatus: 201,
  },
  'DELETE /v1/api-keys/{id}': {
    call: (f) => ({ method: 'DELETE', path: `/v1/api-keys/${f.owner.keyId}` }),
    adminStatus: 204,
  },
  'GET /v1/tenants/{tenant}/limits': {
    call: (f) => ({ method: 'GET', path: `/v1/tenants/${f.owner.tenant}/limits` }),
    adminStatus: 200,
  },
  'PUT /v1/tenants/{tenant}/limits': {
    call: (f) => ({
      method: 'PUT',
      path: `/v1/tenants/${f.owner.tenant}/limits`,
      body: { request_rate: 1_000_000, request_burst: 10_000_000, environments: 100_000_000, webhooks: 100_000 },
    }),
    adminStatus: 200,
  },
};

const operations = Object.entries(cases);

describe('security — admin: coverage', () => {
  it('exercises every operation of openapi.yaml under /v1/api-keys and /v1/tenants', () => {
    expect(Object.keys(cases).sort()).toEqual(specOperations(SECURITY_GROUPS.admin));
  });

  it('every /v1 operation of openapi.yaml belongs to exactly one of the security suites', () => {
    const groups = Object.values(SECURITY_GROUPS);
    const grouped = groups.flatMap((prefixes) => specOperations(prefixes));
    expect(new Set(grouped).size, 'an operation is in two suites').toBe(grouped.length);
    expect(grouped.sort()).toEqual(specOperations(['/v1']));
  });

  it('the admin token is accepted on every operation (so the refusals below are about the credential)', async () => {
    const h = harness();
    const f = await setup(h);
    // The revocation goes last: it revokes the fixture's key.
    for (const [op, { call, adminStatus }] of [...operations].sort(([a], [b]) =>
      a.startsWith('DELETE') ? 1 : b.startsWith('DELETE') ? -1 : 0,
    )) {
      const res = await send(h, call(f), h.adminToken);
      expect(res.status, `${op}: ${await res.text()}`).toBe(adminStatus);
    }
    await expectUnauthorized(await h.request('GET', '/v1/environments', { key: f.owner.key }), 'revoked by the admin', [
      f.owner.key,
    ]);
  });
});

describe('security — admin: Idempotency-Key scope', () => {
  it('a tenant replaying the admin’s Idempotency-Key on POST /v1/api-keys gets 403, never the created key', async () => {
    const h = harness();
    const target = await h.newTenant();
    const intruder = await h.newTenant();
    const call: Call = {
      method: 'POST',
      path: '/v1/api-keys',
      body: { tenant: target.tenant, name: 'made by the admin' },
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    };
    const created = await send(h, call, h.adminToken);
    expect(created.status).toBe(201);
    const { key } = await json(created);

    const before = await snapshot(h);
    const res = await send(h, call, intruder.key);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    await expectForbidden(res, 'replay by a tenant', [key, intruder.key, h.adminToken]);
    expect(await snapshot(h)).toEqual(before);
    // The admin's own retry still replays.
    const replay = await send(h, call, h.adminToken);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await json(replay)).key).toBe(key);
  });

  // A tenant may be named `admin` (it matches the tenant name pattern), so it needs a key of its
  // own; these two tests share that tenant, each with fresh Idempotency-Keys.
  async function tenantNamedAdmin(h: Harness): Promise<Tenant> {
    return addKey(h, 'admin', 'a tenant that happens to be called admin');
  }

  it('a tenant named `admin` reusing an Idempotency-Key the admin used gets its own fresh result', async () => {
    const h = harness();
    const named = await tenantNamedAdmin(h);
    const idem = `idem-${h.uniqueName()}`;
    const adminCall: Call = {
      method: 'POST',
      path: '/v1/api-keys',
      body: { tenant: h.uniqueName('tenant'), name: 'x' },
      headers: { 'idempotency-key': idem },
    };
    expect((await send(h, adminCall, h.adminToken)).status).toBe(201);

    const env = h.uniqueName();
    const res = await h.request('POST', `/v1/environments/${env}/fence`, {
      key: named.key,
      body: { deploy_generation: 1, holder: 'h' },
      headers: { 'idempotency-key': idem },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await json(res)).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
    const rows = await h.scratch.handle.db.select().from(environments).where(eq(environments.tenant, 'admin'));
    expect(rows.map((r) => r.name)).toContain(env);
  });

  it('the admin reusing an Idempotency-Key that a tenant named `admin` used gets its own fresh result', async () => {
    const h = harness();
    const named = await tenantNamedAdmin(h);
    const idem = `idem-${h.uniqueName()}`;
    const fence = await h.request('POST', `/v1/environments/${h.uniqueName()}/fence`, {
      key: named.key,
      body: { deploy_generation: 1, holder: 'h' },
      headers: { 'idempotency-key': idem },
    });
    expect(fence.status).toBe(200);

    const target = h.uniqueName('tenant');
    const res = await h.request('POST', '/v1/api-keys', {
      key: h.adminToken,
      body: { tenant: target, name: 'x' },
      headers: { 'idempotency-key': idem },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(await json(res)).toMatchObject({ tenant: target, key: expect.stringMatching(/^pal_/) });
    const scopes = await h.scratch.handle.db
      .select({ scope: idempotencyKeys.scope })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.key, idem));
    expect(scopes).toHaveLength(2);
  });
});

describe('security — admin: rate limits are per key', () => {
  async function throttled(h: Harness) {
    const a = await h.newTenant();
    const limits = await setLimits(h, a.tenant, { request_rate: 1, request_burst: 2 });
    expect(limits.effective).toMatchObject({ request_rate: 1, request_burst: 2 });
    return a;
  }

  it('with request_rate 1 and burst 2, A’s third quick request is 429 with Retry-After and RateLimit headers, changes nothing, and B is unaffected', async () => {
    const h = harness();
    const a = await throttled(h);
    const b = await h.newTenant();
    const env = h.uniqueName();

    for (const path of ['/v1/environments', '/v1/webhooks']) {
      const ok = await h.request('GET', path, { key: a.key });
      expect(ok.status, path).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toMatch(/^"request_rate";q=\d+;w=\d+$/);
      expect(ok.headers.get('ratelimit')).toMatch(/^"request_rate";r=\d+;t=\d+$/);
    }
    const before = await snapshot(h);
    const refused = await h.request('PUT', `/v1/environments/${env}`, { key: a.key });
    const retryAfter = refused.headers.get('retry-after');
    const rateLimit = refused.headers.get('ratelimit');
    const policy = refused.headers.get('ratelimit-policy');
    const body = await expectProblem(refused, 429, 'resource_exhausted', {
      resource: 'request_rate',
      limit: 1,
      action: 'backoff',
    });
    expectNoSecrets('429', JSON.stringify(body), refused.headers, [a.key, h.adminToken]);
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(policy).toMatch(/^"request_rate";q=\d+;w=\d+$/);
    expect(rateLimit).toBe(`"request_rate";r=0;t=${retryAfter}`);
    // A refused write with an Idempotency-Key is refused too, and nothing is stored for it.
    const fence = await h.request('POST', `/v1/environments/${env}/fence`, {
      key: a.key,
      body: { deploy_generation: 1, holder: 'h' },
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    });
    await expectProblem(fence, 429, 'resource_exhausted', { resource: 'request_rate' });
    expect(await snapshot(h)).toEqual(before);

    // Another tenant's key has its own bucket, at the default limits.
    for (let i = 0; i < 5; i++) {
      const res = await h.request('PUT', `/v1/environments/${env}`, { key: b.key });
      expect(res.status, `B's request ${i}`).toBe(i === 0 ? 201 : 200);
    }
    expect(await snapshot(h)).not.toEqual(before);
    const rows = await h.scratch.handle.db.select().from(environments).where(eq(environments.name, env));
    expect(rows.map((r) => r.tenant)).toEqual([b.tenant]);
  });

  it('under the same tight limits, B’s bucket is still full when A’s is empty', async () => {
    const h = harness();
    const a = await throttled(h);
    const b = await throttled(h);
    for (const expected of [200, 200, 429]) {
      expect((await h.request('GET', '/v1/environments', { key: a.key })).status, 'A').toBe(expected);
    }
    for (const expected of [200, 200, 429]) {
      expect((await h.request('GET', '/v1/environments', { key: b.key })).status, 'B').toBe(expected);
    }
  });

  it('another key of the same tenant has a bucket of its own', async () => {
    const h = harness();
    const a = await throttled(h);
    const second = await addKey(h, a.tenant);
    for (const expected of [200, 200, 429]) {
      expect((await h.request('GET', '/v1/environments', { key: a.key })).status).toBe(expected);
    }
    for (const expected of [200, 200, 429]) {
      expect((await h.request('GET', '/v1/environments', { key: second.key })).status).toBe(expected);
    }
  });

  it('after Retry-After seconds the throttled key is admitted again', async () => {
    const h = harness();
    const a = await throttled(h);
    let refused: Response | undefined;
    for (let i = 0; i < 3; i++) refused = await h.request('GET', '/v1/environments', { key: a.key });
    expect(refused!.status).toBe(429);
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    await sleep(retryAfter * 1000 + 50);
    expect((await h.request('GET', '/v1/environments', { key: a.key })).status).toBe(200);
  });

  it('the 429 advertises the same RateLimit-Policy as the responses before it', async () => {
    const h = harness();
    const a = await throttled(h);
    const policies: (string | null)[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.request('GET', '/v1/environments', { key: a.key });
      statuses.push(res.status);
      policies.push(res.headers.get('ratelimit-policy'));
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(policies[1]).toBe(policies[0]);
    expect(policies[2], 'the quota policy of the 429 differs from that of the 200s').toBe(policies[0]);
  });
});
