import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startExpectingExit, startService, stopAllServices } from './support/processes.js';

const temporaryDirectories: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function temporaryDataDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'palisade-server-test-'));
  temporaryDirectories.push(directory);
  return join(directory, 'data');
}

afterEach(async () => {
  await stopAllServices();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
});

function newAdminToken(): string {
  return `admin-${randomBytes(16).toString('hex')}`;
}

async function request(
  service: ServiceProcess,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${service.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function expectJson(response: Response, status: number): Promise<Record<string, any>> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as Record<string, any>;
}

async function createTenantKey(service: ServiceProcess, adminToken: string): Promise<string> {
  const created = await expectJson(
    await request(service, 'POST', '/v1/api-keys', {
      key: adminToken,
      body: { tenant: `tenant-${randomBytes(4).toString('hex')}`, name: 'server test' },
    }),
    201,
  );
  return created.key as string;
}

/** GET on a connection of its own (no pooled keep-alive connection), so it tests the listener. */
function freshConnectionGet(
  service: ServiceProcess,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${service.url}${path}`, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    request.on('error', reject);
  });
}

describe('bad configuration stops the process with a message naming the variable', () => {
  // Each also gets a temporary data dir: should validation wrongly pass, nothing lands in the repository.
  it('PORT=abc exits non-zero and names PORT', async () => {
    const exit = await startExpectingExit({ PORT: 'abc', PALISADE_DATA_DIR: await temporaryDataDir() });
    expect(exit.exitCode, exit.message).not.toBe(0);
    expect(exit.exitCode, exit.message).not.toBeNull();
    expect(exit.stderr).toMatch(/\bPORT\b/);
  });

  it('DATABASE_URL=mysql://x exits non-zero and names DATABASE_URL', async () => {
    const exit = await startExpectingExit({ DATABASE_URL: 'mysql://x', PALISADE_DATA_DIR: await temporaryDataDir() });
    expect(exit.exitCode, exit.message).not.toBe(0);
    expect(exit.exitCode, exit.message).not.toBeNull();
    expect(exit.stderr).toMatch(/\bDATABASE_URL\b/);
  });

  it('a PALISADE_ADMIN_TOKEN shorter than 16 characters exits non-zero and names it, without echoing it', async () => {
    const shortToken = 'short-secret';
    const exit = await startExpectingExit({
      PALISADE_ADMIN_TOKEN: shortToken,
      PALISADE_DATA_DIR: await temporaryDataDir(),
    });
    expect(exit.exitCode, exit.message).not.toBe(0);
    expect(exit.exitCode, exit.message).not.toBeNull();
    expect(exit.stderr).toMatch(/\bPALISADE_ADMIN_TOKEN\b/);
    expect(exit.stderr + exit.stdout).not.toContain(shortToken);
  });
});

describe.skipIf(!POSTGRES_URL)('service processes on PostgreSQL', () => {
  it('two processes started at the same moment on one fresh database both become ready', async () => {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());

    const services = await Promise.all([
      startService({ DATABASE_URL: scratch.url }),
      startService({ DATABASE_URL: scratch.url }),
    ]);
    for (const service of services) {
      expect(await expectJson(await request(service, 'GET', '/readyz'), 200)).toEqual({
        status: 'ok',
        database: 'postgres',
        replication: { synchronous: false, sync_standbys: 0 },
      });
    }

    const journal = JSON.parse(await readFile(new URL('../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as {
      entries: unknown[];
    };
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ applied: number }[]>`select count(*)::int as applied from drizzle.__drizzle_migrations`;
      expect(row?.applied, 'each migration is recorded once').toBe(journal.entries.length);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('SIGTERM lets an append blocked on a row lock finish with 201, then exits 0', async () => {
    const scratch = await createScratchPostgres();
    cleanups.push(() => scratch.drop());
    const adminToken = newAdminToken();
    const service = await startService({ DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: adminToken });
    const key = await createTenantKey(service, adminToken);
    const environment = 'drain-test';
    const fenced = await expectJson(
      await request(service, 'POST', `/v1/environments/${environment}/fence`, {
        key,
        body: { deploy_generation: 1, holder: 'drain-test' },
      }),
      200,
    );
    const token = fenced.token as Token;

    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end({ timeout: 5 }));
    let releaseRowLock!: () => void;
    const rowLockReleased = new Promise<void>((resolve) => {
      releaseRowLock = resolve;
    });
    let rowLocked!: () => void;
    const rowLockHeld = new Promise<void>((resolve) => {
      rowLocked = resolve;
    });
    const lockingTransaction = sql.begin(async (tx) => {
      await tx`select id from environments where name = ${environment} for update`;
      rowLocked();
      await rowLockReleased;
    });
    await rowLockHeld;

    let appendSettled = false;
    const append = request(service, 'POST', `/v1/environments/${environment}/log`, {
      key,
      body: { token, entries: [{ written: 'while draining' }] },
    }).finally(() => {
      appendSettled = true;
    });
    await sleep(200);
    expect(appendSettled, 'the append must be waiting for the row lock').toBe(false);

    const exitCode = service.stop('SIGTERM');
    await sleep(300);
    expect(service.child.exitCode, 'the process must wait for the in-flight append').toBeNull();
    expect(appendSettled).toBe(false);
    // A new connection while draining: the balancer's probe hears 503 rather than a refused connection.
    expect(await freshConnectionGet(service, '/readyz')).toMatchObject({
      status: 503,
      body: { status: 'unavailable' },
    });
    expect(await freshConnectionGet(service, '/v1/environments')).toMatchObject({
      status: 503,
      body: { code: 'unavailable' },
    });
    releaseRowLock();
    await lockingTransaction;

    const appended = await expectJson(await append, 201);
    expect(appended).toEqual({ offset: 0, upper: 1 });
    expect(await exitCode, service.output()).toBe(0);

    await expect(request(service, 'GET', '/healthz')).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    const rows = await sql<{ offset: number; data: string }[]>`select "offset"::int as "offset", data from log_entries`;
    expect(rows.map((row) => ({ offset: row.offset, data: JSON.parse(row.data) as unknown }))).toEqual([
      { offset: 0, data: { written: 'while draining' } },
    ]);
  });
});

describe('the embedded database (DATABASE_URL unset)', () => {
  it('starts on PGlite in PALISADE_DATA_DIR and keeps a fence across a restart', async () => {
    const dataDir = await temporaryDataDir();
    const adminToken = newAdminToken();
    const env = { PALISADE_DATA_DIR: dataDir, PALISADE_ADMIN_TOKEN: adminToken };

    const first = await startService(env);
    expect(await expectJson(await request(first, 'GET', '/readyz'), 200)).toEqual({
      status: 'ok',
      database: 'pglite',
      replication: { synchronous: false, sync_standbys: 0 },
    });
    const key = await createTenantKey(first, adminToken);
    const fenced = await expectJson(
      await request(first, 'POST', '/v1/environments/orders-db/fence', {
        key,
        body: { deploy_generation: 3, holder: 'coordinator-1' },
      }),
      200,
    );
    expect(fenced).toEqual({ token: { deploy_generation: 3, epoch: 1 }, previous: null });
    expect(await first.stop(), first.output()).toBe(0);

    const second = await startService(env);
    const environment = await expectJson(await request(second, 'GET', '/v1/environments/orders-db', { key }), 200);
    expect(environment).toMatchObject({ name: 'orders-db', token: fenced.token, holder: 'coordinator-1' });
    const history = await expectJson(await request(second, 'GET', '/v1/environments/orders-db/history', { key }), 200);
    expect(history).toMatchObject({
      items: [{ token: fenced.token, holder: 'coordinator-1' }],
      next_cursor: null,
    });
    const next = await expectJson(
      await request(second, 'POST', '/v1/environments/orders-db/fence', {
        key,
        body: { deploy_generation: 3, holder: 'coordinator-2' },
      }),
      200,
    );
    expect(next).toEqual({
      token: { deploy_generation: 3, epoch: 2 },
      previous: { token: fenced.token, holder: 'coordinator-1' },
    });
    expect(await second.stop(), second.output()).toBe(0);
  });
});
