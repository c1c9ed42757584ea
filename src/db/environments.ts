import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, getTableColumns, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Token, TokenState } from '../domain/token.js';
import { ALONE, batched, environmentKey, inCallOrder } from './batches.js';
import type { Database, Transaction } from './client.js';
import { DISPATCHERS_WAKEUP, recordEvent, watchersWakeup } from './events.js';
import { newId } from './ids.js';
import { keysetPage, type Page } from './pages.js';
import { deployments, deliveries, environments, events, fences, logEntries, webhookEndpoints } from './schema.js';
import { hotStatement } from './statements.js';
import type { Wakeup } from './wakeups.js';

export type EnvironmentRow = typeof environments.$inferSelect;

export type EnvironmentState = {
  name: string;
  token: Token | null;
  holder: string | null;
  upper: number;
  createdAt: Date;
  fencedAt: Date | null;
};

export type FenceRecord = { token: Token; holder: string; upper: number; fencedAt: Date };

/** The newest token issued for this name; kept by the tombstone of a deleted environment. */
export function lastIssuedToken(row: EnvironmentRow): Token | null {
  return row.deployGeneration === null ? null : { deploy_generation: row.deployGeneration, epoch: row.epoch };
}

/** The token in force: the last one issued, unless the environment was deleted since (`fenced_at` cleared). */
function toFenceRecord(row: typeof fences.$inferSelect): FenceRecord {
  return {
    token: { deploy_generation: row.deployGeneration, epoch: row.epoch },
    holder: row.holder,
    upper: row.upper,
    fencedAt: row.fencedAt,
  };
}

export function currentToken(row: EnvironmentRow): Token | null {
  return row.fencedAt === null ? null : lastIssuedToken(row);
}

export function tokenState(row: EnvironmentRow): TokenState {
  return { current: currentToken(row), lastIssued: lastIssuedToken(row) };
}

export function toState(row: EnvironmentRow): EnvironmentState {
  return {
    name: row.name,
    token: currentToken(row),
    holder: row.holder,
    upper: row.upper,
    createdAt: row.createdAt,
    fencedAt: row.fencedAt,
  };
}

function byName(tenant: string, name: string) {
  return and(eq(environments.tenant, tenant), eq(environments.name, name));
}

function prepareFindLive(db: Database | Transaction) {
  return db
    .select()
    .from(environments)
    .where(
      and(
        eq(environments.tenant, sql.placeholder('tenant')),
        eq(environments.name, sql.placeholder('name')),
        isNull(environments.deletedAt),
      ),
    )
    .prepare('find_live_environment');
}

/**
 * Built once per database (and once per transaction inside one). A confirm runs only this statement,
 * and building it with drizzle on every call cost more CPU than sending it and reading its row.
 */
const findLiveQueries = new WeakMap<Database | Transaction, ReturnType<typeof prepareFindLive>>();

async function findLiveOne(
  db: Database | Transaction,
  { tenant, name }: { tenant: string; name: string },
): Promise<EnvironmentRow | null> {
  let query = findLiveQueries.get(db);
  if (!query) findLiveQueries.set(db, (query = prepareFindLive(db)));
  const [row] = await query.execute({ tenant, name });
  return row ?? null;
}

const environmentColumns = Object.entries(getTableColumns(environments));

/** The live rows of several environments in one statement, each with the number of the call that asked for it. */
const findLiveMany = hotStatement<{ tenants: string[]; names: string[] }, Record<string, unknown> & { call: number }>(
  'find_live_environments',
  () => sql`
    select request.call::int as call, ${sql.join(
      environmentColumns.map(([key, column]) => sql`e.${sql.identifier(column.name)} as ${sql.identifier(key)}`),
      sql`, `,
    )}
    from unnest(${sql.placeholder('tenants')}::text[], ${sql.placeholder('names')}::text[])
      with ordinality as request(tenant, name, call)
    join ${environments} e on e.tenant = request.tenant and e.name = request.name and e.deleted_at is null`,
);

/** A row of a raw query, mapped as drizzle maps a select of the table. */
function toEnvironmentRow(raw: Record<string, unknown>): EnvironmentRow {
  const row: Record<string, unknown> = {};
  for (const [key, column] of environmentColumns) {
    const value = raw[key];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as EnvironmentRow;
}

const findLiveBatched = batched<{ tenant: string; name: string }, EnvironmentRow | null>({
  name: 'find_live_environment',
  maxCalls: 64,
  maxInFlight: 2,
  runOne: findLiveOne,
  runBatch: async (db, calls) => {
    const rows = await findLiveMany(db, { tenants: calls.map((c) => c.tenant), names: calls.map((c) => c.name) });
    return inCallOrder(rows, calls.length).map((raw) => (raw ? toEnvironmentRow(raw) : null));
  },
});

/**
 * The live environment row; null when absent or deleted. Reads of other environments made meanwhile
 * may share its statement, which reads from one snapshot taken after the call was made.
 */
export function findLiveEnvironment(
  db: Database | Transaction,
  tenant: string,
  name: string,
): Promise<EnvironmentRow | null> {
  return findLiveBatched(db, { tenant, name });
}

/** The environment's row, live or deleted, locked until the transaction ends; null if the name was never used. */
export async function lockEnvironmentRow(
  tx: Transaction,
  tenant: string,
  name: string,
): Promise<EnvironmentRow | null> {
  const [row] = await tx.select().from(environments).where(byName(tenant, name)).for('update');
  return row ?? null;
}

export async function countLiveEnvironments(tx: Transaction, tenant: string): Promise<number> {
  const [live] = await tx
    .select({ count: count() })
    .from(environments)
    .where(and(eq(environments.tenant, tenant), isNull(environments.deletedAt)));
  return live!.count;
}

/** Brings a deleted environment back, with the tokens it was issued kept by its tombstone. */
export async function reviveEnvironment(tx: Transaction, id: string): Promise<EnvironmentRow> {
  const [revived] = await tx
    .update(environments)
    .set({ deletedAt: null, createdAt: sql`now()` })
    .where(eq(environments.id, id))
    .returning();
  return revived!;
}

/** The new environment's row; null when another transaction has created it since this one looked. */
export async function insertEnvironment(tx: Transaction, tenant: string, name: string): Promise<EnvironmentRow | null> {
  const [inserted] = await tx
    .insert(environments)
    .values({ id: randomUUID(), tenant, name })
    .onConflictDoNothing({ target: [environments.tenant, environments.name] })
    .returning();
  return inserted ?? null;
}

export async function listEnvironments(
  db: Database,
  tenant: string,
  page: { limit: number; afterName: string | null },
): Promise<Page<EnvironmentState>> {
  return keysetPage(
    page.limit,
    (rowsWanted) =>
      db
        .select()
        .from(environments)
        .where(
          and(
            eq(environments.tenant, tenant),
            isNull(environments.deletedAt),
            page.afterName === null ? undefined : gt(environments.name, page.afterName),
          ),
        )
        .orderBy(asc(environments.name))
        .limit(rowsWanted),
    toState,
  );
}

/**
 * Deletes the locked environment's log and history and leaves a tombstone that keeps the last token
 * issued, so tokens issued after the name is reused are greater than every token before. Emits
 * `environment.deleted` in the caller's transaction.
 */
export async function writeTombstone(
  tx: Transaction,
  tenant: string,
  row: EnvironmentRow,
  wakeups: Wakeup[],
): Promise<void> {
  const name = row.name;
  await tx.delete(logEntries).where(eq(logEntries.environmentId, row.id));
  await tx.delete(fences).where(eq(fences.environmentId, row.id));
  await tx.delete(deployments).where(eq(deployments.environmentId, row.id));
  const [deleted] = await tx
    .update(environments)
    .set({
      deletedAt: sql`now()`,
      holder: null,
      upper: 0,
      fencedAt: null,
    })
    .where(eq(environments.id, row.id))
    .returning({ deletedAt: environments.deletedAt });
  wakeups.push(watchersWakeup(tenant, name));
  await recordEvent(
    tx,
    {
      tenant,
      type: 'environment.deleted',
      environment: name,
      data: {
        environment: name,
        last: row.fencedAt === null ? null : { token: currentToken(row), holder: row.holder },
        deleted_at: deleted!.deletedAt!.toISOString(),
      },
    },
    wakeups,
  );
}

export type FenceOutcome = {
  token: Token;
  holder: string;
  fencedAt: Date;
  previous: { token: Token; holder: string } | null;
};

/**
 * Writes the next token on the environment's locked row: epoch + 1 with the requested generation.
 * Fencing out a holder emits `generation.fenced` or `epoch.fenced`; a rising generation fences the
 * deployments of older generations. All of it in the caller's transaction.
 */
export async function writeNextToken(
  tx: Transaction,
  tenant: string,
  row: EnvironmentRow,
  request: { deployGeneration: number; holder: string },
  wakeups: Wakeup[],
): Promise<FenceOutcome> {
  const previousToken = currentToken(row);
  const floor = lastIssuedToken(row);
  const [updated] = await tx
    .update(environments)
    .set({
      deployGeneration: request.deployGeneration,
      epoch: row.epoch + 1,
      holder: request.holder,
      fencedAt: sql`now()`,
    })
    .where(eq(environments.id, row.id))
    .returning();
  wakeups.push(watchersWakeup(tenant, row.name));
  const token = currentToken(updated!)!;
  await tx.insert(fences).values({
    environmentId: row.id,
    epoch: token.epoch,
    deployGeneration: token.deploy_generation,
    holder: request.holder,
    upper: updated!.upper,
    fencedAt: updated!.fencedAt!,
  });
  if (floor === null || token.deploy_generation > floor.deploy_generation) {
    const fenced = await tx
      .update(deployments)
      .set({ state: 'fenced', fencedAt: updated!.fencedAt!, updatedAt: updated!.fencedAt! })
      .where(
        and(
          eq(deployments.environmentId, row.id),
          lt(deployments.deployGeneration, token.deploy_generation),
          ne(deployments.state, 'fenced'),
        ),
      )
      .returning({ generation: deployments.deployGeneration });
    if (fenced.length > 0) wakeups.push(watchersWakeup(tenant, row.name, 'deployments'));
  }
  const previous = previousToken ? { token: previousToken, holder: row.holder! } : null;
  if (previous) {
    await recordEvent(
      tx,
      {
        tenant,
        type: token.deploy_generation > previous.token.deploy_generation ? 'generation.fenced' : 'epoch.fenced',
        environment: row.name,
        data: {
          environment: row.name,
          fenced: previous,
          by: { token, holder: request.holder },
          fenced_at: updated!.fencedAt!.toISOString(),
        },
      },
      wakeups,
    );
  }
  return { token, holder: request.holder, fencedAt: updated!.fencedAt!, previous };
}

/** `timestamptz` as JavaScript's `toISOString` writes it, for payloads built in SQL. */
const isoTime = (column: ReturnType<typeof sql>) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The body of a takeover statement's `delivered` CTE: a delivery of each event of its `event` CTE
 * (`id`, `type`, `tenant`, `environment`) to every enabled endpoint of the tenant subscribed to it.
 */
const deliverEvents = sql`
      insert into ${deliveries} (id, event_id, endpoint_id)
      select 'dlv_' || lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0')
               || substr(replace(gen_random_uuid()::text, '-', ''), 1, 16),
             event.id, endpoint.id
      from event join ${webhookEndpoints} as endpoint
        on endpoint.tenant = event.tenant and endpoint.enabled and endpoint.events @> array[event.type]
       and (endpoint.environments is null or endpoint.environments @> array[event.environment])
      returning event_id`;

type TakeoverValues = { tenant: string; name: string; generation: number; holder: string; eventId: string };

/** The row of a takeover: bigints as text, since neither driver maps them to numbers in a raw query. */
type TakeoverRow = {
  last_generation: string | null;
  last_epoch: string;
  last_holder: string | null;
  /** Whether the environment held a token (not deleted since its last one). */
  held: boolean;
  /** The new token's epoch; null when refused. */
  epoch: string | null;
  fenced_at: string | null;
  deployments_fenced: number;
  deliveries: number;
};

/**
 * A takeover of a live environment as one statement: it locks the row, issues the token if the
 * generation is not lower than the last one issued, and writes the history row, the older
 * generations' deployments fenced, the outbox event and its deliveries, with what `writeNextToken`
 * writes in its several. It returns the row as it was, so a refusal can say why.
 */
const takeover = hotStatement<TakeoverValues, TakeoverRow>('take_over_environment', () => {
  const tenant = sql.placeholder('tenant');
  const name = sql.placeholder('name');
  const holder = sql.placeholder('holder');
  const generation = sql`${sql.placeholder('generation')}::bigint`;
  const fencedAt = isoTime(sql`issued.fenced_at`);
  return sql`
    with target as (
      select id, deploy_generation, epoch, holder, fenced_at
      from ${environments}
      where tenant = ${tenant} and name = ${name} and deleted_at is null
      for update
    ),
    issued as (
      update ${environments}
      set deploy_generation = ${generation}, epoch = target.epoch + 1, holder = ${holder}, fenced_at = now()
      from target
      where ${environments.id} = target.id
        and (target.deploy_generation is null or target.deploy_generation <= ${generation})
      returning ${environments.id} as id, ${environments.epoch} as epoch, ${environments.upper} as upper,
                ${environments.fencedAt} as fenced_at
    ),
    history as (
      insert into ${fences} (environment_id, epoch, deploy_generation, holder, upper, fenced_at)
      select id, epoch, ${generation}, ${holder}, upper, fenced_at from issued
    ),
    older_deployments as (
      update ${deployments}
      set state = 'fenced', fenced_at = issued.fenced_at, updated_at = issued.fenced_at
      from issued, target
      where ${deployments.environmentId} = issued.id
        and ${deployments.deployGeneration} < ${generation}
        and ${deployments.state} <> 'fenced'
        and (target.deploy_generation is null or target.deploy_generation < ${generation})
      returning 1
    ),
    event as (
      insert into ${events} (id, tenant, type, environment, payload, created_at)
      select ${sql.placeholder('eventId')}, ${tenant}, fenced.type, ${name},
             json_build_object(
               'type', fenced.type,
               'timestamp', ${fencedAt},
               'data', json_build_object(
                 'environment', ${name}::text,
                 'fenced', json_build_object(
                   'token', json_build_object('deploy_generation', target.deploy_generation, 'epoch', target.epoch),
                   'holder', target.holder),
                 'by', json_build_object(
                   'token', json_build_object('deploy_generation', ${generation}, 'epoch', issued.epoch),
                   'holder', ${holder}::text),
                 'fenced_at', ${fencedAt}))::text,
             issued.fenced_at
      from issued, target,
           lateral (select case when target.deploy_generation < ${generation} then 'generation.fenced' else 'epoch.fenced' end as type) as fenced
      where target.fenced_at is not null
      returning id, type, tenant, environment
    ),
    delivered as (${deliverEvents})
    select target.deploy_generation::text as last_generation, target.epoch::text as last_epoch,
           target.holder as last_holder, target.fenced_at is not null as held,
           issued.epoch::text as epoch, ${fencedAt} as fenced_at,
           (select count(*) from older_deployments)::int as deployments_fenced,
           (select count(*) from delivered)::int as deliveries
    from target left join issued on true`;
});

type TakeoverBatchValues = {
  tenants: string[];
  names: string[];
  generations: number[];
  holders: string[];
  eventIds: string[];
};

/**
 * The takeovers of several live environments in one statement and one commit, each exactly as the
 * single statement above (its own generation, history row, deployments, event and deliveries),
 * answered row by row with the number of its call. It waits for no row: one that another
 * transaction holds is skipped and its call answered `locked`, to be sent alone.
 */
const takeoverBatch = hotStatement<
  TakeoverBatchValues,
  TakeoverRow & { call: number; found: boolean; locked: boolean }
>('take_over_environments', () => {
  const fencedAt = isoTime(sql`issued.fenced_at`);
  return sql`
    with request as (
      select * from unnest(
        ${sql.placeholder('tenants')}::text[], ${sql.placeholder('names')}::text[],
        ${sql.placeholder('generations')}::bigint[], ${sql.placeholder('holders')}::text[],
        ${sql.placeholder('eventIds')}::text[]
      ) with ordinality as r(tenant, name, generation, holder, event_id, call)
    ),
    target as (
      select e.id, e.deploy_generation, e.epoch, e.holder, e.fenced_at, request.call, request.tenant,
             request.name, request.generation as asked_generation, request.holder as asked_holder, request.event_id
      from ${environments} e join request on e.tenant = request.tenant and e.name = request.name
      where e.deleted_at is null
      for update of e skip locked
    ),
    issued as (
      update ${environments}
      set deploy_generation = target.asked_generation, epoch = target.epoch + 1, holder = target.asked_holder,
          fenced_at = now()
      from target
      where ${environments.id} = target.id
        and (target.deploy_generation is null or target.deploy_generation <= target.asked_generation)
      returning target.call, ${environments.id} as id, ${environments.epoch} as epoch,
                ${environments.upper} as upper, ${environments.fencedAt} as fenced_at
    ),
    history as (
      insert into ${fences} (environment_id, epoch, deploy_generation, holder, upper, fenced_at)
      select issued.id, issued.epoch, target.asked_generation, target.asked_holder, issued.upper, issued.fenced_at
      from issued join target on target.call = issued.call
    ),
    older_deployments as (
      update ${deployments}
      set state = 'fenced', fenced_at = issued.fenced_at, updated_at = issued.fenced_at
      from issued join target on target.call = issued.call
      where ${deployments.environmentId} = issued.id
        and ${deployments.deployGeneration} < target.asked_generation
        and ${deployments.state} <> 'fenced'
        and (target.deploy_generation is null or target.deploy_generation < target.asked_generation)
      returning issued.call
    ),
    event as (
      insert into ${events} (id, tenant, type, environment, payload, created_at)
      select target.event_id, target.tenant, fenced.type, target.name,
             json_build_object(
               'type', fenced.type,
               'timestamp', ${fencedAt},
               'data', json_build_object(
                 'environment', target.name,
                 'fenced', json_build_object(
                   'token', json_build_object('deploy_generation', target.deploy_generation, 'epoch', target.epoch),
                   'holder', target.holder),
                 'by', json_build_object(
                   'token', json_build_object('deploy_generation', target.asked_generation, 'epoch', issued.epoch),
                   'holder', target.asked_holder),
                 'fenced_at', ${fencedAt}))::text,
             issued.fenced_at
      from issued join target on target.call = issued.call,
           lateral (select case when target.deploy_generation < target.asked_generation
                                then 'generation.fenced' else 'epoch.fenced' end as type) as fenced
      where target.fenced_at is not null
      returning id, type, tenant, environment
    ),
    delivered as (${deliverEvents})
    select request.call::int as call, target.id is not null as found,
           target.id is null and exists (
             select 1 from ${environments} other
             where other.tenant = request.tenant and other.name = request.name and other.deleted_at is null
           ) as locked,
           target.deploy_generation::text as last_generation, target.epoch::text as last_epoch,
           target.holder as last_holder, target.fenced_at is not null as held,
           issued.epoch::text as epoch, ${fencedAt} as fenced_at,
           (select count(*) from older_deployments where older_deployments.call = request.call)::int as deployments_fenced,
           (select count(*) from delivered where delivered.event_id = request.event_id)::int as deliveries
    from request
    left join target on target.call = request.call
    left join issued on issued.call = request.call`;
});

/**
 * What a takeover of a live environment came to: `absent` when the environment is not live (absent
 * or deleted), `refused` with the token state it found when its generation is lower than the last
 * one issued, or the token `issued`.
 */
export type TakeoverOutcome =
  | { kind: 'absent' }
  | { kind: 'refused'; state: TokenState }
  | { kind: 'issued'; fence: FenceOutcome };

type TakeoverCall = { tenant: string; name: string; generation: number; holder: string; eventId: string };

async function takeOverOne(db: Database | Transaction, call: TakeoverCall): Promise<TakeoverRow | undefined> {
  const [row] = await takeover(db, call);
  return row;
}

async function takeOverMany(db: Database, calls: TakeoverCall[]): Promise<(TakeoverRow | undefined | typeof ALONE)[]> {
  const rows = await takeoverBatch(db, {
    tenants: calls.map((call) => call.tenant),
    names: calls.map((call) => call.name),
    generations: calls.map((call) => call.generation),
    holders: calls.map((call) => call.holder),
    eventIds: calls.map((call) => call.eventId),
  });
  return inCallOrder(rows, calls.length).map((row) => {
    if (row!.locked) return ALONE;
    return row!.found ? row : undefined;
  });
}

const takeOverBatched = batched<TakeoverCall, TakeoverRow | undefined>({
  name: 'take_over',
  maxCalls: 32,
  maxInFlight: 1,
  key: environmentKey,
  runBatch: takeOverMany,
  runOne: takeOverOne,
});

/**
 * Issues the next token to a live environment in one statement (see `takeover`), which takeovers of
 * other environments made meanwhile may share; the watchers and dispatchers it concerns are woken
 * after commit.
 */
export async function takeOverLiveEnvironment(
  db: Database | Transaction,
  tenant: string,
  name: string,
  request: { deployGeneration: number; holder: string },
  wakeups: Wakeup[],
): Promise<TakeoverOutcome> {
  const row = await takeOverBatched(db, {
    tenant,
    name,
    generation: request.deployGeneration,
    holder: request.holder,
    eventId: newId('evt'),
  });
  if (!row) return { kind: 'absent' };
  const lastIssued =
    row.last_generation === null
      ? null
      : { deploy_generation: Number(row.last_generation), epoch: Number(row.last_epoch) };
  const current = row.held ? lastIssued : null;
  if (row.epoch === null) return { kind: 'refused', state: { current, lastIssued } };
  wakeups.push(watchersWakeup(tenant, name));
  if (row.deployments_fenced > 0) wakeups.push(watchersWakeup(tenant, name, 'deployments'));
  if (row.deliveries > 0) wakeups.push(DISPATCHERS_WAKEUP);
  return {
    kind: 'issued',
    fence: {
      token: { deploy_generation: request.deployGeneration, epoch: Number(row.epoch) },
      holder: request.holder,
      fencedAt: new Date(row.fenced_at!),
      previous: current ? { token: current, holder: row.last_holder! } : null,
    },
  };
}

/** The environment's tokens, newest first. */
export async function fenceHistory(
  db: Database,
  environmentId: string,
  page: { limit: number; beforeEpoch: number | null },
): Promise<Page<FenceRecord>> {
  return keysetPage(
    page.limit,
    (rowsWanted) =>
      db
        .select()
        .from(fences)
        .where(
          and(
            eq(fences.environmentId, environmentId),
            page.beforeEpoch === null ? undefined : lt(fences.epoch, page.beforeEpoch),
          ),
        )
        .orderBy(desc(fences.epoch))
        .limit(rowsWanted),
    toFenceRecord,
  );
}

/** The environment's row whether live or deleted (for watchers), or null if the name was never used. */
export async function findEnvironmentOrTombstone(
  db: Database,
  tenant: string,
  name: string,
): Promise<EnvironmentRow | null> {
  const [row] = await db.select().from(environments).where(byName(tenant, name));
  return row ?? null;
}

/** Tokens issued to a live environment after `afterEpoch`, oldest first. */
export async function fencesAfter(db: Database, environmentId: string, afterEpoch: number): Promise<FenceRecord[]> {
  const rows = await db
    .select()
    .from(fences)
    .where(and(eq(fences.environmentId, environmentId), gt(fences.epoch, afterEpoch)))
    .orderBy(asc(fences.epoch));
  return rows.map(toFenceRecord);
}
