/**
 * The database's limit: the work of a fence and of a guarded append, each as one statement run by
 * pgbench (prepared, closed loop, durable commits), on the service's own tables.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { createScratchPostgres } from '../test/support/database.js';
import { measurement, type Measurement } from './load.js';

export type LimitOperation = 'fence' | 'append';

const run = promisify(execFile);

const TENANT = 'bench';

const PGBENCH_CANDIDATES = ['/usr/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench'];

/** The pgbench installed with PostgreSQL's client, or null. */
export function findPgbench(): string | null {
  return PGBENCH_CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * Each client picks one of its own environments at random: client c owns `per_client` of them
 * starting at c · per_client, so no two clients ever wait on the same row and every fence and
 * append takes the success path, as every request of the service's load does.
 */
const PICK_OWN_ENVIRONMENT = String.raw`
\set k random(0, :per_client - 1)
\set env :client_id * :per_client + :k
`;

/**
 * What the service's fence does on the success path of a takeover (src/db/environments.ts,
 * `issueTokenToLiveEnvironment`: lock the row, raise the token, the history row, the older
 * deployments fenced, the outbox event and the look-up of the endpoints it goes to) as one
 * statement. Like the service's, it does not notify: the service wakes watchers after the commit,
 * with a statement of its own coalescing many writes' wake-ups.
 */
const FENCE_SCRIPT = `${PICK_OWN_ENVIRONMENT}
with target as (
  select id, name, deploy_generation, epoch, holder
  from environments
  where tenant = '${TENANT}' and name = 'fence-' || :env and deleted_at is null
  for update
),
issued as (
  update environments
  set deploy_generation = target.deploy_generation + 1, epoch = target.epoch + 1,
      holder = 'client-' || :client_id, fenced_at = now()
  from target
  where environments.id = target.id
  returning environments.id, environments.name, environments.deploy_generation, environments.epoch,
            environments.holder, environments.upper, environments.fenced_at
),
history as (
  insert into fences (environment_id, epoch, deploy_generation, holder, upper, fenced_at)
  select id, epoch, deploy_generation, holder, upper, fenced_at from issued
),
older_deployments as (
  update deployments
  set state = 'fenced', fenced_at = issued.fenced_at, updated_at = issued.fenced_at
  from issued
  where deployments.environment_id = issued.id
    and deployments.deploy_generation < issued.deploy_generation and deployments.state <> 'fenced'
  returning 1
),
event as (
  insert into events (id, tenant, type, environment, payload, created_at)
  select 'evt_' || replace(gen_random_uuid()::text, '-', ''), '${TENANT}', 'generation.fenced', issued.name,
         json_build_object(
           'type', 'generation.fenced', 'timestamp', issued.fenced_at,
           'data', json_build_object(
             'environment', issued.name,
             'fenced', json_build_object(
               'token', json_build_object('deploy_generation', target.deploy_generation, 'epoch', target.epoch),
               'holder', target.holder),
             'by', json_build_object(
               'token', json_build_object('deploy_generation', issued.deploy_generation, 'epoch', issued.epoch),
               'holder', issued.holder),
             'fenced_at', issued.fenced_at))::text,
         issued.fenced_at
  from issued join target on target.id = issued.id
)
select issued.deploy_generation, issued.epoch,
       (select count(*) from webhook_endpoints
        where tenant = '${TENANT}' and enabled and events @> array['generation.fenced']
          and (environments is null or environments @> array[issued.name])) as endpoints
from issued;
`;

/**
 * The service's append statement (src/db/log.ts, `appendEntries`) with one entry. The token is the
 * one the environment was seeded with, so the token check is a real comparison; the expected upper
 * is read inside the statement (the sub-select on the environment), so the compare-and-append always
 * succeeds without the client keeping state. That costs one index look-up the service's statement
 * does not make, so this is a slight underestimate of the limit; it does not measure a writer that
 * loses the race (every client owns its environments, as every worker of the service's load does).
 */
const APPEND_SCRIPT = String.raw`${PICK_OWN_ENVIRONMENT}
\set generation 1
\set epoch 1
with target as (
  select id, deploy_generation, epoch, upper, fenced_at, deleted_at
  from environments
  where tenant = '${TENANT}' and name = 'log-' || :env
  for update
),
accepted as (
  select id, upper from target
  where deleted_at is null and fenced_at is not null
    and deploy_generation = :generation::bigint and epoch = :epoch::bigint
    and upper + 1 <= ${Number.MAX_SAFE_INTEGER}::bigint
    and upper = (select upper from environments where tenant = '${TENANT}' and name = 'log-' || :env)
),
raised as (
  update environments set upper = accepted.upper + 1
  from accepted where environments.id = accepted.id
  returning accepted.upper as first_offset
),
written as (
  insert into log_entries (environment_id, "offset", data, deploy_generation, epoch)
  select accepted.id, accepted.upper + entry.position - 1, entry.data, :generation::bigint, :epoch::bigint
  from accepted,
       unnest(array['{"worker":' || :client_id || ',"at":' || accepted.upper || '}']::text[]) with ordinality as entry(data, position)
)
select target.deploy_generation::text, target.epoch::text, target.upper::text,
       target.fenced_at is not null as fenced, target.deleted_at is not null as deleted,
       (select first_offset::text from raised) as first_offset
from target;
`;

/**
 * pgbench's arguments for `clients` running `script` for `seconds`, one prepared statement per
 * transaction and a thread per core; `variables` become `-D name=value`.
 */
export function pgbenchArguments(
  script: string,
  clients: number,
  seconds: number,
  variables: Record<string, string | number>,
  url: string,
  extra: string[] = [],
): string[] {
  return [
    '-n',
    '-M',
    'prepared',
    '-f',
    script,
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, 2)),
    '-T',
    String(seconds),
    ...Object.entries(variables).flatMap(([name, value]) => ['-D', `${name}=${value}`]),
    ...extra,
    url,
  ];
}

/** The rows each operation writes exactly once when it succeeds: the proof that it did its work. */
const WRITTEN_ROWS: Record<LimitOperation, string> = { fence: 'fences', append: 'log_entries' };

export type PgbenchLimit = {
  run(operation: LimitOperation, clients: number): Promise<Measurement>;
  /** Drops the scratch database and removes the scripts and logs. */
  close(): Promise<void>;
};

/**
 * A scratch database migrated by the service's own migrations, with `environments` environments
 * for fences (`fence-N`) and as many for appends (`log-N`), each holding the token (1, 1).
 */
export async function preparePgbench(
  pgbench: string,
  options: { seconds: number; environments: number },
): Promise<PgbenchLimit> {
  const scratch = await createScratchPostgres();
  const workDir = await mkdtemp(join(tmpdir(), 'palisade-pgbench-'));
  const admin = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    const database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 });
    try {
      for (const prefix of ['fence', 'log']) {
        await database.db.execute(sql`
          with seeded as (
            insert into environments (id, tenant, name, deploy_generation, epoch, holder, upper, fenced_at)
            select gen_random_uuid(), ${TENANT}, ${prefix} || '-' || i, 1, 1, 'bench', 0, now()
            from generate_series(0, ${options.environments - 1}) as i
            returning id, deploy_generation, epoch, holder, upper, fenced_at
          )
          insert into fences (environment_id, epoch, deploy_generation, holder, upper, fenced_at)
          select id, epoch, deploy_generation, holder, upper, fenced_at from seeded`);
      }
    } finally {
      await database.close();
    }
    await writeFile(join(workDir, 'fence.sql'), FENCE_SCRIPT);
    await writeFile(join(workDir, 'append.sql'), APPEND_SCRIPT);
  } catch (error) {
    await admin.end({ timeout: 5 });
    await scratch.drop();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }

  const writtenRows = async (operation: LimitOperation) => {
    const [row] = await admin.unsafe<{ rows: string }[]>(
      `select count(*)::text as rows from ${WRITTEN_ROWS[operation]}`,
    );
    return Number(row!.rows);
  };

  return {
    async run(operation, clients) {
      const logPrefix = join(workDir, `${operation}-c${clients}`);
      const before = await writtenRows(operation);
      const { stdout } = await run(
        pgbench,
        pgbenchArguments(
          join(workDir, `${operation}.sql`),
          clients,
          options.seconds,
          { per_client: Math.max(1, Math.floor(options.environments / clients)) },
          scratch.url,
          ['--log', `--log-prefix=${logPrefix}`],
        ),
        // pgbench stops itself after -T; the deadline only bounds a pgbench that hangs.
        { timeout: (options.seconds + 60) * 1000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      );
      const tps = Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout)?.[1]);
      if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout}`);
      const written = (await writtenRows(operation)) - before;

      // One line per transaction: client, transaction number, latency in µs (or why it failed), …
      const latenciesMs: number[] = [];
      const failures = new Map<string, number>();
      const logFiles = (await readdir(workDir)).filter((file) => file.startsWith(`${operation}-c${clients}.`));
      for (const file of logFiles) {
        for (const line of (await readFile(join(workDir, file), 'utf8')).split('\n')) {
          const latency = line.split(' ')[2];
          if (latency === undefined) continue;
          const micros = Number(latency);
          if (Number.isFinite(micros)) latenciesMs.push(micros / 1000);
          else failures.set(`pgbench ${latency}`, (failures.get(`pgbench ${latency}`) ?? 0) + 1);
        }
        await rm(join(workDir, file));
      }
      const committed = latenciesMs.length;
      // A committed statement whose guard did not hold wrote nothing: it is not a success.
      if (written < committed) failures.set('guard refused', committed - written);
      const seconds = committed > 0 ? committed / tps : options.seconds;
      return measurement(latenciesMs, seconds, Math.min(written, committed), failures);
    },
    async close() {
      await admin.end({ timeout: 5 });
      await scratch.drop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
