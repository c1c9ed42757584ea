import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_CACHE_TTL_MS } from '../src/keyCache.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { callService, startService, stopAllServices } from './support/processes.js';
import { SseReader } from './support/sse.js';

/**
 * A key revoked on one replica stops working on every other replica at once, not when their
 * cache of known keys expires, and the watch streams it opened there end.
 */

/** Well under the cache's lifetime, so only the revocation reaching the replica can pass. */
const PROMPT_MS = 500;

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await stopAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(!POSTGRES_URL)('revocation across replicas', () => {
  it('a key revoked on replica A is refused on replica B at once, and its watch stream on B ends', async () => {
    expect(PROMPT_MS).toBeLessThan(KEY_CACHE_TTL_MS / 2);
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const settings = { DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: adminToken };
    const [replicaA, replicaB] = await Promise.all([startService(settings), startService(settings)]);

    const created = await callService(replicaA, 'POST', '/v1/api-keys', adminToken, {
      tenant: 'revoked',
      name: 'to be revoked',
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const env = 'orders-db';
    expect(
      (
        await callService(replicaA, 'POST', `/v1/environments/${env}/fence`, key, {
          deploy_generation: 1,
          holder: 'gen-1',
        })
      ).status,
    ).toBe(200);

    // Replica B now knows the key: it is in its cache of known keys.
    expect((await callService(replicaB, 'GET', `/v1/environments/${env}`, key)).status).toBe(200);
    const watchResponse = await callService(replicaB, 'GET', `/v1/environments/${env}/watch`, key);
    expect(watchResponse.status).toBe(200);
    const stream = new SseReader(watchResponse);
    try {
      await stream.waitFor((s) => s.events().some((e) => e.event === 'snapshot'));
      expect(
        (await callService(replicaA, 'PUT', `/v1/environments/${env}/deployments/2`, key, { holder: 'gen-2' })).status,
      ).toBe(201);
      const longPoll = callService(replicaB, 'GET', `/v1/environments/${env}/deployments/2?wait=30s`, key).then(
        (res) => res.status,
        (error: unknown) => String(error),
      );

      expect((await callService(replicaA, 'DELETE', `/v1/api-keys/${id}`, adminToken)).status).toBe(204);
      const revoked = performance.now();

      let refusedAfter: number | null = null;
      while (performance.now() - revoked < PROMPT_MS) {
        const status = (await callService(replicaB, 'GET', `/v1/environments/${env}`, key)).status;
        if (status === 401) {
          refusedAfter = performance.now() - revoked;
          break;
        }
        expect(status).toBe(200);
        await sleep(20);
      }
      expect(refusedAfter, `replica B still accepted the key ${PROMPT_MS} ms after the revocation`).not.toBeNull();

      const endedBy = revoked + PROMPT_MS;
      while (!stream.ended && performance.now() < endedBy) await sleep(10);
      expect(stream.ended, `the watch stream on replica B was still open ${PROMPT_MS} ms after the revocation`).toBe(
        true,
      );
      expect(await longPoll).toBe(401);
      expect(performance.now() - revoked).toBeLessThan(PROMPT_MS + 500);
    } finally {
      await stream.close();
    }
  });

  it('a revocation no replica is told of still ends its watch streams within the cache lifetime', async () => {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const replica = await startService({ DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: adminToken });
    const created = await callService(replica, 'POST', '/v1/api-keys', adminToken, {
      tenant: 'unannounced',
      name: 'revoked in SQL',
    });
    const { id, key } = (await created.json()) as { id: string; key: string };
    expect(
      (
        await callService(replica, 'POST', '/v1/environments/orders-db/fence', key, {
          deploy_generation: 1,
          holder: 'gen-1',
        })
      ).status,
    ).toBe(200);
    const stream = new SseReader(await callService(replica, 'GET', '/v1/environments/orders-db/watch', key));
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await stream.waitFor((s) => s.events().some((e) => e.event === 'snapshot'));
      await sql`update api_keys set revoked_at = now() where id = ${id}`;
      const revoked = performance.now();
      while (!stream.ended && performance.now() - revoked < KEY_CACHE_TTL_MS + 1_000) await sleep(20);
      expect(stream.ended, 'the watch stream outlived the revocation').toBe(true);
      expect((await callService(replica, 'GET', '/v1/environments/orders-db', key)).status).toBe(401);
    } finally {
      await stream.close();
      await sql.end({ timeout: 1 });
    }
  });
});
