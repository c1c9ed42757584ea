import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database, DatabaseHandle } from '../db/client.js';
import type { Wakeup } from '../db/wakeups.js';
import type { Limits, TenantLimits } from '../limits.js';
import type { Metrics } from '../metrics.js';
import type { WatchHub } from '../notify/watchHub.js';
import type { Keyring } from '../secrets.js';
import type { AuthFailureLimiter, KeyLookup } from './auth.js';
import type { RouteBehaviour } from './route.js';

export type AppConfig = Pick<Config, 'adminToken' | 'maxBodyBytes' | 'maxEntryBytes' | 'limits' | 'watchHeartbeatMs'> &
  Partial<Pick<Config, 'requireSyncReplication'>> & {
    webhooks: Pick<Config['webhooks'], 'allowPrivate'>;
  };

/** Set while the process shuts down: new requests are turned away with 503. */
export type Lifecycle = { draining: boolean };

export type AppDeps = {
  database: DatabaseHandle;
  config: AppConfig;
  logger: Logger;
  lifecycle: Lifecycle;
  /** Wakes watch streams on changes committed by any replica. */
  watchHub: WatchHub;
  metrics: Metrics;
  /** Seals webhook signing secrets and idempotent responses at rest. */
  keyring: Keyring;
  /** The limits in force, and the requests in flight counted against them. */
  limits: Limits;
  /** Who owns a presented API key. */
  keys: KeyLookup;
  /** Failed authentications per client address. */
  authFailures: AuthFailureLimiter;
};

export type AppEnv = {
  Variables: {
    requestId: string;
    /** What the matched route declares; unset on a path no route matches. */
    route: RouteBehaviour | undefined;
    /** Set by authentication on tenant routes. */
    tenant: string;
    keyId: string;
    /** The limits in force for the tenant. */
    limits: TenantLimits;
    /** The database, or the transaction of an idempotent request. */
    db: Database;
    /** Wake-ups of the request's changes, sent once the request's transaction has committed. */
    wakeups: Wakeup[];
  };
};
export type App = OpenAPIHono<AppEnv>;
