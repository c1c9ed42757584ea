import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { renderClientSchema } from '../scripts/generate-client.js';
import {
  classify,
  createPalisadeClient,
  FencedError,
  PalisadeError,
  PalisadeNetworkError,
  parseEventStream,
  type PalisadeClientOptions,
  type WatchEvent,
} from '../src/client/index.js';
import { httpBackend } from './support/database.js';
import { type Harness, useHarness } from './support/harness.js';

const harness = useHarness(httpBackend);

type Fetch = NonNullable<PalisadeClientOptions['fetch']>;

/** A client on the in-process app; `intercept` may stand between it and the app. */
function clientFor(
  h: Harness,
  key: string,
  intercept?: (request: Request, forward: () => Promise<Response>) => Promise<Response>,
) {
  const forward: Fetch = (input, init) => h.app.request(input, init);
  return createPalisadeClient({
    baseUrl: 'http://localhost',
    apiKey: key,
    fetch: intercept ? (request) => intercept(request, async () => forward(request)) : forward,
    retry: { minDelayMs: 5, maxDelayMs: 1_000 },
  });
}

function problem(status: number, code: string, headers: Record<string, string> = {}): Response {
  return new Response(
    JSON.stringify({ type: 'about:blank', title: code, status, detail: `a ${code}`, code, action: 'retry' }),
    {
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
    },
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Passes `body` through until `drop()`, then fails the stream as a reset connection does. */
function droppable(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  let drop!: () => void;
  const dropped = new Promise<'dropped'>((resolve) => {
    drop = () => resolve('dropped');
  });
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await Promise.race([reader.read(), dropped]);
      if (next === 'dropped') {
        controller.error(new TypeError('terminated'));
        await reader.cancel().catch(() => {});
      } else if (next.done) {
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { stream, drop };
}

describe('the generated client', () => {
  it('src/client/schema.ts is what openapi-typescript generates from openapi.yaml (run `npm run client`)', async () => {
    const committed = readFileSync(new URL('../src/client/schema.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderClientSchema());
  }, 30_000);
});

describe('errors', () => {
  it('fenced 409s are FencedErrors: by a newer generation → terminate, by a newer epoch → halt', async () => {
    const h = harness();
    const t = await h.newTenant();
    const client = clientFor(h, t.key);
    const env = h.uniqueName();

    const first = await client.fence(env, { deploy_generation: 1, holder: 'gen-1' });
    expect(first).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
    const second = await client.fence(env, { deploy_generation: 2, holder: 'gen-2' });
    expect(second.previous).toEqual({ token: first.token, holder: 'gen-1' });

    const byGeneration = await rejection(client.confirm(env, first.token));
    expect(byGeneration).toBeInstanceOf(FencedError);
    expect(byGeneration).toBeInstanceOf(PalisadeError);
    expect(byGeneration).toMatchObject({
      status: 409,
      code: 'fenced',
      kind: 'deploy_generation',
      action: 'terminate',
      currentToken: second.token,
      yourToken: first.token,
      body: { code: 'fenced', kind: 'deploy_generation', current_token: second.token, your_token: first.token },
    });
    expect((byGeneration as FencedError).detail).toMatch(/generation 2/i);
    expect(classify(byGeneration)).toBe('terminate');

    const third = await client.fence(env, { deploy_generation: 2, holder: 'gen-2-restarted' });
    const byEpoch = await rejection(client.append(env, { token: second.token, entries: ['stale'] }));
    expect(byEpoch).toMatchObject({
      kind: 'epoch',
      action: 'halt',
      currentToken: third.token,
      yourToken: second.token,
    });
    expect(classify(byEpoch)).toBe('halt');

    const lowerGeneration = await rejection(client.fence(env, { deploy_generation: 1, holder: 'late' }));
    expect(lowerGeneration).toMatchObject({ kind: 'deploy_generation', yourDeployGeneration: 1, yourToken: undefined });
    expect(classify(lowerGeneration)).toBe('terminate');
  });

  it('classify: upper_mismatch, 503, in-flight and network errors → retry; 429 → backoff; the rest → abort', async () => {
    const h = harness();
    const t = await h.newTenant();
    const client = clientFor(h, t.key);
    const env = h.uniqueName();
    const { token } = await client.fence(env, { deploy_generation: 1, holder: 'a' });

    const mismatch = await rejection(client.append(env, { token, expected_upper: 5, entries: [1] }));
    expect(mismatch).toMatchObject({
      status: 409,
      code: 'upper_mismatch',
      action: 'retry',
      body: { current_upper: 0 },
    });
    expect(mismatch).not.toBeInstanceOf(FencedError);
    expect(classify(mismatch)).toBe('retry');

    const future = await rejection(client.confirm(env, { deploy_generation: 9, epoch: 99 }));
    expect(future).toMatchObject({ code: 'token_from_future', action: 'abort' });
    expect(classify(future)).toBe('abort');

    const missing = await rejection(client.getEnvironment(h.uniqueName()));
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(classify(missing)).toBe('abort');

    const unauthorized = await rejection(clientFor(h, 'pal_not-a-key').getEnvironment(env));
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized', action: 'authenticate' });
    expect(classify(unauthorized)).toBe('abort');

    const unreachable = createPalisadeClient({
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      apiKey: t.key,
      retry: false,
    });
    const network = await rejection(unreachable.getEnvironment(env));
    expect(network).toBeInstanceOf(PalisadeNetworkError);
    expect((network as Error).message).toMatch(/ECONNREFUSED/);
    expect(classify(network)).toBe('retry');

    const answering = (response: () => Response) =>
      createPalisadeClient({ baseUrl: 'http://localhost', apiKey: t.key, fetch: () => response(), retry: false });
    const rateLimited = await rejection(
      answering(() => problem(429, 'resource_exhausted', { 'retry-after': '2' })).getEnvironment(env),
    );
    expect(rateLimited).toMatchObject({ status: 429, retryAfterMs: 2_000 });
    expect(classify(rateLimited)).toBe('backoff');
    expect(classify(await rejection(answering(() => problem(503, 'unavailable')).getEnvironment(env)))).toBe('retry');
    expect(
      classify(
        await rejection(
          answering(() => problem(409, 'idempotency_in_flight')).fence(env, { deploy_generation: 1, holder: 'a' }),
        ),
      ),
    ).toBe('retry');
    const html = await rejection(
      answering(() => new Response('<html>bad gateway</html>', { status: 502 })).getEnvironment(env),
    );
    expect(html).toMatchObject({ status: 502, code: 'http_502', action: undefined });
    expect(classify(html)).toBe('retry');
    expect(classify(new Error('a bug'))).toBe('abort');
  });
});

describe('Idempotency-Key', () => {
  it('an append whose answer was lost is retried with the same key and applied once', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const keys: (string | null)[] = [];
    const faults: ('lose-answer' | 'unavailable')[] = [];
    const client = clientFor(h, t.key, async (request, forward) => {
      if (request.method !== 'POST') return forward();
      keys.push(request.headers.get('idempotency-key'));
      const fault = faults.shift();
      if (fault === 'unavailable') return problem(503, 'unavailable', { 'retry-after': '0' });
      const response = await forward();
      if (fault === 'lose-answer') throw new TypeError('fetch failed');
      return response;
    });
    const { token } = await client.fence(env, { deploy_generation: 1, holder: 'a' });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    keys.length = 0;
    faults.push('unavailable', 'lose-answer');
    const appended = await client.append(env, { token, entries: [{ n: 1 }] });
    expect(appended).toEqual({ offset: 0, upper: 1 });
    // Three tries of one logical call, all with its key: a 503, an answer lost after the work, a replay.
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(await client.readLog(env)).toMatchObject({ upper: 1, entries: [{ offset: 0, data: { n: 1 } }] });

    // The next logical call gets a key of its own.
    await client.append(env, { token, entries: [{ n: 2 }] });
    expect(keys).toHaveLength(4);
    expect(keys[3]).not.toBe(keys[0]);
    expect((await client.readLog(env)).upper).toBe(2);
  });

  it('every POST that accepts Idempotency-Key in openapi.yaml has a helper that sends one', async () => {
    const spec = parseYaml(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
      paths: Record<string, { post?: { parameters?: { name: string; in: string }[] } }>;
    };
    const keyed = Object.entries(spec.paths)
      .filter(([, item]) => item.post?.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'))
      .map(([path]) => path)
      .sort();
    const sent = new Map<string, string | null>();
    const client = createPalisadeClient({
      baseUrl: 'http://localhost',
      apiKey: 'pal_x',
      fetch: (request) => {
        sent.set(`${request.method} ${new URL(request.url).pathname}`, request.headers.get('idempotency-key'));
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      },
    });
    const token = { deploy_generation: 1, epoch: 1 };
    const helpers: Record<string, () => Promise<unknown>> = {
      '/v1/api-keys': () => client.createApiKey({ tenant: 't', name: 'n' }),
      '/v1/environments/{env}/fence': () => client.fence('e', { deploy_generation: 1, holder: 'h' }),
      '/v1/environments/{env}/log': () => client.append('e', { token, entries: [1] }),
      '/v1/environments/{env}/deployments/{generation}/ready': () => client.markDeploymentReady('e', 2),
      '/v1/environments/{env}/deployments/{generation}/promote': () => client.promoteDeployment('e', 2),
      '/v1/webhooks': () => client.createWebhook({ url: 'https://example.com/hook', events: ['generation.fenced'] }),
      '/v1/webhooks/{id}/rotate-secret': () => client.rotateWebhookSecret('w'),
      '/v1/webhooks/{id}/test': () => client.testWebhook('w'),
      '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': () => client.redeliverWebhook('w', 'd'),
    };
    expect(Object.keys(helpers).sort()).toEqual(keyed);
    for (const path of keyed) {
      await helpers[path]!();
      const concrete = path
        .replace('{env}', 'e')
        .replace('{generation}', '2')
        .replace('{id}', 'w')
        .replace('{delivery_id}', 'd');
      expect(sent.get(`POST ${concrete}`), path).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('a call without a key is not repeated after a lost answer', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    let deletes = 0;
    const client = clientFor(h, t.key, async (request, forward) => {
      if (request.method !== 'DELETE') return forward();
      deletes++;
      await forward();
      throw new TypeError('fetch failed');
    });
    await client.createEnvironment(env);
    expect(await rejection(client.deleteEnvironment(env))).toBeInstanceOf(PalisadeNetworkError);
    expect(deletes).toBe(1);
  });
});

describe('watch()', () => {
  it('yields the snapshot, then each fence; after a dropped connection it resumes with Last-Event-ID', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const writer = clientFor(h, t.key);
    await writer.fence(env, { deploy_generation: 1, holder: 'a' });

    const lastEventIds: (string | null)[] = [];
    let drop: (() => void) | undefined;
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const reconnects: unknown[] = [];
    const client = clientFor(h, t.key, async (request, forward) => {
      if (!request.url.endsWith('/watch')) return forward();
      lastEventIds.push(request.headers.get('last-event-id'));
      if (lastEventIds.length === 1) {
        const response = await forward();
        const wrapped = droppable(response.body!);
        drop = wrapped.drop;
        return new Response(wrapped.stream, { status: response.status, headers: response.headers });
      }
      await gate;
      return forward();
    });

    const stop = new AbortController();
    const events = client.watch(env, { signal: stop.signal, onReconnect: (info) => reconnects.push(info) });
    const next = async () => {
      const { value, done } = await events.next();
      expect(done).toBe(false);
      return value as WatchEvent;
    };

    expect(await next()).toMatchObject({
      event: 'snapshot',
      id: '1',
      data: { name: env, token: { deploy_generation: 1, epoch: 1 }, holder: 'a', upper: 0 },
    });
    await writer.fence(env, { deploy_generation: 2, holder: 'b' });
    expect(await next()).toMatchObject({
      event: 'fenced',
      id: '2',
      data: { environment: env, token: { deploy_generation: 2, epoch: 2 }, holder: 'b', upper: 0 },
    });

    // The connection drops; while the client is reconnecting, two more tokens are issued.
    drop!();
    const pending = next();
    await waitFor(() => lastEventIds.length === 2);
    await writer.fence(env, { deploy_generation: 2, holder: 'c' });
    await writer.fence(env, { deploy_generation: 3, holder: 'd' });
    openGate();
    expect(await pending).toMatchObject({
      event: 'fenced',
      id: '3',
      data: { token: { deploy_generation: 2, epoch: 3 }, holder: 'c' },
    });
    expect(await next()).toMatchObject({
      event: 'fenced',
      id: '4',
      data: { token: { deploy_generation: 3, epoch: 4 }, holder: 'd' },
    });
    expect(await next()).toMatchObject({
      event: 'snapshot',
      id: '4',
      data: { token: { deploy_generation: 3, epoch: 4 }, holder: 'd' },
    });
    expect(lastEventIds).toEqual([null, '2']);
    expect(reconnects).toHaveLength(1);
    expect(reconnects[0]).toMatchObject({ attempt: 1, lastEventId: '2' });

    await writer.deleteEnvironment(env);
    expect(await next()).toMatchObject({ event: 'deleted', data: { environment: env } });

    stop.abort();
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it('starts from lastEventId, and throws a PalisadeError for an answer that reconnecting cannot fix', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const client = clientFor(h, t.key);
    for (const holder of ['a', 'b', 'c']) await client.fence(env, { deploy_generation: 1, holder });

    const stop = new AbortController();
    const seen: WatchEvent[] = [];
    for await (const event of client.watch(env, { signal: stop.signal, lastEventId: 1 })) {
      seen.push(event);
      if (event.event === 'snapshot') break;
    }
    expect(seen.map((event) => `${event.event} ${event.id}`)).toEqual(['fenced 2', 'fenced 3', 'snapshot 3']);

    const missing = client.watch(h.uniqueName(), { signal: stop.signal });
    expect(await rejection(missing.next())).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('reconnects when the stream goes silent past the idle timeout or the server ends it', async () => {
    const lastEventIds: (string | null)[] = [];
    const encoder = new TextEncoder();
    const sse = (text: string, end: boolean) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(text));
            if (end) controller.close();
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream' } },
      );
    const snapshot = (epoch: number) =>
      `event: snapshot\nid: ${epoch}\ndata: ${JSON.stringify({ name: 'e', token: { deploy_generation: 1, epoch }, holder: 'a', upper: 0, created_at: '', fenced_at: '' })}\n\n`;
    const client = createPalisadeClient({
      baseUrl: 'http://localhost',
      apiKey: 'pal_x',
      fetch: (request) => {
        lastEventIds.push(request.headers.get('last-event-id'));
        switch (lastEventIds.length) {
          case 1:
            return sse(snapshot(1), false); // then silence
          case 2:
            return sse(
              `event: fenced\nid: 2\ndata: {"environment":"e","token":{"deploy_generation":1,"epoch":2},"holder":"b","upper":0,"fenced_at":""}\n\n`,
              true,
            );
          default:
            return problem(404, 'not_found');
        }
      },
      retry: { minDelayMs: 1 },
    });
    const reasons: string[] = [];
    const seen: string[] = [];
    const failure = await rejection(
      (async () => {
        for await (const event of client.watch('e', {
          idleTimeoutMs: 100,
          onReconnect: ({ error }) => reasons.push((error as Error).message),
        })) {
          seen.push(`${event.event} ${event.id}`);
        }
      })(),
    );
    expect(seen).toEqual(['snapshot 1', 'fenced 2']);
    expect(lastEventIds).toEqual([null, '1', '2']);
    expect(reasons).toEqual(['nothing arrived on the watch stream for 100 ms', 'the server ended the watch stream']);
    expect(failure).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('parses event streams split anywhere, with CRLF, CR, comments and multi-line data', async () => {
    const text =
      ': hello\r\nevent: a\r\nid: 7\r\ndata: one\r\ndata: two\r\n\r\nevent: b\rdata: x\r\r: beat\n\ndata: y\n\nevent: c\ndata: unterminated';
    const bytes = new TextEncoder().encode(text);
    for (const size of [1, 2, 3, 7, bytes.length]) {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
          controller.close();
        },
      });
      const messages = [];
      for await (const message of parseEventStream(stream)) messages.push(message);
      expect(messages, `chunks of ${size}`).toEqual([
        { event: 'a', data: 'one\ntwo', id: '7', retry: undefined },
        { event: 'b', data: 'x', id: '7', retry: undefined },
        { event: 'message', data: 'y', id: '7', retry: undefined },
      ]);
    }
  });
});
