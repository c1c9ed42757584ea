import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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
