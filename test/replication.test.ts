import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { buildDeps } from '../src/api/deps.js';
import { ConfigError, databaseLocation, loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { Keyring } from '../src/secrets.js';
import { createScratchPostgres, httpBackend, POSTGRES_URL } from './support/database.js';
import { testLimits } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';

afterAll(() => stopAllServices());

/** A service on a scratch PostgreSQL database when DATABASE_URL is set, else on an embedded one in a temporary folder. */
async function startOnScratch(
  env: Record<string, string> = {},
): Promise<{ service: ServiceProcess; cleanUp(): Promise<void> }> {
  if (httpBackend === 'postgres') {
    const scratch = await createScratchPostgres();
    const service = await startService({ DATABASE_URL: scratch.url, ...env });
    return {
      service,
      cleanUp: async () => {
        await service.stop();
        await scratch.drop();
      },
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-replication-'));
  const service = await startService({ PALISADE_DATA_DIR: dataDir, ...env });
  return {
    service,
    cleanUp: async () => {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('configuration for a replicated database', () => {
  it('accepts a multi-host DATABASE_URL that asks for the primary', () => {
    const config = loadConfig({
      DATABASE_URL:
        'postgres://palisade@10.0.0.1:5432,10.0.0.2:5432,10.0.0.3:5432/palisade?target_session_attrs=primary',
      PALISADE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    expect(config.databaseUrl).toContain('10.0.0.3:5432');
    expect(config.requireSyncReplication).toBe(false);
    // The start-up line names every member, never the password.
    expect(databaseLocation(config.databaseUrl!)).toEqual({
      host: '10.0.0.1,10.0.0.2,10.0.0.3',
      port: 5432,
      database: 'palisade',
    });
  });

  it('reads PALISADE_REQUIRE_SYNC_REPLICATION as a boolean and refuses anything else', () => {
    expect(loadConfig({ PALISADE_REQUIRE_SYNC_REPLICATION: 'true' }).requireSyncReplication).toBe(true);
    expect(() => loadConfig({ PALISADE_REQUIRE_SYNC_REPLICATION: 'yes please' })).toThrow(ConfigError);
  });
});

describe('durability reporting without a standby', () => {
  it('by default the service is ready and says, at start, in /readyz and in /metrics, that commits wait for no standby', async () => {
    const { service, cleanUp } = await startOnScratch();
    try {
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ok',
        database: httpBackend,
        replication: { synchronous: false, sync_standbys: 0 },
      });
      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^palisade_db_synchronous_replication 0$/m);
      expect(metrics).toMatch(/^palisade_db_sync_standbys 0$/m);
      if (httpBackend === 'postgres') {
        expect(service.output()).toMatch(/"synchronous_replication":false.*commits do not wait for a standby/);
      }
    } finally {
      await cleanUp();
    }
  });

  it('with PALISADE_REQUIRE_SYNC_REPLICATION=true it starts but is not ready, and says why', async () => {
    const { service, cleanUp } = await startOnScratch({ PALISADE_REQUIRE_SYNC_REPLICATION: 'true' });
    try {
      const ready = await fetch(`${service.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({
        status: 'unavailable',
        replication: { synchronous: false, sync_standbys: 0 },
      });
      expect(service.output()).toMatch(/no synchronous standby: not ready until one is in sync/);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await cleanUp();
    }
  });
});

describe.skipIf(!POSTGRES_URL)('a primary demoted under the service', () => {
  it('a write refused as read-only is 503 unavailable, nothing is written, and writes succeed once the database takes them again', async () => {
    const scratch = await createScratchPostgres();
    // One connection, so the session reopened read-only below is the one the write gets.
    const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 });
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const app = createApp(
      buildDeps(
        {
          adminToken,
          maxBodyBytes: 1024 * 1024,
          maxEntryBytes: 65536,
          webhooks: { allowPrivate: true },
          limits: testLimits,
          watchHeartbeatMs: 15_000,
        },
        { database: handle, logger: createLogger('silent'), keyring: new Keyring(randomBytes(32)) },
      ),
    );
    const admin = postgres(scratch.url, { max: 1, onnotice: () => {} });
    const database = new URL(scratch.url).pathname.slice(1);
    try {
      const created = await app.request('/v1/api-keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'acme', name: 'k' }),
      });
      const key = ((await created.json()) as { key: string }).key;
      const call = (method: string, path: string, body?: unknown) =>
        app.request(path, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      expect((await call('POST', '/v1/environments/orders/fence', { deploy_generation: 1, holder: 'a' })).status).toBe(
        200,
      );

      // What a demoted primary looks like to its sessions: every transaction is read-only.
      await admin.unsafe(`alter database ${database} set default_transaction_read_only = on`);
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
      let read = await call('GET', '/v1/environments/orders');
      for (let attempt = 0; attempt < 10 && read.status !== 200; attempt++)
        read = await call('GET', '/v1/environments/orders');
      expect(read.status).toBe(200);

      const refused = await call('POST', '/v1/environments/orders/fence', { deploy_generation: 2, holder: 'b' });
      await expectProblem(refused, 503, 'unavailable', { action: 'retry' });
      expect(refused.headers.get('retry-after')).toBe('1');

      // The database takes writes again, as a new primary would; the session opened read-only must not linger.
      await admin.unsafe(`alter database ${database} reset default_transaction_read_only`);
      const after = await call('POST', '/v1/environments/orders/fence', { deploy_generation: 2, holder: 'c' });
      expect(after.status).toBe(200);
      expect(((await after.json()) as { token: { epoch: number } }).token.epoch).toBe(2);
      const history = await call('GET', '/v1/environments/orders/history');
      expect(((await history.json()) as { items: { holder: string }[] }).items.map((item) => item.holder)).toEqual([
        'c',
        'a',
      ]);
    } finally {
      await admin.end({ timeout: 5 });
      await handle.close();
      await scratch.drop();
    }
  });
});
