/**
 * A typed client for the Palisade API: openapi-fetch over the types generated from openapi.yaml
 * (`src/client/schema.ts`, `npm run client`), plus what every caller would otherwise write itself:
 * problem+json answers as `PalisadeError` / `FencedError`, `classify` for what to do about one,
 * an automatic `Idempotency-Key` with a bounded retry, and `watch` over the Server-Sent Events stream.
 */
import createClient, { type Client } from 'openapi-fetch';
import {
  errorFromResponse,
  isAbortError,
  isNetworkError,
  PalisadeError,
  PalisadeNetworkError,
  type Token,
} from './errors.js';
import type { components, paths } from './schema.js';
import { parseEventStream } from './sse.js';

export {
  classify,
  type Classification,
  errorFromResponse,
  FencedError,
  isNetworkError,
  PalisadeError,
  PalisadeNetworkError,
  type ProblemAction,
  type ProblemCode,
  type Token,
} from './errors.js';
export { parseEventStream, type SseMessage } from './sse.js';
export type { components, operations, paths } from './schema.js';

type Schemas = components['schemas'];

export type Environment = Schemas['Environment'];
export type EnvironmentList = Schemas['EnvironmentList'];
export type FenceResult = { token: Token; previous: { token: Token; holder: string } | null };
export type ConfirmResult = { token: Token; upper: number };
export type AppendRequest = { token: Token; entries: unknown[]; expected_upper?: number };
export type AppendResult = Schemas['AppendResult'];
export type LogPage = Schemas['LogPage'];
export type FenceHistory = Schemas['FenceHistory'];
export type EventFeed = Schemas['EventFeed'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type CreateWebhookRequest = Schemas['CreateWebhookRequest'];
export type WebhookEndpointWithSecret = Schemas['WebhookEndpointWithSecret'];
export type TestEventAccepted = Schemas['TestEventAccepted'];
export type Deployment = Schemas['Deployment'];
export type DeploymentState = Schemas['DeploymentState'];
export type DeploymentList = Schemas['DeploymentList'];

/** Data of a `fenced` watch event: a token was issued. */
export type FencedEventData = {
  environment: string;
  token: Token;
  holder: string;
  upper: number;
  fenced_at: string;
};

/**
 * An event of `watch`. `id` is the newest epoch the event reflects; pass it back as `lastEventId`
 * to resume. Every connection starts with a `snapshot` (after the `fenced` events missed since
 * `lastEventId`, when resuming).
 */
export type WatchEvent =
  | { event: 'snapshot'; id: string; data: Environment }
  | { event: 'fenced'; id: string; data: FencedEventData }
  | { event: 'deleted'; id: string; data: { environment: string } }
  | {
      event: 'deployment.ready_to_promote';
      id: string;
      data: { environment: string; deploy_generation: number; holder: string; ready_at: string };
    }
  | {
      event: 'deployment.promoted';
      id: string;
      data: {
        environment: string;
        deploy_generation: number;
        holder: string;
        token: Token;
        previous: { token: Token; holder: string } | null;
        skipped_catchup: boolean;
        promoted_at: string;
      };
    };

export type RetryOptions = {
  /** Tries per logical call, the first included (default 4). */
  attempts?: number;
  /** First backoff delay; doubled per retry, with jitter (default 100 ms). */
  minDelayMs?: number;
  /** Longest wait between tries; a `Retry-After` longer than this is not waited for (default 5 s). */
  maxDelayMs?: number;
};

export type PalisadeClientOptions = {
  /** Where the service is, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** A tenant API key, or the admin token for `createApiKey` / `revokeApiKey`. */
  apiKey?: string;
  /** A fetch to use instead of the global one (e.g. an in-process Hono app's `request`). */
  fetch?: (input: Request, init?: RequestInit) => Response | Promise<Response>;
  /** Automatic retries of retryable outcomes; `false` turns them off. */
  retry?: RetryOptions | false;
};

export type CallOptions = {
  signal?: AbortSignal;
  /** For state-changing POSTs: the key to send instead of a fresh random UUID. */
  idempotencyKey?: string;
};

export type WatchOptions = {
  /** Ends the stream (the iterator returns) when aborted. */
  signal?: AbortSignal;
  /** Resume after this event id (an epoch): the `fenced` events since are delivered first. */
  lastEventId?: string | number;
  /** Reconnect when nothing, not even a heartbeat, arrives for this long (default 45 s; 0: never). */
  idleTimeoutMs?: number;
  /** Longest wait between reconnection attempts (default 5 s). */
  maxReconnectDelayMs?: number;
  /** Told about every lost connection before the client reconnects. */
  onReconnect?: (info: { error: unknown; attempt: number; delayMs: number; lastEventId: string | undefined }) => void;
};

export type PalisadeClient = {
  /** The openapi-fetch client, for any route the helpers below do not cover. */
  raw: Client<paths>;
  /** Issue the next token (`POST /v1/environments/{env}/fence`); 409 fenced throws `FencedError`. */
  fence(env: string, body: { deploy_generation: number; holder: string }, options?: CallOptions): Promise<FenceResult>;
  /** Check that `token` is still current; throws `FencedError` if not. */
  confirm(env: string, token: Token, options?: CallOptions): Promise<ConfirmResult>;
  append(env: string, body: AppendRequest, options?: CallOptions): Promise<AppendResult>;
  readLog(env: string, query?: { from?: number; limit?: number }, options?: CallOptions): Promise<LogPage>;
  getEnvironment(env: string, options?: CallOptions): Promise<Environment>;
  createEnvironment(env: string, options?: CallOptions): Promise<Environment>;
  deleteEnvironment(env: string, options?: CallOptions): Promise<void>;
  listEnvironments(query?: { limit?: number; cursor?: string }, options?: CallOptions): Promise<EnvironmentList>;
  history(env: string, query?: { limit?: number; cursor?: string }, options?: CallOptions): Promise<FenceHistory>;
  /**
   * Register `generation` as a read-only candidate, or report its state (`initializing`,
   * `catching_up`, or `is_leader` once promoted); 409 fenced throws `FencedError`.
   */
  registerDeployment(
    env: string,
    generation: number,
    body: { holder: string; state?: 'initializing' | 'catching_up' | 'is_leader' },
    options?: CallOptions,
  ): Promise<Deployment>;
  /** The deployment; with `wait` (e.g. `30s`), once its state differs from `state` (default: its state now). */
  getDeployment(
    env: string,
    generation: number,
    query?: { wait?: string; state?: DeploymentState },
    options?: CallOptions,
  ): Promise<Deployment>;
  listDeployments(
    env: string,
    query?: { limit?: number; cursor?: string },
    options?: CallOptions,
  ): Promise<DeploymentList>;
  /** The candidate has caught up: `ready_to_promote`. */
  markDeploymentReady(env: string, generation: number, options?: CallOptions): Promise<Deployment>;
  /** Promote: issue the candidate's token, fencing the old generation in the same transaction. */
  promoteDeployment(
    env: string,
    generation: number,
    body?: { skip_catchup?: boolean },
    options?: CallOptions,
  ): Promise<Deployment>;
  /** The tenant's event feed from a cursor (`GET /v1/events`). */
  events(query?: { after?: string; limit?: number }, options?: CallOptions): Promise<EventFeed>;
  /** Admin: create a tenant's key (the client's `apiKey` must be the admin token). */
  createApiKey(body: { tenant: string; name: string }, options?: CallOptions): Promise<CreatedApiKey>;
  /** Admin: revoke a key at once. */
  revokeApiKey(id: string, options?: CallOptions): Promise<void>;
  /** Register a webhook endpoint; the answer carries its `secret`, shown only here. */
  createWebhook(body: CreateWebhookRequest, options?: CallOptions): Promise<WebhookEndpointWithSecret>;
  rotateWebhookSecret(id: string, options?: CallOptions): Promise<WebhookEndpointWithSecret>;
  /** Queue a `webhook.test` event to the endpoint. */
  testWebhook(id: string, options?: CallOptions): Promise<TestEventAccepted>;
  redeliverWebhook(id: string, deliveryId: string, options?: CallOptions): Promise<void>;
  /**
   * Follows the environment as Server-Sent Events. Reconnects with `Last-Event-ID` after a dropped
   * connection, a stream the server ended (a draining replica) or a 5xx/429, waiting with backoff;
   * throws `PalisadeError` for any other answer (401, 404 …). Ends when `signal` is aborted.
   */
  watch(env: string, options?: WatchOptions): AsyncGenerator<WatchEvent, void, undefined>;
};

type Answer<D> = { data?: D; error?: unknown; response: Response };

/** How a call may be retried: keyed POSTs and reads also after a lost answer, others only when the server said it did nothing. */
type Policy = { idempotent: boolean; safe: boolean };

const READ: Policy = { idempotent: false, safe: true };
const KEYED_POST: Policy = { idempotent: true, safe: true };
const UNSAFE: Policy = { idempotent: false, safe: false };

const WATCH_EVENTS = new Set(['snapshot', 'fenced', 'deleted', 'deployment.ready_to_promote', 'deployment.promoted']);

export function createPalisadeClient(options: PalisadeClientOptions): PalisadeClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const retry = options.retry === false ? { attempts: 1, minDelayMs: 0, maxDelayMs: 0 } : (options.retry ?? {});
  const attempts = Math.max(1, retry.attempts ?? 4);
  const minDelayMs = retry.minDelayMs ?? 100;
  const maxDelayMs = retry.maxDelayMs ?? 5_000;

  const raw = createClient<paths>({
    baseUrl,
    headers: options.apiKey ? { Authorization: `Bearer ${options.apiKey}` } : {},
    fetch: async (request: Request) => {
      try {
        return await fetchImpl(request);
      } catch (error) {
        if (request.signal.aborted || isAbortError(error)) throw error;
        throw new PalisadeNetworkError(`could not reach ${baseUrl}: ${describe(error)}`, { cause: error });
      }
    },
  });

  const backoff = (attempt: number) => {
    const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  };

  /** The wait before the next try, or null when `failure` is not to be retried automatically. */
  const retryDelay = (failure: unknown, attempt: number, policy: Policy): number | null => {
    if (failure instanceof PalisadeError) {
      const hinted = failure.retryAfterMs;
      if (hinted !== undefined && hinted > maxDelayMs) return null;
      // request_rate and in_flight pass with time and say when; the quotas do not, and carry no Retry-After.
      if (failure.status === 429) return hinted ?? null;
      if (failure.status === 503 || failure.code === 'idempotency_in_flight') return hinted ?? backoff(attempt);
      if ((failure.status === 502 || failure.status === 504) && policy.safe) return hinted ?? backoff(attempt);
      return null;
    }
    if (isNetworkError(failure) && policy.safe) return backoff(attempt);
    return null;
  };

  async function call<D>(
    policy: Policy,
    callOptions: CallOptions | undefined,
    send: (headers: { 'Idempotency-Key'?: string }, signal: AbortSignal | undefined) => Promise<Answer<D>>,
  ): Promise<D> {
    const signal = callOptions?.signal;
    // One key per logical call, the same on each of its retries: the server replays the first answer.
    const headers = policy.idempotent
      ? { 'Idempotency-Key': callOptions?.idempotencyKey ?? globalThis.crypto.randomUUID() }
      : {};
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const { data, error, response } = await send(headers, signal);
        if (response.ok) return data as D;
        failure = errorFromResponse(response, error);
      } catch (error) {
        failure = error;
      }
      const delay = attempt < attempts && !signal?.aborted ? retryDelay(failure, attempt, policy) : null;
      if (delay === null) throw failure;
      await sleep(delay, signal);
    }
  }

  const client: PalisadeClient = {
    raw,

    fence: (env, body, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/environments/{env}/fence', { params: { path: { env }, header }, body, signal }),
      ),

    confirm: (env, token, callOptions) =>
      // Confirming changes nothing, so it is safe to repeat without a key.
      call(READ, callOptions, (_header, signal) =>
        raw.POST('/v1/environments/{env}/confirm', { params: { path: { env } }, body: { token }, signal }),
      ),

    append: (env, body, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/environments/{env}/log', { params: { path: { env }, header }, body, signal }),
      ),

    readLog: (env, query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) =>
        raw.GET('/v1/environments/{env}/log', { params: { path: { env }, query }, signal }),
      ),

    getEnvironment: (env, callOptions) =>
      call(READ, callOptions, (_header, signal) =>
        raw.GET('/v1/environments/{env}', { params: { path: { env } }, signal }),
      ),

    createEnvironment: (env, callOptions) =>
      // PUT is idempotent: 201 the first time, 200 after.
      call(READ, callOptions, (_header, signal) =>
        raw.PUT('/v1/environments/{env}', { params: { path: { env } }, signal }),
      ),

    deleteEnvironment: (env, callOptions) =>
      call(UNSAFE, callOptions, (_header, signal) =>
        raw.DELETE('/v1/environments/{env}', { params: { path: { env } }, signal }),
      ),

    listEnvironments: (query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) => raw.GET('/v1/environments', { params: { query }, signal })),

    history: (env, query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) =>
        raw.GET('/v1/environments/{env}/history', { params: { path: { env }, query }, signal }),
      ),

    registerDeployment: (env, generation, body, callOptions) =>
      // PUT with the same body is idempotent: safe to repeat.
      call(READ, callOptions, (_header, signal) =>
        raw.PUT('/v1/environments/{env}/deployments/{generation}', {
          params: { path: { env, generation } },
          body,
          signal,
        }),
      ),

    getDeployment: (env, generation, query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) =>
        raw.GET('/v1/environments/{env}/deployments/{generation}', {
          params: { path: { env, generation }, query },
          signal,
        }),
      ),

    listDeployments: (env, query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) =>
        raw.GET('/v1/environments/{env}/deployments', { params: { path: { env }, query }, signal }),
      ),

    markDeploymentReady: (env, generation, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/environments/{env}/deployments/{generation}/ready', {
          params: { path: { env, generation }, header },
          signal,
        }),
      ),

    promoteDeployment: (env, generation, body = {}, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/environments/{env}/deployments/{generation}/promote', {
          params: { path: { env, generation }, header },
          body: { skip_catchup: body.skip_catchup ?? false },
          signal,
        }),
      ),

    events: (query = {}, callOptions) =>
      call(READ, callOptions, (_header, signal) => raw.GET('/v1/events', { params: { query }, signal })),

    createApiKey: (body, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) => raw.POST('/v1/api-keys', { params: { header }, body, signal })),

    revokeApiKey: (id, callOptions) =>
      call(UNSAFE, callOptions, (_header, signal) =>
        raw.DELETE('/v1/api-keys/{id}', { params: { path: { id } }, signal }),
      ),

    createWebhook: (body, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) => raw.POST('/v1/webhooks', { params: { header }, body, signal })),

    rotateWebhookSecret: (id, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/webhooks/{id}/rotate-secret', { params: { path: { id }, header }, signal }),
      ),

    testWebhook: (id, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/webhooks/{id}/test', { params: { path: { id }, header }, signal }),
      ),

    redeliverWebhook: (id, deliveryId, callOptions) =>
      call(KEYED_POST, callOptions, (header, signal) =>
        raw.POST('/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', {
          params: { path: { id, delivery_id: deliveryId }, header },
          signal,
        }),
      ),

    watch: (env, watchOptions = {}) => watchEnvironment(raw, env, watchOptions, minDelayMs),
  };
  return client;
}

async function* watchEnvironment(
  raw: Client<paths>,
  env: string,
  options: WatchOptions,
  minDelayMs: number,
): AsyncGenerator<WatchEvent, void, undefined> {
  const { signal } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const maxDelayMs = options.maxReconnectDelayMs ?? 5_000;
  let lastEventId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  let serverRetryMs: number | undefined;
  let failures = 0;

  while (!signal?.aborted) {
    const connection = new AbortController();
    const stop = () => connection.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idleTimer);
      if (idleTimeoutMs > 0) {
        idleTimer = setTimeout(
          () =>
            connection.abort(new PalisadeNetworkError(`nothing arrived on the watch stream for ${idleTimeoutMs} ms`)),
          idleTimeoutMs,
        );
      }
    };

    let failure: unknown;
    try {
      touch();
      const { data, error, response } = await raw.GET('/v1/environments/{env}/watch', {
        params: { path: { env }, header: lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId } },
        parseAs: 'stream',
        signal: connection.signal,
      });
      if (!response.ok) throw errorFromResponse(response, error);
      if (!data) throw new PalisadeNetworkError('the watch answer had no body');
      for await (const message of parseEventStream(data, touch, connection.signal)) {
        if (message.retry !== undefined) serverRetryMs = message.retry;
        if (message.id !== undefined) lastEventId = message.id;
        if (!WATCH_EVENTS.has(message.event)) continue;
        failures = 0;
        yield { event: message.event, id: message.id ?? '', data: JSON.parse(message.data) } as WatchEvent;
      }
      if (signal?.aborted) return;
      // The idle timer cancels the stream with its own reason.
      failure = connection.signal.aborted
        ? connection.signal.reason
        : new PalisadeNetworkError('the server ended the watch stream');
    } catch (error) {
      if (signal?.aborted) return;
      // The idle timer aborts with its own reason; fetch reports it as an AbortError or that reason.
      failure = connection.signal.aborted ? connection.signal.reason : error;
      if (!isWatchRetryable(failure)) throw failure;
    } finally {
      clearTimeout(idleTimer);
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }

    failures++;
    const hinted = failure instanceof PalisadeError ? failure.retryAfterMs : undefined;
    const base = Math.min(maxDelayMs, (serverRetryMs ?? minDelayMs) * 2 ** (failures - 1));
    const delayMs = Math.min(maxDelayMs, hinted ?? Math.round(base / 2 + (Math.random() * base) / 2));
    options.onReconnect?.({ error: failure, attempt: failures, delayMs, lastEventId });
    try {
      await sleep(delayMs, signal);
    } catch {
      return;
    }
  }
}

function isWatchRetryable(error: unknown): boolean {
  if (error instanceof PalisadeError) return error.status === 429 || error.status >= 500;
  return isNetworkError(error);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function describe(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.message)
    return cause.code && !cause.message.includes(cause.code) ? `${cause.code} ${cause.message}` : cause.message;
  return error instanceof Error ? error.message : String(error);
}
