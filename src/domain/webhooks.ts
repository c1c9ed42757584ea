import type { Database } from '../db/client.js';
import { lockTenantQuota } from '../db/limits.js';
import type { Page } from '../db/pages.js';
import type { Wakeup } from '../db/wakeups.js';
import {
  countEndpoints,
  deleteEndpoint as deleteEndpointRow,
  type DeliveryView,
  type EndpointInput,
  type EndpointRow,
  type EndpointWithSecret,
  getEndpoint as findEndpoint,
  insertEndpoint,
  listDeliveries as readDeliveries,
  redeliver as requeueDelivery,
  rotateSecret as rotateSecretRow,
  sendTestEvent as recordTestEvent,
  updateEndpoint as updateEndpointRow,
} from '../db/webhooks.js';
import type { Keyring } from '../secrets.js';
import { assertRoomForWebhook } from './quotas.js';
import { notFound } from './refusal.js';

function endpointMissing(id: string) {
  return notFound(`Webhook endpoint '${id}' does not exist.`);
}

/** Registers an endpoint within the tenant's quota, with a new signing secret shown once. */
export async function createEndpoint(
  db: Database,
  keyring: Keyring,
  tenant: string,
  input: EndpointInput,
  maxWebhooks: number,
): Promise<EndpointWithSecret> {
  return db.transaction(async (tx) => {
    // Serialized per tenant, so two concurrent creations cannot both see room for one more.
    await lockTenantQuota(tx, 'webhooks', tenant);
    assertRoomForWebhook(await countEndpoints(tx, tenant), maxWebhooks);
    return insertEndpoint(tx, keyring, tenant, input);
  });
}

export async function getEndpoint(db: Database, tenant: string, id: string): Promise<EndpointRow> {
  const row = await findEndpoint(db, tenant, id);
  if (!row) throw endpointMissing(id);
  return row;
}

export async function updateEndpoint(
  db: Database,
  tenant: string,
  id: string,
  patch: Parameters<typeof updateEndpointRow>[3],
  wakeups: Wakeup[],
): Promise<EndpointRow> {
  const row = await updateEndpointRow(db, tenant, id, patch, wakeups);
  if (!row) throw endpointMissing(id);
  return row;
}

export async function deleteEndpoint(db: Database, tenant: string, id: string): Promise<void> {
  if (!(await deleteEndpointRow(db, tenant, id))) throw endpointMissing(id);
}

/** Issues a new secret; the old one keeps signing, beside it, for `overlapMs`. */
export async function rotateSecret(
  db: Database,
  keyring: Keyring,
  tenant: string,
  id: string,
  overlapMs: number,
): Promise<EndpointWithSecret> {
  const rotated = await rotateSecretRow(db, keyring, tenant, id, overlapMs);
  if (!rotated) throw endpointMissing(id);
  return rotated;
}

/** Makes a delivery of the tenant's endpoint due now again, whatever its status. */
export async function redeliver(
  db: Database,
  tenant: string,
  endpointId: string,
  deliveryId: string,
  wakeups: Wakeup[],
): Promise<void> {
  await getEndpoint(db, tenant, endpointId);
  if (!(await requeueDelivery(db, endpointId, deliveryId, wakeups))) {
    throw notFound(`Delivery '${deliveryId}' does not exist for this endpoint.`);
  }
}

export async function listDeliveries(
  db: Database,
  tenant: string,
  endpointId: string,
  page: { limit: number; beforeId: string | null },
): Promise<Page<DeliveryView>> {
  await getEndpoint(db, tenant, endpointId);
  return readDeliveries(db, endpointId, page);
}

/** Emits a `webhook.test` event to this one endpoint, whether or not it subscribes to it. */
export async function sendTestEvent(db: Database, tenant: string, id: string, wakeups: Wakeup[]): Promise<string> {
  return recordTestEvent(db, tenant, await getEndpoint(db, tenant, id), wakeups);
}
