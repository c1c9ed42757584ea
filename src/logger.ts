import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** Fields censored one level down in what is logged (a logged `headers`, `config` or `webhook`). */
const SECRET_FIELDS = ['authorization', 'key', 'secret', 'adminToken'];
const CENSOR = '[redacted]';

/**
 * pino's own `redact` with wildcard paths walks every line's object with a compiled matcher, about
 * 5 µs a line even for the flat request line, a few per cent of a small request's CPU; this looks
 * only inside the values that are objects, and copies one only when it holds a secret field.
 */
function censorSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let censored: Record<string, unknown> | undefined;
  for (const name in object) {
    const value = object[name];
    if (typeof value !== 'object' || value === null || !SECRET_FIELDS.some((field) => Object.hasOwn(value, field)))
      continue;
    const copy: Record<string, unknown> = { ...value };
    for (const field of SECRET_FIELDS) if (Object.hasOwn(copy, field)) copy[field] = CENSOR;
    censored ??= { ...object };
    censored[name] = copy;
  }
  return censored ?? object;
}

let stampedAt = Number.NaN;
let stamp = '';

/**
 * pino.stdTimeFunctions.isoTime, formatting each millisecond once: a busy process logs several
 * lines a millisecond, and toISOString was a per cent of a small request's CPU.
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}

export function createLogger(level: Config['logLevel']): Logger {
  return pino(
    {
      level,
      base: { service: 'palisade' },
      timestamp: isoTime,
      formatters: { log: censorSecrets },
    },
    // Buffered writes keep a log line per request off the request's path; pino flushes on exit.
    // Lines are gathered into writes of 4 KiB or every 100 ms: a write per line cost a system call
    // per request, about a tenth of the CPU a small request takes.
    pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }),
  );
}
