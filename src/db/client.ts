import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { lockDataDir } from './dataDirLock.js';
import { type ListenerChange, NotificationListener, reconnectDelaySeconds } from './listener.js';
import * as schema from './schema.js';

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** What the PostgreSQL connection pool of this process is doing. */
export type PoolUsage = {
  /** Connections the pool may open. */
  max: number;
  /** Connections running a transaction or a statement. */
  busy: number;
  /** Transactions and statements beyond `max`: queued for a connection, or behind another statement on one. */
  waiting: number;
};

/** The rows of `db.execute`: postgres.js answers an array, PGlite an object holding one. */
export function rowsOf<Row>(result: unknown): Row[] {
  return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
}

/** Whether a commit is acknowledged only once a synchronous standby has it. */
export type ReplicationState = {
  /** True when commits wait for a standby and at least one synchronous standby is attached. */
  synchronous: boolean;
  /** Standbys the primary reports in sync (or quorum) state. */
  syncStandbys: number;
  synchronousStandbyNames: string;
  synchronousCommit: string;
};

/** `synchronous_commit` levels at which a commit waits for the synchronous standbys. */
const WAITING_COMMIT_LEVELS = new Set(['on', 'remote_write', 'remote_apply']);

const EMBEDDED_REPLICATION: ReplicationState = {
  synchronous: false,
  syncStandbys: 0,
  synchronousStandbyNames: '',
  synchronousCommit: 'on',
};

/**
 * Reads the primary's replication settings. `pg_stat_replication` shows the standbys' sync state
 * only to superusers and members of `pg_monitor`; to any other role it counts none.
 */
async function replicationState(db: Database): Promise<ReplicationState> {
  const [row] = rowsOf<{ names: string; commit: string; sync_standbys: number }>(
    await db.execute(sql`
      select current_setting('synchronous_standby_names') as names,
             current_setting('synchronous_commit') as commit,
             (select count(*)::int from pg_stat_replication where sync_state in ('sync', 'quorum')) as sync_standbys`),
  );
  const names = row?.names ?? '';
  const commit = row?.commit ?? '';
  const syncStandbys = row?.sync_standbys ?? 0;
  return {
    synchronous: names.trim() !== '' && WAITING_COMMIT_LEVELS.has(commit) && syncStandbys > 0,
    syncStandbys,
    synchronousStandbyNames: names,
    synchronousCommit: commit,
  };
}

export type DatabaseHandle = {
  db: Database;
  kind: 'postgres' | 'pglite';
  /** Whether commits wait for a synchronous standby; the embedded database has none. */
  replication(): Promise<ReplicationState>;
  /** Absent on PGlite, which is one connection in this process and no pool. */
  poolUsage?: () => PoolUsage;
  /** True once the database answers and every migration in `drizzle/` has been applied. */
  ready(): Promise<boolean>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel` (from any process sharing the database), and
   * `onReconnect` when the listening connection is back after a loss, during which notifications
   * were missed; resolves to an unsubscribe.
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
};

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number; onListenerChange?: (change: ListenerChange) => void }
  | { kind: 'pglite'; dataDir?: string };

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Any 64-bit constant works; this one is "palisade" spelled in ASCII. */
const MIGRATION_LOCK_ID = 0x70616c6973616465n;

function migrationCount(): number {
  const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

async function appliedMigrationCount(db: Database): Promise<number> {
  const rows = rowsOf<{ applied: number }>(await db.execute(sql`select count(*)::int as applied from drizzle.__drizzle_migrations`));
  return rows[0]?.applied ?? 0;
}

/**
 * Applies the committed migrations. On PostgreSQL they run on one dedicated connection under a
 * session advisory lock, so any number of replicas may start at once: one migrates, the others
 * wait and then find nothing left to do.
 */
export async function runMigrations(options: DatabaseOptions, target?: PGlite): Promise<void> {
  if (options.kind === 'pglite') {
    if (!target) throw new Error('runMigrations on PGlite needs the open PGlite instance');
    await migratePglite(drizzlePglite(target), { migrationsFolder });
    return;
  }
  const connection = postgres(options.url, { max: 1, onnotice: () => {} });
  try {
    await connection`select pg_advisory_lock(${MIGRATION_LOCK_ID.toString()}::bigint)`;
    try {
      await migratePostgres(drizzlePostgres(connection), { migrationsFolder });
    } finally {
      await connection`select pg_advisory_unlock(${MIGRATION_LOCK_ID.toString()}::bigint)`;
    }
  } finally {
    await connection.end({ timeout: 5 });
  }
}

/** `begin([options,] body)` and `savepoint([name,] body)`: the body gets the transaction's scope. */
type ScopeOpener = (...args: unknown[]) => Promise<unknown>;

/**
 * Makes every statement drizzle sends with parameters a named prepared statement. Unless a query
 * was built with `.prepare()`, drizzle asks postgres.js for an unnamed statement, and for one with
 * parameters postgres.js sends Parse and Describe and waits for the parameter types before Bind and
 * Execute: two round trips. A named statement is kept per connection, keyed by its text and
 * parameter types, and from its second use on that connection takes one round trip. Doing it here
 * rather than with `.prepare()` at each call site also covers the statements inside transactions
 * (drizzle prepares only on the transaction object, a new one each time) and the query code stays
 * as it reads.
 *
 * That cache has no bound, so this is sound only while the statement texts are a small fixed set:
 * values are bound as parameters, never inlined (no `sql.raw` of data), and a list of varying
 * length is one array parameter (`= any(…)`, `unnest(…)`), never spelled out (`inArray`, a
 * multi-row `values`); test/statements.test.ts holds the hot paths to it. Behind PgBouncer in
 * transaction mode, named statements need PgBouncer 1.21 or later with `max_prepared_statements` set.
 */
function preparing<S extends Sql | TransactionSql>(scope: S): S {
  return new Proxy(scope, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property === 'unsafe') {
        return (...[text, parameters, options]: Parameters<Sql['unsafe']>) =>
          target.unsafe(text, parameters, { ...options, prepare: true });
      }
      if (property === 'begin' || property === 'savepoint') {
        return (...args: unknown[]) => {
          const body = args.pop() as (scope: TransactionSql) => unknown;
          return (value as ScopeOpener)(...args, (scope: TransactionSql) => body(preparing(scope)));
        };
      }
      return value;
    },
  });
}

/** SQLSTATE 25006: a write reached a session that cannot write, such as one on a standby. */
const READ_ONLY_SQL_TRANSACTION = '25006';

/** True when `error`, or an error it wraps (drizzle wraps the driver's), is SQLSTATE 25006. */
function isReadOnlyRefusal(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.code === READ_ONLY_SQL_TRANSACTION) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * The client drizzle is given: statements prepared as above, and the pool's usage counted where
 * work enters it. postgres.js keeps no pool statistics, but it gives a transaction a connection of
 * its own from BEGIN to COMMIT, and a statement outside one a free connection whenever there is one
 * (it queues statements behind others only when none is free), so the transactions and statements
 * in flight are the busy connections, and those beyond `max` are waiting. (The LISTEN connection
 * is apart from the pool and not counted.)
 *
 * A write refused as read-only means a connection sits on a server that is no longer (or never
 * was) the primary: after a failover, postgres.js can reconnect to a standby despite
 * `target_session_attrs=primary` and stay there. It has no way to drop one connection, so the
 * whole client is replaced by a fresh one, which connects to the primary again; the old one ends
 * once its statements in flight have settled.
 */
function instrumentedPool(open: () => Sql): { client: Sql; usage: () => PoolUsage; close: () => Promise<void> } {
  const first = open();
  const max = first.options.max;
  let current = first;
  let prepared = preparing(first);
  const retiring = new Set<Promise<void>>();
  let inFlight = 0;
  const replace = (failed: Sql) => {
    if (failed !== current) return;
    const next = open();
    // drizzle tunes the parsers of the client it is given; the replacement needs the same.
    Object.assign(next.options.parsers, first.options.parsers);
    Object.assign(next.options.serializers, first.options.serializers);
    current = next;
    prepared = preparing(next);
    const ending: Promise<void> = failed.end({ timeout: 5 }).catch(() => {}).finally(() => retiring.delete(ending));
    retiring.add(ending);
  };
  const track = <T extends PromiseLike<unknown>>(client: Sql, work: T): T => {
    inFlight++;
    // Subscribing starts the query, as awaiting it would; drizzle's `.values()`, called as soon as
    // `unsafe` returns, still comes before any row arrives.
    work.then(
      () => {
        inFlight--;
      },
      (error: unknown) => {
        inFlight--;
        if (isReadOnlyRefusal(error)) replace(client);
      },
    );
    return work;
  };
  const instrumented = new Proxy(first, {
    get(_target, property) {
      const [client, scope] = [current, prepared];
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => track(client, scope.unsafe(...args));
      }
      if (property === 'begin') {
        return (...args: unknown[]) => track(client, (scope.begin as ScopeOpener)(...args));
      }
      return Reflect.get(scope, property);
    },
  });
  return {
    client: instrumented,
    usage: () => ({ max, busy: Math.min(inFlight, max), waiting: Math.max(0, inFlight - max) }),
    close: async () => {
      await Promise.all([...retiring, current.end({ timeout: 5 })]);
    },
  };
}

/** Opens the database and brings its schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const expectedMigrations = migrationCount();
  const readiness = (db: Database) => async () => {
    try {
      return (await appliedMigrationCount(db)) >= expectedMigrations;
    } catch {
      return false;
    }
  };

  if (options.kind === 'pglite') {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    // Two PGlite instances on one directory each believe they own it and overwrite each other's data.
    const dataDirLock = options.dataDir ? await lockDataDir(options.dataDir) : undefined;
    const client = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
    try {
      await runMigrations(options, client);
    } catch (error) {
      await client.close().catch(() => {});
      dataDirLock?.release();
      throw error;
    }
    const db = drizzlePglite(client, { schema }) as unknown as Database;
    return {
      db,
      kind: 'pglite',
      ready: readiness(db),
      replication: async () => EMBEDDED_REPLICATION,
      listen: async (channel, onNotify) => {
        const unsubscribe = await client.listen(channel, onNotify);
        return async () => {
          if (!client.closed) await unsubscribe();
        };
      },
      close: async () => {
        try {
          await client.close();
        } finally {
          dataDirLock?.release();
        }
      },
    };
  }

  await runMigrations(options);
  const url = options.url;
  const poolSize = options.poolSize ?? 10;
  const pool = instrumentedPool(() =>
    postgres(url, {
      max: poolSize,
      onnotice: () => {},
      backoff: reconnectDelaySeconds,
      connection: { application_name: 'palisade' },
    }),
  );
  const listener = new NotificationListener(options.url, options.onListenerChange);
  const db = drizzlePostgres(pool.client, { schema }) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    poolUsage: pool.usage,
    ready: readiness(db),
    replication: () => replicationState(db),
    listen: (channel, onNotify, onReconnect) => listener.listen(channel, onNotify, onReconnect),
    close: async () => {
      await listener.close();
      await pool.close();
    },
  };
}
