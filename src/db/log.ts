import { and, asc, eq, gte, lte, sql } from 'drizzle-orm';
import { ApiError } from '../errors.js';
import { resourceExhausted } from '../limits.js';
import { assertCurrentToken } from '../fencing.js';
import type { Token } from '../domain/token.js';
import { type Database, rowsOf } from './client.js';
import { environmentMissing, findEnvironment } from './environments.js';
import { environments, logEntries } from './schema.js';

export type LogEntry = { offset: number; data: string; token: Token; appendedAt: Date };

/**
 * Appends `entries` (JSON texts) at the environment's upper, in one statement: it locks the
 * environment's row, writes the entries and the new upper only if the token is current, the
 * `expected_upper` (if any) matches and the log stays within its limit, and returns the row as it
 * was. On a refusal the row says why; the token is judged before the upper, so a stale writer always
 * learns it was fenced. One round trip, with the row lock held only while the statement runs.
 */
export async function appendEntries(
  db: Database,
  tenant: string,
  name: string,
  request: { token: Token; expectedUpper: number | null; entries: string[]; maxEntries: number },
): Promise<{ offset: number; upper: number }> {
  const { token, expectedUpper, entries, maxEntries } = request;
  // The entries travel as one array parameter, so every append, whatever its size, is the same
  // statement text: one prepared statement per connection, not one per batch size.
  const result = await db.execute(sql`
    with target as (
      select id, deploy_generation, epoch, upper, fenced_at, deleted_at
      from ${environments}
      where tenant = ${tenant} and name = ${name}
      for update
    ),
    accepted as (
      select id, upper from target
      where deleted_at is null and fenced_at is not null
        and deploy_generation = ${token.deploy_generation}::bigint and epoch = ${token.epoch}::bigint
        and upper + ${entries.length}::bigint <= ${maxEntries}::bigint
        and (${expectedUpper}::bigint is null or upper = ${expectedUpper}::bigint)
    ),
    raised as (
      update ${environments} set upper = accepted.upper + ${entries.length}::bigint
      from accepted where ${environments.id} = accepted.id
      returning accepted.upper as first_offset
    ),
    written as (
      insert into ${logEntries} (environment_id, "offset", data, deploy_generation, epoch)
      select accepted.id, accepted.upper + entry.position - 1, entry.data,
             ${token.deploy_generation}::bigint, ${token.epoch}::bigint
      from accepted, unnest(${sql.param(entries)}::text[]) with ordinality as entry(data, position)
    )
    select target.deploy_generation::text, target.epoch::text, target.upper::text,
           target.fenced_at is not null as fenced, target.deleted_at is not null as deleted,
           (select first_offset::text from raised) as first_offset
    from target`);
  const [row] = rowsOf<AppendOutcome>(result);
  if (!row || row.deleted) throw environmentMissing(name);
  if (row.first_offset !== null) {
    const offset = Number(row.first_offset);
    return { offset, upper: offset + entries.length };
  }
  const upper = Number(row.upper);
  const lastIssued = row.deploy_generation === null ? null : { deploy_generation: Number(row.deploy_generation), epoch: Number(row.epoch) };
  assertCurrentToken({ current: row.fenced ? lastIssued : null, lastIssued }, token);
  if (upper + entries.length > maxEntries) {
    throw resourceExhausted(
      'log_entries',
      maxEntries,
      `The log holds ${upper} entries; ${entries.length} more would pass its limit of ${maxEntries}.`,
    );
  }
  if (expectedUpper === null) throw new Error('an append was refused for no reason its row shows');
  throw new ApiError('upper_mismatch', `The log's upper is ${upper}, not the expected ${expectedUpper}.`, {
    expected_upper: expectedUpper,
    current_upper: upper,
  });
}

/** The row of an append: bigints as text, since neither driver maps them to numbers in a raw query. */
type AppendOutcome = {
  deploy_generation: string | null;
  epoch: string;
  upper: string;
  fenced: boolean;
  deleted: boolean;
  /** Where the entries went; null when the append was refused. */
  first_offset: string | null;
};

/**
 * Reads entries from `range.from`, with the upper, from one snapshot: entries and upper always
 * belong to the same state of the log, even while appends, deletes and re-creations commit.
 * A page holds at most `maxBytes` of entry data (but always one entry, so a reader moves on): the
 * sizes are read first, without the data, so no more data than that is ever fetched.
 */
export async function readEntries(
  db: Database,
  tenant: string,
  name: string,
  range: { from: number; limit: number; maxBytes: number },
): Promise<{ entries: LogEntry[]; upper: number; nextFrom: number }> {
  return db.transaction(
    async (tx) => {
      const env = await findEnvironment(tx, tenant, name);
      const inRange = and(eq(logEntries.environmentId, env.id), gte(logEntries.offset, range.from));
      const sizes = await tx
        .select({ offset: logEntries.offset, bytes: sql<number>`octet_length(${logEntries.data})`.mapWith(Number) })
        .from(logEntries)
        .where(inRange)
        .orderBy(asc(logEntries.offset))
        .limit(range.limit);
      let pageBytes = 0;
      let last: number | null = null;
      for (const { offset, bytes } of sizes) {
        if (last !== null && pageBytes + bytes > range.maxBytes) break;
        pageBytes += bytes;
        last = offset;
      }
      if (last === null) return { entries: [], upper: env.upper, nextFrom: range.from };
      const rows = await tx
        .select()
        .from(logEntries)
        .where(and(inRange, lte(logEntries.offset, last)))
        .orderBy(asc(logEntries.offset));
      return {
        entries: rows.map((r) => ({
          offset: r.offset,
          data: r.data,
          token: { deploy_generation: r.deployGeneration, epoch: r.epoch },
          appendedAt: r.appendedAt,
        })),
        upper: env.upper,
        nextFrom: last + 1,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
