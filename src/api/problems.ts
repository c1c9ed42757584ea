import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type ErrorAction, type ErrorCode, invalidRequest, Refusal } from '../domain/refusal.js';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

/** `actions` lists every action a code can carry, its usual one first. */
const catalog: Record<
  ErrorCode,
  { status: ErrorStatus; title: string; actions: readonly [ErrorAction, ...ErrorAction[]] }
> = {
  fenced: { status: 409, title: 'Fenced by a newer token', actions: ['terminate', 'halt'] },
  upper_mismatch: { status: 409, title: 'Log upper does not match', actions: ['retry'] },
  token_from_future: { status: 409, title: 'Token was never issued', actions: ['abort'] },
  invalid_transition: { status: 409, title: 'Deployment cannot make this transition', actions: ['abort', 'retry'] },
  resource_exhausted: { status: 429, title: 'Resource exhausted', actions: ['backoff'] },
  invalid_request: { status: 400, title: 'Invalid request', actions: ['fix_request'] },
  unauthorized: { status: 401, title: 'Unauthorized', actions: ['authenticate'] },
  forbidden: { status: 403, title: 'Forbidden', actions: ['abort'] },
  not_found: { status: 404, title: 'Not found', actions: ['fix_request'] },
  payload_too_large: { status: 413, title: 'Payload too large', actions: ['fix_request'] },
  idempotency_in_flight: { status: 409, title: 'Idempotent request in flight', actions: ['retry'] },
  idempotency_key_reused: {
    status: 422,
    title: 'Idempotency key reused',
    actions: ['fix_request'],
  },
  unavailable: { status: 503, title: 'Service unavailable', actions: ['retry'] },
  internal: { status: 500, title: 'Internal error', actions: ['retry'] },
};

export const PROBLEM_TYPE_BASE = 'https://palisade.dev/problems/';

export const PROBLEM_JSON = 'application/problem+json';

export function codeToStatus(code: ErrorCode): ErrorStatus {
  return catalog[code].status;
}

export function errorTitle(code: ErrorCode): string {
  return catalog[code].title;
}

export function errorActions(code: ErrorCode): readonly [ErrorAction, ...ErrorAction[]] {
  return catalog[code].actions;
}

export function problemType(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code.replaceAll('_', '-')}`;
}

/**
 * An error as it goes on the wire: `members` are the typed extension members of the problem body
 * (for example `kind` and `current_token` of `fenced`); `headers` are sent with it.
 */
export class ApiError extends Error {
  readonly status: ErrorStatus;
  readonly action: ErrorAction;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly members: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    action?: ErrorAction,
  ) {
    super(detail);
    this.status = codeToStatus(code);
    this.action = action ?? catalog[code].actions[0];
  }

  toProblem(requestId?: string): Record<string, unknown> {
    return {
      type: problemType(this.code),
      title: errorTitle(this.code),
      status: this.status,
      detail: this.detail,
      code: this.code,
      action: this.action,
      ...this.members,
      ...(requestId ? { request_id: requestId } : {}),
    };
  }
}

/**
 * The headers a refusal is sent with: a `resource_exhausted` carries the IETF RateLimit fields of
 * its resource (with the window and the time to wait where waiting helps), and any refusal that
 * says when to try again carries Retry-After.
 */
function refusalHeaders(refusal: Refusal): Record<string, string> {
  const headers: Record<string, string> = {};
  const { resource, limit } = refusal.members;
  if (refusal.code === 'resource_exhausted' && resource !== undefined && limit !== undefined) {
    const { window, retryAfterSeconds } = refusal;
    headers['ratelimit-policy'] = `"${resource}";q=${window?.quota ?? limit}${window ? `;w=${window.seconds}` : ''}`;
    headers.ratelimit = `"${resource}";r=0${retryAfterSeconds === undefined ? '' : `;t=${retryAfterSeconds}`}`;
  }
  if (refusal.retryAfterSeconds !== undefined) headers['retry-after'] = String(refusal.retryAfterSeconds);
  return headers;
}

export function fromRefusal(refusal: Refusal): ApiError {
  return new ApiError(refusal.code, refusal.detail, refusal.members, refusalHeaders(refusal), refusal.action);
}

export function problemResponse(c: Context, error: ApiError): Response {
  const headers: Record<string, string> = { 'content-type': PROBLEM_JSON, ...error.headers };
  return c.body(JSON.stringify(error.toProblem(c.get('requestId'))), error.status, headers);
}

/** Connection-level failures of either driver: the database is unreachable, not the request bad. */
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'POOL_ACQUIRE_TIMEOUT',
]);

/** PGlite has no error codes of its own; a closed instance says so only in its message. */
const PGLITE_CLOSED = /^PGlite is clos(ed|ing)$/;

export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (typeof e.message === 'string' && PGLITE_CLOSED.test(e.message)) return true;
    // SQLSTATE class 08 (connection exception), 57P0x (server shutting down), 53300 (too many
    // connections), 40001/40P01 (serialization failure, deadlock), which a retry resolves, the
    // session bounds: 57014 (statement timeout), 55P03 (lock timeout), 25P03 (idle in transaction),
    // and 25006 (a write on a server that is not the primary, as after a failover).
    if (
      UNAVAILABLE_ERRNO.has(code) ||
      code.startsWith('08') ||
      /^57P0[1-3]$/.test(code) ||
      ['53300', '40001', '40P01', '57014', '55P03', '25P03', '25006'].includes(code)
    ) {
      return true;
    }
    e = e.cause as typeof e;
  }
  return false;
}

/** The answer to an error the service knows; null for one it does not (a bug), answered as `internal`. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof Refusal) return fromRefusal(error);
  if (error instanceof HTTPException) {
    if (error.status === 415) {
      return fromRefusal(
        invalidRequest('The request body must be JSON, sent with Content-Type: application/json.', [
          { path: 'header.content-type', message: 'must be application/json' },
        ]),
      );
    }
    if (error.status === 400) {
      return fromRefusal(
        invalidRequest('The request body is not valid JSON.', [{ path: 'body', message: 'malformed JSON' }]),
      );
    }
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError(
      'unavailable',
      'The database cannot be reached; try again shortly.',
      {},
      {
        'retry-after': '1',
      },
    );
  }
  return null;
}
