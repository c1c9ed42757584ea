import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { Limits } from '../src/limits.js';
import { json, testLimits, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { WebhookReceiver } from './support/receiver.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const harness = useHarness(httpBackend, {
  limits: { environments: 3, logEntries: 5, webhooks: 2, maxInFlight: 3 },
});

async function environmentNames(h: Harness, t: Tenant): Promise<string[]> {
  return (await json(await h.request('GET', '/v1/environments', { key: t.key }))).items.map((e: any) => e.name);
}

function setLimits(h: Harness, tenant: string, body: Record<string, unknown>) {
  return h.request('PUT', `/v1/tenants/${tenant}/limits`, { key: h.adminToken, body });
}

describe('limits — quotas', () => {
  it('the environment past the quota is 429 environments, creates nothing, and a delete makes room', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const name of ['e-1', 'e-2', 'e-3'])
      expect((await h.request('PUT', `/v1/environments/${name}`, { key: t.key })).status).toBe(201);

    const refused = await h.request('PUT', '/v1/environments/e-4', { key: t.key });
    await expectProblem(refused, 429, 'resource_exhausted', { resource: 'environments', limit: 3, action: 'backoff' });
    expect(refused.headers.get('ratelimit-policy')).toBe('"environments";q=3');
    expect(refused.headers.get('ratelimit')).toBe('"environments";r=0');
    const byFence = await h.request('POST', '/v1/environments/e-4/fence', {
      key: t.key,
      body: { deploy_generation: 1, holder: 'x' },
    });
    await expectProblem(byFence, 429, 'resource_exhausted', { resource: 'environments' });
    expect(await environmentNames(h, t)).toEqual(['e-1', 'e-2', 'e-3']);

    // Existing environments stay usable at the quota.
    expect(
      (
        await h.request('POST', '/v1/environments/e-1/fence', {
          key: t.key,
          body: { deploy_generation: 1, holder: 'x' },
        })
      ).status,
    ).toBe(200);
    expect((await h.request('PUT', '/v1/environments/e-2', { key: t.key })).status).toBe(200);

    expect((await h.request('DELETE', '/v1/environments/e-3', { key: t.key })).status).toBe(204);
    expect((await h.request('PUT', '/v1/environments/e-4', { key: t.key })).status).toBe(201);
  });

  it('concurrent creations at the quota: exactly the quota succeeds', async () => {
    const h = harness();
    const t = await h.newTenant();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.request('PUT', `/v1/environments/race-${i}`, { key: t.key }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
    const live = await h.scratch.handle.db.select().from(environments).where(eq(environments.tenant, t.tenant));
    expect(live).toHaveLength(3);
  });

  it('an append past the log-entry quota is 429 log_entries and writes nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const { token } = await json(
      await h.request('POST', '/v1/environments/log-quota/fence', {
        key: t.key,
        body: { deploy_generation: 1, holder: 'x' },
      }),
    );
    expect(
      (await h.request('POST', '/v1/environments/log-quota/log', { key: t.key, body: { token, entries: [1, 2, 3] } }))
        .status,
    ).toBe(201);
    const refused = await h.request('POST', '/v1/environments/log-quota/log', {
      key: t.key,
      body: { token, entries: [4, 5, 6] },
    });
    await expectProblem(refused, 429, 'resource_exhausted', { resource: 'log_entries', limit: 5 });
    const log = await json(await h.request('GET', '/v1/environments/log-quota/log', { key: t.key }));
    expect(log.upper).toBe(3);
    const fits = await h.request('POST', '/v1/environments/log-quota/log', {
      key: t.key,
      body: { token, entries: [4, 5] },
    });
    expect(await json(fits)).toEqual({ offset: 3, upper: 5 });
  });

  it('the webhook past the quota is 429 webhooks', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await WebhookReceiver.start();
    try {
      const create = () =>
        h.request('POST', '/v1/webhooks', { key: t.key, body: { url: receiver.url, events: ['generation.fenced'] } });
      expect((await create()).status).toBe(201);
      expect((await create()).status).toBe(201);
      await expectProblem(await create(), 429, 'resource_exhausted', { resource: 'webhooks', limit: 2 });
      expect((await json(await h.request('GET', '/v1/webhooks', { key: t.key }))).items).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('a per-tenant override raises a quota for that tenant only, and clearing it restores the default', async () => {
    const h = harness();
    const [big, small] = [await h.newTenant(), await h.newTenant()];
    const set = await setLimits(h, big.tenant, { environments: 4 });
    expect(await json(set)).toMatchObject({
      tenant: big.tenant,
      effective: { environments: 4, log_entries: 5, webhooks: 2 },
      overrides: { environments: 4, log_entries: null },
    });
    for (const t of [big, small]) {
      for (const name of ['a', 'b', 'c']) await h.request('PUT', `/v1/environments/${name}`, { key: t.key });
    }
    expect((await h.request('PUT', '/v1/environments/d', { key: big.key })).status).toBe(201);
    expect((await h.request('PUT', '/v1/environments/d', { key: small.key })).status).toBe(429);

    const cleared = await json(await setLimits(h, big.tenant, {}));
    expect(cleared.effective.environments).toBe(3);
    expect(cleared.overrides.environments).toBeNull();
    expect((await h.request('PUT', '/v1/environments/e', { key: big.key })).status).toBe(429);
  });

  it('limit overrides are validated and admin-only', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const body of [
      { environments: 0 },
      { environments: -1 },
      { environments: 1.5 },
      { environments: '3' },
      { quota: 1 },
    ]) {
      await expectProblem(await setLimits(h, t.tenant, body), 400, 'invalid_request');
    }
    await expectProblem(
      await h.request('PUT', `/v1/tenants/${t.tenant}/limits`, { key: t.key, body: {} }),
      403,
      'forbidden',
    );
    await expectProblem(await h.request('GET', `/v1/tenants/${t.tenant}/limits`, { key: t.key }), 403, 'forbidden');
    await expectProblem(
      await h.request('GET', '/v1/tenants/Bad_Name/limits', { key: h.adminToken }),
      400,
      'invalid_request',
    );
    expect(
      (await json(await h.request('GET', `/v1/tenants/${t.tenant}/limits`, { key: h.adminToken }))).overrides,
    ).toEqual({
      request_rate: null,
      request_burst: null,
      environments: null,
      log_entries: null,
      webhooks: null,
    });
  });
});

describe('limits — request rate', () => {
  it('a key past its rate gets 429 request_rate with Retry-After and RateLimit fields, and succeeds after waiting', async () => {
    const h = harness();
    const t = await h.newTenant();
    await setLimits(h, t.tenant, { request_rate: 1, request_burst: 2 });
    const first = await h.request('GET', '/v1/environments', { key: t.key });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"request_rate";q=2;w=2');
    expect(first.headers.get('ratelimit')).toMatch(/^"request_rate";r=1;t=\d+$/);
    expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);

    const refused = await h.request('POST', '/v1/environments/rate/fence', {
      key: t.key,
      body: { deploy_generation: 1, holder: 'x' },
    });
    await expectProblem(refused, 429, 'resource_exhausted', { resource: 'request_rate', limit: 1, action: 'backoff' });
    expect(refused.headers.get('ratelimit-policy')).toBe('"request_rate";q=2;w=2');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit')).toBe(`"request_rate";r=0;t=${retryAfter}`);

    await sleep(retryAfter * 1000);
    const after = await h.request('GET', '/v1/environments', { key: t.key });
    expect(after.status).toBe(200);
    expect(await json(after)).toEqual({ items: [], next_cursor: null });
  });
});

describe('limits — request rate overrides and buckets', () => {
  it('a tenant override of the rate alone allows bursts of twice that rate, as the global default does', async () => {
    const h = harness();
    const t = await h.newTenant();
    expect((await setLimits(h, t.tenant, { request_rate: 3 })).status).toBe(200);
    const view = await json(await h.request('GET', `/v1/tenants/${t.tenant}/limits`, { key: h.adminToken }));
    expect(view.effective).toMatchObject({ request_rate: 3, request_burst: 6 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await h.request('GET', '/v1/environments', { key: t.key })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
  });

  it("clean-up of idle buckets judges each bucket by its own limits, so a half-spent bucket is not refilled by another key's traffic", async () => {
    const h = harness();
    const limits = new Limits(testLimits, h.scratch.handle.db);
    const large = { ...testLimits, requestRate: 1, requestBurst: 100 };
    const small = { ...testLimits, requestRate: 1, requestBurst: 1 };
    let admitted = 0;
    const take = (key: string, keyLimits: typeof large) => {
      try {
        limits.takeRequest(key, keyLimits);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 60; i++) if (take('large-key', large)) admitted++;
    // Enough requests of small-limit keys to run the clean-up, which once used the caller's limits for every bucket.
    for (let i = 0; i < 20_000; i++) take(`small-key-${i % 100}`, small);
    for (let i = 0; i < 100; i++) if (take('large-key', large)) admitted++;
    // 100 of burst, plus one per second of the test's run at most.
    expect(admitted).toBeLessThanOrEqual(105);
  });
});

describe('limits — requests in flight', () => {
  it('past the in-flight limit a request is refused with 429 in_flight at once, not queued', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.request('POST', '/v1/environments/busy/fence', { key: t.key, body: { deploy_generation: 1, holder: 'x' } });

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Holding the environment's row lock keeps fences of it in flight.
    const holder = h.scratch.handle.db.transaction(async (tx) => {
      await tx.select().from(environments).where(eq(environments.name, 'busy')).for('update');
      locked();
      await released;
    });
    await isLocked;
    const blocked = Array.from({ length: 3 }, (_, i) =>
      h.request('POST', '/v1/environments/busy/fence', { key: t.key, body: { deploy_generation: 2, holder: `p${i}` } }),
    );
    await sleep(200);
    const started = performance.now();
    const refused = await h.request('GET', '/v1/environments', { key: t.key });
    expect(performance.now() - started).toBeLessThan(150);
    await expectProblem(refused, 429, 'resource_exhausted', { resource: 'in_flight', limit: 3 });
    expect(refused.headers.get('retry-after')).toBe('1');
    // A `wait` parameter makes a long-poll only on the route that has one.
    await expectProblem(await h.request('GET', '/v1/environments?wait=5s', { key: t.key }), 429, 'resource_exhausted', {
      resource: 'in_flight',
    });

    release();
    await holder;
    expect((await Promise.all(blocked)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);
  });
});

describe('limits — watch streams and long-polls', () => {
  it('deployment long-polls do not count as requests in flight', async () => {
    const h = harness();
    const t = await h.newTenant();
    const put = await h.request('PUT', '/v1/environments/polled/deployments/1', { key: t.key, body: { holder: 'x' } });
    expect(put.status).toBe(201);
    const polls = Array.from({ length: 5 }, () =>
      h.request('GET', '/v1/environments/polled/deployments/1?wait=2s', { key: t.key }),
    );
    await sleep(200);
    const started = performance.now();
    expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await h.request('POST', '/v1/environments/polled/deployments/1/ready', { key: t.key })).status).toBe(200);
    expect((await Promise.all(polls)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('open watch streams do not count as requests in flight', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.request('POST', '/v1/environments/watched-many/fence', {
      key: t.key,
      body: { deploy_generation: 1, holder: 'x' },
    });
    const streams = await Promise.all(
      Array.from({ length: 5 }, () => h.request('GET', '/v1/environments/watched-many/watch', { key: t.key })),
    );
    try {
      expect(streams.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
      expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);
    } finally {
      await Promise.all(streams.map((s) => s.body?.cancel()));
    }
  });
});
