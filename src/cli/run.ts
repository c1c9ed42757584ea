import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { constants, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import which from 'which';
import {
  classify,
  type Deployment,
  FencedError,
  PalisadeError,
  type PalisadeClient,
  type Token,
  type WatchEvent,
} from '../client/index.js';
import { isPromoted } from '../domain/deploymentStates.js';
import {
  duration,
  EXIT,
  parse,
  required,
  SERVER_HELP,
  SERVER_OPTIONS,
  tenantClient,
  UsageError,
  wholeNumber,
} from './common.js';
import { formatDuration } from '../duration.js';

export const RUN_HELP = `Usage: palisade run --env ENV --generation G [--await-promotion] [--holder H] [--grace 10s] [options] -- COMMAND [ARG…]

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

With --await-promotion, G takes over by the handover instead of a plain fence:
  1. G registers as a deployment of ENV and COMMAND starts read-only (PALISADE_MODE=read_only,
     no token); the deployment is catching_up.
  2. COMMAND signals that it has caught up by creating the file named in PALISADE_READY_FILE;
     palisade then marks the deployment ready_to_promote.
  3. palisade waits (long-polling) for the promotion, which the operator or the orchestrator
     asks for: POST /v1/environments/ENV/deployments/G/promote.
  4. Promoted, G holds the new token. palisade stops the read-only COMMAND (SIGTERM, grace) and
     starts it again as the leader (PALISADE_MODE=leader, PALISADE_TOKEN set): a restart, because
     a running process's environment cannot change. The deployment is then is_leader, and ENV is
     watched as above.
If a newer generation is promoted while G waits, COMMAND is stopped and palisade exits 0; if
COMMAND exits while it waits, palisade exits with its code. If G already leads (this is a restart
of the promoted generation), palisade fences as a plain run would.

COMMAND is resolved before anything changes on the service: it is looked up on PATH unless it
contains a slash, and must be a regular file this user may execute. If it cannot start, nothing is
fenced or registered: palisade says why on one line and exits 127 (not found) or 126 (a directory,
not executable).

Exit codes: 0 terminate (or not started: a newer generation holds ENV); 1 the service failed or the
takeover can no longer be watched; 2 halt; 3 ENV's token was taken but COMMAND never ran (it passed
the check, then failed to start: removed meanwhile, or its interpreter is missing), so ENV is held
by no running process; 126, 127 COMMAND cannot start and nothing changed; 64 usage error; else
COMMAND's own code.

COMMAND inherits the environment, plus:
  PALISADE_MODE          leader, or read_only while it awaits promotion
  PALISADE_TOKEN         the token as JSON, e.g. {"deploy_generation":2,"epoch":7} (leader only)
  PALISADE_READY_FILE    the file to create once caught up (read_only only)
  PALISADE_ENV           ENV
  PALISADE_GENERATION    G
  PALISADE_URL           the service's URL
  PALISADE_HOLDER        the holder label

Options:
  --env ENV              the environment
  --generation G         this process's deploy generation, a whole number
  --holder H             who holds the token (default: hostname:pid)
  --grace DURATION       how long COMMAND has between SIGTERM and SIGKILL (default 10s; 500ms, 2m:
                         a number and a unit, as in the service's configuration)
  --await-promotion      take over by the handover: start read-only, wait to be promoted
  --ready-file PATH      with --await-promotion: the file COMMAND creates when it has caught up
                         (default: a new file name in the temporary directory)
${SERVER_HELP}
  -h, --help             show this help
`;

/** `run`'s exit codes beside EXIT's; otherwise it exits with COMMAND's code. */
const RUN_EXIT = { halt: 2, tokenTakenCommandNeverRan: 3, cannotExecute: 126, notFound: 127 } as const;

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

type Verdict = { outcome: 'terminate' | 'halt'; reason: string } | { outcome: 'failed'; reason: string };

const log = (message: string) => process.stderr.write(`palisade run: ${message}\n`);

const showToken = (token: Token) => `generation ${token.deploy_generation}, epoch ${token.epoch}`;

/** What an event of the watch means for the holder of `ours`; null while it still holds it. */
function judge(event: WatchEvent, env: string, ours: Token): Verdict | null {
  if (event.event === 'deleted') return { outcome: 'terminate', reason: `${env} was deleted` };
  // The handover's own events carry no token; the `fenced` of a promotion does.
  if (event.event !== 'snapshot' && event.event !== 'fenced') return null;
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

async function watchForTakeover(
  client: PalisadeClient,
  env: string,
  ours: Token,
  signal: AbortSignal,
): Promise<Verdict> {
  let watching = false;
  let reconnecting = false;
  try {
    for await (const event of client.watch(env, {
      signal,
      // Resume after our own fence: a takeover before the stream connected still arrives first.
      lastEventId: ours.epoch,
      onReconnect: ({ error }) => {
        if (!reconnecting)
          log(`watch connection lost (${error instanceof Error ? error.message : String(error)}); reconnecting`);
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
    return {
      outcome: 'failed',
      reason: `cannot watch ${env}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

function exitCodeOf(exit: ChildExit): number {
  if (exit.code !== null) return exit.code;
  const number = exit.signal ? constants.signals[exit.signal] : undefined;
  return 128 + (number ?? 0);
}

type Child = {
  exited: Promise<ChildExit>;
  /** Sends `signal`, then SIGKILL once the grace period is over; resolves with the child's exit. */
  stop(signal: NodeJS.Signals): Promise<ChildExit>;
};

type Resolution = { executable: string } | { problem: string; exitCode: number };

/**
 * Finds COMMAND as a shell would (on PATH unless its name has a slash) and checks that this user
 * may execute it: a command that cannot start is refused before anything changes on the service.
 */
async function resolveCommand(name: string): Promise<Resolution> {
  const executable = await which(name, { nothrow: true });
  if (executable !== null) return { executable };
  if (!name.includes('/')) return { problem: 'not found on PATH', exitCode: RUN_EXIT.notFound };
  const found = await stat(name).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error) {
    return found.code === 'ENOENT' || found.code === 'ENOTDIR'
      ? { problem: 'no such file', exitCode: RUN_EXIT.notFound }
      : { problem: `cannot be read (${found.code ?? found.message})`, exitCode: RUN_EXIT.cannotExecute };
  }
  if (found.isDirectory()) return { problem: 'is a directory', exitCode: RUN_EXIT.cannotExecute };
  return { problem: found.isFile() ? 'not executable' : 'not a regular file', exitCode: RUN_EXIT.cannotExecute };
}

/**
 * Starts COMMAND from its resolved `executable`; resolves once it runs, or rejects with the error of
 * the spawn (the file vanished since it was resolved, its interpreter is missing).
 */
function startChild(
  executable: string,
  command: string[],
  env: Record<string, string>,
  graceMs: number,
): Promise<Child> {
  const child: ChildProcess = spawn(executable, command.slice(1), {
    argv0: command[0],
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running: Child = {
    exited,
    stop: async (signal) => {
      child.kill(signal);
      const timer = setTimeout(() => {
        log(`${command[0]} did not exit within ${formatDuration(graceMs)} of ${signal}; sending SIGKILL`);
        child.kill('SIGKILL');
      }, graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.off('error', reject);
      child.on('error', (error) => log(`${command[0]}: ${error.message}`));
      resolve(running);
    });
  });
}

/** The exit code for a child that ended by itself. */
function childEnded(command: string[], exit: ChildExit, when = ''): number {
  log(`${command[0]} exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}${when}`);
  return exitCodeOf(exit);
}

/** Fences ENV as generation G; null (after saying why) when a newer generation already holds it. */
async function fenceOrStandDown(
  client: PalisadeClient,
  env: string,
  generation: number,
  holder: string,
): Promise<Token | null> {
  try {
    return (await client.fence(env, { deploy_generation: generation, holder })).token;
  } catch (error) {
    if (error instanceof FencedError && classify(error) === 'terminate') {
      const current = error.currentToken ? ` (${showToken(error.currentToken)})` : '';
      log(`${env} is held by a newer generation${current}; generation ${generation} does not start`);
      return null;
    }
    throw error;
  }
}

type Handover = { kind: 'promoted'; token: Token } | { kind: 'fenced'; reason: string };

/**
 * Marks the deployment ready once the ready file exists, and long-polls it until it is promoted
 * (resolving with its token) or fenced by a newer generation.
 */
async function awaitPromotion(
  client: PalisadeClient,
  target: { env: string; generation: number; holder: string; readyFile: string },
  signal: AbortSignal,
): Promise<Handover> {
  const { env, generation, holder, readyFile } = target;
  const fenced = (deployment?: Deployment): Handover => ({
    kind: 'fenced',
    reason: `a newer generation took over ${env}${deployment?.fenced_at ? ` at ${deployment.fenced_at}` : ''} before generation ${generation} was promoted`,
  });
  try {
    let deployment = await client.registerDeployment(env, generation, { holder, state: 'catching_up' }, { signal });
    const markReady = async () => {
      while (!existsSync(readyFile)) {
        if (signal.aborted) return;
        await delay(READY_FILE_POLL_MS, undefined, { signal }).catch(() => {});
      }
      await client.markDeploymentReady(env, generation, { signal });
      log(`${readyFile} appeared: generation ${generation} is ready_to_promote; waiting for its promotion`);
    };
    const waitForPromotion = async (): Promise<Handover> => {
      while (!isPromoted(deployment.state)) {
        if (deployment.state === 'fenced') return fenced(deployment);
        deployment = await client.getDeployment(
          env,
          generation,
          { wait: LONG_POLL, state: deployment.state },
          { signal },
        );
      }
      return { kind: 'promoted', token: deployment.token! };
    };
    const promotion = waitForPromotion();
    // A failure to mark ready ends the wait too; the promotion alone ends it otherwise.
    return await Promise.race([promotion, markReady().then(() => promotion)]);
  } catch (error) {
    if (error instanceof FencedError && classify(error) === 'terminate') return fenced();
    throw error;
  }
}

const READY_FILE_POLL_MS = 100;
const LONG_POLL = '30s';

export async function run(args: string[]): Promise<number> {
  const separator = args.indexOf('--');
  const own = separator === -1 ? args : args.slice(0, separator);
  const { values, positionals } = parse('run', own, {
    ...SERVER_OPTIONS,
    env: { type: 'string' },
    generation: { type: 'string' },
    holder: { type: 'string' },
    grace: { type: 'string' },
    'await-promotion': { type: 'boolean' },
    'ready-file': { type: 'string' },
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
  if (values['ready-file'] !== undefined && !values['await-promotion']) {
    throw new UsageError('--ready-file goes with --await-promotion', 'run');
  }
  const { client, url } = tenantClient('run', values);
  const resolution = await resolveCommand(command[0]!);
  if ('problem' in resolution) {
    log(`cannot start ${command[0]}: ${resolution.problem}`);
    return resolution.exitCode;
  }
  const { executable } = resolution;
  const childEnv = {
    PALISADE_ENV: env,
    PALISADE_GENERATION: String(generation),
    PALISADE_URL: url,
    PALISADE_HOLDER: holder,
  };

  const forwarded = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of FORWARDED_SIGNALS) process.on(signal, () => resolve(signal));
  });

  let token: Token | null = null;
  if (values['await-promotion']) {
    let deployment: Deployment;
    try {
      deployment = await client.registerDeployment(env, generation, { holder });
    } catch (error) {
      if (error instanceof FencedError && classify(error) === 'terminate') {
        log(`${env} is held by a newer generation; generation ${generation} does not start`);
        return EXIT.ok;
      }
      throw error;
    }
    if (isPromoted(deployment.state)) {
      log(`generation ${generation} already leads ${env}: fencing again as a restart`);
    } else {
      const readyFile = values['ready-file'] ?? join(tmpdir(), `palisade-${env}-${generation}-${process.pid}.ready`);
      rmSync(readyFile, { force: true });
      log(`registered generation ${generation} as a candidate for ${env}; starting ${command.join(' ')} read-only`);
      let readOnly: Child;
      try {
        readOnly = await startChild(
          executable,
          command,
          { ...childEnv, PALISADE_MODE: 'read_only', PALISADE_READY_FILE: readyFile },
          graceMs,
        );
      } catch (error) {
        log(
          `cannot start ${command[0]}: ${(error as Error).message}; nothing was fenced, generation ${generation} stays registered as a candidate for ${env}`,
        );
        return (error as NodeJS.ErrnoException).code === 'ENOENT' ? RUN_EXIT.notFound : RUN_EXIT.cannotExecute;
      }
      const waiting = new AbortController();
      try {
        const first = await Promise.race([
          readOnly.exited.then((exit) => ({ kind: 'exited' as const, exit })),
          forwarded.then((signal) => ({ kind: 'signal' as const, signal })),
          awaitPromotion(client, { env, generation, holder, readyFile }, waiting.signal).then(
            (handover) => ({ kind: 'handover' as const, handover }),
            (error: unknown) => ({ kind: 'failed' as const, error }),
          ),
        ]);
        if (first.kind === 'exited') return childEnded(command, first.exit, ' before promotion');
        if (first.kind === 'signal') {
          log(`received ${first.signal}; passing it on to ${command[0]}`);
          return exitCodeOf(await readOnly.stop(first.signal));
        }
        if (first.kind === 'failed') {
          log(
            `cannot await the promotion: ${first.error instanceof Error ? first.error.message : String(first.error)}; stopping ${command[0]}`,
          );
          await readOnly.stop('SIGTERM');
          return EXIT.failure;
        }
        if (first.handover.kind === 'fenced') {
          log(`${first.handover.reason}; stopping ${command[0]}`);
          await readOnly.stop('SIGTERM');
          log('exiting 0 (terminate: the environment has a new owner)');
          return EXIT.ok;
        }
        token = first.handover.token;
        log(`promoted: ${showToken(token)}; restarting ${command[0]} as the leader`);
        await readOnly.stop('SIGTERM');
      } finally {
        waiting.abort();
        rmSync(readyFile, { force: true });
      }
    }
  }

  token ??= await fenceOrStandDown(client, env, generation, holder);
  if (token === null) return EXIT.ok;
  log(
    `${values['await-promotion'] ? 'leading' : 'fenced'} ${env} as ${showToken(token)}, holder ${holder}; starting ${command.join(' ')}`,
  );
  let leader: Child;
  try {
    leader = await startChild(
      executable,
      command,
      { ...childEnv, PALISADE_MODE: 'leader', PALISADE_TOKEN: JSON.stringify(token) },
      graceMs,
    );
  } catch (error) {
    log(
      `took ${env}'s token (${showToken(token)}, holder ${holder}) but ${command[0]} never ran: ${(error as Error).message}; ` +
        `${env} is held by no running process; exiting ${RUN_EXIT.tokenTakenCommandNeverRan}`,
    );
    return RUN_EXIT.tokenTakenCommandNeverRan;
  }
  if (values['await-promotion']) {
    // A newer generation may be promoted meanwhile; the watch below sees it, so a refusal here is no failure.
    client.registerDeployment(env, generation, { holder, state: 'is_leader' }).then(
      () => log(`generation ${generation} is_leader`),
      (error: unknown) => log(`could not report is_leader: ${error instanceof Error ? error.message : String(error)}`),
    );
  }

  const watching = new AbortController();
  const first = await Promise.race([
    leader.exited.then((exit) => ({ kind: 'exited' as const, exit })),
    watchForTakeover(client, env, token, watching.signal).then((verdict) => ({ kind: 'verdict' as const, verdict })),
    forwarded.then((signal) => ({ kind: 'signal' as const, signal })),
  ]);

  if (first.kind === 'exited') {
    watching.abort();
    return childEnded(command, first.exit);
  }

  if (first.kind === 'signal') {
    watching.abort();
    log(`received ${first.signal}; passing it on to ${command[0]}`);
    return exitCodeOf(await leader.stop(first.signal));
  }

  const { verdict } = first;
  watching.abort();
  log(`${verdict.reason}; stopping ${command[0]} (SIGTERM, grace ${formatDuration(graceMs)})`);
  await leader.stop('SIGTERM');
  if (verdict.outcome === 'terminate') {
    log('exiting 0 (terminate: the environment has a new owner)');
    return EXIT.ok;
  }
  if (verdict.outcome === 'halt') {
    log(`exiting ${RUN_EXIT.halt} (halt: this generation was fenced again; restart it)`);
    return RUN_EXIT.halt;
  }
  log('exiting 1 (the takeover can no longer be watched)');
  return EXIT.failure;
}
