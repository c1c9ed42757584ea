/**
 * Throughput and latency of the hot path against its limits, measured in the same run on the same
 * machine:
 *
 * - the service (compiled, as `npm start` runs it) under closed-loop HTTP load: fence, confirm and
 *   guarded append (bench/service.ts);
 * - pgbench running the same work as one prepared statement per operation on the service's own
 *   tables: what the database can do at best (bench/pgbench.ts);
 * - a throwaway single-node etcd running the same two operations as Txns: the peer a user would
 *   hand-roll fencing on (bench/etcd.ts), when `etcd` is installed.
 *
 * Confirm is a read; like the targets, it is compared with the limits' append.
 *
 *   DATABASE_URL=postgres://… npm run bench -- [--seconds 10] [--concurrency 1,8,32]
 *     [--only fence,append,confirm] [--skip-etcd] [--skip-pgbench] [--skip-service] [--environments 1000]
 *     [--cpu-prof-dir DIR]   (the service writes a CPU profile there when it stops)
 *     [--node-options '--flag …']   (node options for the service instead of the start script's)
 */
import { parseArgs } from 'node:util';
import { prepareEtcd, etcdInstalled, type EtcdPeer } from './etcd.js';
import type { Measurement } from './load.js';
import { findPgbench, preparePgbench, type LimitOperation, type PgbenchLimit } from './pgbench.js';
import { prepareService, type ServiceMeasurement, type ServiceOperation, type ServiceUnderLoad } from './service.js';

const OPERATIONS: ServiceOperation[] = ['fence', 'append', 'confirm'];
/** Confirm writes nothing; its reference is the limits' append, as in the targets. */
const LIMIT_OF: Record<ServiceOperation, LimitOperation> = { fence: 'fence', append: 'append', confirm: 'append' };
const TARGET_CONCURRENCY = 32;
const TARGET_SHARE_OF_PGBENCH: Record<ServiceOperation, number> = { fence: 0.25, append: 0.3, confirm: 0.4 };
const TARGET_P99_MS = 20;
const TARGET_TIMES_ETCD = 1.5;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    environments: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,8,32' },
    only: { type: 'string', default: OPERATIONS.join(',') },
    'skip-etcd': { type: 'boolean', default: false },
    'skip-pgbench': { type: 'boolean', default: false },
    'skip-service': { type: 'boolean', default: false },
    'node-options': { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

const SECONDS = Number(values.seconds);
const ENVIRONMENTS = Number(values.environments);
const CONCURRENCY = values.concurrency.split(',').map(Number);
const ONLY = values.only.split(',').map((op) => op.trim());
if (!(SECONDS > 0)) fail('--seconds must be a positive number');
if (!Number.isInteger(ENVIRONMENTS) || ENVIRONMENTS < 1) fail('--environments must be a positive integer');
if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1 || c > ENVIRONMENTS))
  fail(`--concurrency takes integers from 1 to --environments (${ENVIRONMENTS})`);
const unknown = ONLY.filter((op) => !OPERATIONS.includes(op as ServiceOperation));
if (unknown.length > 0) fail(`--only takes ${OPERATIONS.join(', ')}; not ${unknown.join(', ')}`);
if (!process.env.DATABASE_URL) fail('set DATABASE_URL to a PostgreSQL server where databases may be created');
const pgbenchPath = values['skip-pgbench'] ? undefined : findPgbench();
if (!pgbenchPath && !values['skip-pgbench'])
  fail('pgbench not found (it comes with the PostgreSQL client: apt-get install postgresql-client)');

const operations = OPERATIONS.filter((op) => ONLY.includes(op));
const limitOperations = [...new Set(operations.map((op) => LIMIT_OF[op]))];

type Side = 'service' | 'pgbench' | 'etcd';
type Cell = {
  operation: ServiceOperation;
  workers: number;
  service?: ServiceMeasurement;
  pgbench?: Measurement;
  etcd?: Measurement;
};

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const ratio = (a: Measurement | undefined, b: Measurement | undefined) =>
  a && b && b.rate > 0 ? a.rate / b.rate : undefined;

function progress(side: Side, operation: string, workers: number, m: Measurement): void {
  const failed = [...m.failures].map(([outcome, count]) => `${outcome}×${count}`).join(' ');
  process.stderr.write(
    `${`${side} ${operation} C=${workers}`.padEnd(24)} ${m.rate.toFixed(0).padStart(7)}/s  p50 ${fixed(m.p50Ms, 2)} ms  p99 ${fixed(m.p99Ms, 2)} ms  max ${fixed(m.maxMs, 1)} ms${failed ? `  failed: ${failed}` : ''}\n`,
  );
}

function table(cells: Cell[]): string {
  const rows = [
    '| operation | C | service ops/s | p50 ms | p99 ms | service CPU µs/op | pgbench ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | service ÷ pgbench | service ÷ etcd |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { operation, workers, service, pgbench, etcd } of cells) {
    const label = LIMIT_OF[operation] === operation ? operation : `${operation} (limits: ${LIMIT_OF[operation]})`;
    const sides = [service, pgbench, etcd].flatMap((m) => [fixed(m?.rate, 0), fixed(m?.p50Ms, 2), fixed(m?.p99Ms, 2)]);
    sides.splice(3, 0, fixed(service?.cpuMicrosPerOp, 0));
    rows.push(
      `| ${[label, workers, ...sides, fixed(ratio(service, pgbench), 2), fixed(ratio(service, etcd), 2)].join(' | ')} |`,
    );
  }
  return rows.join('\n');
}

function verdict(value: number | undefined, unit: string, met: (value: number) => boolean): string {
  return value === undefined ? 'not measured' : `${value.toFixed(2)}${unit} ${met(value) ? 'met' : 'not met'}`;
}

function targets(cells: Cell[]): string {
  const at = (op: ServiceOperation) =>
    cells.find((cell) => cell.operation === op && cell.workers === TARGET_CONCURRENCY);
  const lines = [`targets at C=${TARGET_CONCURRENCY}:`];
  for (const op of operations) {
    const cell = at(op);
    const share = ratio(cell?.service, cell?.pgbench);
    const wanted = TARGET_SHARE_OF_PGBENCH[op];
    lines.push(
      `  ${op} ≥ ${wanted.toFixed(2)}× pgbench ${LIMIT_OF[op]}: ${verdict(share, '×', (value) => value >= wanted)}`,
    );
  }
  for (const op of operations) {
    const p99 = at(op)?.service?.p99Ms;
    lines.push(`  ${op} p99 ≤ ${TARGET_P99_MS} ms: ${verdict(p99, ' ms', (value) => value <= TARGET_P99_MS)}`);
  }
  for (const op of operations) {
    const cell = at(op);
    const times = ratio(cell?.service, cell?.etcd);
    lines.push(
      `  ${op} ≥ ${TARGET_TIMES_ETCD}× etcd ${LIMIT_OF[op]}: ${verdict(times, '×', (value) => value >= TARGET_TIMES_ETCD)}`,
    );
  }
  return lines.join('\n');
}

function failures(cells: Cell[]): string {
  const lines: string[] = [];
  for (const cell of cells) {
    for (const side of ['service', 'pgbench', 'etcd'] as const) {
      const failed = cell[side]?.failures;
      if (failed && failed.size > 0) {
        lines.push(
          `  ${side} ${cell.operation} C=${cell.workers}: ${[...failed].map(([outcome, count]) => `${outcome}×${count}`).join(', ')}`,
        );
      }
    }
  }
  return lines.length === 0
    ? 'every operation on every side succeeded'
    : `operations that failed (not counted in ops/s):\n${lines.join('\n')}`;
}

/** Closed in reverse order of opening, once, on the way out or on SIGINT/SIGTERM. */
const closers: (() => Promise<void>)[] = [];
let closing: Promise<void> | undefined;
function closeAll(): Promise<void> {
  closing ??= (async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (error) {
        process.stderr.write(`bench: cleanup failed: ${(error as Error).message}\n`);
      }
    }
  })();
  return closing;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping what it started\n`);
    void closeAll().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const options = { seconds: SECONDS, environments: ENVIRONMENTS };
  let service: ServiceUnderLoad | undefined;
  let etcd: EtcdPeer | undefined;
  let pgbench: PgbenchLimit | undefined;
  if (pgbenchPath) {
    pgbench = await preparePgbench(pgbenchPath, options);
    closers.push(() => pgbench!.close());
  }

  let etcdNote = 'skipped (--skip-etcd)';
  if (!values['skip-etcd']) {
    if (await etcdInstalled()) {
      // Long enough for the whole run (every measurement of every side), with room for setup and slow starts.
      const measurements = CONCURRENCY.length * (operations.length + 2 * limitOperations.length);
      const lifetimeSeconds = Math.ceil(measurements * (SECONDS + 30) + 300);
      etcd = await prepareEtcd({ ...options, lifetimeSeconds });
      closers.push(() => etcd!.close());
      etcdNote = 'single node on loopback, default durability (WAL fsync before acknowledging)';
    } else {
      etcdNote = 'not installed (Debian: apt-get install etcd-server), skipped';
      process.stderr.write(`bench: etcd ${etcdNote}\n`);
    }
  }
  if (!values['skip-service']) {
    service = await prepareService({
      ...options,
      maxWorkers: Math.max(...CONCURRENCY),
      cpuProfileDir: values['cpu-prof-dir'],
      nodeOptions: values['node-options']?.split(' ').filter(Boolean),
    });
    closers.push(() => service!.close());
  }

  process.stdout.write(
    `settings: ${SECONDS} s per run, ${ENVIRONMENTS} environments per side, concurrency ${CONCURRENCY.join(', ')}, ${new Date().toISOString()}\n` +
      `pgbench: ${pgbenchPath ? `${pgbenchPath}, one prepared statement per operation` : 'skipped (--skip-pgbench)'}\netcd: ${etcdNote}\n`,
  );

  const limits = new Map<string, { pgbench?: Measurement; etcd?: Measurement }>();
  const cells: Cell[] = [];
  for (const operation of operations) {
    for (const workers of CONCURRENCY) {
      const cell: Cell = { operation, workers };
      if (service) {
        cell.service = await service.run(operation, workers);
        progress('service', operation, workers, cell.service);
        process.stderr.write(
          `${''.padEnd(24)} service CPU ${cell.service.cpuMicrosPerOp.toFixed(0)} µs per operation\n`,
        );
      }
      // Each limit is measured once per concurrency, right after the first service run that needs it.
      const limitOperation = LIMIT_OF[operation];
      const key = `${limitOperation} ${workers}`;
      if (!limits.has(key)) {
        const measured: { pgbench?: Measurement; etcd?: Measurement } = {};
        if (pgbench) {
          measured.pgbench = await pgbench.run(limitOperation, workers);
          progress('pgbench', limitOperation, workers, measured.pgbench);
        }
        if (etcd) {
          measured.etcd = await etcd.run(limitOperation, workers);
          progress('etcd', limitOperation, workers, measured.etcd);
        }
        limits.set(key, measured);
      }
      Object.assign(cell, limits.get(key));
      cells.push(cell);
    }
  }

  process.stdout.write(`\n${table(cells)}\n\n${targets(cells)}\n\n${failures(cells)}\n`);
  if (service) process.stdout.write(`service peak RSS: ${fixed(service.peakRssMb() ?? undefined, 0)} MB\n`);
}

try {
  await main();
} finally {
  await closeAll();
}
