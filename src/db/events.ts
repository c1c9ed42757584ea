import { and, arrayContains, asc, eq, isNull, or, sql } from 'drizzle-orm';
import { type Database, rowsOf, type Transaction } from './client.js';
import { newId } from './ids.js';
import { deliveries, events, webhookEndpoints } from './schema.js';
import type { Wakeup } from './wakeups.js';

export const EVENT_TYPES = [
  'generation.fenced',
  'epoch.fenced',
  'environment.deleted',
  'deployment.ready_to_promote',
  'deployment.promoted',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The events a watch stream carries besides the token's. */
export const DEPLOYMENT_EVENT_TYPES = ['deployment.ready_to_promote', 'deployment.promoted'] as const;

/** The channel the outbox notifies after a commit that made deliveries due. */
export const DELIVERIES_CHANNEL = 'palisade_deliveries';

/** Wakes the dispatchers; sent once the write that made deliveries due has committed. */
export const DISPATCHERS_WAKEUP: Wakeup = { channel: DELIVERIES_CHANNEL, payload: '' };

/**
 * The channel told, after commit, of every change watchers follow: the payload is `tenant` LF `name`
 * LF the topic (`token` for fences and deletes, `deployments` for the handover).
 */
export const ENVIRONMENTS_CHANNEL = 'palisade_environments';

export type WatchTopic = 'token' | 'deployments';

/** The wake-up of the environment's watchers, to send once the change has committed. */
export function watchersWakeup(tenant: string, name: string, topic: WatchTopic = 'token'): Wakeup {
  return { channel: ENVIRONMENTS_CHANNEL, payload: `${tenant}\n${name}\n${topic}` };
}

/**
 * Writes an event and one delivery per matching enabled endpoint, inside the caller's transaction
 * (the outbox); adds the dispatchers' wake-up to `wakeups` when it made deliveries due.
 */
export async function recordEvent(
  tx: Transaction,
  event: { tenant: string; type: EventType; data: unknown; environment: string | null; endpointId?: string },
  wakeups: Wakeup[],
): Promise<string> {
  const id = newId('evt');
  const createdAt = new Date();
  const payload = JSON.stringify({ type: event.type, timestamp: createdAt.toISOString(), data: event.data });
  // One round trip: PostgreSQL runs a data-modifying WITH even though the query does not read it.
  const inserted = tx
    .$with('inserted_event')
    .as(
      tx
        .insert(events)
        .values({ id, tenant: event.tenant, type: event.type, environment: event.environment, payload, createdAt })
        .returning({ id: events.id }),
    );
  const matching = await tx
    .with(inserted)
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.tenant, event.tenant),
        event.endpointId === undefined
          ? and(
              eq(webhookEndpoints.enabled, true),
              arrayContains(webhookEndpoints.events, [event.type]),
              event.environment === null
                ? undefined
                : or(
                    isNull(webhookEndpoints.environments),
                    arrayContains(webhookEndpoints.environments, [event.environment]),
                  ),
            )
          : eq(webhookEndpoints.id, event.endpointId),
      ),
    );
  if (matching.length > 0) {
    const deliveryIds = matching.map(() => newId('dlv'));
    const endpointIds = matching.map((endpoint) => endpoint.id);
    // As arrays, so the statement text is the same for any number of endpoints.
    await tx.execute(sql`
      insert into ${deliveries} (id, event_id, endpoint_id)
      select delivery.id, ${id}, delivery.endpoint_id
      from unnest(${sql.param(deliveryIds)}::text[], ${sql.param(endpointIds)}::text[]) as delivery(id, endpoint_id)`);
    wakeups.push(DISPATCHERS_WAKEUP);
  }
  return id;
}

/**
 * A place in the feed: events are ordered by the id of their writing transaction, then by their own.
 * An empty `id` stands before every event of transaction `txid`.
 */
export type FeedPosition = { txid: number; id: string };

/** Where a reader that has seen nothing is: before every event. */
export const FEED_START: FeedPosition = { txid: 0, id: '' };

export function isAfter(position: FeedPosition, other: FeedPosition): boolean {
  return position.txid > other.txid || (position.txid === other.txid && position.id > other.id);
}

export type FeedEvent = { id: string; payload: string; position: FeedPosition };

/** The oldest transaction still running when the statement's snapshot was taken, or the next one. */
const horizonXmin = sql`(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`;

/**
 * Only events of transactions older than every transaction still running are shown (settled): an
 * event can never appear behind a position a reader already holds.
 */
const settled = sql`${events.txid} < ${horizonXmin}`;

const after = (position: FeedPosition) => sql`(${events.txid}, ${events.id}) > (${position.txid}, ${position.id})`;

/** The tenant's events after `after`, in the order their transactions took ids (see `settled`). */
export async function listEvents(
  db: Database,
  tenant: string,
  page: { after: FeedPosition; limit: number },
): Promise<FeedEvent[]> {
  const rows = await db
    .select({ id: events.id, payload: events.payload, txid: events.txid })
    .from(events)
    .where(and(eq(events.tenant, tenant), after(page.after), settled))
    .orderBy(asc(events.txid), asc(events.id))
    .limit(page.limit);
  return rows.map((r) => ({ id: r.id, payload: r.payload, position: { txid: r.txid, id: r.id } }));
}

export type DeploymentEvent = FeedEvent & { type: (typeof DEPLOYMENT_EVENT_TYPES)[number] };

/**
 * The environment's deployment events after `from` in feed order, and the feed's horizon: every
 * event before it has been shown and every event shown later comes after it, so a reader resumes
 * from the horizon. `unsettled` are the ids of the events already committed beyond the horizon,
 * which the feed shows later: a reader starting from `'now'` (the horizon) skips them. One
 * statement, so all of it comes from one snapshot.
 */
export async function deploymentEventsAfter(
  db: Database,
  tenant: string,
  name: string,
  from: FeedPosition | 'now',
): Promise<{ events: DeploymentEvent[]; horizon: FeedPosition; unsettled: string[] }> {
  const start = from === 'now' ? sql`${events.txid} >= horizon.xmin` : after(from);
  // Bigints as text: neither driver maps them to numbers in a raw query.
  const rows = rowsOf<{
    xmin: string;
    id: string | null;
    type: string;
    payload: string;
    txid: string;
    settled: boolean;
  }>(
    await db.execute(sql`
      with horizon as (select ${horizonXmin} as xmin)
      select horizon.xmin::text as xmin, event.id, event.type, event.payload, event.txid::text as txid,
             event.txid < horizon.xmin as settled
      from horizon left join lateral (
        select ${events.id} as id, ${events.type} as type, ${events.payload} as payload, ${events.txid} as txid
        from ${events}
        where ${events.tenant} = ${tenant}
          and ${start}
          and ${events.environment} = ${name}
          and ${events.type} = any(${sql.param([...DEPLOYMENT_EVENT_TYPES])}::text[])
      ) as event on true
      order by event.txid, event.id`),
  );
  const found = rows.filter((r) => r.id !== null);
  return {
    events: found
      .filter((r) => r.settled)
      .map((r) => ({
        id: r.id!,
        type: r.type as DeploymentEvent['type'],
        payload: r.payload,
        position: { txid: Number(r.txid), id: r.id! },
      })),
    horizon: { txid: Number(rows[0]!.xmin), id: '' },
    unsettled: found.filter((r) => !r.settled).map((r) => r.id!),
  };
}
