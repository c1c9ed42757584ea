import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, gt, lte, sql, type Column } from 'drizzle-orm';
import type { Keyring } from '../secrets.js';
import type { Database, Transaction } from './client.js';
import { DISPATCHERS_WAKEUP, type EventType, recordEvent } from './events.js';
import { newId } from './ids.js';
import { keysetPage, type Page } from './pages.js';
import { deliveries, deliveryAttempts, events, webhookEndpoints } from './schema.js';
import type { Wakeup } from './wakeups.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof deliveryAttempts.$inferSelect;

/** A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * `column` is one of `values`, which are bound as one array parameter: the statement text is the
 * same for any number of values, so it stays one prepared statement (`inArray` spells each out).
 */
function isAnyOf(column: Column, values: string[]) {
  return sql`${column} = any(${sql.param(values)}::text[])`;
}

export type EndpointInput = {
  url: string;
  /** The destination rule the URL was checked by, kept for its deliveries. */
  allowPrivate: boolean;
  events: EventType[];
  environments: string[] | null;
  description: string;
};

/** An endpoint as stored, with its new signing secret in clear: shown once, stored only sealed. */
export type EndpointWithSecret = { endpoint: EndpointRow; secret: string };

export async function countEndpoints(tx: Transaction, tenant: string): Promise<number> {
  const [existing] = await tx
    .select({ count: count() })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.tenant, tenant));
  return existing!.count;
}

export async function insertEndpoint(
  tx: Transaction,
  keyring: Keyring,
  tenant: string,
  input: EndpointInput,
): Promise<EndpointWithSecret> {
  const id = newId('wh');
  const secret = newSecret();
  const [row] = await tx
    .insert(webhookEndpoints)
    .values({ id, tenant, secret: keyring.sealWebhookSecret(id, secret), ...input })
    .returning();
  return { endpoint: row!, secret };
}

export async function getEndpoint(db: Database, tenant: string, id: string): Promise<EndpointRow | null> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenant, tenant), eq(webhookEndpoints.id, id)));
  return row ?? null;
}

export async function listEndpoints(
  db: Database,
  tenant: string,
  page: { limit: number; afterId: string | null },
): Promise<Page<EndpointRow>> {
  return keysetPage(page.limit, (rowsWanted) =>
    db
      .select()
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.tenant, tenant),
          page.afterId === null ? undefined : gt(webhookEndpoints.id, page.afterId),
        ),
      )
      .orderBy(asc(webhookEndpoints.id))
      .limit(rowsWanted),
  );
}

/**
 * Changes an endpoint; null when the tenant has no such endpoint. Enabling it again also requeues
 * its failed deliveries, so every event still reaches it at least once.
 */
export async function updateEndpoint(
  db: Database,
  tenant: string,
  id: string,
  patch: Partial<Omit<EndpointInput, 'url' | 'allowPrivate'>> & {
    enabled?: boolean;
    destination?: Pick<EndpointInput, 'url' | 'allowPrivate'>;
  },
  wakeups: Wakeup[],
): Promise<EndpointRow | null> {
  const { destination, ...fields } = patch;
  const reenable = patch.enabled === true ? { disabledReason: null, failingSince: null } : {};
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({ ...fields, ...destination, ...reenable, updatedAt: sql`now()` })
      .where(and(eq(webhookEndpoints.tenant, tenant), eq(webhookEndpoints.id, id)))
      .returning();
    if (!row) return null;
    if (patch.enabled === true) {
      const requeued = await tx
        .update(deliveries)
        .set({ status: 'pending', nextAttemptAt: sql`now()` })
        .where(and(eq(deliveries.endpointId, id), eq(deliveries.status, 'failed')))
        .returning({ id: deliveries.id });
      if (requeued.length > 0) wakeups.push(DISPATCHERS_WAKEUP);
    }
    return row;
  });
}

/** False when the tenant has no such endpoint. */
export async function deleteEndpoint(db: Database, tenant: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenant, tenant), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

/**
 * Issues a new secret; the old one keeps signing, beside it, for `overlapMs`. It moves to the other
 * column still sealed: both are sealed with the endpoint's id as associated data. Null when the
 * tenant has no such endpoint.
 */
export async function rotateSecret(
  db: Database,
  keyring: Keyring,
  tenant: string,
  id: string,
  overlapMs: number,
): Promise<EndpointWithSecret | null> {
  const secret = newSecret();
  const [row] = await db
    .update(webhookEndpoints)
    .set({
      previousSecret: webhookEndpoints.secret,
      previousSecretExpiresAt: sql`now() + ${`${overlapMs} milliseconds`}::interval`,
      secret: keyring.sealWebhookSecret(id, secret),
      updatedAt: sql`now()`,
    })
    .where(and(eq(webhookEndpoints.tenant, tenant), eq(webhookEndpoints.id, id)))
    .returning();
  if (!row) return null;
  return { endpoint: row, secret };
}

export type ClaimedDelivery = {
  id: string;
  eventId: string;
  attempts: number;
  payload: string;
  endpoint: Pick<
    EndpointRow,
    'id' | 'url' | 'allowPrivate' | 'secret' | 'previousSecret' | 'previousSecretExpiresAt' | 'failingSince'
  >;
};

/**
 * Claims up to `limit` due deliveries of enabled endpoints. SKIP LOCKED lets every replica claim at
 * once without waiting on each other; the claim is a lease (`next_attempt_at` moved `leaseMs` ahead),
 * so a delivery claimed by a process that dies is claimed again once the lease runs out.
 */
export async function claimDueDeliveries(db: Database, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: deliveries.id })
      .from(deliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, deliveries.endpointId))
      .where(
        and(
          eq(deliveries.status, 'pending'),
          lte(deliveries.nextAttemptAt, sql`now()`),
          eq(webhookEndpoints.enabled, true),
        ),
      )
      .orderBy(asc(deliveries.nextAttemptAt))
      .limit(limit)
      .for('update', { of: deliveries, skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx
      .update(deliveries)
      .set({ nextAttemptAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where(isAnyOf(deliveries.id, ids));
    const rows = await tx
      .select({
        id: deliveries.id,
        eventId: deliveries.eventId,
        attempts: deliveries.attempts,
        payload: events.payload,
        endpoint: {
          id: webhookEndpoints.id,
          url: webhookEndpoints.url,
          allowPrivate: webhookEndpoints.allowPrivate,
          secret: webhookEndpoints.secret,
          previousSecret: webhookEndpoints.previousSecret,
          previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
          failingSince: webhookEndpoints.failingSince,
        },
      })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, deliveries.endpointId))
      .where(isAnyOf(deliveries.id, ids));
    return rows;
  });
}

export type AttemptOutcome = { kind: 'succeeded' } | { kind: 'retry'; at: Date } | { kind: 'failed' };

/**
 * Records one attempt and its consequence for the delivery and the endpoint, in one transaction;
 * a `disableReason` disables the endpoint.
 */
export async function recordAttempt(
  db: Database,
  delivery: ClaimedDelivery,
  attempt: Omit<AttemptRow, 'id' | 'deliveryId' | 'nextRetryAt'>,
  outcome: AttemptOutcome,
  disableReason: string | null,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(deliveryAttempts).values({
      id: randomUUID(),
      deliveryId: delivery.id,
      ...attempt,
      nextRetryAt: outcome.kind === 'retry' ? outcome.at : null,
    });
    await tx
      .update(deliveries)
      .set({
        status: outcome.kind === 'retry' ? 'pending' : outcome.kind,
        attempts: sql`${deliveries.attempts} + 1`,
        nextAttemptAt: outcome.kind === 'retry' ? outcome.at : attempt.attemptedAt,
      })
      .where(eq(deliveries.id, delivery.id));
    await tx
      .update(webhookEndpoints)
      .set(
        outcome.kind === 'succeeded'
          ? { failingSince: null }
          : {
              failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${attempt.attemptedAt.toISOString()}::timestamptz)`,
              ...(disableReason ? { enabled: false, disabledReason: disableReason, updatedAt: sql`now()` } : {}),
            },
      )
      .where(eq(webhookEndpoints.id, delivery.endpoint.id));
  });
}

/** Makes a delivery of the endpoint due now again, whatever its status; false when it has no such delivery. */
export async function redeliver(
  db: Database,
  endpointId: string,
  deliveryId: string,
  wakeups: Wakeup[],
): Promise<boolean> {
  const rows = await db
    .update(deliveries)
    .set({ status: 'pending', nextAttemptAt: sql`now()` })
    .where(and(eq(deliveries.id, deliveryId), eq(deliveries.endpointId, endpointId)))
    .returning({ id: deliveries.id });
  if (rows.length === 0) return false;
  wakeups.push(DISPATCHERS_WAKEUP);
  return true;
}

export type DeliveryView = DeliveryRow & { eventType: string; attemptList: AttemptRow[] };

/** The endpoint's deliveries, newest first, each with its attempts. */
export async function listDeliveries(
  db: Database,
  endpointId: string,
  page: { limit: number; beforeId: string | null },
): Promise<Page<DeliveryView>> {
  const { items, hasMore } = await keysetPage(page.limit, (rowsWanted) =>
    db
      .select({ delivery: deliveries, eventType: events.type })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .where(
        and(
          eq(deliveries.endpointId, endpointId),
          page.beforeId === null ? undefined : sql`${deliveries.id} < ${page.beforeId}`,
        ),
      )
      .orderBy(desc(deliveries.id))
      .limit(rowsWanted),
  );
  const attempts =
    items.length === 0
      ? []
      : await db
          .select()
          .from(deliveryAttempts)
          .where(
            isAnyOf(
              deliveryAttempts.deliveryId,
              items.map((r) => r.delivery.id),
            ),
          )
          .orderBy(asc(deliveryAttempts.attemptedAt));
  return {
    items: items.map((r) => ({
      ...r.delivery,
      eventType: r.eventType,
      attemptList: attempts.filter((a) => a.deliveryId === r.delivery.id),
    })),
    hasMore,
  };
}

/** When the earliest pending delivery of an enabled endpoint is due, or null when none is pending. */
export async function nextDueAt(db: Database): Promise<Date | null> {
  const [row] = await db
    .select({ at: deliveries.nextAttemptAt })
    .from(deliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, deliveries.endpointId))
    .where(and(eq(deliveries.status, 'pending'), eq(webhookEndpoints.enabled, true)))
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(1);
  return row?.at ?? null;
}

/** Emits a `webhook.test` event to this one endpoint, whether or not it subscribes to it. */
export async function sendTestEvent(
  db: Database,
  tenant: string,
  endpoint: EndpointRow,
  wakeups: Wakeup[],
): Promise<string> {
  return db.transaction((tx) =>
    recordEvent(
      tx,
      {
        tenant,
        type: 'webhook.test',
        environment: null,
        endpointId: endpoint.id,
        data: { endpoint_id: endpoint.id, message: 'This is a test event from Palisade.' },
      },
      wakeups,
    ),
  );
}

/** Seconds the oldest due delivery of an enabled endpoint has waited; 0 when none is due. */
export async function oldestDueDeliveryAge(db: Database): Promise<number> {
  const due = await nextDueAt(db);
  return due === null ? 0 : Math.max(0, (Date.now() - due.getTime()) / 1000);
}
