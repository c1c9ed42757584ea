import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { buildDeps } from './api/deps.js';
import { ApiError, isDatabaseUnavailable, PROBLEM_JSON } from './api/problems.js';
import { type Config, databaseLocation } from './config.js';
import { type DatabaseHandle, type DatabaseOptions, openDatabase } from './db/client.js';
import { lockDataDir } from './db/dataDirLock.js';
import { sweepExpiredKeys } from './db/idempotency.js';
import { resealAtStartUp } from './db/resealSecrets.js';
import { WebhookDispatcher } from './notify/dispatcher.js';
import { keyringFor } from './secrets.js';

const IDEMPOTENCY_SWEEP_INTERVAL_MS = 3_600_000;

/** Says at start whether an acknowledged commit survives the loss of the primary. */
async function reportDurability(database: DatabaseHandle, config: Config, logger: Logger): Promise<void> {
  const state = await database.replication().catch((error: unknown) => {
    logger.warn(
      { error: error instanceof Error ? error.message : String(error) },
      'could not read the replication settings',
    );
    return null;
  });
  if (!state) return;
  const fields = {
    synchronous_replication: state.synchronous,
    sync_standbys: state.syncStandbys,
    synchronous_standby_names: state.synchronousStandbyNames,
    synchronous_commit: state.synchronousCommit,
    required: config.requireSyncReplication,
  };
  if (state.synchronous) logger.info(fields, 'commits wait for a synchronous standby');
  else if (config.requireSyncReplication)
    logger.warn(fields, 'no synchronous standby: not ready until one is in sync (PALISADE_REQUIRE_SYNC_REPLICATION)');
  else if (database.kind === 'postgres')
    logger.info(fields, 'commits do not wait for a standby: a failover may lose acknowledged writes');
}

export type RunningServer = { port: number; shutdown(): Promise<void> };

export class PortInUseError extends Error {
  constructor(port: number, host: string) {
    super(`port ${port} on ${host} is already in use (PORT, HOST)`);
  }
}

/** Binds the port, so that a busy one is known before the database is opened or migrated. */
async function listen(server: Server, config: Config): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // A second start of the same embedded service is the likelier story: its directory's lock names
    // the process holding both (throwing DataDirInUseError); the store itself is not opened.
    if (!config.databaseUrl && existsSync(config.dataDir)) (await lockDataDir(config.dataDir)).release();
    throw new PortInUseError(config.port, config.host);
  }
}

/**
 * The answer before the app is built (while the database opens, migrates, or is waited for): alive,
 * not ready, and every API request 503, so a balancer sends the traffic elsewhere and an
 * orchestrator does not restart the process.
 */
function answerStarting(database: 'postgres' | 'pglite'): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const starting = new ApiError('unavailable', 'The service is starting and waits for its database; retry shortly.');
    const [status, contentType, body] =
      request.url === '/healthz'
        ? [200, 'application/json', { status: 'ok', database }]
        : request.url === '/readyz'
          ? [503, 'application/json', { status: 'unavailable', database }]
          : [starting.status, PROBLEM_JSON, starting.toProblem()];
    response.writeHead(status, { 'content-type': contentType, 'retry-after': '1', connection: 'close' });
    response.end(JSON.stringify(body));
  };
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * Opens the database, retrying with jittered exponential backoff while it cannot be reached, for
 * up to `config.databaseStartupWaitMs`: replicas started with (or before) their database come up
 * when it does instead of exiting. Any other failure (a wrong password, a bad migration) is final.
 */
async function openDatabaseWhenReachable(
  options: DatabaseOptions,
  waitMs: number,
  logger: Logger,
): Promise<DatabaseHandle> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!isDatabaseUnavailable(error)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        logger.fatal(
          { attempts: attempt, waited_ms: waitMs, error: message },
          'database unreachable at start-up; gave up',
        );
        throw error;
      }
      const delay = Math.min(
        left,
        Math.round(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)),
      );
      logger.warn({ attempt, error: message, retry_in_ms: delay }, 'database unreachable at start-up; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Listens, then opens the database (migrating it), builds the app and starts the webhook
 * dispatcher; until then every request is answered 503. `shutdown` drains: new requests are
 * answered 503 (so /readyz tells the balancer at once), those in flight finish, then it closes.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const databaseKind = config.databaseUrl ? 'postgres' : 'pglite';
  let serve: RequestListener = answerStarting(databaseKind);
  const openResponses = new Set<ServerResponse>();
  const server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      // How often Node looks for connections past those timeouts (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    (request, response) => {
      openResponses.add(response);
      response.once('close', () => openResponses.delete(response));
      serve(request, response);
    },
  );
  await listen(server, config);
  try {
    return await startServing(server, config, logger, openResponses, (listener) => (serve = listener));
  } catch (error) {
    server.close();
    server.closeAllConnections();
    throw error;
  }
}

async function startServing(
  server: Server,
  config: Config,
  logger: Logger,
  openResponses: Set<ServerResponse>,
  setListener: (listener: RequestListener) => void,
): Promise<RunningServer> {
  const keyring = keyringFor(config);
  const database = config.databaseUrl
    ? await openDatabaseWhenReachable(
        {
          kind: 'postgres',
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          waits: config.databaseWaits,
          onListenerChange: (change) =>
            change.state === 'lost'
              ? logger.warn('database listener lost; notifications are missed until it is back')
              : logger.info({ down_ms: change.downMs }, 'database listener back'),
        },
        config.databaseStartupWaitMs,
        logger,
      )
    : await openDatabase({ kind: 'pglite', dataDir: config.dataDir });
  await resealAtStartUp(database.db, keyring, logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  await reportDurability(database, config, logger);
  const deps = buildDeps(config, { database, logger, keyring });
  const { lifecycle, watchHub, metrics } = deps;
  await watchHub.start();
  metrics.observeReplication(() => database.replication());
  const app = createApp(deps);
  const dispatcher = new WebhookDispatcher(database, config.webhooks, logger, metrics, keyring);
  await dispatcher.start();
  const sweeper = setInterval(() => {
    sweepExpiredKeys(database.db).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, 'expired idempotency keys deleted'),
      (error: unknown) =>
        logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'idempotency sweep failed'),
    );
  }, IDEMPOTENCY_SWEEP_INTERVAL_MS);
  sweeper.unref();

  setListener(getRequestListener(app.fetch, { hostname: config.host }));
  const port = (server.address() as AddressInfo).port;
  const where = config.databaseUrl ? databaseLocation(config.databaseUrl) : undefined;
  logger.info(
    where
      ? {
          port,
          host: config.host,
          database: database.kind,
          database_host: where.host,
          database_port: where.port,
          database_name: where.database,
        }
      : { port, host: config.host, database: database.kind, data_dir: config.dataDir },
    'listening',
  );

  let shuttingDown: Promise<void> | null = null;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      lifecycle.draining = true;
      // Watch streams would hold the server open; end them (clients reconnect to another replica).
      await watchHub.stop();
      logger.info('draining: new requests are answered 503, those in flight finish');
      const inFlight = [...openResponses].map((response) => new Promise((resolve) => response.once('close', resolve)));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace over'>((resolve) => {
        timer = setTimeout(() => resolve('grace over'), config.shutdownGraceMs);
      });
      if ((await Promise.race([Promise.all(inFlight), graceOver])) === 'grace over') {
        logger.warn({ grace_ms: config.shutdownGraceMs }, 'grace period over; closing remaining connections');
      }
      clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      clearInterval(sweeper);
      await dispatcher.stop();
      await database.close();
      logger.info('stopped');
    })();
    return shuttingDown;
  };
  return { port, shutdown };
}
