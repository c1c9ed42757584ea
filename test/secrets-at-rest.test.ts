import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, rowsOf } from '../src/db/client.js';
import { storageBackends } from './support/database.js';
import { type Harness, json, type Tenant, useHarness } from './support/harness.js';
import { type Received, WebhookReceiver } from './support/receiver.js';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function startReceiver(): Promise<WebhookReceiver> {
  const receiver = await WebhookReceiver.start();
  receivers.push(receiver);
  return receiver;
}

type Found = { table: string; column: string; needle: string };

/**
 * Every needle found in any column of any table outside the system schemas, each column cast to
 * text. The tables and columns come from the catalog, so a table added later is searched too.
 */
async function findInEveryColumn(db: Database, needles: string[]): Promise<Found[]> {
  const columns = rowsOf<{ table_schema: string; table_name: string; column_name: string }>(
    await db.execute(sql`
      select c.table_schema, c.table_name, c.column_name
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where t.table_type = 'BASE TABLE'
        and c.table_schema not in ('pg_catalog', 'information_schema')
        and c.table_schema not like 'pg\\_%'
      order by 1, 2, c.ordinal_position`),
  );
  expect(columns.length, 'the catalog lists the tables').toBeGreaterThan(20);
  const found: Found[] = [];
  for (const { table_schema, table_name, column_name } of columns) {
    const rows = rowsOf<{ needle: string }>(
      await db.execute(sql`
        select needle from unnest(${sql.param(needles)}::text[]) as needle
        where exists (
          select 1 from ${sql.identifier(table_schema)}.${sql.identifier(table_name)}
          where strpos(${sql.identifier(column_name)}::text, needle) > 0
        )`),
    );
    for (const { needle } of rows) found.push({ table: `${table_schema}.${table_name}`, column: column_name, needle });
  }
  return found;
}

/** The request, then its replay under the same Idempotency-Key: the replay is the first answer, byte for byte. */
async function sendAndReplay(
  h: Harness,
  method: string,
  path: string,
  options: { key: string; body?: unknown; idempotencyKey: string },
): Promise<Record<string, any>> {
  const call = { key: options.key, body: options.body, headers: { 'idempotency-key': options.idempotencyKey } };
  const first = await h.request(method, path, call);
  const firstText = await first.text();
  expect(first.status, firstText).toBeLessThan(300);
  const replay = await h.request(method, path, call);
  expect(replay.status).toBe(first.status);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(await replay.text()).toBe(firstText);
  return JSON.parse(firstText) as Record<string, any>;
}

function verifiesWith(secret: string, received: Received): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

async function sendTestEvent(h: Harness, t: Tenant, receiver: WebhookReceiver, endpointId: string): Promise<Received> {
  const sent = await h.request('POST', `/v1/webhooks/${endpointId}/test`, { key: t.key });
  expect(sent.status).toBe(202);
  const eventId = (await json(sent)).event_id as string;
  const received = await receiver.waitFor((all) => all.some((r) => r.id === eventId));
  return received.find((r) => r.id === eventId)!;
}

describe.each(storageBackends)('no secret at rest in clear (%s)', (backend) => {
  const harness = useHarness(backend, { dispatcher: {} });

  it('API keys and signing secrets, with and without Idempotency-Key, appear in no column of any table', async () => {
    const h = harness();
    const idempotencyKey = () => `idem-${randomBytes(8).toString('hex')}`;
    const receiver = await startReceiver();
    const tenant = h.uniqueName('tenant');

    const plainKey = await h.request('POST', '/v1/api-keys', { key: h.adminToken, body: { tenant, name: 'plain' } });
    expect(plainKey.status).toBe(201);
    const apiKeys = [(await json(plainKey)).key as string];
    const replayedKey = await sendAndReplay(h, 'POST', '/v1/api-keys', {
      key: h.adminToken,
      body: { tenant, name: 'idempotent' },
      idempotencyKey: idempotencyKey(),
    });
    apiKeys.push(replayedKey.key as string);
    const t: Tenant = { tenant, key: apiKeys[0]!, keyId: '' };

    const webhook = { url: receiver.url, events: ['generation.fenced'] };
    const plainHook = await h.request('POST', '/v1/webhooks', { key: t.key, body: webhook });
    expect(plainHook.status).toBe(201);
    const plainEndpoint = await json(plainHook);
    const idempotentEndpoint = await sendAndReplay(h, 'POST', '/v1/webhooks', {
      key: t.key,
      body: { ...webhook, description: 'idempotent' },
      idempotencyKey: idempotencyKey(),
    });

    const rotatedPlain = await h.request('POST', `/v1/webhooks/${idempotentEndpoint.id}/rotate-secret`, { key: t.key });
    expect(rotatedPlain.status).toBe(200);
    const previousSecret = (await json(rotatedPlain)).secret as string;
    const rotated = await sendAndReplay(h, 'POST', `/v1/webhooks/${idempotentEndpoint.id}/rotate-secret`, {
      key: t.key,
      idempotencyKey: idempotencyKey(),
    });
    const secrets = [plainEndpoint.secret, idempotentEndpoint.secret, previousSecret, rotated.secret] as string[];
    expect(new Set(secrets).size).toBe(4);
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    // Signing reads the stored secrets back: each endpoint verifies with the reference library.
    const fromPlain = await sendTestEvent(h, t, receiver, plainEndpoint.id);
    expect(verifiesWith(plainEndpoint.secret, fromPlain)).toBe(true);
    const fromRotated = await sendTestEvent(h, t, receiver, idempotentEndpoint.id);
    expect(fromRotated.signatures).toHaveLength(2);
    expect(verifiesWith(rotated.secret, fromRotated), 'the current secret signs').toBe(true);
    expect(verifiesWith(previousSecret, fromRotated), 'the previous secret signs during the overlap').toBe(true);
    expect(verifiesWith(idempotentEndpoint.secret, fromRotated), 'the secret before both rotations no longer signs').toBe(false);

    const needles = [
      ...apiKeys,
      ...apiKeys.map((key) => key.slice('pal_'.length)),
      ...secrets,
      ...secrets.map((secret) => secret.slice('whsec_'.length)),
    ];
    // The search does find what is stored: the tenant's name is in api_keys and in the webhooks.
    const control = await findInEveryColumn(h.scratch.handle.db, [tenant]);
    expect(control.map((f) => f.table)).toEqual(expect.arrayContaining(['public.api_keys', 'public.webhook_endpoints']));
    expect(await findInEveryColumn(h.scratch.handle.db, needles)).toEqual([]);
  });
});
