import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Database, type DatabaseHandle, openDatabase, rowsOf } from '../src/db/client.js';
import { idempotencyKeys, webhookEndpoints } from '../src/db/schema.js';
import { newSecret } from '../src/db/webhooks.js';
import { KEY_FILE_NAME, Keyring, keyId } from '../src/secrets.js';
import { type Backend, createScratchPostgres, storageBackends } from './support/database.js';
import { type Harness, json, type Tenant, useHarness } from './support/harness.js';
import { type ServiceProcess, startExpectingExit, startService, stopAllServices } from './support/processes.js';
import { type Received, WebhookReceiver } from './support/receiver.js';

const receivers: WebhookReceiver[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await stopAllServices();
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await stopAllServices();
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
    expect(
      verifiesWith(idempotentEndpoint.secret, fromRotated),
      'the secret before both rotations no longer signs',
    ).toBe(false);

    const needles = [
      ...apiKeys,
      ...apiKeys.map((key) => key.slice('pal_'.length)),
      ...secrets,
      ...secrets.map((secret) => secret.slice('whsec_'.length)),
    ];
    // The search does find what is stored: the tenant's name is in api_keys and in the webhooks.
    const control = await findInEveryColumn(h.scratch.handle.db, [tenant]);
    expect(control.map((f) => f.table)).toEqual(
      expect.arrayContaining(['public.api_keys', 'public.webhook_endpoints']),
    );
    expect(await findInEveryColumn(h.scratch.handle.db, needles)).toEqual([]);
  });

  it('a secret sealed under another key, or moved from another endpoint, is never sent: the attempt fails and says why', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    const register = async () => {
      const res = await h.request('POST', '/v1/webhooks', {
        key: t.key,
        body: { url: receiver.url, events: ['generation.fenced'] },
      });
      expect(res.status).toBe(201);
      return json(res);
    };
    const [foreign, moved, source] = [await register(), await register(), await register()];
    const [sourceRow] = await h.scratch.handle.db
      .select()
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.id, source.id));
    await h.scratch.handle.db
      .update(webhookEndpoints)
      .set({ secret: new Keyring(randomBytes(32)).sealWebhookSecret(foreign.id, foreign.secret) })
      .where(eq(webhookEndpoints.id, foreign.id));
    await h.scratch.handle.db
      .update(webhookEndpoints)
      .set({ secret: sourceRow!.secret })
      .where(eq(webhookEndpoints.id, moved.id));

    for (const [endpoint, reason] of [
      [
        foreign,
        /^not sent: the signing secret is sealed under key id [0-9a-f]{8}, which is neither PALISADE_SECRET_KEY/,
      ],
      [moved, /^not sent: the signing secret does not open with its key/],
    ] as const) {
      expect((await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: t.key })).status).toBe(202);
      let attempts: { error: string | null }[] = [];
      for (let tries = 0; attempts.length === 0 && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const page = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key: t.key }));
        attempts = page.items[0]?.attempts ?? [];
      }
      expect(attempts[0]?.error).toMatch(reason);
    }
    expect(receiver.received).toEqual([]);
  });
});

const newKey = () => randomBytes(32).toString('base64');

/** A database for service processes: a scratch PostgreSQL database, or a data directory for the embedded one. */
async function processDatabase(
  backend: Backend,
): Promise<{ env: Record<string, string>; open(): Promise<DatabaseHandle> }> {
  if (backend === 'postgres') {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    return {
      env: { DATABASE_URL: scratch.url },
      open: () => openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 }),
    };
  }
  const directory = mkdtempSync(join(tmpdir(), 'palisade-secrets-'));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const dataDir = join(directory, 'data');
  return { env: { PALISADE_DATA_DIR: dataDir }, open: () => openDatabase({ kind: 'pglite', dataDir }) };
}

/** Opens the database while no service holds it (the embedded one allows one process at a time). */
async function withDatabase<T>(
  database: { open(): Promise<DatabaseHandle> },
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const handle = await database.open();
  try {
    return await work(handle.db);
  } finally {
    await handle.close();
  }
}

async function call(
  service: ServiceProcess,
  method: string,
  path: string,
  options: { key: string; body?: string; idempotencyKey?: string },
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  return fetch(`${service.url}${path}`, { method, headers, body: options.body });
}

async function testEventVerifies(
  service: ServiceProcess,
  apiKey: string,
  receiver: WebhookReceiver,
  endpointId: string,
  secrets: string[],
) {
  const sent = await call(service, 'POST', `/v1/webhooks/${endpointId}/test`, { key: apiKey });
  expect(sent.status).toBe(202);
  const eventId = ((await sent.json()) as { event_id: string }).event_id;
  const received = (await receiver.waitFor((all) => all.some((r) => r.id === eventId), 20_000)).find(
    (r) => r.id === eventId,
  )!;
  for (const secret of secrets)
    expect(verifiesWith(secret, received), `signed with ${secret.slice(0, 12)}…`).toBe(true);
}

/** The fields of the start-up line that says how many rows were sealed again. */
function resealLog(service: ServiceProcess): Record<string, unknown> {
  const line = service
    .output()
    .split('\n')
    .find((text) => text.includes('"secrets at rest re-encrypted under the current key"'));
  expect(line, service.output()).toBeDefined();
  return JSON.parse(line!) as Record<string, unknown>;
}

async function storedSecrets(db: Database): Promise<string[]> {
  const endpoints = await db
    .select({ secret: webhookEndpoints.secret, previous: webhookEndpoints.previousSecret })
    .from(webhookEndpoints);
  const responses = await db.select({ body: idempotencyKeys.body }).from(idempotencyKeys);
  return [
    ...endpoints.flatMap((row) => [row.secret, ...(row.previous === null ? [] : [row.previous])]),
    ...responses.map((row) => row.body),
  ];
}

describe.each(storageBackends)('PALISADE_SECRET_KEY rotation and the upgrade from secrets in clear (%s)', (backend) => {
  it('rows sealed under key A open with B current and A previous, and are sealed again under B at start-up, as are rows in clear', {
    timeout: 120_000,
  }, async () => {
    const database = await processDatabase(backend);
    const receiver = await startReceiver();
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const env = { ...database.env, PALISADE_ADMIN_TOKEN: adminToken, PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true' };
    const [keyA, keyB] = [newKey(), newKey()];
    const keyIdA = keyId(Buffer.from(keyA, 'base64'));
    const keyIdB = keyId(Buffer.from(keyB, 'base64'));
    const tenant = `tenant-${randomBytes(4).toString('hex')}`;

    const first = await startService({ ...env, PALISADE_SECRET_KEY: keyA });
    const keyRequest = {
      key: adminToken,
      body: JSON.stringify({ tenant, name: 'rotation' }),
      idempotencyKey: 'create-key-1',
    };
    const createdKey = await call(first, 'POST', '/v1/api-keys', keyRequest);
    expect(createdKey.status).toBe(201);
    const createdKeyText = await createdKey.text();
    const apiKey = (JSON.parse(createdKeyText) as { key: string }).key;
    const hookRequest = {
      key: apiKey,
      body: JSON.stringify({ url: receiver.url, events: ['generation.fenced'] }),
      idempotencyKey: 'create-hook-1',
    };
    const createdHook = await call(first, 'POST', '/v1/webhooks', hookRequest);
    expect(createdHook.status).toBe(201);
    const createdHookText = await createdHook.text();
    const endpoint = JSON.parse(createdHookText) as { id: string; secret: string };
    expect(await first.stop()).toBe(0);
    expect(resealLog(first)).toMatchObject({ key_id: keyIdA, webhook_secrets: 0, responses: 0 });
    await withDatabase(database, async (db) => {
      for (const stored of await storedSecrets(db)) expect(stored.startsWith(`enc1:${keyIdA}:`), stored).toBe(true);
    });

    // B alone cannot open what A sealed, and says which key is missing instead of signing garbage.
    const refusal = await startExpectingExit({ ...env, PALISADE_SECRET_KEY: keyB });
    expect(refusal.exitCode).toBe(1);
    expect(refusal.stdout + refusal.stderr).toContain(keyIdA);
    expect(refusal.stdout + refusal.stderr).toContain('PALISADE_SECRET_KEY_PREVIOUS');

    // Rows as an earlier version wrote them: the secrets and a stored response in clear.
    const legacy = { id: `wh_legacy${randomBytes(6).toString('hex')}`, secret: newSecret(), previous: newSecret() };
    const legacyRequestBody = JSON.stringify({ tenant, name: 'from an earlier version' });
    const legacyResponse = JSON.stringify({
      id: 'key_legacy',
      key: `pal_${randomBytes(32).toString('base64url')}`,
      tenant,
    });
    await withDatabase(database, async (db) => {
      await db.insert(webhookEndpoints).values({
        id: legacy.id,
        tenant,
        url: receiver.url,
        // The receiver is on loopback; a row from before the destination rule was recorded would be
        // strict until its URL is set again, which is not what this test is about.
        allowPrivate: true,
        events: ['generation.fenced'],
        secret: legacy.secret,
        previousSecret: legacy.previous,
        previousSecretExpiresAt: new Date(Date.now() + 3_600_000),
      });
      await db.insert(idempotencyKeys).values({
        scope: ':admin',
        key: 'legacy-1',
        fingerprint: createHash('sha256').update('POST /v1/api-keys\n').update(legacyRequestBody).digest('hex'),
        status: 201,
        contentType: 'application/json',
        body: legacyResponse,
      });
    });

    const second = await startService({
      ...env,
      PALISADE_SECRET_KEY: keyB,
      PALISADE_SECRET_KEY_PREVIOUS: `${newKey()}, ${keyA}`,
    });
    expect(resealLog(second)).toMatchObject({ key_id: keyIdB, webhook_secrets: 2, responses: 3 });
    for (const [path, request, text] of [
      ['/v1/api-keys', keyRequest, createdKeyText],
      ['/v1/webhooks', hookRequest, createdHookText],
      ['/v1/api-keys', { key: adminToken, body: legacyRequestBody, idempotencyKey: 'legacy-1' }, legacyResponse],
    ] as const) {
      const replay = await call(second, 'POST', path, request);
      expect(replay.headers.get('idempotent-replayed'), path).toBe('true');
      expect(await replay.text()).toBe(text);
    }
    await testEventVerifies(second, apiKey, receiver, endpoint.id, [endpoint.secret]);
    await testEventVerifies(second, apiKey, receiver, legacy.id, [legacy.secret, legacy.previous]);
    expect(await second.stop()).toBe(0);

    await withDatabase(database, async (db) => {
      for (const stored of await storedSecrets(db)) expect(stored.startsWith(`enc1:${keyIdB}:`), stored).toBe(true);
      const plaintexts = [apiKey, endpoint.secret, legacy.secret, legacy.previous, legacyResponse];
      expect(await findInEveryColumn(db, [...plaintexts, ...plaintexts.map((text) => text.slice(6))])).toEqual([]);
    });

    // Everything is under B: A can go.
    const third = await startService({ ...env, PALISADE_SECRET_KEY: keyB });
    expect(resealLog(third)).toMatchObject({ key_id: keyIdB, webhook_secrets: 0, responses: 0 });
    const replay = await call(third, 'POST', '/v1/webhooks', hookRequest);
    expect(await replay.text()).toBe(createdHookText);
    await testEventVerifies(third, apiKey, receiver, endpoint.id, [endpoint.secret]);
  });
});

describe("the secret key's configuration", () => {
  it('the embedded database generates its key into the data directory (mode 0600) and reuses it', {
    timeout: 60_000,
  }, async () => {
    const database = await processDatabase('pglite');
    const receiver = await startReceiver();
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const env = { ...database.env, PALISADE_ADMIN_TOKEN: adminToken, PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true' };
    const first = await startService(env);
    const keyFile = join(database.env.PALISADE_DATA_DIR!, KEY_FILE_NAME);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const generated = readFileSync(keyFile, 'utf8');
    expect(Buffer.from(generated.trim(), 'base64')).toHaveLength(32);
    const created = await call(first, 'POST', '/v1/api-keys', {
      key: adminToken,
      body: JSON.stringify({ tenant: 'embedded', name: 'k' }),
    });
    const apiKey = ((await created.json()) as { key: string }).key;
    const hook = await call(first, 'POST', '/v1/webhooks', {
      key: apiKey,
      body: JSON.stringify({ url: receiver.url, events: ['generation.fenced'] }),
    });
    const endpoint = (await hook.json()) as { id: string; secret: string };
    expect(await first.stop()).toBe(0);

    const second = await startService(env);
    expect(readFileSync(keyFile, 'utf8')).toBe(generated);
    expect(resealLog(second)).toMatchObject({
      key_id: keyId(Buffer.from(generated.trim(), 'base64')),
      webhook_secrets: 0,
    });
    await testEventVerifies(second, apiKey, receiver, endpoint.id, [endpoint.secret]);
  });

  it('DATABASE_URL without PALISADE_SECRET_KEY, or a key of the wrong length, stops the process with a message naming it', async () => {
    const database = await processDatabase('pglite');
    const missing = await startExpectingExit({ DATABASE_URL: 'postgres://127.0.0.1:1/none', PALISADE_SECRET_KEY: '' });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('PALISADE_SECRET_KEY: must be set with DATABASE_URL');
    expect(missing.stderr).toContain('openssl rand -base64 32');

    const short = randomBytes(16).toString('base64');
    for (const variable of ['PALISADE_SECRET_KEY', 'PALISADE_SECRET_KEY_PREVIOUS']) {
      const wrong = await startExpectingExit({ ...database.env, [variable]: short });
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stderr).toContain(variable);
      expect(wrong.stderr).toContain('must be 32 bytes, base64 (16 given');
      expect(wrong.stderr + wrong.stdout).not.toContain(short);
    }
  });
});
