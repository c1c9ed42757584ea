/**
 * The failover safety run: the chaos workload (chaos/workload.ts: fences, guarded appends, confirms,
 * webhooks and the deployment handover) against service processes on a Patroni-managed PostgreSQL
 * cluster (chaos/cluster.ts) reached through a multi-host DATABASE_URL, while
 *   1. the primary's postmaster is SIGKILLed (Patroni fails over to the synchronous standby, and
 *      brings the killed member back as a replica),
 *   2. the new primary's node dies whole (its Patroni, then its postmaster, SIGKILLed; the leader
 *      key expires and the next standby takes over; the node is started again later and rejoins),
 *   3. a service process is SIGKILLed and restarted.
 * Afterwards chaos/checker.ts checks every invariant, and each failover's write outage is measured:
 * the longest pause between acknowledged writes around it.
 *
 *   npm run test:failover -- [--seconds N] [--short] [--async] [--members 2|3]
 *
 * --async runs the same with ordinary asynchronous replication, where a failover may lose
 * acknowledged writes; the checker says which.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Operation } from './checker.js';
import { type Member, missingPrerequisite, type PatroniCluster, startPatroniCluster } from './cluster.js';
import { type FaultContext, type FaultStep, runChaos } from './workload.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const numberOption = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const SYNCHRONOUS = !flag('--async');
const RUN_SECONDS = numberOption('--seconds', flag('--short') ? 40 : 60);
const MEMBERS = numberOption('--members', 3);
if (!Number.isFinite(RUN_SECONDS) || RUN_SECONDS < 30) {
  console.error('--seconds needs a number of at least 30');
  process.exit(2);
}
if (MEMBERS !== 2 && MEMBERS !== 3) {
  console.error('--members is 2 or 3');
  process.exit(2);
}
const missing = missingPrerequisite();
if (missing) {
  console.error(`the failover run cannot start: ${missing}`);
  process.exit(2);
}
const SERVICES = 3;
/** How long the failover of a dead node may take: the leader key's ttl (10 s) and some loops. */
const FAILOVER_TIMEOUT_MS = 60_000;
/** How long a dead node stays dead before its Patroni is started again. */
const NODE_DOWN_MS = 5_000;

const started = performance.now();
const log = (message: string) =>
  console.log(`[failover ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);

type Failover = { fault: string; member: string; killedAt: number; newPrimary?: string; detectedMs?: number };

const failovers: Failover[] = [];
const problems: string[] = [];

/** Database faults one after the other: each waits for the cluster to be whole again before it strikes. */
function databaseFaults(cluster: PatroniCluster, context: FaultContext): FaultStep[] {
  let chain: Promise<void> = Promise.resolve();
  const serial = (step: () => Promise<void>) => () => {
    chain = chain.then(step).catch((error: unknown) => void problems.push(`fault step failed: ${String(error)}`));
    return chain;
  };
  const strike = async (fault: string, kill: (member: Member) => void, restart: boolean) => {
    // A member still recovering from the last fault cannot take over; strike a whole cluster only.
    const { primary } = await cluster.waitWhole(FAILOVER_TIMEOUT_MS);
    const record: Failover = { fault, member: primary.name, killedAt: performance.now() };
    failovers.push(record);
    kill(primary);
    context.log(`${fault}: ${primary.name}`);
    const after = await cluster.waitHealthy(FAILOVER_TIMEOUT_MS, primary);
    record.newPrimary = after.primary.name;
    record.detectedMs = Math.round(performance.now() - record.killedAt);
    context.log(
      `${after.primary.name} is the primary ${record.detectedMs} ms after the kill (by Patroni's REST API)${after.sync ? `; synchronous standby ${after.sync.name}` : ''}`,
    );
    context.count('failovers');
    if (restart) {
      await sleep(NODE_DOWN_MS);
      cluster.startMember(primary);
      context.log(`${primary.name}: Patroni started again`);
    }
  };
  return [
    {
      share: 0.05,
      run: async () => {
        const answers = await Promise.all(
          context
            .serviceUrls()
            .map(
              async (url) =>
                (await fetch(`${url}/readyz`)).json() as Promise<{ replication?: { synchronous: boolean } }>,
            ),
        );
        const synchronous = answers.map((answer) => answer.replication?.synchronous);
        context.log(`/readyz says commits wait for a synchronous standby: ${synchronous.join(', ')}`);
        if (synchronous.some((value) => value !== SYNCHRONOUS))
          problems.push(`/readyz replication.synchronous is ${synchronous.join(', ')}, expected ${SYNCHRONOUS}`);
      },
    },
    {
      share: 0.2,
      run: serial(() => strike("SIGKILL of the primary's postmaster", (member) => cluster.killPostgres(member), false)),
    },
    {
      share: 0.5,
      run: serial(() =>
        strike(
          "SIGKILL of the primary's Patroni and postmaster (node lost)",
          (member) => cluster.killNode(member),
          true,
        ),
      ),
    },
    { share: 0.75, run: () => context.killAndRestartService() },
  ];
}

const WRITES = new Set<Operation['kind']>(['fence', 'append', 'confirm', 'register', 'ready', 'promote']);

/**
 * The write outage of a failover: the longest pause between two consecutive acknowledged writes
 * from the last one before the kill until 5 s after the new primary was in place, and the answers
 * that came in that pause. (A killed postmaster's backends may still commit for a moment, so the
 * outage need not start at the kill.)
 */
function measure(ops: Operation[], failover: Failover) {
  const until = failover.killedAt + (failover.detectedMs ?? FAILOVER_TIMEOUT_MS) + 5_000;
  const acks = ops
    .filter((op) => WRITES.has(op.kind) && op.outcome === 'ok' && op.completedAt <= until)
    .map((op) => op.completedAt)
    .sort((a, b) => a - b);
  const from = Math.max(
    0,
    acks.findLastIndex((at) => at <= failover.killedAt),
  );
  let gap = { before: acks[from] ?? failover.killedAt, after: acks[from] ?? failover.killedAt };
  for (let index = from + 1; index < acks.length; index++) {
    if (acks[index]! - acks[index - 1]! > gap.after - gap.before)
      gap = { before: acks[index - 1]!, after: acks[index]! };
  }
  const during = ops.filter((op) => op.completedAt > gap.before && op.completedAt <= gap.after);
  return {
    fault: failover.fault,
    killed: failover.member,
    new_primary: failover.newPrimary ?? null,
    primary_and_sync_standby_after_ms: failover.detectedMs ?? null,
    write_outage_ms: Math.round(gap.after - gap.before),
    outage_starts_after_kill_ms: Math.round(gap.before - failover.killedAt),
    answered_503: during.filter((op) => op.response.status === 503).length,
    other_5xx: during.filter((op) => op.response.status >= 500 && op.response.status !== 503).length,
    no_answer: during.filter((op) => op.outcome === 'unknown').length,
  };
}

async function main(): Promise<number> {
  const cluster = await startPatroniCluster({
    members: MEMBERS,
    synchronous: SYNCHRONOUS,
    lifetimeSeconds: RUN_SECONDS + 900,
    log,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cluster.stop().finally(() => process.exit(130)));
  }
  let passed = false;
  try {
    const { ops, violations, summary } = await runChaos({
      name: 'failover',
      databaseUrl: cluster.url,
      runSeconds: RUN_SECONDS,
      services: SERVICES,
      serviceEnv: SYNCHRONOUS ? { PALISADE_REQUIRE_SYNC_REPLICATION: 'true' } : {},
      faults: (context) => databaseFaults(cluster, context),
    });
    violations.push(...problems);
    if (failovers.length < 2) violations.push(`only ${failovers.length} of 2 failovers happened`);
    const figures = failovers.map((failover) => measure(ops, failover));
    console.log(
      JSON.stringify(
        {
          replication: SYNCHRONOUS ? 'synchronous' : 'asynchronous',
          members: MEMBERS,
          database_url: cluster.url,
          failovers: figures,
          ...summary,
          violations: violations.length,
          elapsed_seconds: Math.round((performance.now() - started) / 100) / 10,
        },
        null,
        2,
      ),
    );
    for (const problem of problems) console.log(`VIOLATION: ${problem}`);
    console.log(
      violations.length === 0 ? 'failover check: no violations' : `failover check: ${violations.length} violations`,
    );
    passed = violations.length === 0;
    return passed ? 0 : 1;
  } finally {
    await cluster.stop(!passed);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
