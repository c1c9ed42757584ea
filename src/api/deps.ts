import type { Logger } from 'pino';
import type { DatabaseHandle } from '../db/client.js';
import { statementBatches } from '../db/batches.js';
import { oldestDueDeliveryAge } from '../db/webhooks.js';
import { Limits } from '../limits.js';
import { Metrics } from '../metrics.js';
import { WatchHub } from '../notify/watchHub.js';
import type { Keyring } from '../secrets.js';
import { AuthFailureLimiter, KeyLookup } from './auth.js';
import type { AppConfig, AppDeps } from './types.js';

/**
 * What the app is built from, over its database: the watch hub (not started: until it is, watchers
 * rely on re-reading alone), the metrics, the limits and the key lookups, wired to one another.
 */
export function buildDeps(
  config: AppConfig,
  { database, logger, keyring }: { database: DatabaseHandle; logger: Logger; keyring: Keyring },
): AppDeps {
  const watchHub = new WatchHub(database);
  const metrics = new Metrics(() => oldestDueDeliveryAge(database.db), database.poolUsage);
  const limits = new Limits(config.limits, database.db);
  const keys = new KeyLookup(database.db);
  watchHub.onRevocation((keyId) => (keyId === null ? keys.forgetAll() : keys.forget(keyId)));
  metrics.readInFlightFrom(() => limits.inFlight);
  metrics.observeStatementBatches(() => statementBatches(database.db));
  return {
    database,
    config,
    logger,
    lifecycle: { draining: false },
    watchHub,
    metrics,
    keyring,
    limits,
    keys,
    authFailures: new AuthFailureLimiter(config.limits),
  };
}
