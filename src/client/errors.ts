import type { components } from './schema.js';

type Schemas = components['schemas'];

/** A fence token `{deploy_generation, epoch}`. */
export type Token = NonNullable<Schemas['Token']>;

/** The problem+json bodies of the spec, one schema per code. */
type ProblemBody = Schemas[Extract<keyof Schemas, `${string}Problem`>];

/** The `code` of a problem+json answer, as the spec lists them. */
export type ProblemCode = ProblemBody['code'];

/** The `action` of a problem+json answer: the one thing a client should do. */
export type ProblemAction = ProblemBody['action'];

/** What a fenced process (or any caller) should do about an error; see `classify`. */
export type Classification = 'terminate' | 'halt' | 'retry' | 'backoff' | 'abort';

/**
 * An error answer of the API (a problem+json body per RFC 9457), or any other non-2xx answer (from
 * a proxy, say): then `code` is `http_<status>` and `action` is undefined.
 */
export class PalisadeError extends Error {
  override name = 'PalisadeError';
  readonly status: number;
  readonly code: ProblemCode | `http_${number}`;
  readonly action: ProblemAction | undefined;
  readonly detail: string;
  /** The parsed body (the problem object), or the body's text when it was not JSON. */
  readonly body: unknown;
  readonly requestId: string | undefined;
  /** `Retry-After` in milliseconds, when the answer carried one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: unknown, headers?: Headers) {
    const problem = isRecord(body) ? body : {};
    const code = typeof problem.code === 'string' ? (problem.code as ProblemCode) : (`http_${status}` as const);
    const detail =
      typeof problem.detail === 'string'
        ? problem.detail
        : typeof body === 'string' && body.length > 0
          ? body.slice(0, 200)
          : `HTTP ${status}`;
    super(`${status} ${code}: ${detail}`);
    this.status = status;
    this.code = code;
    this.action = typeof problem.action === 'string' ? (problem.action as ProblemAction) : undefined;
    this.detail = detail;
    this.body = body;
    this.requestId =
      typeof problem.request_id === 'string' ? problem.request_id : (headers?.get('x-request-id') ?? undefined);
    this.retryAfterMs = parseRetryAfter(headers?.get('retry-after') ?? null);
  }
}

/**
 * 409 `fenced`: the token (or, on a fence, the generation) is older than the current one. `kind`
 * `deploy_generation` means a newer generation took over (terminate: exit 0); `epoch` means the
 * same generation was fenced again (halt: exit non-zero and be restarted).
 */
export class FencedError extends PalisadeError {
  override name = 'FencedError';
  declare readonly code: 'fenced';
  readonly kind: 'deploy_generation' | 'epoch';
  /** The token in force; null when the environment was deleted since and not fenced again. */
  readonly currentToken: Token | null;
  /** The token the request carried (confirm, append). */
  readonly yourToken: Token | undefined;
  /** The generation the request asked for (fence). */
  readonly yourDeployGeneration: number | undefined;
  declare readonly action: 'terminate' | 'halt';

  constructor(status: number, body: Schemas['FencedProblem'], headers?: Headers) {
    super(status, body, headers);
    this.kind = body.kind;
    this.currentToken = body.current_token ?? null;
    this.yourToken = body.your_token ?? undefined;
    this.yourDeployGeneration = body.your_deploy_generation;
    // The server always sends the action; derive it from the kind if a proxy stripped members.
    (this as { action: ProblemAction | undefined }).action =
      body.action === 'terminate' || body.action === 'halt'
        ? body.action
        : body.kind === 'deploy_generation'
          ? 'terminate'
          : 'halt';
  }
}

/** The request never got an answer: connection refused or reset, DNS failure, a dropped stream. */
export class PalisadeNetworkError extends Error {
  override name = 'PalisadeNetworkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Builds the error for a non-2xx answer: `FencedError` for 409 fenced, else `PalisadeError`. */
export function errorFromResponse(response: Response, body: unknown): PalisadeError {
  if (isRecord(body) && body.code === 'fenced' && (body.kind === 'deploy_generation' || body.kind === 'epoch')) {
    return new FencedError(response.status, body as Schemas['FencedProblem'], response.headers);
  }
  return new PalisadeError(response.status, body, response.headers);
}

const RETRY_CODES = new Set<string>(['idempotency_in_flight', 'upper_mismatch', 'unavailable']);

/**
 * What to do about an error:
 * - `terminate`: fenced by a newer deploy generation (exit 0, the environment has a new owner);
 * - `halt`: fenced by a newer epoch of the same generation (exit non-zero, be restarted);
 * - `backoff`: 429, wait (`retryAfterMs` when given) before trying again;
 * - `retry`: 503 (and 502/504 from a proxy), a network error, `idempotency_in_flight`, or
 *   `upper_mismatch` (re-read the log's upper, then append again);
 * - `abort`: anything else (a bug, a bad request, a missing credential or resource).
 */
export function classify(error: unknown): Classification {
  if (error instanceof FencedError) return error.kind === 'deploy_generation' ? 'terminate' : 'halt';
  if (error instanceof PalisadeError) {
    if (error.status === 429) return 'backoff';
    if (error.status === 502 || error.status === 503 || error.status === 504) return 'retry';
    if (RETRY_CODES.has(error.code)) return 'retry';
    return 'abort';
  }
  if (isNetworkError(error)) return 'retry';
  return 'abort';
}

/** A failure to reach the server, as opposed to an answer or a cancellation by the caller. */
export function isNetworkError(error: unknown): boolean {
  if (error instanceof PalisadeNetworkError) return true;
  // What undici's fetch throws for refused, reset and dropped connections.
  return error instanceof TypeError && /fetch failed|terminated|network|socket/i.test(error.message);
}

export function isAbortError(error: unknown): boolean {
  return (
    (error instanceof Error || (typeof DOMException !== 'undefined' && error instanceof DOMException)) &&
    ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError')
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
