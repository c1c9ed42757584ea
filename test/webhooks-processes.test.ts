import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';
import { type Received, WebhookReceiver } from './support/receiver.js';

/**
 * Invariant 5 across real service processes sharing one PostgreSQL database: every committed
 * `generation.fenced` event reaches its endpoint at least once through a SIGKILL and a restart,
 * with the same `webhook-id` on every attempt; two replicas do not both deliver one event; and
 * SIGTERM lets a delivery in flight finish and be recorded before the process exits 0.
 */

type Json = Record<string, any>;
type FenceResult = { token: Token; previous: { token: Token; holder: string } | null };
type DeliveryItem = {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt_count: number;
  attempts: { status_code: number | null; error: string | null }[];
};

const ENVIRONMENT = 'orders-db';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await stopAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type HttpResult = { status: number; body: Json | null; text: string };

async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<HttpResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Json | null = null;
  try {
    parsed = text ? (JSON.parse(text) as Json) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text };
}

async function expectStatus(result: Promise<HttpResult>, status: number, what: string): Promise<Json> {
  const { status: actual, body, text } = await result;
  if (actual !== status || body === null) throw new Error(`${what}: expected ${status}, got ${actual} ${text}`);
  return body;
}

/** A scratch database and the environment every service process of one test shares. */
async function scratchSetup(
  webhookSettings: Record<string, string>,
): Promise<{ env: Record<string, string>; url: string; adminToken: string }> {
  const scratch = await createScratchPostgres();
  cleanups.push(() => scratch.drop());
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  return {
    url: scratch.url,
    adminToken,
    env: {
      DATABASE_URL: scratch.url,
      PALISADE_ADMIN_TOKEN: adminToken,
      PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true',
      PALISADE_WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,200ms',
      PALISADE_WEBHOOK_POLL_INTERVAL: '100ms',
      ...webhookSettings,
    },
  };
}

async function startReceiver(): Promise<WebhookReceiver> {
  const receiver = await WebhookReceiver.start();
  cleanups.push(() => receiver.close());
  return receiver;
}

async function createTenantKey(service: ServiceProcess, adminToken: string): Promise<string> {
  const created = await expectStatus(
    call(service, 'POST', '/v1/api-keys', adminToken, {
      tenant: `tenant-${randomBytes(4).toString('hex')}`,
      name: 'webhook process test',
    }),
    201,
    'creating a tenant key',
  );
  return created.key as string;
}

async function registerEndpoint(
  service: ServiceProcess,
  key: string,
  url: string,
): Promise<{ id: string; secret: string }> {
  const created = await expectStatus(
    call(service, 'POST', '/v1/webhooks', key, { url, events: ['generation.fenced'] }),
    201,
    'registering the endpoint',
  );
  expect(created.secret).toMatch(/^whsec_/);
  return { id: created.id as string, secret: created.secret as string };
}

async function fence(service: ServiceProcess, key: string, generation: number, holder: string): Promise<FenceResult> {
  const body = await expectStatus(
    call(service, 'POST', `/v1/environments/${ENVIRONMENT}/fence`, key, { deploy_generation: generation, holder }),
    200,
    `fencing generation ${generation}`,
  );
  return body as FenceResult;
}

async function listDeliveries(service: ServiceProcess, key: string, endpointId: string): Promise<DeliveryItem[]> {
  const page = await expectStatus(
    call(service, 'GET', `/v1/webhooks/${endpointId}/deliveries?limit=1000`, key),
    200,
    'listing deliveries',
  );
  return page.items as DeliveryItem[];
}

/** Polls `check` until it returns true; past the deadline, throws with `explain()`. */
async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  explain: () => Promise<string> | string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await explain()}`);
    await sleep(50);
  }
}

const summarize = (received: Received[]) =>
  JSON.stringify(received.map((r) => ({ id: r.id, type: r.payload.type, verified: r.verified, answered: r.answered })));

/** The event must describe exactly the takeover that `result` answered. */
function expectEventOf(received: Received, result: FenceResult, holders: { fenced: string; by: string }): void {
  expect(received.verified, `signature of ${received.id}`).toBe(true);
  expect(received.payload.type).toBe('generation.fenced');
  expect(received.payload.data.environment).toBe(ENVIRONMENT);
  expect(received.payload.data.by).toEqual({ token: result.token, holder: holders.by });
  expect(result.previous).not.toBeNull();
  expect(received.payload.data.fenced).toEqual({ token: result.previous!.token, holder: holders.fenced });
}

/** Prints the tail of every service's output should the test fail. */
function dumpOnFailure(onTestFailed: (fn: () => void) => void, services: () => ServiceProcess[]): void {
  onTestFailed(() => {
    for (const [index, service] of services().entries()) {
      console.error(
        `--- service ${index} (pid ${service.child.pid}) output, tail ---\n${service.output().slice(-6_000)}`,
      );
    }
  });
}

/** A loopback receiver that verifies like WebhookReceiver but answers 204 only after `delayMs`. */
type SlowReceived = {
  id: string;
  verified: boolean;
  body: string;
  headers: IncomingHttpHeaders;
  arrivedAt: number;
  answeredAt: number | null;
};

async function startSlowReceiver(
  delayMs: number,
): Promise<{ url: string; secrets: string[]; received: SlowReceived[] }> {
  const state = { url: '', secrets: [] as string[], received: [] as SlowReceived[] };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = state.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      const entry: SlowReceived = {
        id: String(req.headers['webhook-id']),
        verified,
        body,
        headers: req.headers,
        arrivedAt: performance.now(),
        answeredAt: null,
      };
      state.received.push(entry);
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(204);
        res.end(() => {
          entry.answeredAt = performance.now();
        });
      }, delayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  cleanups.push(async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

describe.skipIf(!POSTGRES_URL)('webhook delivery across service processes on PostgreSQL', () => {
  it('a delivery in flight when its process is SIGKILLed is sent again by the next process with the same webhook-id', {
    timeout: 60_000,
  }, async ({ onTestFailed }) => {
    const services: ServiceProcess[] = [];
    dumpOnFailure(onTestFailed, () => services);
    // Lease = 2 × 1 s + 1 s: the restarted process may take the claim over 3 s after it was made.
    const { env, adminToken } = await scratchSetup({ PALISADE_WEBHOOK_TIMEOUT: '1s' });
    const receiver = await startReceiver();
    receiver.respond = (n) => (n === 0 ? 'hang' : 204);

    const first = await startService(env);
    services.push(first);
    const key = await createTenantKey(first, adminToken);
    const endpoint = await registerEndpoint(first, key, receiver.url);
    receiver.secrets = [endpoint.secret];

    await fence(first, key, 1, 'gen-1');
    const takeover = await fence(first, key, 2, 'gen-2');
    await receiver.waitFor((r) => r.length >= 1, 10_000);
    // Killed while the receiver holds the request open: the attempt is never recorded.
    expect(await first.stop('SIGKILL')).toBeNull();
    expect(receiver.received).toHaveLength(1);

    const restarted = await startService(env);
    services.push(restarted);
    await receiver.waitFor((r) => r.length >= 2, 20_000);

    const [hung, retried] = receiver.received as [Received, Received];
    expect(hung.answered).toBe('no answer');
    expectEventOf(hung, takeover, { fenced: 'gen-1', by: 'gen-2' });
    expect(retried.id, 'a retry carries the webhook-id of the first attempt').toBe(hung.id);
    expect(retried.verified).toBe(true);
    expect(retried.answered).toBe(204);
    expect(retried.body).toBe(hung.body);
    expectEventOf(retried, takeover, { fenced: 'gen-1', by: 'gen-2' });

    let deliveries: DeliveryItem[] = [];
    await waitUntil(
      async () => {
        deliveries = await listDeliveries(restarted, key, endpoint.id);
        return deliveries.length === 1 && deliveries[0]!.status === 'succeeded';
      },
      10_000,
      () => `deliveries: ${JSON.stringify(deliveries)}`,
    );
    const [delivery] = deliveries as [DeliveryItem];
    expect(delivery.event_id).toBe(hung.id);
    expect(delivery.event_type).toBe('generation.fenced');
    expect(delivery.attempts.at(-1)?.status_code).toBe(204);
    await sleep(300);
    expect(receiver.received, summarize(receiver.received)).toHaveLength(2);
    console.info(
      `SIGKILL during delivery: redelivered ${Math.round(retried.receivedAt - hung.receivedAt)} ms after the first attempt arrived`,
    );
  });

  it('an event committed just before a SIGKILL is delivered after the restart', { timeout: 60_000 }, async ({
    onTestFailed,
  }) => {
    const services: ServiceProcess[] = [];
    dumpOnFailure(onTestFailed, () => services);
    const { env, adminToken } = await scratchSetup({ PALISADE_WEBHOOK_TIMEOUT: '500ms' });
    const receiver = await startReceiver();
    receiver.respond = () => 204;

    const first = await startService(env);
    services.push(first);
    const key = await createTenantKey(first, adminToken);
    const endpoint = await registerEndpoint(first, key, receiver.url);
    receiver.secrets = [endpoint.secret];

    await fence(first, key, 1, 'gen-1');
    const takeover = await fence(first, key, 2, 'gen-2');
    // At once: the dispatcher may not have claimed, may be sending, or may have delivered already.
    await first.stop('SIGKILL');
    const receivedBeforeRestart = receiver.received.length;
    const killedAt = performance.now();

    const restarted = await startService(env);
    services.push(restarted);
    await receiver.waitFor((r) => r.some((x) => x.verified && x.payload.type === 'generation.fenced'), 10_000);
    const firstArrival = receiver.received[0]!;
    expectEventOf(firstArrival, takeover, { fenced: 'gen-1', by: 'gen-2' });

    let deliveries: DeliveryItem[] = [];
    await waitUntil(
      async () => {
        deliveries = await listDeliveries(restarted, key, endpoint.id);
        return deliveries.length === 1 && deliveries[0]!.status === 'succeeded';
      },
      10_000,
      () => `deliveries: ${JSON.stringify(deliveries)}; received: ${summarize(receiver.received)}`,
    );
    expect(deliveries[0]!.event_id).toBe(firstArrival.id);
    for (const received of receiver.received) {
      expect(received.id, 'every attempt carries the same webhook-id').toBe(firstArrival.id);
      expectEventOf(received, takeover, { fenced: 'gen-1', by: 'gen-2' });
    }
    console.info(
      `SIGKILL right after the fence: ${receivedBeforeRestart} arrival(s) before the kill, ` +
        `${receiver.received.length} in all; first after the kill ${Math.round(
          (receiver.received[receivedBeforeRestart]?.receivedAt ?? killedAt) - killedAt,
        )} ms after it`,
    );
  });

  it('two processes on one database deliver each of 30 takeovers exactly once', { timeout: 60_000 }, async ({
    onTestFailed,
  }) => {
    const services: ServiceProcess[] = [];
    dumpOnFailure(onTestFailed, () => services);
    const { env, adminToken } = await scratchSetup({ PALISADE_WEBHOOK_TIMEOUT: '2s' });
    const receiver = await startReceiver();
    receiver.respond = () => 204;

    services.push(await startService(env), await startService(env));
    const key = await createTenantKey(services[0]!, adminToken);
    const endpoint = await registerEndpoint(services[1]!, key, receiver.url);
    receiver.secrets = [endpoint.secret];

    const holder = (generation: number) => `gen-${generation}@service-${(generation - 1) % 2}`;
    /** Fence results by the epoch of the token they issued. */
    const takeovers = new Map<number, { generation: number; result: FenceResult }>();
    for (let generation = 1; generation <= 31; generation++) {
      const result = await fence(services[(generation - 1) % 2]!, key, generation, holder(generation));
      expect(result.token.deploy_generation).toBe(generation);
      if (generation === 1) expect(result.previous).toBeNull();
      else takeovers.set(result.token.epoch, { generation, result });
    }
    expect(takeovers.size).toBe(30);

    await receiver.waitFor((r) => new Set(r.map((x) => x.id)).size >= 30, 20_000);
    let deliveries: DeliveryItem[] = [];
    await waitUntil(
      async () => {
        deliveries = await listDeliveries(services[0]!, key, endpoint.id);
        return deliveries.length === 30 && deliveries.every((d) => d.status === 'succeeded');
      },
      10_000,
      () => `deliveries: ${JSON.stringify(deliveries.map((d) => [d.event_id, d.status, d.attempt_count]))}`,
    );
    // Room for a duplicate attempt to land, should a second process have claimed one too.
    await sleep(1_000);

    const received = receiver.received;
    const ids = received.map((r) => r.id);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(duplicates, `duplicated webhook-ids; received: ${summarize(received)}`).toEqual([]);
    expect(received).toHaveLength(30);
    for (const event of received) {
      const epoch = event.payload.data?.by?.token?.epoch as number;
      const takeover = takeovers.get(epoch);
      expect(takeover, `an event for an epoch no fence issued: ${event.body}`).toBeDefined();
      expectEventOf(event, takeover!.result, {
        fenced: holder(takeover!.generation - 1),
        by: holder(takeover!.generation),
      });
      expect(event.answered).toBe(204);
      takeovers.delete(epoch);
    }
    expect([...takeovers.keys()], 'takeovers without an event').toEqual([]);

    expect(new Set(deliveries.map((d) => d.event_id))).toEqual(new Set(ids));
    for (const delivery of deliveries) {
      expect(delivery.attempt_count, `delivery ${delivery.id} of ${delivery.event_id}`).toBe(1);
      expect(delivery.attempts.map((a) => a.status_code)).toEqual([204]);
    }
    const sentBy = services.map(
      (s) =>
        s
          .output()
          .split('\n')
          .filter((line) => line.includes('"webhook attempt"')).length,
    );
    console.info(`30 takeovers through two processes: attempts sent per process ${JSON.stringify(sentBy)}`);
  });

  it('SIGTERM lets a delivery in flight finish and be recorded as succeeded, then exits 0', {
    timeout: 60_000,
  }, async ({ onTestFailed }) => {
    const services: ServiceProcess[] = [];
    dumpOnFailure(onTestFailed, () => services);
    const { env, adminToken, url } = await scratchSetup({ PALISADE_WEBHOOK_TIMEOUT: '3s' });
    const receiver = await startSlowReceiver(500);

    const service = await startService(env);
    services.push(service);
    const key = await createTenantKey(service, adminToken);
    const endpoint = await registerEndpoint(service, key, receiver.url);
    receiver.secrets.push(endpoint.secret);

    await fence(service, key, 1, 'gen-1');
    const takeover = await fence(service, key, 2, 'gen-2');
    await waitUntil(
      async () => receiver.received.length >= 1,
      10_000,
      () => 'no delivery arrived',
    );
    const sigtermAt = performance.now();
    const exitCode = await service.stop('SIGTERM');
    const exitedAt = performance.now();
    expect(exitCode, service.output().slice(-4_000)).toBe(0);

    expect(receiver.received).toHaveLength(1);
    const [arrival] = receiver.received as [SlowReceived];
    expect(arrival.verified).toBe(true);
    const payload = JSON.parse(arrival.body) as Json;
    expect(payload.type).toBe('generation.fenced');
    expect(payload.data.by.token).toEqual(takeover.token);
    expect(arrival.answeredAt, 'the receiver answered before the process exited').not.toBeNull();
    expect(arrival.answeredAt!).toBeGreaterThan(sigtermAt);
    expect(arrival.answeredAt!).toBeLessThan(exitedAt);

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ event_id: string; status: string; attempts: number }[]>`
          select event_id, status, attempts from deliveries where endpoint_id = ${endpoint.id}`;
      expect(rows).toEqual([{ event_id: arrival.id, status: 'succeeded', attempts: 1 }]);
      const attempts = await sql<{ status_code: number | null; error: string | null }[]>`
          select a.status_code, a.error from delivery_attempts a
          join deliveries d on d.id = a.delivery_id where d.endpoint_id = ${endpoint.id}`;
      expect(attempts).toEqual([{ status_code: 204, error: null }]);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
