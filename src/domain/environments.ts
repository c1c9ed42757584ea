import type { Database, Transaction } from '../db/client.js';
import {
  countLiveEnvironments,
  type EnvironmentRow,
  type EnvironmentState,
  findLiveEnvironment,
  insertEnvironment,
  lockEnvironmentRow,
  reviveEnvironment,
  toState,
  writeTombstone,
} from '../db/environments.js';
import { lockTenantQuota } from '../db/limits.js';
import type { Wakeup } from '../db/wakeups.js';
import { assertRoomForEnvironment } from './quotas.js';
import { notFound } from './refusal.js';

export function environmentMissing(name: string) {
  return notFound(`Environment '${name}' does not exist.`);
}

/** The live environment row; `not_found` when absent or deleted. */
export async function findEnvironment(
  db: Database | Transaction,
  tenant: string,
  name: string,
): Promise<EnvironmentRow> {
  const row = await findLiveEnvironment(db, tenant, name);
  if (!row) throw environmentMissing(name);
  return row;
}

/** The live environment row, locked until the transaction ends; `not_found` when absent or deleted. */
export async function lockEnvironment(tx: Transaction, tenant: string, name: string): Promise<EnvironmentRow> {
  const row = await lockEnvironmentRow(tx, tenant, name);
  if (!row || row.deletedAt) throw environmentMissing(name);
  return row;
}

/**
 * Locks the environment's row, creating it (or bringing a deleted one back) when needed, within
 * the tenant's quota. `created` is true when the environment did not exist before this call.
 */
export async function lockOrCreateEnvironment(
  tx: Transaction,
  tenant: string,
  name: string,
  maxEnvironments: number,
): Promise<{ row: EnvironmentRow; created: boolean }> {
  const existing = await lockEnvironmentRow(tx, tenant, name);
  if (existing && !existing.deletedAt) return { row: existing, created: false };

  // Serialized per tenant, so two concurrent creations cannot both see room for one more.
  await lockTenantQuota(tx, 'environments', tenant);
  assertRoomForEnvironment(await countLiveEnvironments(tx, tenant), maxEnvironments);

  if (existing) return { row: await reviveEnvironment(tx, existing.id), created: true };
  const inserted = await insertEnvironment(tx, tenant, name);
  if (inserted) return { row: inserted, created: true };
  // Another transaction created it since our first look; it has committed, so it can be locked now.
  return { row: (await lockEnvironmentRow(tx, tenant, name))!, created: false };
}

export async function putEnvironment(
  db: Database,
  tenant: string,
  name: string,
  maxEnvironments: number,
): Promise<{ environment: EnvironmentState; created: boolean }> {
  return db.transaction(async (tx) => {
    const { row, created } = await lockOrCreateEnvironment(tx, tenant, name, maxEnvironments);
    return { environment: toState(row), created };
  });
}

export async function getEnvironment(db: Database, tenant: string, name: string): Promise<EnvironmentState> {
  return toState(await findEnvironment(db, tenant, name));
}

/**
 * Deletes the environment's log and history, keeping the last token issued in its tombstone, so
 * tokens issued after the name is reused are greater than every token before.
 */
export async function deleteEnvironment(db: Database, tenant: string, name: string, wakeups: Wakeup[]): Promise<void> {
  await db.transaction(async (tx) => {
    await writeTombstone(tx, tenant, await lockEnvironment(tx, tenant, name), wakeups);
  });
}
