import { z } from 'zod';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  PALISADE_DATA_DIR: z.string().min(1).default('./data'),
  PALISADE_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional(),
  PALISADE_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  PALISADE_MAX_ENTRY_BYTES: z.coerce.number().int().min(16).default(64 * 1024),
  PALISADE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  adminToken: string | undefined;
  maxBodyBytes: number;
  maxEntryBytes: number;
  shutdownGraceMs: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
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
  return {
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    databasePoolSize: v.DATABASE_POOL_SIZE,
    dataDir: v.PALISADE_DATA_DIR,
    adminToken: v.PALISADE_ADMIN_TOKEN,
    maxBodyBytes: v.PALISADE_MAX_BODY_BYTES,
    maxEntryBytes: v.PALISADE_MAX_ENTRY_BYTES,
    shutdownGraceMs: v.PALISADE_SHUTDOWN_GRACE_MS,
    logLevel: v.LOG_LEVEL,
  };
}
