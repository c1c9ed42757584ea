/**
 * Webhook latency: how long after a takeover commits does the orchestrator hear of it?
 *
 * Starts one service process on a scratch PostgreSQL database, registers a loopback receiver (which
 * verifies every request with the `standardwebhooks` reference library), performs N sequential
 * takeovers (fences with a rising deploy_generation) at a steady rate, and measures for each
 * `generation.fenced` event the time from the fence response arriving at the client (the commit,
 * give or take the response's trip) to the event arriving at the receiver. Both clocks are this
 * process's `performance.now()`.
 *
 *   DATABASE_URL=postgres://… npm run bench:webhooks -- [--events 300] [--rate 100] [--warm-up 50]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres } from '../test/support/database.js';
import { type ServiceProcess, startService, stopAllServices } from '../test/support/processes.js';
import { type Received, WebhookReceiver } from '../test/support/receiver.js';

type FenceResult = { token: Token; previous: { token: Token; holder: string } | null };

const SETTINGS = {
  PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true',
  PALISADE_WEBHOOK_TIMEOUT: '2s',
  PALISADE_WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,200ms',
  PALISADE_WEBHOOK_POLL_INTERVAL: '1s',
  LOG_LEVEL: 'info',
};
const ENVIRONMENT = 'bench-db';
const WARM_UP_ENVIRONMENT = 'bench-warm-up';
/** Past this the run is abandoned, so a stuck dispatcher cannot hold the bench forever. */
const ARRIVAL_TIMEOUT_MS = 15_000;

function fail(message: string): never {
  process.stderr.write(`bench:webhooks: ${message}\n`);
  process.exit(2);
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) fail(`--${name} must be a non-negative integer, got '${text}'`);
  return value;
}

async function post(
  service: ServiceProcess,
  path: string,
  key: string,
  body: unknown,
): Promise<{ status: number; body: any; text: string }> {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text };
}

async function fence(
  service: ServiceProcess,
  key: string,
  environment: string,
  generation: number,
): Promise<FenceResult> {
  const result = await post(service, `/v1/environments/${environment}/fence`, key, {
    deploy_generation: generation,
    holder: `bench-gen-${generation}`,
  });
  if (result.status !== 200)
    throw new Error(`fencing generation ${generation} of ${environment}: ${result.status} ${result.text}`);
  return result.body as FenceResult;
}

/** The nearest-rank percentile of an ascending list. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      rate: { type: 'string' },
      'warm-up': { type: 'string' },
    },
  });
  const events = positiveInteger('events', values.events, 300);
  const rate = positiveInteger('rate', values.rate, 100);
  const warmUp = positiveInteger('warm-up', values['warm-up'], 50);
  if (events === 0) fail('--events must be at least 1');
  if (!process.env.DATABASE_URL) {
    fail(
      'DATABASE_URL is not set; point it at a PostgreSQL server, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test',
    );
  }

  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    await stopAllServices().catch(() => {});
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  const interrupted = () => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    const receiver = await WebhookReceiver.start();
    cleanups.push(() => receiver.close());
    receiver.respond = () => 204;

    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const service = await startService({ DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: adminToken, ...SETTINGS });
    const created = await post(service, '/v1/api-keys', adminToken, { tenant: 'bench', name: 'webhook latency bench' });
    if (created.status !== 201) throw new Error(`creating a tenant key: ${created.status} ${created.text}`);
    const key = created.body.key as string;
    const endpoint = await post(service, '/v1/webhooks', key, { url: receiver.url, events: ['generation.fenced'] });
    if (endpoint.status !== 201) throw new Error(`registering the endpoint: ${endpoint.status} ${endpoint.text}`);
    receiver.secrets = [endpoint.body.secret as string];

    // Unmeasured: a cold JIT, connection set-up and the first claims are not the steady state.
    for (let generation = 1; generation <= warmUp + 1; generation++)
      await fence(service, key, WARM_UP_ENVIRONMENT, generation);
    const isWarmUp = (r: Received) => r.payload.data?.environment === WARM_UP_ENVIRONMENT;
    await receiver.waitFor((received) => received.filter(isWarmUp).length >= warmUp, ARRIVAL_TIMEOUT_MS);

    await fence(service, key, ENVIRONMENT, 1);
    /** When each takeover's response arrived, by the epoch it issued. */
    const committedAt = new Map<number, number>();
    const intervalMs = rate === 0 ? 0 : 1_000 / rate;
    const startedAt = performance.now();
    for (let i = 0; i < events; i++) {
      const due = startedAt + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const result = await fence(service, key, ENVIRONMENT, i + 2);
      committedAt.set(result.token.epoch, performance.now());
    }
    const fencingMs = performance.now() - startedAt;

    const measured = (r: Received) => r.payload.data?.environment === ENVIRONMENT;
    await receiver.waitFor((received) => received.filter(measured).length >= events, ARRIVAL_TIMEOUT_MS);
    await sleep(200);

    const arrivals = receiver.received.filter(measured);
    const unverified = arrivals.filter((r) => !r.verified).length;
    const distinctIds = new Set(arrivals.map((r) => r.id)).size;
    const latencies: number[] = [];
    const seen = new Set<number>();
    for (const arrival of arrivals) {
      const epoch = arrival.payload.data?.by?.token?.epoch as number;
      const at = committedAt.get(epoch);
      if (at === undefined || seen.has(epoch)) continue;
      seen.add(epoch);
      latencies.push(arrival.receivedAt - at);
    }
    latencies.sort((a, b) => a - b);

    console.log(
      `settings: one service process, PostgreSQL, ${events} takeovers at ${
        rate === 0 ? 'full speed' : `${rate}/s`
      } (achieved ${((events / fencingMs) * 1000).toFixed(0)}/s), ${warmUp} unmeasured warm-up takeovers, ` +
        `timeout ${SETTINGS.PALISADE_WEBHOOK_TIMEOUT}, poll interval ${SETTINGS.PALISADE_WEBHOOK_POLL_INTERVAL}, ` +
        `concurrency default, LOG_LEVEL ${SETTINGS.LOG_LEVEL}`,
    );
    console.log(
      `webhook commit→arrival over ${latencies.length} events: p50 ${ms(percentile(latencies, 50))}, ` +
        `p90 ${ms(percentile(latencies, 90))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1)!)}, ` +
        `min ${ms(latencies[0]!)}`,
    );
    console.log(
      `deliveries: ${arrivals.length} received, ${distinctIds} distinct webhook-ids, ${unverified} failed verification, ` +
        `${arrivals.length - distinctIds} duplicates`,
    );
    if (latencies[0]! < 0) {
      console.log('note: a negative time means the event arrived before the fence response reached the client');
    }
    if (unverified > 0 || latencies.length !== events) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:webhooks failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
