import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { createApp, isDatabaseUnavailable } from './api/app.js';
import type { Config } from './config.js';
import { type DatabaseHandle, type DatabaseOptions, openDatabase } from './db/client.js';
import { ApiError, PROBLEM_JSON } from './errors.js';
import { sweepExpiredKeys } from './db/idempotency.js';
import { resealAtStartUp } from './db/resealSecrets.js';
import { oldestDueDeliveryAge } from './db/webhooks.js';
import { Metrics } from './metrics.js';
import { WebhookDispatcher } from './notify/dispatcher.js';
import { WatchHub } from './notify/watchHub.js';
import { keyringFor } from './secrets.js';

const IDEMPOTENCY_SWEEP_INTERVAL_MS = 3_600_000;

export type RunningServer = { port: number; shutdown(): Promise<void> };

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

/**
 * What the port answers until the database is open: alive, not ready, and every API request
 * 503, so a balancer sends the traffic elsewhere and an orchestrator does not restart the process.
 */
function startingApp(database: DatabaseHandle['kind']): Hono {
  const starting = new Hono();
  starting.get('/healthz', (c) => c.json({ status: 'ok', database }, 200));
  starting.get('/readyz', (c) => c.json({ status: 'unavailable', database }, 503));
  starting.all('*', (c) => {
    const problem = new ApiError('unavailable', 'The service is starting and waits for its database; retry shortly.');
    return c.body(JSON.stringify(problem.toProblem()), 503, { 'content-type': PROBLEM_JSON, 'retry-after': '1' });
  });
  return starting;
}

/**
 * Opens the database, retrying with jittered exponential backoff while it cannot be reached, for
 * up to `config.databaseStartupWaitMs`: replicas started with (or before) their database come up
 * when it does instead of exiting. Any other failure (a wrong password, a bad migration) is final.
 */
async function openDatabaseWhenReachable(options: DatabaseOptions, waitMs: number, logger: Logger): Promise<DatabaseHandle> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(options);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!isDatabaseUnavailable(error)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        logger.fatal({ attempts: attempt, waited_ms: waitMs, error: message }, 'database unreachable at start-up; gave up');
        throw error;
      }
      const delay = Math.min(left, Math.round(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)));
      logger.warn({ attempt, error: message, retry_in_ms: delay }, 'database unreachable at start-up; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Opens the database (migrating it), builds the app, starts the webhook dispatcher and listens;
 * `shutdown` drains requests, finishes the deliveries in flight and closes.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const keyring = keyringFor(config);
  let handle: (request: Request, env: unknown) => Response | Promise<Response> = startingApp('postgres').fetch;
  let server: ServerType | undefined;
  const listen = () =>
    new Promise<ServerType>((resolve) => {
      const s = serve(
        {
          fetch: (request, env) => handle(request, env),
          port: config.port,
          hostname: config.host,
          serverOptions: {
            requestTimeout: config.requestTimeoutMs,
            headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
            // How often Node looks for connections past those timeouts (30 s by default).
            connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
          },
        },
        () => resolve(s),
      );
    });
  const closeServer = () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  let database: DatabaseHandle;
  if (config.databaseUrl) {
    // Listening before the database answers lets probes tell a waiting replica from a dead one.
    server = await listen();
    database = await openDatabaseWhenReachable(
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
    ).catch(async (error: unknown) => {
      await closeServer();
      throw error;
    });
  } else {
    // The embedded database's directory lock is taken before the port, so a second process on the
    // same directory is refused for the directory.
    database = await openDatabase({ kind: 'pglite', dataDir: config.dataDir });
  }
  await resealAtStartUp(database.db, keyring, logger).catch(async (error: unknown) => {
    await database.close();
    await closeServer();
    throw error;
  });
  const lifecycle = { draining: false };
  const watchHub = new WatchHub(database);
  await watchHub.start();
  const metrics = new Metrics(() => oldestDueDeliveryAge(database.db), database.poolUsage);
  const app = createApp({ database, config, logger, lifecycle, watchHub, metrics, keyring });
  const dispatcher = new WebhookDispatcher(database, config.webhooks, logger, metrics, keyring);
  await dispatcher.start();
  const sweeper = setInterval(() => {
    sweepExpiredKeys(database.db).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, 'expired idempotency keys deleted'),
      (error: unknown) => logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'idempotency sweep failed'),
    );
  }, IDEMPOTENCY_SWEEP_INTERVAL_MS);
  sweeper.unref();

  handle = app.fetch;
  server ??= await listen();
  const port = (server.address() as AddressInfo).port;
  logger.info(
    { port, host: config.host, database: database.kind, data_dir: database.kind === 'pglite' ? config.dataDir : undefined },
    'listening',
  );

  let shuttingDown: Promise<void> | null = null;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      lifecycle.draining = true;
      // Watch streams would hold the server open; end them (clients reconnect to another replica).
      await watchHub.stop();
      logger.info('draining: no new connections, finishing in-flight requests');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ grace_ms: config.shutdownGraceMs }, 'grace period over; closing remaining connections');
          if ('closeAllConnections' in server) server.closeAllConnections();
          resolve();
        }, config.shutdownGraceMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
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
