/**
 * Throughput and latency of the hot path, beside what the database itself does for the same work.
 *
 * Starts one service process on a scratch PostgreSQL database, pre-creates the environments, and
 * runs closed-loop HTTP load (undici keep-alive, one connection per worker) at each concurrency for
 * `fence`, `confirm` and guarded `append` (each worker owns its environments and tracks their
 * tokens and uppers, so appends succeed). Then it runs the service's own storage functions for the
 * same operations in this process, straight on postgres.js at the same concurrency, and prints the
 * ratio: what HTTP, authentication, validation and the rest of the service cost on top of the SQL.
 * Finally it prints the service's peak resident memory. The service runs as `npm start` runs it,
 * compiled (`npm run build` first).
 *
 *   DATABASE_URL=postgres://… npm run bench -- [--seconds 5] [--environments 1000] [--concurrency 1,8,32]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { openDatabase, type Database } from '../src/db/client.js';
import { confirmToken, fenceEnvironment } from '../src/db/environments.js';
import { appendEntries } from '../src/db/log.js';
import type { Token } from '../src/fencing.js';
import { createScratchPostgres } from '../test/support/database.js';
import { startService, stopAllServices } from '../test/support/processes.js';

type Operation = 'fence' | 'confirm' | 'append';
type EnvState = { name: string; token: Token; upper: number };
type Result = { requests: number; seconds: number; latenciesMs: number[]; statuses: Map<string, number> };

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    environments: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,8,32' },
  },
});
const SECONDS = Number(values.seconds);
const ENVIRONMENTS = Number(values.environments);
const CONCURRENCY = values.concurrency!.split(',').map(Number);
const OPERATIONS: Operation[] = ['fence', 'confirm', 'append'];
const TENANT = 'bench';
const MAX_ENVIRONMENTS = 1_000_000;

if (!process.env.DATABASE_URL) {
  process.stderr.write('bench: set DATABASE_URL to a PostgreSQL server where databases may be created\n');
  process.exit(2);
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function describe(label: string, result: Result): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const rate = result.requests / result.seconds;
  const statuses = [...result.statuses].map(([status, count]) => `${status}×${count}`).join(' ');
  return `${label.padEnd(28)} ${rate.toFixed(0).padStart(7)} req/s  p50 ${percentile(sorted, 50).toFixed(2)} ms  p99 ${percentile(sorted, 99).toFixed(2)} ms  max ${sorted.at(-1)?.toFixed(2)} ms  [${statuses}]`;
}

/** Runs `workers` closed loops for SECONDS; each loop calls `step(worker)` and records its outcome. */
async function closedLoop(workers: number, step: (worker: number) => Promise<string>): Promise<Result> {
  const result: Result = { requests: 0, seconds: SECONDS, latenciesMs: [], statuses: new Map() };
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const status = await step(worker);
        result.latenciesMs.push(performance.now() - t0);
        result.requests++;
        result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** Worker w owns environments w, w + C, w + 2C, … and cycles through them. */
function ownedBy(states: EnvState[], workers: number, worker: number): () => EnvState {
  const mine = states.filter((_, i) => i % workers === worker);
  let next = 0;
  return () => mine[next++ % mine.length]!;
}

async function main(): Promise<void> {
  const scratch = await createScratchPostgres();
  const adminToken = randomBytes(16).toString('hex');
  // The service as `npm start` runs it: compiled JavaScript, not the sources compiled in the process by tsx.
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  const service = await startService(
    {
      DATABASE_URL: scratch.url,
      PALISADE_ADMIN_TOKEN: adminToken,
      // The production default: one JSON log line per request.
      LOG_LEVEL: 'info',
      PALISADE_RATE_LIMIT: '10000000',
      PALISADE_MAX_IN_FLIGHT: '100000',
      PALISADE_MAX_ENVIRONMENTS: String(MAX_ENVIRONMENTS),
    },
    { compiled: true },
  );
  const pool = new Pool(service.url, { connections: Math.max(...CONCURRENCY), pipelining: 1 });
  const database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: Math.max(...CONCURRENCY) });
  try {
    const call = async (method: 'GET' | 'POST' | 'PUT', path: string, key: string, body?: unknown) => {
      const response = await pool.request({
        method,
        path,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, body: (await response.body.json()) as any };
    };
    const created = await call('POST', '/v1/api-keys', adminToken, { tenant: TENANT, name: 'bench' });
    const key = created.body.key as string;

    const httpStates: EnvState[] = [];
    for (let i = 0; i < ENVIRONMENTS; i++) {
      const name = `env-${i}`;
      const fenced = await call('POST', `/v1/environments/${name}/fence`, key, { deploy_generation: 1, holder: 'bench' });
      httpStates.push({ name, token: fenced.body.token, upper: 0 });
    }
    const directStates: EnvState[] = [];
    for (let i = 0; i < ENVIRONMENTS; i++) {
      const name = `direct-${i}`;
      const fenced = await fenceEnvironment(database.db, TENANT, name, { deployGeneration: 1, holder: 'bench', maxEnvironments: MAX_ENVIRONMENTS });
      directStates.push({ name, token: fenced.token, upper: 0 });
    }

    const viaHttp = (op: Operation, workers: number) => {
      const pick = Array.from({ length: workers }, (_, w) => ownedBy(httpStates, workers, w));
      return closedLoop(workers, async (worker) => {
        const env = pick[worker]!();
        if (op === 'fence') {
          const r = await call('POST', `/v1/environments/${env.name}/fence`, key, { deploy_generation: env.token.deploy_generation + 1, holder: `w${worker}` });
          if (r.status === 200) env.token = r.body.token;
          return String(r.status);
        }
        if (op === 'confirm') return String((await call('POST', `/v1/environments/${env.name}/confirm`, key, { token: env.token })).status);
        const r = await call('POST', `/v1/environments/${env.name}/log`, key, { token: env.token, expected_upper: env.upper, entries: [{ worker, at: env.upper }] });
        if (r.status === 201) env.upper = r.body.upper;
        return String(r.status);
      });
    };

    const direct = (op: Operation, workers: number, db: Database) => {
      const pick = Array.from({ length: workers }, (_, w) => ownedBy(directStates, workers, w));
      return closedLoop(workers, async (worker) => {
        const env = pick[worker]!();
        try {
          if (op === 'fence') {
            const outcome = await fenceEnvironment(db, TENANT, env.name, {
              deployGeneration: env.token.deploy_generation + 1,
              holder: `w${worker}`,
              maxEnvironments: MAX_ENVIRONMENTS,
            });
            env.token = outcome.token;
          } else if (op === 'confirm') {
            await confirmToken(db, TENANT, env.name, env.token);
          } else {
            const appended = await appendEntries(db, TENANT, env.name, {
              token: env.token,
              expectedUpper: env.upper,
              entries: [JSON.stringify({ worker, at: env.upper })],
              maxEntries: Number.MAX_SAFE_INTEGER,
            });
            env.upper = appended.upper;
          }
          return 'ok';
        } catch (error) {
          return (error as { code?: string }).code ?? 'error';
        }
      });
    };

    process.stdout.write(`settings: ${SECONDS} s per run, ${ENVIRONMENTS} environments per side, concurrency ${CONCURRENCY.join(', ')}, ${new Date().toISOString()}\n`);
    const summary: string[] = [];
    for (const op of OPERATIONS) {
      for (const workers of CONCURRENCY) {
        const http = await viaHttp(op, workers);
        const sql = await direct(op, workers, database.db);
        process.stdout.write(`${describe(`service ${op} C=${workers}`, http)}\n`);
        process.stdout.write(`${describe(`direct SQL ${op} C=${workers}`, sql)}\n`);
        const ratio = http.requests / http.seconds / (sql.requests / sql.seconds);
        summary.push(`${op} C=${workers}: service/direct = ${(ratio * 100).toFixed(0)}%`);
      }
    }
    process.stdout.write(`${summary.join('\n')}\n`);
    const status = readFileSync(`/proc/${service.child.pid}/status`, 'utf8');
    const peak = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    process.stdout.write(`service peak RSS: ${peak ? (Number(peak) / 1024).toFixed(0) : '?'} MB\n`);
  } finally {
    await pool.close();
    await database.close();
    await service.stop();
    await stopAllServices();
    await scratch.drop();
  }
}

await main();
