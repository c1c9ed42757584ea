import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { idempotencyKeys } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend, { limits: { idempotencyKeys: 3 } });

function fence(h: Harness, t: Tenant, env: string, key: string) {
  return h.request('POST', `/v1/environments/${env}/fence`, {
    key: t.key,
    body: { deploy_generation: 1, holder: 'a' },
    headers: { 'idempotency-key': key },
  });
}

async function storedKeys(h: Harness, t: Tenant): Promise<number> {
  const rows = await h.scratch.handle.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.scope, t.tenant));
  return rows.length;
}

describe('Idempotency-Key — per-tenant cap', () => {
  it('a new key past the cap is 429 idempotency_keys, does no work, and other tenants are unaffected', async () => {
    const h = harness();
    const t = await h.newTenant();
    const other = await h.newTenant();
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    for (const key of keys) expect((await fence(h, t, 'capped', key)).status).toBe(200);

    const refused = await fence(h, t, 'capped', randomUUID());
    await expectProblem(refused, 429, 'resource_exhausted', {
      resource: 'idempotency_keys',
      limit: 3,
      action: 'backoff',
    });
    expect(refused.headers.get('ratelimit-policy')).toMatch(/^"idempotency_keys";q=3;w=\d+$/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await storedKeys(h, t)).toBe(3);
    const current = await json(await h.request('GET', '/v1/environments/capped', { key: t.key }));
    expect(current.token.epoch).toBe(3);

    // A stored key still replays at the cap, and a request without a key still works.
    const replay = await fence(h, t, 'capped', keys[0]!);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(
      (
        await h.request('POST', '/v1/environments/capped/fence', {
          key: t.key,
          body: { deploy_generation: 1, holder: 'a' },
        })
      ).status,
    ).toBe(200);
    expect((await fence(h, other, 'capped', randomUUID())).status).toBe(200);
  });

  it('expired keys do not count against the cap', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (let i = 0; i < 3; i++) expect((await fence(h, t, 'aging', randomUUID())).status).toBe(200);
    await h.scratch.handle.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '25 hours'` })
      .where(and(eq(idempotencyKeys.scope, t.tenant)));
    expect((await fence(h, t, 'aging', randomUUID())).status).toBe(200);
  });
});
