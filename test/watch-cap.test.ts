import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { SseReader } from './support/sse.js';

const harness = useHarness(httpBackend, { limits: { watchStreams: 2 }, watchHeartbeatMs: 100 });

function watch(h: Harness, t: Tenant, env: string): Promise<Response> {
  return h.request('GET', `/v1/environments/${env}/watch`, { key: t.key });
}

async function open(h: Harness, t: Tenant, env: string): Promise<SseReader> {
  const res = await watch(h, t, env);
  expect(res.status).toBe(200);
  const reader = new SseReader(res);
  await reader.waitFor((s) => s.events().length >= 1);
  return reader;
}

describe('watch — open streams per tenant', () => {
  it('a stream past the cap is 429 watch_streams; closing one makes room; other tenants are unaffected', async () => {
    const h = harness();
    const t = await h.newTenant();
    const other = await h.newTenant();
    await h.fence(t, 'w', 1);
    await h.fence(other, 'w', 1);
    const streams = [await open(h, t, 'w'), await open(h, t, 'w')];
    try {
      const refused = await watch(h, t, 'w');
      await expectProblem(refused, 429, 'resource_exhausted', {
        resource: 'watch_streams',
        limit: 2,
        action: 'backoff',
      });
      expect(refused.headers.get('retry-after')).not.toBeNull();
      streams.push(await open(h, other, 'w'));

      await streams.shift()!.close();
      let reopened: Response | null = null;
      for (let i = 0; i < 40; i++) {
        reopened = await watch(h, t, 'w');
        if (reopened.status === 200) break;
        await reopened.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(reopened!.status).toBe(200);
      streams.push(new SseReader(reopened!));
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  });
});
