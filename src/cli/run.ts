import { type ChildProcess, spawn } from 'node:child_process';
import { constants, hostname } from 'node:os';
import {
  classify,
  FencedError,
  PalisadeError,
  type PalisadeClient,
  type Token,
  type WatchEvent,
} from '../client/index.js';
import {
  duration,
  EXIT,
  formatMs,
  parse,
  required,
  SERVER_HELP,
  SERVER_OPTIONS,
  tenantClient,
  UsageError,
  wholeNumber,
} from './common.js';

export const RUN_HELP = `Usage: palisade run --env ENV --generation G [--holder H] [--grace 10s] [options] -- COMMAND [ARG…]

Fences ENV as deploy generation G, then runs COMMAND as the holder of the new token and watches ENV:

- a newer generation takes over: COMMAND gets SIGTERM, then SIGKILL after the grace period, and
  palisade exits 0 (terminate: the environment has a new owner, do not restart);
- a newer epoch of generation G (the same generation fenced again): the same, but exit 2 (halt:
  exit non-zero so that the orchestrator restarts this process);
- ENV is deleted: as a takeover, exit 0;
- COMMAND exits by itself: palisade exits with its code (128 + N if signal N ended it);
- palisade gets SIGTERM, SIGINT or SIGHUP: the signal goes to COMMAND (SIGKILL after the grace
  period) and palisade exits with its code.

If G is already lower than ENV's generation, COMMAND is not started and palisade exits 0. If
watching becomes impossible (the key is revoked, say), COMMAND is stopped and palisade exits 1;
lost connections are retried, resuming where the stream broke off.

COMMAND inherits the environment, plus:
  PALISADE_TOKEN         the token as JSON, e.g. {"deploy_generation":2,"epoch":7}
  PALISADE_ENV           ENV
  PALISADE_URL           the service's URL
  PALISADE_HOLDER        the holder label

Options:
  --env ENV              the environment
  --generation G         this process's deploy generation, a whole number
  --holder H             who holds the token (default: hostname:pid)
  --grace DURATION       how long COMMAND has between SIGTERM and SIGKILL (default 10s; 500ms, 2m;
                         a bare number is seconds)
${SERVER_HELP}
  -h, --help             show this help
`;

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

type Verdict =
  | { outcome: 'terminate' | 'halt'; reason: string }
  | { outcome: 'failed'; reason: string };

const log = (message: string) => process.stderr.write(`palisade run: ${message}\n`);

const showToken = (token: Token) => `generation ${token.deploy_generation}, epoch ${token.epoch}`;

/** What an event of the watch means for the holder of `ours`; null while it still holds it. */
function judge(event: WatchEvent, env: string, ours: Token): Verdict | null {
  if (event.event === 'deleted') return { outcome: 'terminate', reason: `${env} was deleted` };
  const current = event.data.token;
  const holder = event.data.holder;
  if (current === null) return { outcome: 'terminate', reason: `${env} was deleted since it was fenced` };
  if (current.epoch <= ours.epoch) return null;
  const by = `${showToken(current)}${holder ? `, holder ${holder}` : ''}`;
  // As the service decides `kind`: a higher generation fences by generation, else by epoch.
  return current.deploy_generation > ours.deploy_generation
    ? { outcome: 'terminate', reason: `a newer generation took over ${env} (${by})` }
    : { outcome: 'halt', reason: `generation ${ours.deploy_generation} was fenced again on ${env} (${by})` };
}

async function watchForTakeover(client: PalisadeClient, env: string, ours: Token, signal: AbortSignal): Promise<Verdict> {
  let watching = false;
  let reconnecting = false;
  try {
    for await (const event of client.watch(env, {
      signal,
      // Resume after our own fence: a takeover before the stream connected still arrives first.
      lastEventId: ours.epoch,
      onReconnect: ({ error }) => {
        if (!reconnecting) log(`watch connection lost (${error instanceof Error ? error.message : String(error)}); reconnecting`);
        reconnecting = true;
      },
    })) {
      const verdict = judge(event, env, ours);
      if (verdict) return verdict;
      if (event.event === 'snapshot' && (!watching || reconnecting)) {
        log(reconnecting ? `watching ${env} again` : `watching ${env}`);
        watching = true;
        reconnecting = false;
      }
    }
    return { outcome: 'failed', reason: 'the watch ended' };
  } catch (error) {
    if (error instanceof PalisadeError && error.status === 404) {
      return { outcome: 'terminate', reason: `${env} no longer exists (deleted)` };
    }
    return { outcome: 'failed', reason: `cannot watch ${env}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

function exitCodeOf(exit: ChildExit): number {
  if (exit.code !== null) return exit.code;
  const number = exit.signal ? constants.signals[exit.signal] : undefined;
  return 128 + (number ?? 0);
}

export async function run(args: string[]): Promise<number> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const { values, positionals } = parse('run', own, {
    ...SERVER_OPTIONS,
    env: { type: 'string' },
    generation: { type: 'string' },
    holder: { type: 'string' },
    grace: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return EXIT.ok;
  }
  const command = separator === -1 ? positionals : [...positionals, ...args.slice(separator + 1)];
  const env = required('run', 'env', values.env);
  const generation = required('run', 'generation', wholeNumber('run', 'generation', values.generation));
  const holder = values.holder ?? `${hostname()}:${process.pid}`;
  const graceMs = duration('run', 'grace', values.grace ?? '10s');
  if (command.length === 0) throw new UsageError('give the command to run after --', 'run');
  const { client, url } = tenantClient('run', values);

  let token: Token;
  try {
    ({ token } = await client.fence(env, { deploy_generation: generation, holder }));
  } catch (error) {
    if (error instanceof FencedError && classify(error) === 'terminate') {
      const current = error.currentToken ? ` (${showToken(error.currentToken)})` : '';
      log(`${env} is held by a newer generation${current}; generation ${generation} does not start`);
      return EXIT.ok;
    }
    throw error;
  }
  log(`fenced ${env} as ${showToken(token)}, holder ${holder}; starting ${command.join(' ')}`);

  const child: ChildProcess = spawn(command[0]!, command.slice(1), {
    stdio: 'inherit',
    env: {
      ...process.env,
      PALISADE_TOKEN: JSON.stringify(token),
      PALISADE_ENV: env,
      PALISADE_URL: url,
      PALISADE_HOLDER: holder,
    },
  });
  const exited = new Promise<ChildExit | { error: Error }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ error }));
  });

  const watching = new AbortController();
  /** Sends `signal`, then SIGKILL once the grace period is over; resolves with the child's exit. */
  const stopChild = async (signal: NodeJS.Signals): Promise<ChildExit | { error: Error }> => {
    child.kill(signal);
    const timer = setTimeout(() => {
      log(`${command[0]} did not exit within ${formatMs(graceMs)} of ${signal}; sending SIGKILL`);
      child.kill('SIGKILL');
    }, graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  const forwarded = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of FORWARDED_SIGNALS) process.on(signal, () => resolve(signal));
  });

  const first = await Promise.race([
    exited.then((exit) => ({ kind: 'exited' as const, exit })),
    watchForTakeover(client, env, token, watching.signal).then((verdict) => ({ kind: 'verdict' as const, verdict })),
    forwarded.then((signal) => ({ kind: 'signal' as const, signal })),
  ]);

  if (first.kind === 'exited') {
    watching.abort();
    if ('error' in first.exit) {
      log(`cannot start ${command[0]}: ${first.exit.error.message}`);
      return (first.exit.error as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
    }
    const code = exitCodeOf(first.exit);
    log(`${command[0]} exited with ${first.exit.signal ? `signal ${first.exit.signal}` : `code ${first.exit.code}`}`);
    return code;
  }

  if (first.kind === 'signal') {
    watching.abort();
    log(`received ${first.signal}; passing it on to ${command[0]}`);
    const exit = await stopChild(first.signal);
    return 'error' in exit ? EXIT.failure : exitCodeOf(exit);
  }

  const { verdict } = first;
  watching.abort();
  log(`${verdict.reason}; stopping ${command[0]} (SIGTERM, grace ${formatMs(graceMs)})`);
  await stopChild('SIGTERM');
  if (verdict.outcome === 'terminate') {
    log('exiting 0 (terminate: the environment has a new owner)');
    return EXIT.ok;
  }
  if (verdict.outcome === 'halt') {
    log('exiting 2 (halt: this generation was fenced again; restart it)');
    return 2;
  }
  log('exiting 1 (the takeover can no longer be watched)');
  return EXIT.failure;
}
