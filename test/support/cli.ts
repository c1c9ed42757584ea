import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPalisadeClient, type PalisadeClient } from '../../src/client/index.js';
import { createScratchPostgres, POSTGRES_URL } from './database.js';
import { type ServiceProcess, startService, stopAllServices, TEST_SECRET_KEY } from './processes.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The service's variables and the CLI's: the test process's own values must not leak into a child. */
const OWN_VARIABLE = /^(PORT|HOST|LOG_LEVEL|DATABASE_URL|DATABASE_POOL_SIZE|PALISADE_.+)$/;
const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_VARIABLE.test(name)));

type Exit = { code: number | null; signal: NodeJS.Signals | null; at: number };

export type CliProcess = {
  child: ChildProcess;
  /** Resolves once the process has exited and its output is read; `at` is when it exited. */
  done: Promise<Exit & { stdout: string; stderr: string }>;
  stdout(): string;
  stderr(): string;
};

const spawned = new Set<ChildProcess>();

/** `node --import tsx src/cli/index.ts …args` from the repository root. */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const done = Promise.all([exited, closed]).then(([exit]) => {
    spawned.delete(child);
    return { ...exit, stdout, stderr };
  });
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

export async function cli(args: string[], env: Record<string, string> = {}) {
  return startCli(args, env).done;
}

/** Kills every CLI process a test left running. */
export function killAllClis(): void {
  for (const child of spawned) child.kill('SIGKILL');
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A service for the CLI to talk to, with a tenant key, and a work directory; `close` removes it all. */
export type CliService = {
  service: ServiceProcess;
  adminToken: string;
  apiKey: string;
  client: PalisadeClient;
  work: string;
  /** A database of its own: a scratch PostgreSQL database with DATABASE_URL, else an embedded one in `work`. */
  databaseEnv(): Promise<Record<string, string>>;
  close(): Promise<void>;
};

export async function startCliService(tenantPrefix: string): Promise<CliService> {
  const work = mkdtempSync(join(tmpdir(), `palisade-${tenantPrefix}-`));
  const drops: (() => Promise<void>)[] = [];
  const databaseEnv = async (): Promise<Record<string, string>> => {
    if (POSTGRES_URL) {
      const scratch = await createScratchPostgres();
      drops.push(scratch.drop);
      return { DATABASE_URL: scratch.url, PALISADE_SECRET_KEY: TEST_SECRET_KEY };
    }
    return { PALISADE_DATA_DIR: mkdtempSync(join(work, 'data-')) };
  };
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const service = await startService({ ...(await databaseEnv()), PALISADE_ADMIN_TOKEN: adminToken });
  const admin = createPalisadeClient({ baseUrl: service.url, apiKey: adminToken });
  const { key: apiKey } = await admin.createApiKey({
    tenant: `${tenantPrefix}-${randomBytes(4).toString('hex')}`,
    name: `${tenantPrefix} tests`,
  });
  return {
    service,
    adminToken,
    apiKey,
    client: createPalisadeClient({ baseUrl: service.url, apiKey }),
    work,
    databaseEnv,
    close: async () => {
      killAllClis();
      await stopAllServices();
      for (const drop of drops) await drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
