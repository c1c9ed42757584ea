/**
 * Would batching across requests raise the database's ceiling? pgbench runs the guarded append and
 * the confirm read for `batch` environments of different writers in one statement (one commit),
 * against one statement each, and counts every environment's operation as one.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/batching.ts [--seconds 8] [--clients 8,32] [--batches 1,8,32]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { openDatabase } from '../src/db/client.js';
import { createScratchPostgres } from '../test/support/database.js';
import { findPgbench, pgbenchArguments } from './pgbench.js';

const run = promisify(execFile);
const TENANT = 'bench';
const ENVIRONMENTS = 4096;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    clients: { type: 'string', default: '8,32' },
    batches: { type: 'string', default: '1,8,32' },
  },
});
const SECONDS = Number(values.seconds);
const CLIENTS = values.clients.split(',').map(Number);
const BATCHES = values.batches.split(',').map(Number);

/**
 * Client c owns `per_client` environments from c · per_client; each transaction takes `batch` of
 * them in a row from a random start, so no two clients wait on the same row, as in bench/pgbench.ts.
 */
const OWN_BATCH = String.raw`
\set k random(0, :per_client - 1)
\set first :client_id * :per_client
with picked as (
  select 'env-' || (:first::int + (:k::int + s) % :per_client::int) as name, s + 1 as position
  from generate_series(0, :batch::int - 1) as s
)`;

/**
 * The service's guarded append (src/db/log.ts) for each picked environment, each checked against its
 * own token and upper and answered with its own row; the rows are locked in one order.
 */
const APPEND_SCRIPT = `${OWN_BATCH},
target as (
  select e.id, e.deploy_generation, e.epoch, e.upper, e.fenced_at, e.deleted_at, picked.position
  from environments e join picked on e.tenant = '${TENANT}' and e.name = picked.name
  order by e.id
  for update of e
),
accepted as (
  select target.id, target.upper, target.position from target
  where deleted_at is null and fenced_at is not null
    and deploy_generation = 1 and epoch = 1
    and upper + 1 <= ${Number.MAX_SAFE_INTEGER}::bigint
    and upper = (select upper from environments where id = target.id)
),
raised as (
  update environments set upper = accepted.upper + 1
  from accepted where environments.id = accepted.id
  returning accepted.position, accepted.upper as first_offset
),
written as (
  insert into log_entries (environment_id, "offset", data, deploy_generation, epoch)
  select accepted.id, accepted.upper, '{"worker":' || :client_id || ',"at":' || accepted.upper || '}', 1, 1
  from accepted
)
select target.position, target.deploy_generation::text, target.epoch::text, target.upper::text, raised.first_offset::text
from target left join raised on raised.position = target.position;
`;

const CONFIRM_SCRIPT = `${OWN_BATCH}
select picked.position, e.deploy_generation::text, e.epoch::text, e.fenced_at is not null, e.deleted_at is not null
from picked left join environments e on e.tenant = '${TENANT}' and e.name = picked.name;
`;

const pgbench = findPgbench();
if (!pgbench || !process.env.DATABASE_URL) {
  process.stderr.write('bench: needs pgbench and DATABASE_URL\n');
  process.exit(2);
}
const scratch = await createScratchPostgres();
const workDir = await mkdtemp(join(tmpdir(), 'palisade-batching-'));
try {
  const database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 });
  try {
    await database.db.execute(sql`
      insert into environments (id, tenant, name, deploy_generation, epoch, holder, upper, fenced_at)
      select gen_random_uuid(), ${TENANT}, 'env-' || i, 1, 1, 'bench', 0, now()
      from generate_series(0, ${ENVIRONMENTS - 1}) as i`);
  } finally {
    await database.close();
  }
  await writeFile(join(workDir, 'append.sql'), APPEND_SCRIPT);
  await writeFile(join(workDir, 'confirm.sql'), CONFIRM_SCRIPT);
  process.stdout.write(
    `${new Date().toISOString()}, ${SECONDS} s per run, load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}\n` +
      '| operation | clients | environments per statement | statements/s | operations/s | latency ms (avg) |\n| --- | --- | --- | --- | --- | --- |\n',
  );
  for (const operation of ['append', 'confirm']) {
    for (const clients of CLIENTS) {
      for (const batch of BATCHES) {
        const { stdout } = await run(
          pgbench!,
          pgbenchArguments(
            join(workDir, `${operation}.sql`),
            clients,
            SECONDS,
            { per_client: Math.floor(ENVIRONMENTS / clients), batch },
            scratch.url,
          ),
          { timeout: (SECONDS + 60) * 1000, killSignal: 'SIGKILL' },
        );
        const tps = Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(stdout)?.[1]);
        const latency = /^latency average = ([\d.]+) ms/m.exec(stdout)?.[1];
        process.stdout.write(
          `| ${operation} | ${clients} | ${batch} | ${tps.toFixed(0)} | ${(tps * batch).toFixed(0)} | ${latency} |\n`,
        );
      }
    }
  }
} finally {
  await scratch.drop();
  await rm(workDir, { recursive: true, force: true });
}
