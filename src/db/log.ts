import { and, asc, eq, gte, lte, sql } from 'drizzle-orm';
import type { Token, TokenState } from '../domain/token.js';
import { ALONE, batched, environmentKey, inCallOrder } from './batches.js';
import type { Database, Transaction } from './client.js';
import { findLiveEnvironment } from './environments.js';
import { environments, logEntries } from './schema.js';
import { hotStatement } from './statements.js';

export type LogEntry = { offset: number; data: string; token: Token; appendedAt: Date };

type AppendValues = {
  tenant: string;
  name: string;
  generation: number;
  epoch: number;
  count: number;
  maxEntries: number;
  expectedUpper: number | null;
  entries: string[];
};

/** The row of an append: bigints as text, since neither driver maps them to numbers in a raw query. */
type AppendRow = {
  deploy_generation: string | null;
  epoch: string;
  upper: string;
  fenced: boolean;
  deleted: boolean;
  /** Where the entries went; null when the append was refused. */
  first_offset: string | null;
};

/**
 * An append in one statement: it locks the environment's row, writes the entries and the new upper
 * only if the token is current, the `expected_upper` (if any) matches and the log stays within its
 * limit, and returns the row as it was. The entries travel as one array parameter, so every append,
 * whatever its size, is the same statement text: one prepared statement per connection, not one per
 * batch size.
 */
const guardedAppend = hotStatement<AppendValues, AppendRow>('append_entries', () => {
  const generation = sql`${sql.placeholder('generation')}::bigint`;
  const epoch = sql`${sql.placeholder('epoch')}::bigint`;
  const count = sql`${sql.placeholder('count')}::bigint`;
  const expectedUpper = sql`${sql.placeholder('expectedUpper')}::bigint`;
  return sql`
    with target as (
      select id, deploy_generation, epoch, upper, fenced_at, deleted_at
      from ${environments}
      where tenant = ${sql.placeholder('tenant')} and name = ${sql.placeholder('name')}
      for update
    ),
    accepted as (
      select id, upper from target
      where deleted_at is null and fenced_at is not null
        and deploy_generation = ${generation} and epoch = ${epoch}
        and upper + ${count} <= ${sql.placeholder('maxEntries')}::bigint
        and (${expectedUpper} is null or upper = ${expectedUpper})
    ),
    raised as (
      update ${environments} set upper = accepted.upper + ${count}
      from accepted where ${environments.id} = accepted.id
      returning accepted.upper as first_offset
    ),
    written as (
      insert into ${logEntries} (environment_id, "offset", data, deploy_generation, epoch)
      select accepted.id, accepted.upper + entry.position - 1, entry.data, ${generation}, ${epoch}
      from accepted, unnest(${sql.placeholder('entries')}::text[]) with ordinality as entry(data, position)
    )
    select target.deploy_generation::text, target.epoch::text, target.upper::text,
           target.fenced_at is not null as fenced, target.deleted_at is not null as deleted,
           (select first_offset::text from raised) as first_offset
    from target`;
});

/**
 * What an append came to: `absent` when the environment is not live, `appended` where the entries
 * went, or `refused` with the row as it was (its token state and upper), which says why.
 */
export type AppendOutcome =
  | { kind: 'absent' }
  | { kind: 'appended'; offset: number; upper: number }
  | { kind: 'refused'; state: TokenState; upper: number };

type AppendRequest = { token: Token; expectedUpper: number | null; entries: string[]; maxEntries: number };
type AppendCall = { tenant: string; name: string; request: AppendRequest };

function appendOutcome(row: AppendRow | undefined, entryCount: number): AppendOutcome {
  if (!row || row.deleted) return { kind: 'absent' };
  if (row.first_offset !== null) {
    const offset = Number(row.first_offset);
    return { kind: 'appended', offset, upper: offset + entryCount };
  }
  const lastIssued =
    row.deploy_generation === null
      ? null
      : { deploy_generation: Number(row.deploy_generation), epoch: Number(row.epoch) };
  return { kind: 'refused', state: { current: row.fenced ? lastIssued : null, lastIssued }, upper: Number(row.upper) };
}

type AppendBatchValues = {
  tenants: string[];
  names: string[];
  generations: number[];
  epochs: number[];
  counts: number[];
  maxEntries: number[];
  expectedUppers: (number | null)[];
  entryCalls: number[];
  entryPositions: number[];
  entries: string[];
};

/**
 * The appends of several environments in one statement and one commit, each exactly as the single
 * statement above judges it (its own token, limit and `expected_upper`), answered row by row. It
 * waits for no row: one that another transaction holds is skipped and its call answered `locked`,
 * to be sent alone. Every entry travels in one flat array with its call's number and its position in
 * that call.
 */
const guardedAppendBatch = hotStatement<
  AppendBatchValues,
  AppendRow & { call: number; found: boolean; locked: boolean }
>('append_entries_batch', () => {
  return sql`
    with request as (
      select * from unnest(
        ${sql.placeholder('tenants')}::text[], ${sql.placeholder('names')}::text[],
        ${sql.placeholder('generations')}::bigint[], ${sql.placeholder('epochs')}::bigint[],
        ${sql.placeholder('counts')}::bigint[], ${sql.placeholder('maxEntries')}::bigint[],
        ${sql.placeholder('expectedUppers')}::bigint[]
      ) with ordinality as r(tenant, name, generation, epoch, count, max_entries, expected_upper, call)
    ),
    target as (
      select e.id, e.deploy_generation, e.epoch, e.upper, e.fenced_at, e.deleted_at, request.call,
             request.generation as asked_generation, request.epoch as asked_epoch, request.count,
             request.max_entries, request.expected_upper
      from ${environments} e join request on e.tenant = request.tenant and e.name = request.name
      for update of e skip locked
    ),
    accepted as (
      select id, upper, call, asked_generation, asked_epoch, count from target
      where deleted_at is null and fenced_at is not null
        and deploy_generation = asked_generation and epoch = asked_epoch
        and upper + count <= max_entries
        and (expected_upper is null or upper = expected_upper)
    ),
    raised as (
      update ${environments} set upper = accepted.upper + accepted.count
      from accepted where ${environments.id} = accepted.id
      returning accepted.call, accepted.upper as first_offset
    ),
    written as (
      insert into ${logEntries} (environment_id, "offset", data, deploy_generation, epoch)
      select accepted.id, accepted.upper + entry.position - 1, entry.data, accepted.asked_generation, accepted.asked_epoch
      from accepted join unnest(
        ${sql.placeholder('entryCalls')}::bigint[], ${sql.placeholder('entryPositions')}::bigint[],
        ${sql.placeholder('entries')}::text[]
      ) as entry(call, position, data) on entry.call = accepted.call
    )
    select request.call::int as call, target.id is not null as found,
           target.id is null and exists (
             select 1 from ${environments} other where other.tenant = request.tenant and other.name = request.name
           ) as locked,
           target.deploy_generation::text, target.epoch::text, target.upper::text,
           target.fenced_at is not null as fenced, target.deleted_at is not null as deleted,
           raised.first_offset::text as first_offset
    from request
    left join target on target.call = request.call
    left join raised on raised.call = request.call`;
});

async function appendOne(db: Database | Transaction, { tenant, name, request }: AppendCall): Promise<AppendOutcome> {
  const { token, expectedUpper, entries, maxEntries } = request;
  const [row] = await guardedAppend(db, {
    tenant,
    name,
    generation: token.deploy_generation,
    epoch: token.epoch,
    count: entries.length,
    maxEntries,
    expectedUpper,
    entries,
  });
  return appendOutcome(row, entries.length);
}

async function appendMany(db: Database, calls: AppendCall[]): Promise<(AppendOutcome | typeof ALONE)[]> {
  const values: AppendBatchValues = {
    tenants: [],
    names: [],
    generations: [],
    epochs: [],
    counts: [],
    maxEntries: [],
    expectedUppers: [],
    entryCalls: [],
    entryPositions: [],
    entries: [],
  };
  calls.forEach(({ tenant, name, request }, index) => {
    values.tenants.push(tenant);
    values.names.push(name);
    values.generations.push(request.token.deploy_generation);
    values.epochs.push(request.token.epoch);
    values.counts.push(request.entries.length);
    values.maxEntries.push(request.maxEntries);
    values.expectedUppers.push(request.expectedUpper);
    request.entries.forEach((entry, position) => {
      values.entryCalls.push(index + 1);
      values.entryPositions.push(position + 1);
      values.entries.push(entry);
    });
  });
  const rows = await guardedAppendBatch(db, values);
  return inCallOrder(rows, calls.length).map((row, index) => {
    if (row!.locked) return ALONE;
    return appendOutcome(row!.found ? row : undefined, calls[index]!.request.entries.length);
  });
}

const appendBatched = batched<AppendCall, AppendOutcome>({
  name: 'append',
  maxCalls: 32,
  maxInFlight: 1,
  key: environmentKey,
  weight: ({ request }) => request.entries.reduce((sum, entry) => sum + entry.length, 0),
  maxWeight: 1024 * 1024,
  runBatch: appendMany,
  runOne: appendOne,
});

/**
 * Appends `entries` (JSON texts) at the environment's upper if `token` is current, the upper is
 * `expectedUpper` (when given) and the log stays within `maxEntries`. One round trip, with the row
 * lock held only while the statement runs; appends to other environments made meanwhile may share it.
 */
export function appendIfCurrent(
  db: Database | Transaction,
  tenant: string,
  name: string,
  request: AppendRequest,
): Promise<AppendOutcome> {
  return appendBatched(db, { tenant, name, request });
}

/**
 * Reads entries from `range.from`, with the upper, from one snapshot: entries and upper always
 * belong to the same state of the log, even while appends, deletes and re-creations commit.
 * A page holds at most `maxBytes` of entry data (but always one entry, so a reader moves on): the
 * sizes are read first, without the data, so no more data than that is ever fetched. Null when the
 * environment is not live.
 */
export async function readEntries(
  db: Database,
  tenant: string,
  name: string,
  range: { from: number; limit: number; maxBytes: number },
): Promise<{ entries: LogEntry[]; upper: number; nextFrom: number } | null> {
  return db.transaction(
    async (tx) => {
      const env = await findLiveEnvironment(tx, tenant, name);
      if (!env) return null;
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
