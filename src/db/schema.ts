import { sql } from 'drizzle-orm';
import { DEPLOYMENT_STATES } from '../domain/deploymentStates.js';
import {
  bigint,
  boolean,
  check,
  integer,
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
 * One row per (tenant, name), kept after a delete as a tombstone that remembers the last token
 * issued, so tokens keep increasing when the name is used again and a writer from before the delete
 * is refused. (`deploy_generation`, `epoch`) is the last token issued (none while
 * `deploy_generation` is null); it is the current token while `fenced_at` is set.
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
  (t) => [uniqueIndex('environments_tenant_name_idx').on(t.tenant, t.name)],
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

/**
 * The handover of an environment to a deploy generation: one row per generation that registered
 * as a candidate. `epoch` is the epoch of the token its promotion issued (null before promotion).
 */
export const deployments = pgTable(
  'deployments',
  {
    environmentId: uuid('environment_id')
      .notNull()
      .references(() => environments.id, { onDelete: 'cascade' }),
    deployGeneration: int53('deploy_generation').notNull(),
    state: text('state', { enum: DEPLOYMENT_STATES }).notNull(),
    holder: text('holder').notNull(),
    epoch: int53('epoch'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    readyAt: timestamptz('ready_at'),
    promotedAt: timestamptz('promoted_at'),
    fencedAt: timestamptz('fenced_at'),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.deployGeneration] }),
    check('deployments_state_check', sql.raw(`state in (${DEPLOYMENT_STATES.map((s) => `'${s}'`).join(', ')})`)),
  ],
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

export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    /** Null delivers events of every environment. */
    environments: text('environments').array(),
    description: text('description').notNull().default(''),
    enabled: boolean('enabled').notNull().default(true),
    disabledReason: text('disabled_reason'),
    /**
     * Whether deliveries may go to private, loopback and link-local addresses: the setting of the
     * replica that registered the URL, so every replica delivers by the same rule.
     */
    allowPrivate: boolean('allow_private').notNull().default(false),
    /**
     * The signing secret (`whsec_…`), encrypted (src/secrets.ts) with this row's id as associated
     * data: not hashed, because every delivery is signed with it.
     */
    secret: text('secret').notNull(),
    /** The secret before the last rotation, encrypted alike, which still signs until `previousSecretExpiresAt`. */
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamptz('previous_secret_expires_at'),
    /** Start of the current run of failed attempts; null while the endpoint is healthy. */
    failingSince: timestamptz('failing_since'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenant, t.id)],
);

/** The transactional outbox: written in the transaction of the change the event describes. */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    type: text('type').notNull(),
    /** The environment the event is about; null for events of no environment (webhook.test). */
    environment: text('environment'),
    /** The exact JSON body every delivery of this event sends, so retries are byte-identical. */
    payload: text('payload').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    /**
     * The writing transaction's id. The event feed shows an event only once every transaction
     * with a smaller id has ended, so a reader that resumes from a cursor never misses one.
     */
    txid: int53('txid').notNull().default(sql`(pg_current_xact_id()::text)::bigint`),
  },
  (t) => [
    index('events_tenant_idx').on(t.tenant, t.createdAt),
    index('events_feed_idx').on(t.tenant, t.txid, t.id),
    index('events_environment_idx').on(t.tenant, t.environment, t.createdAt),
  ],
);

export const deliveries = pgTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When the next attempt is due; while an attempt is in flight, when its claim expires. */
    nextAttemptAt: timestamptz('next_attempt_at').notNull().defaultNow(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('deliveries_endpoint_idx').on(t.endpointId, t.createdAt),
  ],
);

export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: uuid('id').primaryKey(),
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => deliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestamptz('attempted_at').notNull(),
    statusCode: integer('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    /** The first KiB of the response body. */
    responseBody: text('response_body'),
    nextRetryAt: timestamptz('next_retry_at'),
  },
  (t) => [index('delivery_attempts_delivery_idx').on(t.deliveryId, t.attemptedAt)],
);

/** Per-tenant overrides of the configured limits; a null column means the configured default. */
export const tenantLimits = pgTable('tenant_limits', {
  tenant: text('tenant').primaryKey(),
  requestRate: integer('request_rate'),
  requestBurst: integer('request_burst'),
  environments: integer('environments'),
  logEntries: int53('log_entries'),
  webhooks: integer('webhooks'),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

/**
 * Responses to requests sent with an Idempotency-Key, written in the same transaction as the work
 * they describe, so a retry either finds the response or finds that nothing happened.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The tenant, or `:admin` for the admin routes. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the method, path and body: the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    status: integer('status').notNull(),
    contentType: text('content_type'),
    /** Encrypted under the Idempotency-Key and the server's key: it may hold a secret shown once. */
    body: text('body').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);
