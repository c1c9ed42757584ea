import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const int53 = (name: string) => bigint(name, { mode: 'number' });

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    /** SHA-256 of the key; the key itself is never stored. */
    keyHash: text('key_hash').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), index('api_keys_tenant_idx').on(t.tenant)],
);

/**
 * One row per (tenant, name), kept after a delete as a tombstone so that `epoch` keeps growing when
 * the name is used again: a writer from before the delete can never hold a token issued after it.
 * The current token is (`deploy_generation`, `epoch`) when `deploy_generation` is not null.
 */
export const environments = pgTable(
  'environments',
  {
    id: uuid('id').primaryKey(),
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    deployGeneration: int53('deploy_generation'),
    epoch: int53('epoch').notNull().default(0),
    holder: text('holder'),
    upper: int53('upper').notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    fencedAt: timestamptz('fenced_at'),
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    uniqueIndex('environments_tenant_name_idx').on(t.tenant, t.name),
  ],
);

/** Every token issued, with the log upper at the moment it was issued. */
export const fences = pgTable(
  'fences',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    epoch: int53('epoch').notNull(),
    deployGeneration: int53('deploy_generation').notNull(),
    holder: text('holder').notNull(),
    upper: int53('upper').notNull(),
    fencedAt: timestamptz('fenced_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.epoch] })],
);

/** The fenced log; `data` holds the entry's JSON text exactly as it was accepted. */
export const logEntries = pgTable(
  'log_entries',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    offset: int53('offset').notNull(),
    data: text('data').notNull(),
    deployGeneration: int53('deploy_generation').notNull(),
    epoch: int53('epoch').notNull(),
    appendedAt: timestamptz('appended_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.offset] })],
);
