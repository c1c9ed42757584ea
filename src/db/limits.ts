import { eq, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { tenantLimits } from './schema.js';

export type LimitOverrides = {
  requestRate: number | null;
  requestBurst: number | null;
  environments: number | null;
  logEntries: number | null;
  webhooks: number | null;
};

export const NO_OVERRIDES: LimitOverrides = {
  requestRate: null,
  requestBurst: null,
  environments: null,
  logEntries: null,
  webhooks: null,
};

export async function getLimitOverrides(db: Database, tenant: string): Promise<LimitOverrides> {
  const [row] = await db.select().from(tenantLimits).where(eq(tenantLimits.tenant, tenant));
  if (!row) return NO_OVERRIDES;
  const { tenant: _tenant, updatedAt: _updatedAt, ...overrides } = row;
  return overrides;
}

/** Replaces a tenant's overrides; a null clears one back to the configured default. */
export async function setLimitOverrides(db: Database, tenant: string, overrides: LimitOverrides): Promise<void> {
  await db
    .insert(tenantLimits)
    .values({ tenant, ...overrides })
    .onConflictDoUpdate({ target: tenantLimits.tenant, set: { ...overrides, updatedAt: sql`now()` } });
}

/**
 * Serializes the quota checks of one tenant's creations of one kind, so two concurrent creations
 * cannot both see room for one more.
 */
export async function lockTenantQuota(
  tx: Pick<Database, 'execute'>,
  kind: 'environments' | 'webhooks',
  tenant: string,
): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${kind === 'environments' ? 1 : 2}, hashtext(${tenant}))`);
}
