import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import type { Config } from './config.js';
import { type DatabaseHandle, openDatabase } from './db/client.js';
import { sweepExpiredKeys } from './db/idempotency.js';
import { resealAtStartUp } from './db/resealSecrets.js';
import { oldestDueDeliveryAge } from './db/webhooks.js';
import { Metrics } from './metrics.js';
import { WebhookDispatcher } from './notify/dispatcher.js';
import { WatchHub } from './notify/watchHub.js';
import { keyringFor } from './secrets.js';

const IDEMPOTENCY_SWEEP_INTERVAL_MS = 3_600_000;

/** Says at start whether an acknowledged commit survives the loss of the primary. */
async function reportDurability(database: DatabaseHandle, config: Config, logger: Logger): Promise<void> {
  const state = await database.replication().catch((error: unknown) => {
    logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not read the replication settings');
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
  else if (config.requireSyncReplication) logger.warn(fields, 'no synchronous standby: not ready until one is in sync (PALISADE_REQUIRE_SYNC_REPLICATION)');
  else if (database.kind === 'postgres') logger.info(fields, 'commits do not wait for a standby: a failover may lose acknowledged writes');
}

export type RunningServer = { port: number; shutdown(): Promise<void> };

/**
 * Opens the database (migrating it), builds the app, starts the webhook dispatcher and listens;
 * `shutdown` drains requests, finishes the deliveries in flight and closes.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const keyring = keyringFor(config);
  const database = await openDatabase(
    config.databaseUrl
      ? {
          kind: 'postgres',
          url: config.databaseUrl,
          poolSize: config.databasePoolSize,
          onListenerChange: (change) =>
            change.state === 'lost'
              ? logger.warn('database listener lost; notifications are missed until it is back')
              : logger.info({ down_ms: change.downMs }, 'database listener back'),
        }
      : { kind: 'pglite', dataDir: config.dataDir },
  );
  await resealAtStartUp(database.db, keyring, logger).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  await reportDurability(database, config, logger);
  const lifecycle = { draining: false };
  const watchHub = new WatchHub(database);
  await watchHub.start();
  const metrics = new Metrics(() => oldestDueDeliveryAge(database.db), database.poolUsage);
  metrics.observeReplication(() => database.replication());
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

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
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
