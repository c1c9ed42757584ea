import { z } from 'zod';

/** Every error the API can answer, by its stable snake_case code. */
export const ErrorCode = z.enum([
  'fenced',
  'upper_mismatch',
  'token_from_future',
  'invalid_transition',
  'resource_exhausted',
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'payload_too_large',
  'idempotency_in_flight',
  'idempotency_key_reused',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The one thing a client should do about an error. */
export const ErrorAction = z.enum([
  'terminate',
  'halt',
  'retry',
  'backoff',
  'abort',
  'fix_request',
  'authenticate',
]);
export type ErrorAction = z.infer<typeof ErrorAction>;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

/** `actions` lists every action a code can carry, its usual one first. */
const catalog: Record<ErrorCode, { status: ErrorStatus; title: string; actions: readonly [ErrorAction, ...ErrorAction[]] }> = {
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
 * The single error type of the service. `members` are the typed extension members of the
 * problem body (for example `kind` and `current_token` of `fenced`); `headers` are sent with it.
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

export type ValidationIssue = { path: string; message: string };

export function invalidRequest(detail: string, errors: ValidationIssue[]): ApiError {
  return new ApiError('invalid_request', detail, { errors });
}

export function notFound(detail: string): ApiError {
  return new ApiError('not_found', detail);
}
