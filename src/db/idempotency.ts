import { and, eq, lt, sql } from 'drizzle-orm';
import { type Database, rowsOf, type Transaction } from './client.js';
import { idempotencyKeys } from './schema.js';

/** How long a key's response is kept and replayed. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

/** `body` is sealed (src/secrets.ts) under the Idempotency-Key, bound to `responseBinding`. */
export type StoredResponse = { fingerprint: string; status: number; contentType: string | null; body: string };

/** What a stored response is sealed to: its scope and request, so it opens in no other row. */
export function responseBinding(scope: string, fingerprint: string): string {
  return `${scope}\n${fingerprint}`;
}

/**
 * Takes the key for this transaction without waiting: false when another request holding the
 * same key is still running.
 */
export async function tryLockKey(tx: Transaction, scope: string, key: string): Promise<boolean> {
  const rows = rowsOf<{ locked: boolean }>(
    await tx.execute(sql`select pg_try_advisory_xact_lock(3, hashtext(${`${scope}\n${key}`})) as locked`),
  );
  return rows[0]?.locked === true;
}

/** The stored response for the key, unless it has expired. */
export async function findResponse(tx: Transaction, scope: string, key: string): Promise<StoredResponse | null> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.scope, scope),
        eq(idempotencyKeys.key, key),
        sql`${idempotencyKeys.createdAt} > now() - ${`${IDEMPOTENCY_KEY_TTL_MS} milliseconds`}::interval`,
      ),
    );
  return row
    ? { fingerprint: row.fingerprint, status: row.status, contentType: row.contentType, body: row.body }
    : null;
}

/** How many unexpired keys the scope holds, and how long until the oldest of them expires. */
export async function liveKeyUsage(
  tx: Transaction,
  scope: string,
): Promise<{ count: number; oldestExpiresInMs: number }> {
  const rows = rowsOf<{ count: number | string; expires_in_ms: number | string | null }>(
    await tx.execute(sql`
      select count(*) as count,
             extract(epoch from (min(${idempotencyKeys.createdAt}) + ${`${IDEMPOTENCY_KEY_TTL_MS} milliseconds`}::interval - now())) * 1000 as expires_in_ms
      from ${idempotencyKeys}
      where ${idempotencyKeys.scope} = ${scope}
        and ${idempotencyKeys.createdAt} > now() - ${`${IDEMPOTENCY_KEY_TTL_MS} milliseconds`}::interval`),
  );
  return { count: Number(rows[0]?.count ?? 0), oldestExpiresInMs: Number(rows[0]?.expires_in_ms ?? 0) };
}

export async function storeResponse(
  tx: Transaction,
  scope: string,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await tx
    .insert(idempotencyKeys)
    .values({ scope, key, ...response })
    .onConflictDoUpdate({
      target: [idempotencyKeys.scope, idempotencyKeys.key],
      set: { ...response, createdAt: sql`now()` },
    });
}

/** Deletes expired keys; returns how many. */
export async function sweepExpiredKeys(db: Database): Promise<number> {
  const rows = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - ${`${IDEMPOTENCY_KEY_TTL_MS} milliseconds`}::interval`))
    .returning({ key: idempotencyKeys.key });
  return rows.length;
}
