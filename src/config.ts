import { z } from 'zod';
import { parseSecretKey } from './secrets.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "250ms", "5s", "5m", "2h", "1d", or a bare number of milliseconds. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h|d)?$/, 'must be a duration such as 250ms, 5s, 5m, 2h or 1d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)?$/.exec(text)!;
    return Number(amount) * UNIT_MS[(unit ?? 'ms') as keyof typeof UNIT_MS];
  });

const durationList = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(duration).min(1, 'must list at least one duration'));

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
  .transform((text) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''))
  .pipe(z.array(secretKey));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  PALISADE_REQUIRE_SYNC_REPLICATION: booleanFlag.default(false),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  PALISADE_DATA_DIR: z.string().min(1).default('./data'),
  PALISADE_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional(),
  PALISADE_SECRET_KEY: secretKey.optional(),
  PALISADE_SECRET_KEY_PREVIOUS: secretKeyList.default([]),
  PALISADE_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  PALISADE_MAX_ENTRY_BYTES: z.coerce.number().int().min(16).default(64 * 1024),
  PALISADE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  PALISADE_WEBHOOK_ALLOW_PRIVATE: booleanFlag.default(false),
  PALISADE_WEBHOOK_TIMEOUT: duration.default(10_000),
  PALISADE_WEBHOOK_RETRY_SCHEDULE: durationList.default([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
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
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the configuration once from the environment; empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
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
    requireSyncReplication: v.PALISADE_REQUIRE_SYNC_REPLICATION,
    dataDir: v.PALISADE_DATA_DIR,
    adminToken: v.PALISADE_ADMIN_TOKEN,
    secretKey: v.PALISADE_SECRET_KEY,
    previousSecretKeys: v.PALISADE_SECRET_KEY_PREVIOUS,
    maxBodyBytes: v.PALISADE_MAX_BODY_BYTES,
    maxEntryBytes: v.PALISADE_MAX_ENTRY_BYTES,
    shutdownGraceMs: v.PALISADE_SHUTDOWN_GRACE_MS,
    watchHeartbeatMs: v.PALISADE_WATCH_HEARTBEAT,
    limits: {
      requestRate: v.PALISADE_RATE_LIMIT,
      requestBurst: v.PALISADE_RATE_LIMIT_BURST ?? 2 * v.PALISADE_RATE_LIMIT,
      maxInFlight: v.PALISADE_MAX_IN_FLIGHT,
      environments: v.PALISADE_MAX_ENVIRONMENTS,
      logEntries: v.PALISADE_MAX_LOG_ENTRIES,
      webhooks: v.PALISADE_MAX_WEBHOOKS,
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
