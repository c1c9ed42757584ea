import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { fenceToken, json, useHarness } from './support/harness.js';
import { SseReader } from './support/sse.js';

/**
 * Notifications are only hints: with none heard at all, a watch stream and a deployment long-poll
 * still learn of every change within one heartbeat, because they re-read what they serve.
 */

const HEARTBEAT_MS = 300;
/** One heartbeat, plus the re-read itself on a loaded machine. */
const STALENESS_BOUND_MS = HEARTBEAT_MS + 700;

const harness = useHarness(httpBackend, { watchHeartbeatMs: HEARTBEAT_MS, listen: false });

describe('watchers that hear no notifications', () => {
  it('a watch stream sends the fence within one heartbeat', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'gen-1');
    const res = await h.request('GET', `/v1/environments/${env}/watch`, { key: t.key });
    expect(res.status).toBe(200);
    const stream = new SseReader(res);
    try {
      await stream.waitFor((s) => s.events().length >= 1);
      const token = await fenceToken(h, t, env, 2, 'gen-2');
      const committed = performance.now();
      await stream.waitFor((s) => s.events().some((e) => e.event === 'fenced'), 5_000);
      const fenced = stream.events().find((e) => e.event === 'fenced')!;
      expect(fenced.data).toMatchObject({ environment: env, token, holder: 'gen-2' });
      expect(fenced.receivedAt - committed).toBeLessThan(STALENESS_BOUND_MS);
    } finally {
      await stream.close();
    }
  });

  it('a deployment long-poll answers the change within one heartbeat', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const path = `/v1/environments/${env}/deployments/1`;
    expect((await h.request('PUT', path, { key: t.key, body: { holder: 'gen-1' } })).status).toBe(201);
    const waiting = h.request('GET', `${path}?wait=10s`, { key: t.key });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await h.fence(t, env, 2, 'manual');
    const committed = performance.now();
    const res = await waiting;
    expect(performance.now() - committed).toBeLessThan(STALENESS_BOUND_MS);
    expect(await json(res)).toMatchObject({ deploy_generation: 1, state: 'fenced' });
  });
});
