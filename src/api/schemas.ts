import { z } from '@hono/zod-openapi';
import { DEPLOYMENT_STATES } from '../domain/deploymentStates.js';
import type { ErrorCode } from '../domain/refusal.js';
import { codeToStatus, errorActions, errorTitle, type ErrorStatus, PROBLEM_JSON, problemType } from './problems.js';

/** Schemas shared by several endpoint groups: tokens, names, pagination and problem bodies. */

export const MAX_INT53 = Number.MAX_SAFE_INTEGER;

export const DeployGeneration = z
  .number()
  .int()
  .min(0)
  .max(MAX_INT53)
  .openapi({ description: 'Deploy generation, 0 .. 2^53-1.', example: 2 });

export const Epoch = z
  .number()
  .int()
  .min(1)
  .max(MAX_INT53)
  .openapi({ description: 'Epoch, 1 .. 2^53-1, strictly increasing per environment.', example: 7 });

export const Token = z.strictObject({ deploy_generation: DeployGeneration, epoch: Epoch }).openapi('Token', {
  description:
    'A fence token. Ordered by deploy_generation, then epoch; epoch alone is strictly increasing per environment.',
});

/**
 * A token or null. A schema of its own: describing `Token.nullable()` in place would rewrite the
 * shared Token component as nullable everywhere.
 */
export const NullableToken = z
  .union([Token, z.null()])
  .openapi('NullableToken', { description: 'A token, or null where none is in force.' });

export const Timestamp = z
  .string()
  .openapi({ format: 'date-time', description: 'RFC 3339 UTC time.', example: '2026-11-26T02:30:00.000Z' });

/** The shape of environment and tenant names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const EnvironmentName = z
  .string()
  .regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`)
  .openapi({
    param: { name: 'env', in: 'path' },
    description: 'Environment name, unique per tenant.',
    example: 'orders-db',
  });

export const EnvironmentParams = z.object({ env: EnvironmentName });

/** PostgreSQL text holds neither NUL characters nor unpaired surrogates; refuse them up front. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && text.isWellFormed();
}

export const StorableText = z.string().refine(isStorableText, 'must not contain NUL characters or unpaired surrogates');

export const Holder = StorableText.check(z.minLength(1), z.maxLength(256)).openapi({
  description: 'Free-form label of the token holder (pod name, host:pid).',
  example: 'coordinator-7f9c:4121',
});

/** A non-negative integer query parameter, written in plain digits. */
export function integerQuery(name: string, bounds: { min: number; max: number; default: number }, description: string) {
  return z
    .string()
    .regex(/^\d{1,16}$/, 'must be a non-negative integer in plain digits')
    .transform(Number)
    .pipe(z.number().min(bounds.min).max(bounds.max))
    .default(bounds.default)
    .openapi({
      param: { name, in: 'query' },
      type: 'integer',
      minimum: bounds.min,
      maximum: bounds.max,
      default: bounds.default,
      description,
    });
}

export const Limit = integerQuery('limit', { min: 1, max: 1000, default: 100 }, 'Page size, 1 .. 1000.');

export const Cursor = z
  .string()
  .max(512)
  .optional()
  .openapi({
    param: { name: 'cursor', in: 'query' },
    description: 'Opaque cursor from the previous page’s next_cursor.',
  });

export const NextCursor = z
  .string()
  .nullable()
  .openapi({ description: 'Cursor of the next page; null on the last page.' });

/**
 * The problem body of one error code: the RFC 9457 members with the code's type, status, code and
 * actions fixed, and the members only that code has. One schema per code lets every generated
 * client narrow an error on `code`.
 */
function problemOf<const Code extends ErrorCode, Members extends z.ZodRawShape>(code: Code, members: Members) {
  return z.object({
    type: z.literal(problemType(code)).openapi({ format: 'uri' }),
    title: z.string().openapi({ example: errorTitle(code) }),
    status: z.literal(codeToStatus(code)).openapi({ type: 'integer' }),
    detail: z.string().openapi({ description: 'What happened to this request, in words.' }),
    code: z.literal(code),
    action: z.enum(errorActions(code)).openapi({
      description:
        'What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.',
    }),
    request_id: z.string().optional().openapi({ description: 'Quote it when reporting a problem.' }),
    ...members,
  });
}

export const ValidationProblem = problemOf('invalid_request', {
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
}).openapi('ValidationProblem', {
  description: 'Malformed JSON or a schema violation: each error names the path and what is wrong.',
});

export const UnauthorizedProblem = problemOf('unauthorized', {}).openapi('UnauthorizedProblem', {
  description: 'Missing, unknown or revoked credential. Sent with WWW-Authenticate: Bearer.',
});

export const ForbiddenProblem = problemOf('forbidden', {}).openapi('ForbiddenProblem', {
  description: 'A credential that is not good on this route (a tenant key on an admin route, or the reverse).',
});

export const NotFoundProblem = problemOf('not_found', {}).openapi('NotFoundProblem', {
  description: 'No such resource for this tenant.',
});

export const PayloadTooLargeProblem = problemOf('payload_too_large', {
  limit: z.number().int().openapi({ description: 'The limit in bytes.' }),
  entry_index: z.number().int().optional().openapi({ description: 'Which entry was too large.' }),
}).openapi('PayloadTooLargeProblem');

export const FencedProblem = problemOf('fenced', {
  kind: z.enum(['deploy_generation', 'epoch']).openapi({
    description:
      'deploy_generation: a newer generation took over (action terminate, exit 0); epoch: the same generation was fenced again (action halt).',
  }),
  current_token: NullableToken,
  your_token: Token.optional(),
  your_deploy_generation: DeployGeneration.optional(),
}).openapi('FencedProblem');

export const UpperMismatchProblem = problemOf('upper_mismatch', {
  expected_upper: z.number().int(),
  current_upper: z.number().int(),
}).openapi('UpperMismatchProblem');

export const TokenFromFutureProblem = problemOf('token_from_future', {
  current_token: NullableToken,
  your_token: Token,
}).openapi('TokenFromFutureProblem');

export const InvalidTransitionProblem = problemOf('invalid_transition', {
  deployment_state: z
    .enum(DEPLOYMENT_STATES)
    .nullable()
    .openapi({ description: 'The deployment’s state; null if the generation is not registered.' }),
  requested_state: z.enum(DEPLOYMENT_STATES),
  allowed_from: z
    .array(z.enum(DEPLOYMENT_STATES).nullable())
    .openapi({ description: 'The states the requested one can be entered from.' }),
}).openapi('InvalidTransitionProblem', {
  description:
    'The deployment’s state does not allow the request. action retry: promote before the candidate is ready (wait for ready_to_promote, or promote with skip_catchup); abort: a transition the handover does not have.',
});

export const ResourceExhaustedProblem = problemOf('resource_exhausted', {
  resource: z.enum([
    'request_rate',
    'environments',
    'log_entries',
    'webhooks',
    'in_flight',
    'watch_streams',
    'idempotency_keys',
    'auth_failures',
  ]),
  limit: z.number().int(),
}).openapi('ResourceExhaustedProblem', {
  description:
    'Headers: RateLimit-Policy and RateLimit (IETF); Retry-After for the limits that pass with time (request_rate, in_flight, auth_failures, watch_streams, idempotency_keys; not the quotas environments, log_entries and webhooks).',
});

export const IdempotencyInFlightProblem = problemOf('idempotency_in_flight', {}).openapi('IdempotencyInFlightProblem', {
  description: 'The first request with this Idempotency-Key is still running; retry after Retry-After.',
});

export const IdempotencyKeyReusedProblem = problemOf('idempotency_key_reused', {}).openapi(
  'IdempotencyKeyReusedProblem',
  {
    description: 'The Idempotency-Key was used with another request.',
  },
);

export const UnavailableProblem = problemOf('unavailable', {}).openapi('UnavailableProblem', {
  description:
    'The database cannot be reached, or the service is draining; retry after Retry-After, perhaps on another replica.',
});

export const InternalProblem = problemOf('internal', {}).openapi('InternalProblem', {
  description: 'A bug; logged with the request id.',
});

const descriptions: Record<ErrorStatus, string> = {
  400: 'Malformed JSON or a schema violation (invalid_request).',
  401: 'Missing, unknown or revoked key (unauthorized).',
  403: 'A credential that is not good on this route (forbidden).',
  404: 'No such resource for this tenant (not_found).',
  409: 'Conflict.',
  413: 'Body over the size limit, or a log entry over the entry limit (payload_too_large).',
  422: 'Idempotency key reused with another request.',
  429: 'A rate, quota or capacity limit was hit (resource_exhausted).',
  500: 'A bug; logged with the request id (internal).',
  503: 'The database cannot be reached, or the service is draining (unavailable).',
};

/** 1 to 255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .openapi({
      param: { name: 'Idempotency-Key', in: 'header' },
      description:
        "Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID.",
      example: '6b1f2c1e-7c3a-4d7e-9f1a-2b3c4d5e6f70',
    }),
});

export type ConflictSchema =
  | typeof FencedProblem
  | typeof InvalidTransitionProblem
  | typeof UpperMismatchProblem
  | typeof TokenFromFutureProblem
  | typeof IdempotencyInFlightProblem;

/**
 * The error responses of a route. 400, 401, 403, 413, 429, 500 and 503 can happen on every
 * authenticated route; 404, 409 and 422 are named by the route.
 */
export function errorResponses(options: {
  auth: 'tenant' | 'admin' | 'none';
  notFound?: boolean;
  conflicts?: ConflictSchema[];
  /** Takes Idempotency-Key: adds 422 and the in-flight 409. */
  idempotent?: boolean;
}) {
  const problem = (status: ErrorStatus, schema: z.ZodType) => ({
    [status]: { description: descriptions[status], content: { [PROBLEM_JSON]: { schema } } },
  });
  const conflicts = [...(options.conflicts ?? []), ...(options.idempotent ? [IdempotencyInFlightProblem] : [])];
  const conflictSchema =
    conflicts.length === 1
      ? conflicts[0]!
      : z.discriminatedUnion('code', conflicts as unknown as [ConflictSchema, ConflictSchema, ...ConflictSchema[]]);
  return {
    ...problem(400, ValidationProblem),
    ...(options.auth === 'none' ? {} : { ...problem(401, UnauthorizedProblem), ...problem(403, ForbiddenProblem) }),
    ...(options.notFound ? problem(404, NotFoundProblem) : {}),
    ...(conflicts.length > 0 ? problem(409, conflictSchema) : {}),
    // The body limit guards every authenticated route, whether or not it reads a body.
    ...(options.auth === 'none' ? {} : problem(413, PayloadTooLargeProblem)),
    ...(options.idempotent ? problem(422, IdempotencyKeyReusedProblem) : {}),
    // Every authenticated route counts against the in-flight limit, tenant routes also the rate.
    ...(options.auth === 'none' ? {} : problem(429, ResourceExhaustedProblem)),
    ...problem(500, InternalProblem),
    ...problem(503, UnavailableProblem),
  };
}

export const tenantSecurity = [{ apiKey: [] }];
export const adminSecurity = [{ adminToken: [] }];

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { content: { 'application/json': { schema } }, required: true };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
