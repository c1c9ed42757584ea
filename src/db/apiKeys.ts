import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { apiKeys } from './schema.js';

export type ApiKeyRecord = { id: string; tenant: string; name: string; createdAt: Date };

const KEY_PREFIX = 'pal_';

/** Carries the id of each revoked key to every replica, which drop it from their caches and close its watch streams. */
export const API_KEYS_CHANNEL = 'palisade_api_keys';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key for `tenant` (the tenant exists from its first key) and returns it once. */
export async function createApiKey(
  db: Database,
  tenant: string,
  name: string,
): Promise<ApiKeyRecord & { key: string }> {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(apiKeys)
    .values({ id: `key_${randomBytes(12).toString('hex')}`, tenant, name, keyHash: hashKey(key) })
    .returning({
      id: apiKeys.id,
      tenant: apiKeys.tenant,
      name: apiKeys.name,
      createdAt: apiKeys.createdAt,
    });
  return { ...row!, key };
}

/** Revokes a key; false when no such key exists. Revoking twice is not an error. */
export async function revokeApiKey(db: Database, id: string): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(eq(apiKeys.id, id))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}

/** The tenant a live key belongs to. The lookup is by hash, so no key is compared as text. */
export async function findKeyOwner(db: Database, key: string): Promise<{ keyId: string; tenant: string } | null> {
  const [row] = await db
    .select({ keyId: apiKeys.id, tenant: apiKeys.tenant })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, hashKey(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}

/**
 * Tells every replica listening that `keyId` was revoked. Sent on its own after the revocation
 * committed: a notification is only a hint, and one lost is made up for by the replicas' checks.
 */
export async function announceRevocation(db: Database, keyId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${API_KEYS_CHANNEL}, ${keyId})`);
}

/** Which of `ids` are revoked keys. */
export async function revokedAmong(db: Database, ids: string[]): Promise<string[]> {
  const rows = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(sql`${apiKeys.id} = any(${sql.param(ids)}::text[])`, isNotNull(apiKeys.revokedAt)));
  return rows.map((row) => row.id);
}
