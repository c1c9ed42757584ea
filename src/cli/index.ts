#!/usr/bin/env node
import { classify, FencedError, isNetworkError, PalisadeError } from '../client/index.js';
import { CliError, EXIT } from './common.js';
import { deploy, DEPLOY_HELP } from './deploy.js';
import { env, ENV_HELP } from './env.js';
import { keys, KEYS_HELP } from './keys.js';
import { run, RUN_HELP } from './run.js';
import { migrate, serve } from './server.js';

const HELP = `Usage: palisade <command> [options]

Fencing tokens as a service: the server, and a client for it.

Commands:
  serve                                start the service (configured from the environment)
  migrate                              apply the database migrations and exit
  keys create|revoke                   manage API keys (admin token)
  env fence|confirm|show|log|watch     work with an environment (tenant key)
  run --env E --generation G -- CMD    run CMD as the holder of E's token; stop it on a takeover
  deploy status|ready|promote|wait     the operator's side of a handover (--env E --generation G)

Client commands read the service from $PALISADE_URL (or --url, default http://localhost:8080) and
the key from $PALISADE_API_KEY (or --key); keys commands read $PALISADE_ADMIN_TOKEN (or --admin-token).

Exit codes: 0 success; 1 failure (an error answer, the service unreachable); 3 fenced (env fence,
env confirm, deploy); 64 usage error. \`run\` exits 0 on a takeover, 2 on an epoch fence, 127/126 when CMD
cannot start (nothing fenced), 3 when its token was taken but CMD never ran, else CMD's code.

Run \`palisade <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, (args: string[]) => Promise<number | 'running'>> = {
  serve,
  migrate,
  keys,
  env,
  run,
  deploy,
};

async function main(argv: string[]): Promise<number | 'running'> {
  const [command, ...args] = argv;
  if (command === undefined) {
    process.stderr.write(HELP);
    return EXIT.usage;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = args[0];
    if (topic === 'keys') process.stdout.write(KEYS_HELP);
    else if (topic === 'env') process.stdout.write(ENV_HELP);
    else if (topic === 'run') process.stdout.write(RUN_HELP);
    else if (topic === 'deploy') process.stdout.write(DEPLOY_HELP);
    else if (topic && topic in COMMANDS) return COMMANDS[topic]!(['--help']);
    else process.stdout.write(HELP);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler)
    throw new CliError(`unknown command ${JSON.stringify(command)}\nRun \`palisade --help\` for usage.`, EXIT.usage);
  return handler(args);
}

/** A 400's `errors`, one `path: message` per line: the detail alone only says to see them. */
function validationErrors(body: unknown): string {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return '';
  return errors
    .map(
      (issue: { path?: unknown; message?: unknown }) =>
        `\n  ${String(issue.path ?? '') || '(body)'}: ${String(issue.message ?? '')}`,
    )
    .join('');
}

function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof FencedError) {
    return { message: `fenced (${error.kind}, action ${error.action}): ${error.detail}`, exitCode: EXIT.fenced };
  }
  if (error instanceof PalisadeError) {
    const action = error.action ? ` (action ${error.action})` : ` (${classify(error)})`;
    return {
      message: `the service answered ${error.status} ${error.code}: ${error.detail}${action}${validationErrors(error.body)}`,
      exitCode: EXIT.failure,
    };
  }
  if (isNetworkError(error)) return { message: (error as Error).message, exitCode: EXIT.failure };
  return { message: error instanceof Error ? (error.stack ?? error.message) : String(error), exitCode: EXIT.failure };
}

// Output piped into a program that stopped reading (`palisade env watch … | head`) is no error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

try {
  const result = await main(process.argv.slice(2));
  // `serve` keeps running; the server's own signal handling ends the process.
  if (result !== 'running') process.exit(result);
} catch (error) {
  const { message, exitCode } = describeFailure(error);
  process.stderr.write(`palisade: ${message}\n`);
  process.exit(exitCode);
}
