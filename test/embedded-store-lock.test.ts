import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import {
  type ServiceProcess,
  ServiceExitedError,
  startExpectingExit,
  startService,
  stopAllServices,
} from './support/processes.js';

const temporaryDirectories: string[] = [];

/** A data directory that does not exist yet, in a temporary directory removed after the file. */
async function freshDataDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'palisade-lock-test-'));
  temporaryDirectories.push(directory);
  return join(directory, 'data');
}

afterEach(async () => {
  await stopAllServices();
});

afterAll(async () => {
  await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
});

/** The embedded store: DATABASE_URL is left out, so the child never sees the test run's PostgreSQL. */
function embeddedEnv(dataDir: string, adminToken: string): Record<string, string> {
  return { PALISADE_DATA_DIR: dataDir, PALISADE_ADMIN_TOKEN: adminToken };
}

function newAdminToken(): string {
  return `admin-${randomBytes(16).toString('hex')}`;
}

async function post(service: ServiceProcess, path: string, key: string, body: unknown): Promise<Record<string, any>> {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBeLessThan(300);
  return JSON.parse(text) as Record<string, any>;
}

async function createTenantKey(service: ServiceProcess, adminToken: string): Promise<string> {
  const created = await post(service, '/v1/api-keys', adminToken, {
    tenant: `tenant-${randomBytes(4).toString('hex')}`,
    name: 'lock test',
  });
  return created.key as string;
}

async function fence(service: ServiceProcess, key: string, holder: string): Promise<Record<string, any>> {
  return post(service, '/v1/environments/orders-db/fence', key, { deploy_generation: 1, holder });
}

function expectLockRefusal(refusal: ServiceExitedError, dataDir: string, holderPid: number): void {
  expect(refusal.exitCode, refusal.message).toBe(1);
  const lines = refusal.stderr.trim().split('\n');
  expect(lines, refusal.message).toHaveLength(1);
  expect(lines[0]).toContain(dataDir);
  expect(lines[0]).toMatch(new RegExp(`\\bprocess ${holderPid}\\b`));
  expect(refusal.stderr + refusal.stdout).not.toMatch(/EADDRINUSE|migrat/i);
}

describe('one process per embedded data directory', () => {
  it('a second process on the same directory exits 1 naming the directory and the holder, and the first keeps serving', async () => {
    const dataDir = await freshDataDir();
    const adminToken = newAdminToken();
    const first = await startService(embeddedEnv(dataDir, adminToken));
    const key = await createTenantKey(first, adminToken);
    expect((await fence(first, key, 'coordinator-1')).token).toEqual({ deploy_generation: 1, epoch: 1 });

    const refusal = await startExpectingExit(embeddedEnv(dataDir, adminToken));
    expectLockRefusal(refusal, dataDir, first.child.pid!);

    await createTenantKey(first, adminToken);
    expect((await fence(first, key, 'coordinator-2')).token).toEqual({ deploy_generation: 1, epoch: 2 });
    expect(await first.stop(), first.output()).toBe(0);

    // A clean stop lets the directory go: the next process opens it and finds every token.
    const next = await startService(embeddedEnv(dataDir, adminToken));
    expect(await fence(next, key, 'coordinator-3')).toMatchObject({
      token: { deploy_generation: 1, epoch: 3 },
      previous: { token: { deploy_generation: 1, epoch: 2 }, holder: 'coordinator-2' },
    });
  });

  it('a second process on the same directory and the same port is refused for the directory, not the port', async () => {
    const dataDir = await freshDataDir();
    const adminToken = newAdminToken();
    const first = await startService(embeddedEnv(dataDir, adminToken));

    const refusal = await startExpectingExit({ ...embeddedEnv(dataDir, adminToken), PORT: String(first.port) });
    expectLockRefusal(refusal, dataDir, first.child.pid!);

    const key = await createTenantKey(first, adminToken);
    expect((await fence(first, key, 'coordinator-1')).token).toEqual({ deploy_generation: 1, epoch: 1 });
  });

  it('of two processes started at the same instant on a fresh directory, exactly one serves', async () => {
    const dataDir = await freshDataDir();
    const adminToken = newAdminToken();
    const outcomes = await Promise.allSettled([
      startService(embeddedEnv(dataDir, adminToken)),
      startService(embeddedEnv(dataDir, adminToken)),
    ]);
    const serving = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(serving, refused.map(String).join('\n')).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ServiceExitedError);
    expectLockRefusal(refused[0] as ServiceExitedError, dataDir, serving[0]!.child.pid!);

    const key = await createTenantKey(serving[0]!, adminToken);
    expect((await fence(serving[0]!, key, 'coordinator-1')).token).toEqual({ deploy_generation: 1, epoch: 1 });
  });

  it('the directory of a SIGKILLed owner opens at once in a new process, with what the owner committed', async () => {
    const dataDir = await freshDataDir();
    const adminToken = newAdminToken();
    const first = await startService(embeddedEnv(dataDir, adminToken));
    const key = await createTenantKey(first, adminToken);
    expect((await fence(first, key, 'coordinator-1')).token).toEqual({ deploy_generation: 1, epoch: 1 });
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await startService(embeddedEnv(dataDir, adminToken));
    expect(await fence(second, key, 'coordinator-2')).toMatchObject({
      token: { deploy_generation: 1, epoch: 2 },
      previous: { token: { deploy_generation: 1, epoch: 1 }, holder: 'coordinator-1' },
    });
  });

  it('within one process, the directory opens once until that handle is closed', async () => {
    const dataDir = await freshDataDir();
    const first = await openDatabase({ kind: 'pglite', dataDir });
    const secondOpen = await openDatabase({ kind: 'pglite', dataDir }).then(
      async (handle) => {
        await handle.close();
        return 'opened a second time';
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(secondOpen).toContain(dataDir);
    expect(secondOpen).toMatch(new RegExp(`\\bprocess ${process.pid}\\b`));
    expect(await first.ready()).toBe(true);
    await first.close();

    const again = await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(await again.ready()).toBe(true);
    } finally {
      await again.close();
    }
  });
});
