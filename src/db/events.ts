import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { events } from './schema.js';

export type FeedPosition = { txid: number; id: string };

export type FeedEvent = { id: string; payload: string; position: FeedPosition };

/**
 * The tenant's events after `after`, in the order their transactions took ids, showing only events
 * of transactions older than every transaction still running: an event can never appear behind a
 * cursor a reader already holds.
 */
export async function listEvents(
  db: Database,
  tenant: string,
  page: { after: FeedPosition | null; limit: number },
): Promise<FeedEvent[]> {
  const rows = await db
    .select({ id: events.id, payload: events.payload, txid: events.txid })
    .from(events)
    .where(
      and(
        eq(events.tenant, tenant),
        page.after === null ? undefined : sql`(${events.txid}, ${events.id}) > (${page.after.txid}, ${page.after.id})`,
        sql`${events.txid} < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`,
      ),
    )
    .orderBy(asc(events.txid), asc(events.id))
    .limit(page.limit);
  return rows.map((r) => ({ id: r.id, payload: r.payload, position: { txid: r.txid, id: r.id } }));
}
