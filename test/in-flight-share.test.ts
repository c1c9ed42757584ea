import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environments } from '../src/db/schema.js';
import { httpBackend, POSTGRES_URL } from './support/database.js';
import { useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const harness = useHarness(httpBackend, { limits: { maxInFlight: 6, tenantInFlight: 3 } });

/** A fence whose body arrives only when `finish` is called, as a client trickling it would send it. */
function slowFence(h: Harness, t: Tenant, env: string) {
  let finish!: () => void;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode('{"deploy_generation":1,'));
      await new Promise<void>((resolve) => (finish = resolve));
      controller.enqueue(new TextEncoder().encode('"holder":"slow"}'));
      controller.close();
    },
  });
  const response = Promise.resolve(
    h.app.request(`/v1/environments/${env}/fence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit),
  );
  return { response, finish: () => finish() };
}

describe('requests in flight — a tenant’s share', () => {
  it('requests still sending their bodies do not count: slow bodies of one tenant leave the others served', async () => {
    const h = harness();
    const a = await h.newTenant();
    const b = await h.newTenant();
    const slow = Array.from({ length: 8 }, () => slowFence(h, a, 'trickle'));
    await sleep(200);
    expect((await h.request('GET', '/v1/environments', { key: b.key })).status).toBe(200);
    expect((await h.request('GET', '/v1/environments', { key: a.key })).status).toBe(200);
    for (const request of slow) request.finish();
    const statuses = (await Promise.all(slow.map((request) => request.response))).map((r) => r.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
  });

  it.skipIf(!POSTGRES_URL)(
    'one tenant cannot hold more than its share: its next request is 429 in_flight, another tenant’s is served',
    async () => {
      const h = harness();
      const a = await h.newTenant();
      const b = await h.newTenant();
      await h.fence(a, 'held', 1);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holder = h.scratch.handle.db.transaction(async (tx) => {
        await tx.select().from(environments).where(eq(environments.tenant, a.tenant)).for('update');
        locked();
        await released;
      });
      await isLocked;
      const blocked = Array.from({ length: 3 }, (_, i) =>
        h.request('POST', '/v1/environments/held/fence', {
          key: a.key,
          body: { deploy_generation: 2, holder: `p${i}` },
        }),
      );
      await sleep(200);
      const refused = await h.request('GET', '/v1/environments', { key: a.key });
      await expectProblem(refused, 429, 'resource_exhausted', { resource: 'in_flight', limit: 3 });
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await h.request('GET', '/v1/environments', { key: b.key })).status).toBe(200);
      release();
      await holder;
      expect((await Promise.all(blocked)).map((r) => r.status)).toEqual([200, 200, 200]);
    },
  );
});
