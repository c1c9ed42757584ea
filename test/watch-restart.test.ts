import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Token } from '../src/domain/token.js';
import { startPrivatePostgres, type PrivatePostgres } from './support/privatePostgres.js';
import { callService, startService, stopAllServices } from './support/processes.js';
import { SseReader } from './support/sse.js';

/**
 * A database restart drops every replica's LISTEN connection, and notifications committed while a
 * replica is not listening are lost to it. Its watch streams and long-polls must still learn of a
 * fence within one heartbeat, since they re-read what they serve at least once per heartbeat and
 * whenever the listener is back. The fence is issued through another replica right after the
 * restart, so the watching replica cannot rely on having heard it.
 */

const HEARTBEAT_MS = 1_000;
/** One heartbeat, plus a reconnect of the pool and the re-read itself on a loaded machine. */
const STALENESS_BOUND_MS = HEARTBEAT_MS + 1_500;

let cluster: PrivatePostgres;

beforeAll(async () => {
  cluster = await startPrivatePostgres();
});

afterAll(async () => {
  await stopAllServices();
  await cluster?.stop();
});

async function expectOk(response: Promise<Response>, what: string): Promise<Record<string, any>> {
  const res = await response;
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, any>) : {};
}

describe('watchers across a database restart', () => {
  it('a watch stream and a long-poll on one replica learn of a fence committed through another right after the restart', async () => {
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const settings = {
      DATABASE_URL: cluster.url,
      PALISADE_ADMIN_TOKEN: adminToken,
      PALISADE_WATCH_HEARTBEAT: `${HEARTBEAT_MS}ms`,
    };
    const writer = await startService(settings);
    const watcher = await startService(settings);

    const { key } = await expectOk(
      callService(writer, 'POST', '/v1/api-keys', adminToken, { tenant: 'restart', name: 'restart test' }),
      'creating a key',
    );
    const env = 'orders-db';
    await expectOk(
      callService(writer, 'PUT', `/v1/environments/${env}/deployments/1`, key, { holder: 'gen-1' }),
      'registering generation 1',
    );

    const watchResponse = await callService(watcher, 'GET', `/v1/environments/${env}/watch`, key);
    expect(watchResponse.status).toBe(200);
    const stream = new SseReader(watchResponse);
    await stream.waitFor((s) => s.events().some((e) => e.event === 'snapshot'));
    const longPoll = expectOk(
      callService(watcher, 'GET', `/v1/environments/${env}/deployments/1?wait=60s`, key),
      'long-polling generation 1',
    );
    let longPollAnsweredAt = 0;
    void longPoll.then(
      () => (longPollAnsweredAt = performance.now()),
      () => {},
    );
    // Let the long-poll take its first read and start waiting before the database goes away.
    await sleep(300);

    try {
      // Down long enough for reconnect attempts to fail and back off, as in a real restart.
      await cluster.restart(2_000);

      let token: Token | undefined;
      const deadline = performance.now() + 15_000;
      while (!token) {
        const res = await callService(writer, 'POST', `/v1/environments/${env}/fence`, key, {
          deploy_generation: 2,
          holder: 'manual',
        });
        if (res.status === 200) token = ((await res.json()) as { token: typeof token }).token;
        else if (res.status !== 503 || performance.now() > deadline)
          throw new Error(`fencing after the restart: ${res.status} ${await res.text()}`);
        else await sleep(50);
      }
      const committed = performance.now();

      await stream.waitFor((s) => s.events().some((e) => e.event === 'fenced'), STALENESS_BOUND_MS + 10_000);
      const fenced = stream.events().find((e) => e.event === 'fenced')!;
      expect(fenced.data).toMatchObject({ environment: env, token, holder: 'manual' });
      expect(fenced.receivedAt - committed).toBeLessThan(STALENESS_BOUND_MS);

      expect(await longPoll).toMatchObject({ deploy_generation: 1, state: 'fenced' });
      expect(longPollAnsweredAt - committed).toBeLessThan(STALENESS_BOUND_MS);
    } finally {
      await stream.close();
    }

    // The listener reconnects within a second of the database being back (and says so), though
    // the watchers above may well have re-read on a heartbeat before it did.
    const listenerBackBy = performance.now() + 3_000;
    while (!watcher.output().includes('"msg":"database listener back"') && performance.now() < listenerBackBy)
      await sleep(50);
    expect(watcher.output()).toContain('"msg":"database listener lost;');
    expect(watcher.output()).toContain('"msg":"database listener back"');
  }, 60_000);
});
