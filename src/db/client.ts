import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres, { type Sql, type TransactionSql } from 'postgres';
import type { DatabaseWaits } from '../config.js';
import { lockDataDir } from './dataDirLock.js';
import { type ListenerChange, NotificationListener, reconnectDelaySeconds } from './listener.js';
import * as schema from './schema.js';
import { type Wakeup, WakeupSender } from './wakeups.js';

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
  /**
   * Wakes the listeners of each wake-up: this process's at once, the other replicas' by a NOTIFY of
   * its own. Call it once the change it announces has committed.
   */
  wake(wakeups: readonly Wakeup[]): void;
  close(): Promise<void>;
};

export type DatabaseOptions =
  | {
      kind: 'postgres';
      url: string;
      poolSize?: number;
      /** Over DEFAULT_WAITS. */
      waits?: Partial<DatabaseWaits>;
      onListenerChange?: (change: ListenerChange) => void;
    }
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
  const rows = rowsOf<{ applied: number }>(
    await db.execute(sql`select count(*)::int as applied from drizzle.__drizzle_migrations`),
  );
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
    const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ]);
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

/** The bounds used when the caller gives none: those of the configuration's defaults. */
export const DEFAULT_WAITS: DatabaseWaits = {
  statementMs: 5_000,
  lockMs: 2_000,
  idleInTransactionMs: 10_000,
  acquireMs: 2_000,
  connectMs: 3_000,
};

/** Thrown, before anything is sent, when no pool connection came free within the acquire bound. */
export class PoolTimeoutError extends Error {
  readonly code = 'POOL_ACQUIRE_TIMEOUT';

  constructor(waitedMs: number) {
    super(`no database connection came free within ${waitedMs} ms`);
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
 * The client drizzle is given: statements prepared as above, the pool's usage counted where work
 * enters it, and that entry bounded in time. postgres.js keeps no pool statistics, but it gives a
 * transaction a connection of its own from BEGIN to COMMIT, and a statement outside one a free
 * connection whenever there is one (it queues statements behind others only when none is free), so
 * the transactions and statements in flight are the busy connections, and those beyond `max` are
 * waiting. Work is admitted up to `max` at once; the rest waits its turn here, for at most
 * `acquireMs`, and is then refused with PoolTimeoutError without having been sent, so nothing it
 * would have written is written later. (The LISTEN connection is apart from the pool and not counted.)
 *
 * A write refused as read-only means a connection sits on a server that is no longer (or never
 * was) the primary: after a failover, postgres.js can reconnect to a standby despite
 * `target_session_attrs=primary` and stay there. It has no way to drop one connection, so the
 * whole client is replaced by a fresh one, which connects to the primary again; the old one ends
 * once its statements in flight have settled.
 */
function instrumentedPool(
  open: () => Sql,
  acquireMs: number,
): { client: Sql; usage: () => PoolUsage; close: () => Promise<void> } {
  const first = open();
  const max = first.options.max;
  let current = first;
  let prepared = preparing(first);
  const retiring = new Set<Promise<void>>();
  const replace = (failed: Sql) => {
    if (failed !== current) return;
    const next = open();
    // drizzle tunes the parsers of the client it is given; the replacement needs the same.
    Object.assign(next.options.parsers, first.options.parsers);
    Object.assign(next.options.serializers, first.options.serializers);
    current = next;
    prepared = preparing(next);
    const ending: Promise<void> = failed
      .end({ timeout: 5 })
      .catch(() => {})
      .finally(() => retiring.delete(ending));
    retiring.add(ending);
  };

  let busy = 0;
  const waiters: (() => void)[] = [];
  const release = () => {
    const next = waiters.shift();
    if (next) next();
    else busy--;
  };
  const acquire = (): Promise<void> => {
    if (busy < max) {
      busy++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(admit), 1);
        reject(new PoolTimeoutError(acquireMs));
      }, acquireMs);
      waiters.push(admit);
    });
  };
  const admitted = <T>(client: Sql, start: () => PromiseLike<T>): Promise<T> =>
    acquire().then(() => {
      const work = Promise.resolve(start());
      work.then(release, (error: unknown) => {
        release();
        if (isReadOnlyRefusal(error)) replace(client);
      });
      return work;
    });

  /**
   * A postgres.js query runs when it is first awaited, and drizzle calls `.values()` on it before
   * that; the proxy keeps that chain and starts the query only once a connection is admitted.
   */
  const deferredQuery = (client: Sql, query: ReturnType<Sql['unsafe']>): ReturnType<Sql['unsafe']> => {
    let started: Promise<unknown> | null = null;
    const proxy: ReturnType<Sql['unsafe']> = new Proxy(query, {
      get(target, property) {
        if (property === 'then') {
          return (onFulfilled?: (value: unknown) => unknown, onRejected?: (reason: unknown) => unknown) => {
            started ??= admitted(client, () => target);
            return started.then(onFulfilled, onRejected);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };

  const instrumented = new Proxy(first, {
    get(_target, property) {
      const [client, scope] = [current, prepared];
      if (property === 'unsafe') {
        return (...args: Parameters<Sql['unsafe']>) => deferredQuery(client, scope.unsafe(...args));
      }
      if (property === 'begin') {
        return (...args: unknown[]) => admitted(client, () => (scope.begin as ScopeOpener)(...args));
      }
      return Reflect.get(scope, property);
    },
  });
  return {
    client: instrumented,
    usage: () => ({ max, busy, waiting: waiters.length }),
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
    // Loaded only here: the embedded database's module costs tens of megabytes a PostgreSQL deployment never uses.
    const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('drizzle-orm/pglite'),
    ]);
    // PGlite keeps PostgreSQL's shared_buffers (128 MB) in its WebAssembly memory for good; one
    // process's small tables need far less, and the process's memory at rest follows this figure.
    const settings = { postgresqlconf: ['shared_buffers = 16MB', 'work_mem = 1MB'] };
    const client = options.dataDir ? new PGlite(options.dataDir, settings) : new PGlite(settings);
    try {
      await runMigrations(options, client);
    } catch (error) {
      await client.close().catch(() => {});
      dataDirLock?.release();
      throw error;
    }
    const db = drizzlePglite(client, { schema }) as unknown as Database;
    // One process owns the embedded database, so its wake-ups need not go through it.
    const wakeups = new WakeupSender(null);
    return {
      db,
      kind: 'pglite',
      ready: readiness(db),
      replication: async () => EMBEDDED_REPLICATION,
      listen: async (channel, onNotify) => {
        const unsubscribeLocal = wakeups.subscribe(channel, onNotify);
        const unsubscribe = await client.listen(channel, onNotify);
        return async () => {
          unsubscribeLocal();
          if (!client.closed) await unsubscribe();
        };
      },
      wake: (sent) => wakeups.send(sent),
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
  const waits = { ...DEFAULT_WAITS, ...options.waits };
  const url = options.url;
  const poolSize = options.poolSize ?? 10;
  const pool = instrumentedPool(
    () =>
      postgres(url, {
        max: poolSize,
        onnotice: () => {},
        backoff: reconnectDelaySeconds,
        connect_timeout: waits.connectMs / 1000,
        // Sent at connection start-up, so every session of the pool has them: an abandoned or stuck
        // statement or transaction is ended by the server, and cannot commit long after its request.
        connection: {
          application_name: 'palisade',
          statement_timeout: waits.statementMs,
          lock_timeout: waits.lockMs,
          idle_in_transaction_session_timeout: waits.idleInTransactionMs,
        },
      }),
    waits.acquireMs,
  );
  const listener = new NotificationListener(options.url, options.onListenerChange);
  const db = drizzlePostgres(pool.client, { schema }) as unknown as Database;
  const wakeups = new WakeupSender((channels, payloads) =>
    db.execute(sql`select pg_notify(wakeup.channel, wakeup.payload)
      from unnest(${sql.param(channels)}::text[], ${sql.param(payloads)}::text[]) as wakeup(channel, payload)`),
  );
  return {
    db,
    kind: 'postgres',
    poolUsage: pool.usage,
    ready: readiness(db),
    replication: () => replicationState(db),
    listen: async (channel, onNotify, onReconnect) => {
      const unsubscribeLocal = wakeups.subscribe(channel, onNotify);
      const unsubscribe = await listener.listen(channel, wakeups.fromOtherProcesses(onNotify), onReconnect);
      return async () => {
        unsubscribeLocal();
        await unsubscribe();
      };
    },
    wake: (sent) => wakeups.send(sent),
    close: async () => {
      await listener.close();
      await pool.close();
    },
  };
}
