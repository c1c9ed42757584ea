import { z } from 'zod';
import type { Token } from './token.js';

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
export const ErrorAction = z.enum(['terminate', 'halt', 'retry', 'backoff', 'abort', 'fix_request', 'authenticate']);
export type ErrorAction = z.infer<typeof ErrorAction>;

export type ValidationIssue = { path: string; message: string };

export type FenceKind = 'deploy_generation' | 'epoch';

export type Resource =
  | 'request_rate'
  | 'environments'
  | 'log_entries'
  | 'webhooks'
  | 'in_flight'
  | 'watch_streams'
  | 'idempotency_keys'
  | 'auth_failures';

/** What a refusal tells the client beside its code and detail, named as the problem body names it. */
export type RefusalMembers = {
  kind?: FenceKind;
  current_token?: Token | null;
  your_token?: Token;
  your_deploy_generation?: number;
  expected_upper?: number;
  current_upper?: number;
  deployment_state?: string | null;
  requested_state?: string;
  allowed_from?: (string | null)[];
  resource?: Resource;
  limit?: number;
  entry_index?: number;
  errors?: ValidationIssue[];
};

/** A rate's window: how long it counts over, and its quota when that is not the limit (a token bucket's burst). */
export type RateWindow = { seconds: number; quota?: number };

export type RefusalOptions = {
  /** The action when it is not the code's usual one. */
  action?: ErrorAction;
  /** When trying again may succeed. */
  retryAfterSeconds?: number;
  /** Of a `resource_exhausted` rate, where waiting helps. */
  window?: RateWindow;
};

/**
 * The service refusing a request: a rule of its own (a stale token, a transition the handover does
 * not have, a quota), a name that does not exist, or input it cannot take. What the client is told
 * is in `code`, `detail` and `members`; how that goes on the wire is the API's business.
 */
export class Refusal extends Error {
  readonly action: ErrorAction | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly window: RateWindow | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly members: RefusalMembers = {},
    options: RefusalOptions = {},
  ) {
    super(detail);
    this.action = options.action;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.window = options.window;
  }
}

export function invalidRequest(detail: string, errors: ValidationIssue[]): Refusal {
  return new Refusal('invalid_request', detail, { errors });
}

export function notFound(detail: string): Refusal {
  return new Refusal('not_found', detail);
}
