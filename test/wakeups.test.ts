import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { buildDeps } from '../src/api/deps.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { Keyring } from '../src/secrets.js';
import { httpBackend } from './support/database.js';
import { fenceToken, testLimits, type Tenant, useHarness } from './support/harness.js';
import { SseReader } from './support/sse.js';

/** No heartbeat within a test: a watcher sees a change only if a wake-up reaches it. */
const harness = useHarness(httpBackend, { watchHeartbeatMs: 60_000 });

type Requester = (
  method: string,
  path: string,
  init: { key: string; body?: unknown; headers?: Record<string, string> },
) => Promise<Response>;

function requester(app: { request: (path: string, init: RequestInit) => Response | Promise<Response> }): Requester {
  return async (method, path, { key, body, headers }) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

async function watch(request: Requester, t: Tenant, env: string): Promise<SseReader> {
  const res = await request('GET', `/v1/environments/${env}/watch`, { key: t.key });
  expect(res.status).toBe(200);
  const stream = new SseReader(res);
  await stream.waitFor((s) => s.events().length >= 1);
  return stream;
}

/** Fences `count` times, each once the last one's event reached the watcher; the delays from answer to event, in ms. */
async function fenceLatencies(stream: SseReader, count: number, fence: () => Promise<void>) {
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const seen = stream.events().length;
    await fence();
    const answered = performance.now();
    await stream.waitFor((s) => s.events().length > seen, 5_000);
    delays.push(stream.events()[seen]!.receivedAt - answered);
  }
  return delays.sort((a, b) => a - b);
}

const median = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)]!;

describe('wake-ups after commit', () => {
  it('a watcher on the replica that fenced sees each fence within 10 ms (median)', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'local', 1);
    const stream = await watch(requester(h.app), t, 'local');
    try {
      const delays = await fenceLatencies(stream, 20, async () => void (await fenceToken(h, t, 'local', 1)));
      expect(median(delays)).toBeLessThanOrEqual(10);
    } finally {
      await stream.close();
    }
  });

  it('an idempotent fence wakes its watchers once the idempotency transaction has committed', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'idempotent', 1);
    const request = requester(h.app);
    const stream = await watch(request, t, 'idempotent');
    try {
      const delays = await fenceLatencies(stream, 5, async () => {
        const res = await request('POST', '/v1/environments/idempotent/fence', {
          key: t.key,
          body: { deploy_generation: 1, holder: 'pod' },
          headers: { 'idempotency-key': randomBytes(8).toString('hex') },
        });
        expect(res.status).toBe(200);
      });
      expect(median(delays)).toBeLessThanOrEqual(10);
    } finally {
      await stream.close();
    }
  });

  it.skipIf(httpBackend !== 'postgres')(
    'a watcher on another replica sees each fence within 10 ms (median)',
    async () => {
      const h = harness();
      const t = await h.newTenant();
      await h.fence(t, 'remote', 1);
      const other = await openDatabase({ kind: 'postgres', url: h.scratch.url!, poolSize: 2 });
      const deps = buildDeps(
        {
          adminToken: h.adminToken,
          maxBodyBytes: h.maxBodyBytes,
          maxEntryBytes: h.maxEntryBytes,
          webhooks: { allowPrivate: true },
          limits: testLimits,
          watchHeartbeatMs: 60_000,
        },
        { database: other, logger: createLogger('silent'), keyring: new Keyring(randomBytes(32)) },
      );
      const { watchHub } = deps;
      await watchHub.start();
      const replica = createApp(deps);
      const stream = await watch(requester(replica), t, 'remote');
      try {
        const delays = await fenceLatencies(stream, 20, async () => void (await fenceToken(h, t, 'remote', 1)));
        expect(median(delays)).toBeLessThanOrEqual(10);
      } finally {
        await stream.close();
        await watchHub.stop();
        await other.close();
      }
    },
  );

  it.skipIf(httpBackend !== 'postgres')(
    "a replica's own wake-up reaches its listeners once, another replica's once",
    async () => {
      const h = harness();
      const [sender, receiver] = await Promise.all([
        openDatabase({ kind: 'postgres', url: h.scratch.url!, poolSize: 2 }),
        openDatabase({ kind: 'postgres', url: h.scratch.url!, poolSize: 2 }),
      ]);
      const channel = `palisade_test_${randomBytes(4).toString('hex')}`;
      const heardBySender: string[] = [];
      const heardByReceiver: string[] = [];
      const unlisteners = [
        await sender.listen(channel, (payload) => heardBySender.push(payload)),
        await receiver.listen(channel, (payload) => heardByReceiver.push(payload)),
      ];
      try {
        sender.wake([{ channel, payload: 'tenant\nname\ntoken' }]);
        const deadline = Date.now() + 5_000;
        while (heardByReceiver.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        // The sender's echo, were it delivered, comes back no later than the other replica's copy.
        await new Promise((r) => setTimeout(r, 200));
        expect(heardBySender).toEqual(['tenant\nname\ntoken']);
        expect(heardByReceiver).toEqual(['tenant\nname\ntoken']);
      } finally {
        for (const unlisten of unlisteners) await unlisten();
        await Promise.all([sender.close(), receiver.close()]);
      }
    },
  );
});
