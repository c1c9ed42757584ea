/**
 * Overload run: two tenants on two service processes sharing one scratch PostgreSQL database.
 * Tenant B fences and appends steadily; tenant A misbehaves in one way per phase (slow bodies,
 * watch-stream floods, large log reads, unknown-key floods, Idempotency-Key floods, request floods).
 * Prints B's p50/p99 and error counts per phase, against a quiet phase without A.
 *
 *   DATABASE_URL=postgres://… npm run test:overload -- [--seconds-per-phase N] [--tenant-in-flight N]
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScratchPostgres } from '../test/support/database.js';
import { startService, stopAllServices } from '../test/support/processes.js';

type Replica = { url: string; port: number };

const args = process.argv.slice(2);
const phaseFlag = args.indexOf('--seconds-per-phase');
const PHASE_MS = (phaseFlag >= 0 ? Number(args[phaseFlag + 1]) : 8) * 1000;
const shareFlag = args.indexOf('--tenant-in-flight');
const TENANT_IN_FLIGHT = shareFlag >= 0 ? args[shareFlag + 1]! : '32';
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error(
    'DATABASE_URL is not set, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:overload',
  );
  process.exit(2);
}

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const B_WORKERS = 4;

type Sample = { ms: number; status: number; resource?: string };

/** Which limit a 429 names. */
async function refusal(res: Response): Promise<string | undefined> {
  if (res.status !== 429) return undefined;
  return (
    (await res
      .clone()
      .json()
      .catch(() => ({}))) as { resource?: string }
  ).resource;
}

async function call(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<number> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function createKey(base: string, tenant: string): Promise<string> {
  const res = await fetch(`${base}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenant, name: 'overload' }),
  });
  return ((await res.json()) as { key: string }).key;
}

/** Tenant B: each worker fences its environment and appends one entry, round-robin over the replicas. */
async function steadyB(services: Replica[], key: string, until: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  await Promise.all(
    Array.from({ length: B_WORKERS }, async (_, worker) => {
      let generation = 1;
      for (let i = 0; performance.now() < until; i++) {
        const base = services[i % services.length]!.url;
        const env = `b-${worker}`;
        let started = performance.now();
        const fence = await fetch(`${base}/v1/environments/${env}/fence`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ deploy_generation: generation, holder: 'b' }),
          signal: AbortSignal.timeout(15_000),
        }).catch(() => null);
        const resource = fence ? await refusal(fence) : undefined;
        const fenceBody = fence ? ((await fence.json().catch(() => null)) as { token?: unknown } | null) : null;
        samples.push({ ms: performance.now() - started, status: fence?.status ?? 0, resource });
        if (fence?.status === 409) generation++;
        if (!fenceBody?.token) continue;
        started = performance.now();
        const status = await call(base, key, 'POST', `/v1/environments/${env}/log`, {
          token: fenceBody.token,
          entries: [{ i }],
        });
        samples.push({ ms: performance.now() - started, status });
      }
    }),
  );
  return samples;
}

function slowBodies(services: Replica[], key: string, perReplica: number): () => void {
  const sockets: Socket[] = [];
  for (const service of services) {
    for (let i = 0; i < perReplica; i++) {
      const socket = connect(service.port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/environments/a-slow/fence HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
        );
      });
      const drip = setInterval(() => socket.writable && socket.write(' '), 1_000);
      socket.on('close', () => clearInterval(drip));
      socket.on('error', () => {});
      sockets.push(socket);
    }
  }
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

function watchFlood(services: Replica[], key: string, perReplica: number, until: number): Promise<void> {
  const controller = new AbortController();
  const streams = services.flatMap((service) =>
    Array.from({ length: perReplica }, async () => {
      const res = await fetch(`${service.url}/v1/environments/a-watched/watch`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      }).catch(() => null);
      const reader = res?.body?.getReader();
      while (reader) if ((await reader.read().catch(() => ({ done: true }))).done) break;
    }),
  );
  const fencer = (async () => {
    for (let generation = 1; performance.now() < until; generation++) {
      await call(services[0]!.url, key, 'POST', '/v1/environments/a-watched/fence', {
        deploy_generation: generation,
        holder: 'a',
      });
      await sleep(200);
    }
  })();
  return fencer.then(() => {
    controller.abort();
    return Promise.allSettled(streams).then(() => {});
  });
}

async function concurrently(count: number, until: number, work: (i: number) => Promise<unknown>): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      for (let i = 0; performance.now() < until; i++) await work(worker * 1_000_000 + i);
    }),
  );
}

function abuses(services: Replica[], keyA: string): { name: string; abuse: (until: number) => Promise<void> }[] {
  const [a0, a1] = services.map((s) => s.url) as [string, string];
  return [
    { name: 'quiet (B alone)', abuse: async () => {} },
    {
      name: 'A: 64 slow bodies per replica',
      abuse: async (until) => {
        const stop = slowBodies(services, keyA, 64);
        await sleep(until - performance.now());
        stop();
      },
    },
    { name: 'A: 300 watch streams per replica, fenced 5/s', abuse: (until) => watchFlood(services, keyA, 300, until) },
    {
      name: 'A: 16 concurrent log reads of 96 x 60 KB',
      abuse: (until) =>
        concurrently(16, until, (i) => call(i % 2 ? a1 : a0, keyA, 'GET', '/v1/environments/a-big/log?limit=1000')),
    },
    {
      name: 'A: unknown-key flood (32 loops)',
      abuse: (until) =>
        concurrently(32, until, (i) =>
          call(i % 2 ? a1 : a0, `pal_${randomBytes(32).toString('base64url')}`, 'GET', '/v1/environments'),
        ),
    },
    {
      name: 'A: Idempotency-Key flood (16 loops)',
      abuse: (until) =>
        concurrently(16, until, (i) =>
          call(
            i % 2 ? a1 : a0,
            keyA,
            'POST',
            `/v1/environments/a-idem-${i % 8}/fence`,
            { deploy_generation: 1, holder: 'a' },
            { 'idempotency-key': randomUUID() },
          ),
        ),
    },
    {
      name: 'A: request flood (96 loops of fences)',
      abuse: (until) =>
        concurrently(96, until, (i) =>
          call(i % 2 ? a1 : a0, keyA, 'POST', `/v1/environments/a-hot-${i % 4}/fence`, {
            deploy_generation: 1,
            holder: 'a',
          }),
        ),
    },
  ];
}

/**
 * Runs phase `index` of A's abuse in a process of its own, so that A's load does not slow the
 * event loop that times B's requests.
 */
function abuseInChild(services: Replica[], keyA: string, index: number, durationMs: number): Promise<void> {
  const plan = JSON.stringify({ services: services.map(({ url, port }) => ({ url, port })), keyA, index, durationMs });
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--abuse', plan], {
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The machine's CPU time so far, busy and in all, from /proc/stat (Linux), in clock ticks. */
function cpuTicks(): { busy: number; total: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    // idle and iowait
    return { busy: total - fields[3]! - (fields[4] ?? 0), total };
  } catch {
    return null;
  }
}

function summary(name: string, samples: Sample[], cpuBusy: number | null) {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const count = (test: (status: number) => boolean) => samples.filter((s) => test(s.status)).length;
  return {
    phase: name,
    'B requests': samples.length,
    'p50 ms': Number(at(0.5).toFixed(1)),
    'p99 ms': Number(at(0.99).toFixed(1)),
    '429': count((s) => s === 429),
    '429 resources': [...new Set(samples.map((s) => s.resource).filter(Boolean))].join(' '),
    '5xx': count((s) => s >= 500),
    'no answer': count((s) => s === 0),
    // Near 100 %: the two cores are saturated, and B waits for CPU that A's admitted work uses.
    'machine CPU busy %': cpuBusy === null ? 'n/a' : Number(cpuBusy.toFixed(0)),
  };
}

const abuseFlag = args.indexOf('--abuse');
if (abuseFlag >= 0) {
  const plan = JSON.parse(args[abuseFlag + 1]!) as {
    services: Replica[];
    keyA: string;
    index: number;
    durationMs: number;
  };
  await abuses(plan.services, plan.keyA)[plan.index]!.abuse(performance.now() + plan.durationMs);
  process.exit(0);
}

const scratch = await createScratchPostgres();
const services: Replica[] = [];
try {
  for (let i = 0; i < 2; i++) {
    services.push(
      await startService({
        DATABASE_URL: scratch.url,
        PALISADE_ADMIN_TOKEN: ADMIN,
        PALISADE_MAX_IN_FLIGHT: '64',
        PALISADE_MAX_IN_FLIGHT_PER_TENANT: TENANT_IN_FLIGHT,
        PALISADE_RATE_LIMIT: '100000',
      }),
    );
  }
  const keyA = await createKey(services[0]!.url, 'tenant-a');
  const keyB = await createKey(services[0]!.url, 'tenant-b');
  const a0 = services[0]!.url;

  // Large entries for the log-read phase.
  const { token } = (await (
    await fetch(`${a0}/v1/environments/a-big/fence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deploy_generation: 1, holder: 'a' }),
    })
  ).json()) as { token: unknown };
  for (let batch = 0; batch < 8; batch++) {
    await call(a0, keyA, 'POST', '/v1/environments/a-big/log', {
      token,
      entries: Array.from({ length: 12 }, () => 'x'.repeat(60_000)),
    });
  }

  const rows = [];
  for (const [index, phase] of abuses(services, keyA).entries()) {
    const abuse = abuseInChild(services, keyA, index, PHASE_MS + 500);
    // The child takes a moment to start; B's window opens once it has.
    await sleep(1_500);
    const until = performance.now() + PHASE_MS - 1_000;
    const cpuBefore = cpuTicks();
    const [samples] = await Promise.all([steadyB(services, keyB, until), abuse]);
    const cpuAfter = cpuTicks();
    const cpuBusy =
      cpuBefore && cpuAfter ? (100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total) : null;
    rows.push(summary(phase.name, samples, cpuBusy));
    console.log(JSON.stringify(rows.at(-1)));
    await sleep(1_000);
  }
  console.table(rows);
  const quiet = rows[0]!['p99 ms'];
  const worst = rows.slice(1).reduce((max, row) => Math.max(max, row['p99 ms']), 0);
  const errors = rows.reduce((sum, row) => sum + row['429'] + row['5xx'] + row['no answer'], 0);
  console.log(
    `B's p99: quiet ${quiet} ms, worst under abuse ${worst} ms (${(worst / quiet).toFixed(2)}x); B's 429/5xx/no answer: ${errors}`,
  );
} finally {
  await stopAllServices();
  await scratch.drop();
}
