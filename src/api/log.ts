import { z } from '@hono/zod-openapi';
import { appendEntries, readEntries } from '../domain/log.js';
import { invalidRequest } from '../domain/refusal.js';
import { ApiError } from './problems.js';
import type { App, AppDeps } from './types.js';
import { defineRoute } from './route.js';
import {
  EnvironmentParams,
  FencedProblem,
  jsonBody,
  jsonResponse,
  integerQuery,
  Limit,
  MAX_INT53,
  Timestamp,
  Token,
  TokenFromFutureProblem,
  UpperMismatchProblem,
} from './schemas.js';

const tags = ['log'];

/** Deeper entries are refused before they are serialized: serializing them would exhaust the stack. */
export const MAX_ENTRY_DEPTH = 100;

/**
 * Why an entry cannot be stored as sent, or null. Numbers beyond double range parse to Infinity,
 * which JSON cannot carry: storing it would silently turn it into null.
 */
function unstorableEntry(value: unknown): string | null {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current === 'number' && !Number.isFinite(current)) return 'has a number out of range';
    if (current === null || typeof current !== 'object') continue;
    if (depth > MAX_ENTRY_DEPTH) return `nested deeper than ${MAX_ENTRY_DEPTH} levels`;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return null;
}

const Offset = z.number().int().min(0).max(MAX_INT53);

const EntryData = z.unknown().openapi({
  description: 'Any JSON value; at most 64 KiB serialized and 100 levels deep.',
  example: { op: 'set', key: 'k', value: 1 },
});

const AppendRequest = z
  .strictObject({
    token: Token,
    expected_upper: Offset.optional().openapi({
      description: 'Compare-and-append: refused with 409 upper_mismatch unless the log’s upper equals it.',
    }),
    entries: z.array(EntryData).min(1).max(1000),
  })
  .openapi('AppendRequest');

const AppendResult = z
  .object({
    offset: Offset.openapi({ description: 'Offset of the first appended entry.' }),
    upper: Offset.openapi({ description: 'The log’s upper after the append.' }),
  })
  .openapi('AppendResult');

const LogEntry = z
  .object({ offset: Offset, data: EntryData, token: Token, appended_at: Timestamp })
  .openapi('LogEntry');

const LogPage = z
  .object({
    entries: z.array(LogEntry),
    upper: Offset,
    next_from: Offset.openapi({
      description:
        'Where the next page starts: the offset after the last entry of this one. A page ends at `limit` entries or before its entries pass the byte cap of a page (PALISADE_MAX_LOG_PAGE_BYTES, 1 MiB by default; an entry larger than the cap comes alone), whichever is first; the log is read to its end when next_from equals upper.',
    }),
  })
  .openapi('LogPage');

const appendRoute = defineRoute({
  method: 'post',
  path: '/v1/environments/{env}/log',
  operationId: 'appendLog',
  summary: 'Append entries, fenced by the writer’s token',
  description:
    'Accepted only if token equals the environment’s current token; the token is checked before expected_upper, so a stale writer always learns it was fenced.',
  tags,
  auth: 'tenant',
  idempotent: true,
  notFound: true,
  conflicts: [FencedProblem, UpperMismatchProblem, TokenFromFutureProblem],
  request: { params: EnvironmentParams, body: jsonBody(AppendRequest) },
  responses: {
    201: jsonResponse(AppendResult, 'Appended; entries are at offset .. upper-1.'),
  },
});

const readRoute = defineRoute({
  method: 'get',
  path: '/v1/environments/{env}/log',
  operationId: 'readLog',
  summary: 'Read entries from an offset',
  tags,
  auth: 'tenant',
  notFound: true,
  request: {
    params: EnvironmentParams,
    query: z.object({
      from: integerQuery('from', { min: 0, max: MAX_INT53, default: 0 }, 'First offset to read.'),
      limit: Limit,
    }),
  },
  responses: {
    200: jsonResponse(
      LogPage,
      'Entries from offset `from`, in order, the log’s upper, and where the next page starts.',
    ),
  },
});

export function registerLogRoutes(app: App, deps: AppDeps): void {
  const { maxEntryBytes } = deps.config;

  app.openapi(appendRoute, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json');
    const serialized = body.entries.map((entry, index) => {
      const problem = unstorableEntry(entry);
      if (problem) {
        throw invalidRequest(`Entry ${index} ${problem}.`, [{ path: `body.entries.${index}`, message: problem }]);
      }
      const text = JSON.stringify(entry);
      if (Buffer.byteLength(text) > maxEntryBytes) {
        throw new ApiError(
          'payload_too_large',
          `Entry ${index} is over the limit of ${maxEntryBytes} bytes serialized.`,
          { limit: maxEntryBytes, entry_index: index },
        );
      }
      return text;
    });
    const result = await appendEntries(c.get('db'), c.get('tenant'), env, {
      token: body.token,
      expectedUpper: body.expected_upper ?? null,
      entries: serialized,
      maxEntries: c.get('limits').logEntries,
    });
    return c.json(result, 201);
  });

  app.openapi(readRoute, async (c) => {
    const { env } = c.req.valid('param');
    const { from, limit } = c.req.valid('query');
    const page = await readEntries(c.get('db'), c.get('tenant'), env, {
      from,
      limit,
      maxBytes: c.get('limits').logPageBytes,
    });
    return c.json(
      {
        entries: page.entries.map((entry) => ({
          offset: entry.offset,
          data: JSON.parse(entry.data) as unknown,
          token: entry.token,
          appended_at: entry.appendedAt.toISOString(),
        })),
        upper: page.upper,
        next_from: page.nextFrom,
      },
      200,
    );
  });
}
