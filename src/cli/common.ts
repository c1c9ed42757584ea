import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createPalisadeClient, type PalisadeClient } from '../client/index.js';
import { parseDuration } from '../duration.js';

export const DEFAULT_URL = 'http://localhost:8080';

/** Exit codes shared by the commands (`run` has its own beside them, and passes the child's on). */
export const EXIT = { ok: 0, failure: 1, fenced: 3, usage: 64 } as const;

/** Ends the command with a message on stderr and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(`${message}\nRun \`palisade ${command} --help\` for usage.`, EXIT.usage);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

export const SERVER_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
} as const satisfies Options;

export const SERVER_HELP = [
  `  --url URL              the service (default: $PALISADE_URL, else ${DEFAULT_URL})`,
  '  --key KEY              the tenant API key (default: $PALISADE_API_KEY)',
].join('\n');

/** `util.parseArgs` in strict mode, its errors as usage errors of `command`. */
export function parse<T extends Options>(command: string, args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options: { ...options, ...HELP_OPTION }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}

export function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function say(message: string): void {
  process.stderr.write(`palisade: ${message}\n`);
}

export function serverUrl(flag: string | undefined): string {
  const url = flag ?? (process.env.PALISADE_URL || DEFAULT_URL);
  if (!/^https?:\/\/[^/]/.test(url))
    throw new CliError(`the service URL must be http(s)://…, got ${JSON.stringify(url)}`, EXIT.usage);
  return url.replace(/\/+$/, '');
}

/** A client for a tenant's key, from `--url`/`--key` or PALISADE_URL/PALISADE_API_KEY. */
export function tenantClient(
  command: string,
  values: { url?: string; key?: string },
): { client: PalisadeClient; url: string } {
  const key = values.key ?? (process.env.PALISADE_API_KEY || undefined);
  if (!key) throw new UsageError('an API key is needed: set PALISADE_API_KEY or pass --key', command);
  const url = serverUrl(values.url);
  return { client: createPalisadeClient({ baseUrl: url, apiKey: key }), url };
}

/** A whole number in 0 .. 2^53-1, written as plain digits. */
export function wholeNumber(command: string, name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(text)}`, command);
  }
  return Number(text);
}

export function required<T>(command: string, name: string, value: T | undefined): T {
  if (value === undefined) throw new UsageError(`--${name} is required`, command);
  return value;
}

/** A duration flag, in the configuration's syntax: a number and a unit (10s, 500ms, 2m). */
export function duration(command: string, name: string, text: string): number {
  const parsed = parseDuration(text);
  if ('error' in parsed) throw new UsageError(`--${name}: ${parsed.error}`, command);
  return parsed.ms;
}
