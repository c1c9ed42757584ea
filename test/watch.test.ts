import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { fenceToken, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { SseReader } from './support/sse.js';

const harness = useHarness(httpBackend, { watchHeartbeatMs: 150 });

async function watch(h: Harness, t: Tenant, env: string, lastEventId?: string) {
  const res = await h.request('GET', `/v1/environments/${env}/watch`, {
    key: t.key,
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new SseReader(res);
}

describe('watch', () => {
  it('sends the current token at once, then each fence and the deletion as they commit', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'watched', 1, 'gen-1');
    const stream = await watch(h, t, 'watched');
    try {
      await stream.waitFor((s) => s.events().length >= 1);
      const [snapshot] = stream.events();
      expect(snapshot).toMatchObject({
        event: 'snapshot',
        id: '1',
        data: { name: 'watched', token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' },
      });

      const token = await fenceToken(h, t, 'watched', 2, 'gen-2');
      const committed = performance.now();
      await stream.waitFor((s) => s.events().length >= 2);
      const fenced = stream.events()[1]!;
      expect(fenced).toMatchObject({
        event: 'fenced',
        id: '2',
        data: { environment: 'watched', token, holder: 'gen-2', upper: 0 },
      });
      expect(fenced.receivedAt - committed).toBeLessThan(100);

      expect((await h.request('DELETE', '/v1/environments/watched', { key: t.key })).status).toBe(204);
      await stream.waitFor((s) => s.events().length >= 3);
      expect(stream.events()[2]).toMatchObject({ event: 'deleted', data: { environment: 'watched' } });

      // The name used again: the stream, still open, follows it.
      await h.fence(t, 'watched', 3, 'gen-3');
      await stream.waitFor((s) => s.events().length >= 4);
      expect(stream.events()[3]).toMatchObject({
        event: 'fenced',
        id: '3',
        data: { token: { deploy_generation: 3, epoch: 3 } },
      });
    } finally {
      await stream.close();
    }
  });

  it('reconnecting with Last-Event-ID replays every token issued meanwhile, in order, then the snapshot', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'resume', 1);
    const first = await watch(h, t, 'resume');
    await first.waitFor((s) => s.events().length >= 1);
    const lastId = first.events()[0]!.id!;
    await first.close();

    for (const generation of [1, 2, 2]) await h.fence(t, 'resume', generation);
    const second = await watch(h, t, 'resume', lastId);
    try {
      await second.waitFor((s) => s.events().length >= 4);
      expect(second.events().map((e) => [e.event, e.id])).toEqual([
        ['fenced', '2'],
        ['fenced', '3'],
        ['fenced', '4'],
        ['snapshot', '4'],
      ]);
      expect(
        second
          .events()
          .slice(0, 3)
          .map((e) => e.data.token.deploy_generation),
      ).toEqual([1, 2, 2]);
    } finally {
      await second.close();
    }
  });

  it('many fences in a burst reach the watcher each exactly once, in order', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'burst', 1);
    const stream = await watch(h, t, 'burst');
    try {
      await stream.waitFor((s) => s.events().length >= 1);
      await Promise.all(Array.from({ length: 20 }, () => fenceToken(h, t, 'burst', 1)));
      await stream.waitFor((s) => s.events().length >= 21);
      const ids = stream
        .events()
        .slice(1)
        .map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    } finally {
      await stream.close();
    }
  });

  it('sends heartbeats while nothing changes', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'quiet', 1);
    const stream = await watch(h, t, 'quiet');
    try {
      await stream.waitFor(
        (s) => s.messages.filter((m) => 'comment' in m && m.comment === 'heartbeat').length >= 2,
        2_000,
      );
    } finally {
      await stream.close();
    }
  });

  it('a stream that has just sent its snapshot skips the heartbeat that falls right after it', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'fresh', 1);
    for (let round = 0; round < 5; round++) {
      // Heartbeats fall on the clock's multiples of 150 ms: open each stream just before one.
      await new Promise((resolve) => setTimeout(resolve, 150 - (Date.now() % 150) + 140));
      const stream = await watch(h, t, 'fresh');
      try {
        await stream.waitFor((s) => s.messages.filter((m) => 'comment' in m).length >= 1, 2_000);
        const [snapshot, first] = stream.messages;
        expect(snapshot && 'event' in snapshot && snapshot.event).toBe('snapshot');
        expect(first!.receivedAt - snapshot!.receivedAt).toBeGreaterThan(150 / 4);
      } finally {
        await stream.close();
      }
    }
  });

  it('an unknown environment, another tenant’s, or a bad Last-Event-ID is refused before streaming', async () => {
    const h = harness();
    const [owner, other] = [await h.newTenant(), await h.newTenant()];
    await h.fence(owner, 'private', 1);
    await expectProblem(await h.request('GET', '/v1/environments/private/watch', { key: other.key }), 404, 'not_found');
    await expectProblem(await h.request('GET', '/v1/environments/nowhere/watch', { key: owner.key }), 404, 'not_found');
    await expectProblem(await h.request('GET', '/v1/environments/private/watch'), 401, 'unauthorized');
    const bad = await h.request('GET', '/v1/environments/private/watch', {
      key: owner.key,
      headers: { 'last-event-id': 'abc' },
    });
    await expectProblem(bad, 400, 'invalid_request');
  });
});
