import { hostname } from 'node:os';
import { FencedError, type Token } from '../client/index.js';
import {
  CliError,
  EXIT,
  parse,
  print,
  required,
  say,
  SERVER_HELP,
  SERVER_OPTIONS,
  tenantClient,
  UsageError,
  wholeNumber,
} from './common.js';

export const ENV_HELP = `Usage: palisade env <fence|confirm|show|log|watch> ENV [options]

Work with an environment of your tenant (key from $PALISADE_API_KEY or --key, service from
$PALISADE_URL or --url).

Commands:
  fence ENV --generation G [--holder H]   issue the next token; prints {token, previous}
  confirm ENV [--token JSON | --generation G --epoch E]
                                          check that a token is still current (exit 3 if fenced)
  show ENV                                the environment: {name, token, holder, upper, …}
  log ENV [--from N] [--limit N]          read the environment's log
  watch ENV [--last-event-id N]           follow the token: one JSON event per line

Run \`palisade env <command> --help\` for its options.
`;

const COMMON_HELP = `${SERVER_HELP}\n  -h, --help             show this help`;

const HELP: Record<string, string> = {
  fence: `Usage: palisade env fence ENV --generation G [--holder H] [options]

Issues the next fence token for ENV (creating it if absent) with deploy generation G and prints
{token, previous}. A generation lower than the current one is refused: exit 3 with the
fenced problem on stderr.

Options:
  --generation G         the deploy generation, a whole number
  --holder H             who holds the token (default: hostname:pid)
${COMMON_HELP}
`,
  confirm: `Usage: palisade env confirm ENV [--token JSON | --generation G --epoch E] [options]

Checks that a token is still ENV's current one: prints {token, upper} and exits 0 if it is; exits
3 with the fenced problem on stderr if a newer token was issued.

Options:
  --token JSON           the token, e.g. '{"deploy_generation":2,"epoch":7}' (default: $PALISADE_TOKEN,
                         which \`palisade run\` gives its command)
  --generation G         the token's deploy generation (with --epoch, instead of --token)
  --epoch E              the token's epoch
${COMMON_HELP}
`,
  show: `Usage: palisade env show ENV [options]

Prints the environment as JSON: {name, token, holder, upper, created_at, fenced_at}.

Options:
${COMMON_HELP}
`,
  log: `Usage: palisade env log ENV [--from N] [--limit N] [options]

Prints entries of ENV's log as JSON: {entries: [{offset, data, token, appended_at}], upper}.

Options:
  --from N               first offset (default 0)
  --limit N              at most this many entries (default 100, at most 1000)
${COMMON_HELP}
`,
  watch: `Usage: palisade env watch ENV [--last-event-id N] [options]

Follows ENV as Server-Sent Events and prints each event as one JSON line: {event, id, data} with
event snapshot, fenced or deleted. Reconnects by itself after a lost connection, resuming from the
last event id. Runs until interrupted (exit 0).

Options:
  --last-event-id N      resume after this event id (an epoch): the tokens issued since come first
${COMMON_HELP}
`,
};

function environmentName(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError('give exactly one environment name', command);
  return positionals[0]!;
}

/** A fenced answer is the expected "no" of fence and confirm: exit 3 rather than 1. */
async function fencedExit<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof FencedError) {
      process.stderr.write(`${JSON.stringify(error.body, null, 2)}\n`);
      throw new CliError(`fenced (${error.kind}, action ${error.action}): ${error.detail}`, EXIT.fenced);
    }
    throw error;
  }
}

function parseToken(command: string, text: string, source: string): Token {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${source} is not JSON: ${JSON.stringify(text)}`, command);
  }
  const token = value as Partial<Token> | null;
  if (
    typeof token !== 'object' ||
    token === null ||
    !Number.isSafeInteger(token.deploy_generation) ||
    !Number.isSafeInteger(token.epoch)
  ) {
    throw new UsageError(`${source} must be {"deploy_generation": G, "epoch": E}`, command);
  }
  return { deploy_generation: token.deploy_generation!, epoch: token.epoch! };
}

export async function env(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(ENV_HELP);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = `env ${sub}`;
  switch (sub) {
    case 'fence': {
      const { values, positionals } = parse(command, rest, {
        ...SERVER_OPTIONS,
        generation: { type: 'string' },
        holder: { type: 'string' },
      });
      if (values.help) return help(sub);
      const name = environmentName(command, positionals);
      const generation = required(command, 'generation', wholeNumber(command, 'generation', values.generation));
      const holder = values.holder ?? `${hostname()}:${process.pid}`;
      const { client } = tenantClient(command, values);
      print(await fencedExit(client.fence(name, { deploy_generation: generation, holder })));
      return EXIT.ok;
    }
    case 'confirm': {
      const { values, positionals } = parse(command, rest, {
        ...SERVER_OPTIONS,
        token: { type: 'string' },
        generation: { type: 'string' },
        epoch: { type: 'string' },
      });
      if (values.help) return help(sub);
      const name = environmentName(command, positionals);
      let token: Token;
      if (values.token !== undefined) {
        token = parseToken(command, values.token, '--token');
      } else if (values.generation !== undefined || values.epoch !== undefined) {
        token = {
          deploy_generation: required(command, 'generation', wholeNumber(command, 'generation', values.generation)),
          epoch: required(command, 'epoch', wholeNumber(command, 'epoch', values.epoch)),
        };
      } else if (process.env.PALISADE_TOKEN) {
        token = parseToken(command, process.env.PALISADE_TOKEN, '$PALISADE_TOKEN');
      } else {
        throw new UsageError('give the token: --token JSON, --generation G --epoch E, or $PALISADE_TOKEN', command);
      }
      const { client } = tenantClient(command, values);
      print(await fencedExit(client.confirm(name, token)));
      return EXIT.ok;
    }
    case 'show': {
      const { values, positionals } = parse(command, rest, SERVER_OPTIONS);
      if (values.help) return help(sub);
      const name = environmentName(command, positionals);
      const { client } = tenantClient(command, values);
      print(await client.getEnvironment(name));
      return EXIT.ok;
    }
    case 'log': {
      const { values, positionals } = parse(command, rest, {
        ...SERVER_OPTIONS,
        from: { type: 'string' },
        limit: { type: 'string' },
      });
      if (values.help) return help(sub);
      const name = environmentName(command, positionals);
      const from = wholeNumber(command, 'from', values.from);
      const limit = wholeNumber(command, 'limit', values.limit);
      const { client } = tenantClient(command, values);
      print(await client.readLog(name, { ...(from !== undefined && { from }), ...(limit !== undefined && { limit }) }));
      return EXIT.ok;
    }
    case 'watch': {
      const { values, positionals } = parse(command, rest, { ...SERVER_OPTIONS, 'last-event-id': { type: 'string' } });
      if (values.help) return help(sub);
      const name = environmentName(command, positionals);
      const lastEventId = wholeNumber(command, 'last-event-id', values['last-event-id']);
      const { client } = tenantClient(command, values);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      for await (const event of client.watch(name, {
        signal: stop.signal,
        ...(lastEventId !== undefined && { lastEventId }),
        onReconnect: ({ error, delayMs }) =>
          say(
            `${command}: connection lost (${error instanceof Error ? error.message : String(error)}); reconnecting in ${delayMs} ms`,
          ),
      })) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
      }
      return EXIT.ok;
    }
    default:
      throw new CliError(
        `env: unknown command ${JSON.stringify(sub)}\nRun \`palisade env --help\` for usage.`,
        EXIT.usage,
      );
  }
}

function help(sub: string): number {
  process.stdout.write(HELP[sub]!);
  return EXIT.ok;
}
