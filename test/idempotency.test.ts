import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments, idempotencyKeys } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

function post(h: Harness, t: Tenant, path: string, body: unknown, key: string) {
  return h.request('POST', path, { key: t.key, body, headers: { 'idempotency-key': key } });
}

async function history(h: Harness, t: Tenant, env: string) {
  return (await json(await h.request('GET', `/v1/environments/${env}/history`, { key: t.key }))).items;
}

describe('Idempotency-Key', () => {
  it('a retried fence replays the first response and issues no second token', async () => {
    const h = harness();
    const t = await h.newTenant();
    const key = randomUUID();
    const first = await post(h, t, '/v1/environments/idem/fence', { deploy_generation: 1, holder: 'a' }, key);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();

    const retry = await post(h, t, '/v1/environments/idem/fence', { deploy_generation: 1, holder: 'a' }, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await retry.text()).toBe(firstBody);
    expect(await history(h, t, 'idem')).toHaveLength(1);

    const fresh = await post(h, t, '/v1/environments/idem/fence', { deploy_generation: 1, holder: 'a' }, randomUUID());
    expect((await json(fresh)).token.epoch).toBe(2);
  });

  it('a retried append after a lost response does not write twice', async () => {
    const h = harness();
    const t = await h.newTenant();
    const { token } = await json(
      await h.request('POST', '/v1/environments/idem-log/fence', {
        key: t.key,
        body: { deploy_generation: 1, holder: 'a' },
      }),
    );
    const key = randomUUID();
    const body = { token, entries: ['once'] };
    const first = await json(await post(h, t, '/v1/environments/idem-log/log', body, key));
    const retry = await post(h, t, '/v1/environments/idem-log/log', body, key);
    expect(retry.status).toBe(201);
    expect(await json(retry)).toEqual(first);
    const log = await json(await h.request('GET', '/v1/environments/idem-log/log', { key: t.key }));
    expect(log.entries.map((e: any) => e.data)).toEqual(['once']);
  });

  it('a refusal is replayed too: the retry learns what the first attempt learned', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.request('POST', '/v1/environments/idem-409/fence', {
      key: t.key,
      body: { deploy_generation: 5, holder: 'a' },
    });
    const key = randomUUID();
    const refused = await post(h, t, '/v1/environments/idem-409/fence', { deploy_generation: 4, holder: 'b' }, key);
    const problem = await expectProblem(refused, 409, 'fenced');
    const replay = await post(h, t, '/v1/environments/idem-409/fence', { deploy_generation: 4, holder: 'b' }, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await expectProblem(replay, 409, 'fenced')).toEqual(problem);
  });

  it('bad input leaves no record of the key, so the corrected request can use it', async () => {
    const h = harness();
    const t = await h.newTenant();
    const key = randomUUID();
    const bad = await post(h, t, '/v1/environments/idem-fix/fence', { deploy_generation: -1, holder: 'a' }, key);
    await expectProblem(bad, 400, 'invalid_request');
    const fixed = await post(h, t, '/v1/environments/idem-fix/fence', { deploy_generation: 1, holder: 'a' }, key);
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
  });

  it('the same key with another body or on another route is 422 and does nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const key = randomUUID();
    await post(h, t, '/v1/environments/idem-422/fence', { deploy_generation: 1, holder: 'a' }, key);
    const otherBody = await post(h, t, '/v1/environments/idem-422/fence', { deploy_generation: 2, holder: 'a' }, key);
    await expectProblem(otherBody, 422, 'idempotency_key_reused', { action: 'fix_request' });
    const otherRoute = await post(h, t, '/v1/environments/idem-422b/fence', { deploy_generation: 1, holder: 'a' }, key);
    await expectProblem(otherRoute, 422, 'idempotency_key_reused');
    expect(await history(h, t, 'idem-422')).toHaveLength(1);
    await expectProblem(await h.request('GET', '/v1/environments/idem-422b', { key: t.key }), 404, 'not_found');
  });

  it('concurrent requests with one key: the work is done once; the others wait their turn or are told it is in flight', async () => {
    const h = harness();
    const t = await h.newTenant();
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        post(h, t, '/v1/environments/idem-race/fence', { deploy_generation: 1, holder: 'a' }, key),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const inFlight = responses.filter((r) => r.status === 409);
    expect(ok.length + inFlight.length).toBe(10);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const tokens = new Set(await Promise.all(ok.map(async (r) => JSON.stringify((await json(r)).token))));
    expect(tokens.size).toBe(1);
    for (const r of inFlight) await expectProblem(r, 409, 'idempotency_in_flight', { action: 'retry' });
    expect(await history(h, t, 'idem-race')).toHaveLength(1);
  });

  // The embedded database runs one transaction at a time, so there a retry waits for the first.
  it.skipIf(httpBackend !== 'postgres')(
    'a retry while the first request is still running is 409 idempotency_in_flight',
    async () => {
      const h = harness();
      const t = await h.newTenant();
      await h.request('POST', '/v1/environments/idem-busy/fence', {
        key: t.key,
        body: { deploy_generation: 1, holder: 'a' },
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = h.scratch.handle.db.transaction(async (tx) => {
        await tx.select().from(environments).where(eq(environments.name, 'idem-busy')).for('update');
        locked();
        await released;
      });
      await isLocked;
      const key = randomUUID();
      const first = post(h, t, '/v1/environments/idem-busy/fence', { deploy_generation: 2, holder: 'b' }, key);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const retry = await post(h, t, '/v1/environments/idem-busy/fence', { deploy_generation: 2, holder: 'b' }, key);
      await expectProblem(retry, 409, 'idempotency_in_flight', { action: 'retry' });
      expect(retry.headers.get('retry-after')).toBe('1');
      release();
      await holder;
      expect((await first).status).toBe(200);
      const replay = await post(h, t, '/v1/environments/idem-busy/fence', { deploy_generation: 2, holder: 'b' }, key);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await history(h, t, 'idem-busy')).toHaveLength(2);
    },
  );

  it('after 24 hours a key is forgotten and the request runs again', async () => {
    const h = harness();
    const t = await h.newTenant();
    const key = randomUUID();
    await post(h, t, '/v1/environments/idem-old/fence', { deploy_generation: 1, holder: 'a' }, key);
    await h.scratch.handle.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '25 hours'` })
      .where(eq(idempotencyKeys.key, key));
    const again = await post(h, t, '/v1/environments/idem-old/fence', { deploy_generation: 1, holder: 'a' }, key);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect((await json(again)).token.epoch).toBe(2);
  });

  it('covers key creation on the admin route: the retry returns the same key and creates no second one', async () => {
    const h = harness();
    const key = randomUUID();
    const create = () =>
      h.request('POST', '/v1/api-keys', {
        key: h.adminToken,
        body: { tenant: 'idem-admin', name: 'ci' },
        headers: { 'idempotency-key': key },
      });
    const first = await json(await create());
    const retry = await create();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(retry)).toEqual(first);
  });

  it('a malformed key is 400; confirm, which changes nothing, ignores the header', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const bad of ['has space', 'x'.repeat(256), 'tab\tkey']) {
      const res = await post(h, t, '/v1/environments/idem-bad/fence', { deploy_generation: 1, holder: 'a' }, bad);
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.errors[0].path).toBe('header.idempotency-key');
    }
    await expectProblem(await h.request('GET', '/v1/environments/idem-bad', { key: t.key }), 404, 'not_found');

    const { token } = await json(
      await h.request('POST', '/v1/environments/idem-confirm/fence', {
        key: t.key,
        body: { deploy_generation: 1, holder: 'a' },
      }),
    );
    const key = randomUUID();
    expect((await post(h, t, '/v1/environments/idem-confirm/confirm', { token }, key)).status).toBe(200);
    await h.request('POST', '/v1/environments/idem-confirm/fence', {
      key: t.key,
      body: { deploy_generation: 2, holder: 'b' },
    });
    await expectProblem(await post(h, t, '/v1/environments/idem-confirm/confirm', { token }, key), 409, 'fenced');
  });
});
