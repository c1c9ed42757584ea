import { z } from 'zod';
import { closest, distance } from 'fastest-levenshtein';
import { parseDuration } from './duration.js';
import { parseSecretKey } from './secrets.js';

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.ms;
});

const durationList = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(duration).min(1, 'must list at least one duration'));

/**
 * Where a postgres:// URL points: its host or hosts (or its `host` parameter, a socket directory),
 * port and database; never its password.
 */
export function databaseLocation(url: string): { host: string; port: number; database: string } {
  const [, authority = '', path = '', query = ''] = /^[a-z]+:\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(url) ?? [];
  // Several hosts (h1:p1,h2:p2) name the members of a replicated cluster; the first port is shown.
  const members = authority
    .slice(authority.lastIndexOf('@') + 1)
    .split(',')
    .map((member) => /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(member) ?? []);
  const host = members
    .map(([, name = '']) => name)
    .filter((name) => name !== '')
    .join(',');
  const port = members[0]?.[2] ?? '';
  const user = authority.includes('@')
    ? decodeURIComponent(authority.slice(0, authority.lastIndexOf('@')).split(':')[0]!)
    : '';
  const parameters = new URLSearchParams(query);
  return {
    host: decodeURIComponent(host) || parameters.get('host')?.trim() || '',
    port: Number(port || parameters.get('port') || 5432),
    database: decodeURIComponent(path.replace(/^\//, '')) || parameters.get('dbname') || user,
  };
}

const booleanFlag = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1');

const secretKey = z.string().transform((text, ctx) => {
  const key = parseSecretKey(text);
  if (typeof key === 'string') {
    ctx.addIssue({ code: 'custom', message: key });
    return z.NEVER;
  }
  return key;
});

const secretKeyList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .pipe(z.array(secretKey));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .refine(
      (url) => databaseLocation(url).host !== '',
      'must name a host, e.g. postgres://user:password@db.example:5432/palisade',
    )
    .optional(),
  PALISADE_REQUIRE_SYNC_REPLICATION: booleanFlag.default(false),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  PALISADE_DATA_DIR: z.string().min(1).default('./data'),
  PALISADE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  PALISADE_SECRET_KEY: secretKey.optional(),
  PALISADE_SECRET_KEY_PREVIOUS: secretKeyList.default([]),
  PALISADE_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  PALISADE_MAX_ENTRY_BYTES: z.coerce
    .number()
    .int()
    .min(16)
    .default(64 * 1024),
  PALISADE_SHUTDOWN_GRACE: duration.default(10_000),
  PALISADE_WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
  PALISADE_WEBHOOK_TIMEOUT: duration.default(10_000),
  PALISADE_WEBHOOK_RETRY_SCHEDULE: durationList.default([
    5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000,
  ]),
  PALISADE_WEBHOOK_DISABLE_AFTER: duration.optional(),
  PALISADE_WEBHOOK_POLL_INTERVAL: duration.default(1_000),
  PALISADE_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
  PALISADE_RATE_LIMIT: z.coerce.number().int().min(1).default(1_000),
  PALISADE_RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
  PALISADE_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(512),
  PALISADE_MAX_ENVIRONMENTS: z.coerce.number().int().min(1).default(10_000),
  PALISADE_MAX_LOG_ENTRIES: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(10_000_000),
  PALISADE_MAX_WEBHOOKS: z.coerce.number().int().min(1).default(100),
  PALISADE_WATCH_HEARTBEAT: duration.default(15_000),
  // Bounds that keep one tenant, or an outage, from taking a process away from the others.
  PALISADE_MAX_IDEMPOTENCY_KEYS: z.coerce.number().int().min(1).default(10_000),
  PALISADE_MAX_IN_FLIGHT_PER_TENANT: z.coerce.number().int().min(1).default(128),
  PALISADE_REQUEST_TIMEOUT: duration.default(30_000),
  PALISADE_HEADERS_TIMEOUT: duration.default(10_000),
  PALISADE_MAX_WATCH_STREAMS: z.coerce.number().int().min(1).default(100),
  PALISADE_MAX_LOG_PAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  PALISADE_AUTH_FAILURE_RATE: z.coerce.number().int().min(1).default(10),
  PALISADE_AUTH_FAILURE_BURST: z.coerce.number().int().min(1).default(100),
  PALISADE_DB_STATEMENT_TIMEOUT: duration.default(5_000),
  PALISADE_DB_LOCK_TIMEOUT: duration.default(2_000),
  PALISADE_DB_IDLE_IN_TRANSACTION_TIMEOUT: duration.default(10_000),
  PALISADE_DB_ACQUIRE_TIMEOUT: duration.default(2_000),
  PALISADE_DB_CONNECT_TIMEOUT: duration.default(3_000),
  PALISADE_DB_STARTUP_WAIT: duration.default(300_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  databaseWaits: DatabaseWaits;
  /** How long a process starting while its database cannot be reached keeps retrying before it exits 1. */
  databaseStartupWaitMs: number;
  /** Not ready (503 on /readyz) unless commits wait for a synchronous standby. */
  requireSyncReplication: boolean;
  dataDir: string;
  adminToken: string | undefined;
  /** Seals webhook signing secrets and idempotent responses at rest; unset only on the embedded database, which keeps its own. */
  secretKey: Buffer | undefined;
  /** Older keys, accepted to open what they sealed until it is sealed again under `secretKey`. */
  previousSecretKeys: Buffer[];
  maxBodyBytes: number;
  maxEntryBytes: number;
  shutdownGraceMs: number;
  /** How long a client may take to send a whole request, and its headers; a slower one is cut off with 408. */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** How often a watch stream with nothing to say sends a heartbeat comment. */
  watchHeartbeatMs: number;
  webhooks: WebhookConfig;
  limits: LimitsConfig;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
};

export type WebhookConfig = {
  /** Destinations in private, loopback and link-local ranges are refused unless this is set. */
  allowPrivate: boolean;
  timeoutMs: number;
  /** Delay before each retry; a delivery that has used them all is failed. */
  retryScheduleMs: number[];
  /** An endpoint that has failed continuously this long is disabled (default: the schedule's total). */
  disableAfterMs: number;
  pollIntervalMs: number;
  concurrency: number;
};

/** Bounds on every wait for PostgreSQL (the embedded database has none of these). */
export type DatabaseWaits = {
  /** statement_timeout, lock_timeout and idle_in_transaction_session_timeout of the service's sessions. */
  statementMs: number;
  lockMs: number;
  idleInTransactionMs: number;
  /** How long a request waits for a pool connection before it is answered 503. */
  acquireMs: number;
  /** How long opening a connection may take. */
  connectMs: number;
};

export type LimitsConfig = {
  /** Requests per second per API key (a token bucket per process). */
  requestRate: number;
  /** How many requests a key may send at once before the rate applies. */
  requestBurst: number;
  /** Requests one process works on at once; more are refused rather than queued. */
  maxInFlight: number;
  environments: number;
  logEntries: number;
  webhooks: number;
  /** Unexpired Idempotency-Key records per tenant. */
  idempotencyKeys: number;
  /** Requests of one tenant one process works on at once: its share of `maxInFlight`. */
  tenantInFlight: number;
  /** Watch streams one tenant may hold open on one process. */
  watchStreams: number;
  /** Bytes of entry data in one page of a log read; bounds a read's memory whatever its limit. */
  logPageBytes: number;
  /** Failed authentications per second per client address (a token bucket per process). */
  authFailureRate: number;
  /** Failed authentications an address may have at once before that rate applies. */
  authFailureBurst: number;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * PALISADE_ variables of the CLI, of `palisade run`'s commands and of the test runner: known, so a
 * service started from such a shell or command is not refused.
 */
const CLIENT_VARIABLES = [
  'PALISADE_URL',
  'PALISADE_API_KEY',
  'PALISADE_TOKEN',
  'PALISADE_MODE',
  'PALISADE_READY_FILE',
  'PALISADE_ENV',
  'PALISADE_GENERATION',
  'PALISADE_HOLDER',
  'PALISADE_TEST_REPORT',
];

/** Every variable the service reads. */
export const SERVICE_VARIABLES = Object.keys(envSchema.shape);
const KNOWN_PALISADE_VARIABLES = [
  ...SERVICE_VARIABLES.filter((name) => name.startsWith('PALISADE_')),
  ...CLIENT_VARIABLES,
];

/** A misspelt PALISADE_ variable would be ignored, and its default used in silence: refuse it instead. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('PALISADE_') && !KNOWN_PALISADE_VARIABLES.includes(name))
    .sort()
    .map((name) => `${name}: unknown variable; did you mean ${closest(name, KNOWN_PALISADE_VARIABLES)}?`);
}

/** Names people give a database URL; set without DATABASE_URL they mean the embedded store is used by mistake. */
const DATABASE_URL_LOOK_ALIKE = /^(DATABASE|DB|PG|POSTGRES|POSTGRESQL)_?(URL|URI|DSN|CONNECTION|CONNECTION_STRING)$/;

/** What the operator should hear at start-up about a configuration that works but is likely not meant. */
export function startUpWarnings(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  const warnings: string[] = [];
  if (config.databaseUrl === undefined) {
    for (const name of Object.keys(env).sort()) {
      if (name === 'DATABASE_URL' || !env[name]) continue;
      if (DATABASE_URL_LOOK_ALIKE.test(name) || distance(name, 'DATABASE_URL') <= 2) {
        warnings.push(
          `${name} is set but DATABASE_URL is not: the service uses the embedded database; did you mean DATABASE_URL?`,
        );
      }
    }
  }
  if (config.adminToken === undefined) {
    warnings.push('PALISADE_ADMIN_TOKEN is not set: no API key can be created (POST /v1/api-keys answers 401)');
  }
  return warnings;
}

/** Reads the configuration once from the environment; empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const unknown = unknownVariables(present);
  const parsed = envSchema.safeParse(present);
  if (!parsed.success || unknown.length > 0) {
    throw new ConfigError([
      ...unknown,
      ...(parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    ]);
  }
  const v = parsed.data;
  if (v.DATABASE_URL !== undefined && v.PALISADE_SECRET_KEY === undefined) {
    throw new ConfigError([
      'PALISADE_SECRET_KEY: must be set with DATABASE_URL (32 random bytes, base64: openssl rand -base64 32); ' +
        'it seals webhook secrets at rest, so it is kept apart from the database, the same on every replica',
    ]);
  }
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    databaseWaits: {
      statementMs: v.PALISADE_DB_STATEMENT_TIMEOUT,
      lockMs: v.PALISADE_DB_LOCK_TIMEOUT,
      idleInTransactionMs: v.PALISADE_DB_IDLE_IN_TRANSACTION_TIMEOUT,
      acquireMs: v.PALISADE_DB_ACQUIRE_TIMEOUT,
      connectMs: v.PALISADE_DB_CONNECT_TIMEOUT,
    },
    databaseStartupWaitMs: v.PALISADE_DB_STARTUP_WAIT,
    requireSyncReplication: v.PALISADE_REQUIRE_SYNC_REPLICATION,
    dataDir: v.PALISADE_DATA_DIR,
    adminToken: v.PALISADE_ADMIN_TOKEN,
    secretKey: v.PALISADE_SECRET_KEY,
    previousSecretKeys: v.PALISADE_SECRET_KEY_PREVIOUS,
    maxBodyBytes: v.PALISADE_MAX_BODY_BYTES,
    maxEntryBytes: v.PALISADE_MAX_ENTRY_BYTES,
    shutdownGraceMs: v.PALISADE_SHUTDOWN_GRACE,
    requestTimeoutMs: v.PALISADE_REQUEST_TIMEOUT,
    headersTimeoutMs: v.PALISADE_HEADERS_TIMEOUT,
    watchHeartbeatMs: v.PALISADE_WATCH_HEARTBEAT,
    limits: {
      requestRate: v.PALISADE_RATE_LIMIT,
      requestBurst: v.PALISADE_RATE_LIMIT_BURST ?? 2 * v.PALISADE_RATE_LIMIT,
      maxInFlight: v.PALISADE_MAX_IN_FLIGHT,
      environments: v.PALISADE_MAX_ENVIRONMENTS,
      logEntries: v.PALISADE_MAX_LOG_ENTRIES,
      webhooks: v.PALISADE_MAX_WEBHOOKS,
      idempotencyKeys: v.PALISADE_MAX_IDEMPOTENCY_KEYS,
      logPageBytes: v.PALISADE_MAX_LOG_PAGE_BYTES,
      watchStreams: v.PALISADE_MAX_WATCH_STREAMS,
      tenantInFlight: v.PALISADE_MAX_IN_FLIGHT_PER_TENANT,
      authFailureRate: v.PALISADE_AUTH_FAILURE_RATE,
      authFailureBurst: v.PALISADE_AUTH_FAILURE_BURST,
    },
    webhooks: {
      allowPrivate: v.PALISADE_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: v.PALISADE_WEBHOOK_TIMEOUT,
      retryScheduleMs: v.PALISADE_WEBHOOK_RETRY_SCHEDULE,
      disableAfterMs:
        v.PALISADE_WEBHOOK_DISABLE_AFTER ?? v.PALISADE_WEBHOOK_RETRY_SCHEDULE.reduce((sum, ms) => sum + ms, 0),
      pollIntervalMs: v.PALISADE_WEBHOOK_POLL_INTERVAL,
      concurrency: v.PALISADE_WEBHOOK_CONCURRENCY,
    },
    logLevel: v.LOG_LEVEL,
  };
}
