/**
 * Jepsen-style safety check under crashes: 64 clients over 4 environments and one handover
 * operator per environment drive three service processes on one scratch PostgreSQL database while
 * processes are SIGKILLed and restarted, PostgreSQL is restarted once, and the webhook receiver is
 * down for a window and answers 500 at random otherwise (chaos/workload.ts). Afterwards the recorded
 * history and the final state go through chaos/checker.ts.
 *
 *   DATABASE_URL=postgres://… npm run test:chaos -- [--seconds N] [--short]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { createScratchPostgres } from '../test/support/database.js';
import { type FaultContext, runChaos } from './workload.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const secondsFlag = args.indexOf('--seconds');
const RUN_SECONDS = secondsFlag >= 0 ? Number(args[secondsFlag + 1]) : short ? 40 : 60;
if (!Number.isFinite(RUN_SECONDS) || RUN_SECONDS < 10) {
  console.error('--seconds needs a number of at least 10');
  process.exit(2);
}
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error(
    'DATABASE_URL is not set: the chaos run needs a PostgreSQL server it may restart, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:chaos -- --short',
  );
  process.exit(2);
}
const SERVICES = 3;

async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL does not accept connections: ${String(error)}`);
      await sleep(200);
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}

async function restartPostgres(context: FaultContext): Promise<void> {
  const log = context.log;
  const version = readdirSync('/etc/postgresql')[0];
  if (!version) throw new Error('no cluster under /etc/postgresql');
  log(`restarting PostgreSQL ${version}/main`);
  const before = performance.now();
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'pipe' });
  await waitForPostgres(DATABASE_URL!, 60_000);
  const downMs = Math.round(performance.now() - before);
  context.count('pgRestarts');
  context.count('pgDowntimeMs', downMs);
  log(`PostgreSQL accepts connections again after ${downMs} ms`);
}

async function main(): Promise<number> {
  const scratch = await createScratchPostgres();
  try {
    console.log(`[chaos] scratch database ${new URL(scratch.url).pathname.slice(1)}`);
    const { summary, violations } = await runChaos({
      name: 'chaos',
      databaseUrl: scratch.url,
      runSeconds: RUN_SECONDS,
      services: SERVICES,
      faults: (context) => [
        ...(RUN_SECONDS >= 60 ? [0.1, 0.25, 0.45, 0.65, 0.85] : [0.12, 0.4, 0.75]).map((share) => ({
          share,
          run: () => context.killAndRestartService(),
        })),
        { share: 0.55, run: () => restartPostgres(context) },
      ],
    });
    console.log(JSON.stringify(summary, null, 2));
    console.log(
      violations.length === 0 ? 'chaos check: no violations' : `chaos check: ${violations.length} violations`,
    );
    return violations.length === 0 ? 0 : 1;
  } finally {
    await scratch.drop().catch((error) => console.error(`dropping the scratch database: ${String(error)}`));
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
