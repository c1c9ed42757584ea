import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The variables the service reads: the test process's own values must not leak into a child. */
const SERVICE_VARIABLE = /^(PORT|HOST|LOG_LEVEL|DATABASE_URL|DATABASE_POOL_SIZE|PALISADE_.+)$/;

/**
 * A test worker killed outright (SIGKILL, a crashed runner) runs no exit handler; the child then
 * still sees its stdin pipe close, and exits instead of lingering with a port and database pool.
 */
const EXIT_WITH_PARENT = `data:text/javascript,${encodeURIComponent(
  "process.stdin.on('end', () => process.exit(1)); process.stdin.on('error', () => process.exit(1)); process.stdin.resume();",
)}`;

/**
 * The PALISADE_SECRET_KEY of every service on PostgreSQL this process starts without one of its
 * own: one key for all, so processes sharing a database open each other's secrets.
 */
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 20_000;
/** Request logs of a busy service run to megabytes; the tail is what explains a failure. */
const MAX_CAPTURED_CHARS = 1_000_000;

export type ServiceProcess = {
  url: string;
  port: number;
  child: ChildProcess;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code once the process is gone (null if a signal ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** stdout and stderr as captured so far, interleaved (the most recent megabyte). */
  output(): string;
};

/** The process exited before it logged "listening", e.g. on a configuration error. */
export class ServiceExitedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `the service exited before listening (code ${exitCode}, signal ${signal})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
    );
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

const running = new Map<ChildProcess, Promise<Exit>>();

process.on('exit', () => {
  for (const child of running.keys()) child.kill('SIGKILL');
});

class CapturedText {
  private text = '';

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 2 * MAX_CAPTURED_CHARS) this.text = this.text.slice(-MAX_CAPTURED_CHARS);
  }

  toString(): string {
    return this.text;
  }
}

/** Waits for the exit with a deadline; past it the process is killed and the wait reported as a failure. */
async function awaitExit(child: ChildProcess, exited: Promise<Exit>, timeoutMs: number, why: string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  if (result !== 'timeout') return result;
  child.kill('SIGKILL');
  await exited;
  throw new Error(`the service (pid ${child.pid}) did not exit within ${timeoutMs} ms ${why}; killed it`);
}

/**
 * Starts `node --import tsx src/index.ts` from the repository root on an ephemeral port and resolves
 * once it logs "listening". Rejects with `ServiceExitedError` when the process exits first, and with
 * an error carrying the captured output when it is not listening within the timeout.
 */
export async function startService(
  env: Record<string, string>,
  options: {
    readyTimeoutMs?: number;
    /** Run `dist/index.js`, as `npm start` does, instead of the sources under tsx. */
    compiled?: boolean;
    /** Options for node itself, such as `--cpu-prof` (which NODE_OPTIONS does not take). */
    nodeOptions?: string[];
  } = {},
): Promise<ServiceProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVICE_VARIABLE.test(name)));
  const entry = options.compiled ? ['dist/index.js'] : ['--import', 'tsx', 'src/index.ts'];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), '--import', EXIT_WITH_PARENT, ...entry], {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...(env.DATABASE_URL !== undefined && env.PALISADE_SECRET_KEY === undefined
        ? { PALISADE_SECRET_KEY: TEST_SECRET_KEY }
        : {}),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  const combined = new CapturedText();
  const stdout = new CapturedText();
  const stderr = new CapturedText();
  // 'close' rather than 'exit': by then stdout and stderr are fully read, so a config error is captured.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  running.set(child, exited);
  let exit: Exit | null = null;
  void exited.then((result) => {
    exit = result;
  });

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const port = await new Promise<number>((resolve, reject) => {
    let pendingLine = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the service (pid ${child.pid}) did not log "listening" within ${readyTimeoutMs} ms; output:\n${combined}`,
        ),
      );
    }, readyTimeoutMs);

    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout.append(chunk);
      combined.append(chunk);
      const lines = (pendingLine + chunk).split('\n');
      pendingLine = lines.pop() ?? '';
      for (const line of lines) {
        const listeningPort = parseListeningPort(line);
        if (listeningPort !== null) {
          clearTimeout(timer);
          resolve(listeningPort);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.append(chunk);
      combined.append(chunk);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not spawn the service: ${error.message}`));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new ServiceExitedError(code, signal, stdout.toString(), stderr.toString()));
    });
  });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (exit) return exit.code;
    child.kill(signal);
    const result = await awaitExit(child, exited, DEFAULT_STOP_TIMEOUT_MS, `after ${signal}`);
    return result.code;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stop,
    output: () => combined.toString(),
  };
}

function parseListeningPort(line: string): number | null {
  if (!line.startsWith('{')) return null;
  try {
    const record = JSON.parse(line) as { msg?: unknown; port?: unknown };
    return record.msg === 'listening' && Number.isInteger(record.port) ? (record.port as number) : null;
  } catch {
    return null;
  }
}

/** Starts a service that is expected to exit before it listens, and returns how it exited. */
export async function startExpectingExit(env: Record<string, string>): Promise<ServiceExitedError> {
  const outcome = await startService(env).then(
    (service) => service,
    (error: unknown) => error,
  );
  if (!(outcome instanceof ServiceExitedError)) {
    const description =
      outcome instanceof Error ? outcome.message : `it listened at ${(outcome as ServiceProcess).url}`;
    throw new Error(`expected the service to exit before listening, but ${description}`);
  }
  return outcome;
}

/** Kills every service process still running and waits until each is gone; for afterAll. */
export async function stopAllServices(): Promise<void> {
  await Promise.all(
    [...running].map(async ([child, exited]) => {
      child.kill('SIGKILL');
      await awaitExit(child, exited, DEFAULT_STOP_TIMEOUT_MS, 'after SIGKILL');
    }),
  );
}

/** A request to a service process with a tenant key, and a JSON body if one is given. */
export async function callService(
  service: ServiceProcess,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${service.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
