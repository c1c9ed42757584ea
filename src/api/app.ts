import { OpenAPIHono } from '@hono/zod-openapi';
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database, DatabaseHandle } from '../db/client.js';
import type { Wakeup } from '../db/wakeups.js';
import { Limits, type TenantLimits } from '../limits.js';
import type { WatchHub } from '../notify/watchHub.js';
import type { Metrics } from '../metrics.js';
import type { Keyring } from '../secrets.js';
import { invalidRequest } from '../domain/refusal.js';
import { registerApiKeyRoutes } from './apiKeys.js';
import { registerTenantLimitRoutes } from './tenantLimits.js';
import { AuthFailureLimiter, authenticate, KeyLookup } from './auth.js';
import { idempotency } from './idempotency.js';
import { registerEnvironmentRoutes } from './environments.js';
import { registerFencingRoutes } from './fencing.js';
import { registerHealthRoutes, registerMetricsRoute } from './health.js';
import { registerLogRoutes } from './log.js';
import { registerDeploymentRoutes } from './deployments.js';
import { registerWatchRoutes } from './watch.js';
import { registerWebhookRoutes } from './webhooks.js';
import { registerEventRoutes } from './events.js';
import { registerDocsRoutes } from './docs.js';
import { declareResponseHeaders } from './responseHeaders.js';
import { ApiError, problemResponse, toApiError } from './problems.js';

export type AppDeps = {
  database: DatabaseHandle;
  config: Pick<Config, 'adminToken' | 'maxBodyBytes' | 'maxEntryBytes' | 'limits' | 'watchHeartbeatMs'> &
    Partial<Pick<Config, 'requireSyncReplication'>> & {
    webhooks: Pick<Config['webhooks'], 'allowPrivate'>;
  };
  logger: Logger;
  /** Set while the process shuts down: new requests are turned away with 503. */
  lifecycle: { draining: boolean };
  /** Wakes watch streams on changes committed by any replica. */
  watchHub: WatchHub;
  metrics: Metrics;
  /** Seals webhook signing secrets and idempotent responses at rest. */
  keyring: Keyring;
};

export type AppEnv = {
  Variables: {
    requestId: string;
    /** Set by authentication on tenant routes. */
    tenant: string;
    keyId: string;
    /** The limits in force for the tenant. */
    limits: TenantLimits;
    /** The database, or the transaction of an idempotent request. */
    db: Database;
    /** Wake-ups of the request's changes, sent once the request's transaction has committed. */
    wakeups: Wakeup[];
  };
};
export type App = OpenAPIHono<AppEnv>;

export const openApiInfo = {
  openapi: '3.1.0',
  info: {
    title: 'Palisade',
    version: '1.0.0',
    description:
      'Fencing tokens as a service: monotonic fence tokens per environment, a fenced append-only log that refuses stale writers with typed 409 problems, for zero-downtime takeovers of stateful processes.',
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [
    {
      url: '{scheme}://{host}',
      description: 'A Palisade service',
      variables: {
        scheme: { default: 'http', enum: ['http', 'https'] },
        host: { default: 'localhost:8080', description: 'Host and port of the service.' },
      },
    },
  ],
  tags: [
    { name: 'environments', description: 'Environments and their current token.' },
    { name: 'fencing', description: 'Issue and check fence tokens.' },
    { name: 'log', description: 'The fenced append-only log.' },
    { name: 'deployments', description: 'The zero-downtime handover: a candidate generation registers read-only, is promoted, and its promotion fences the old generation.' },
    { name: 'webhooks', description: 'Signed notifications when a generation is fenced out.' },
    { name: 'api-keys', description: 'Tenant keys, managed with the admin token.' },
    { name: 'tenants', description: 'Per-tenant limits, managed with the admin token.' },
    { name: 'health', description: 'Liveness and readiness.' },
  ],
};

/**
 * True when the answer goes out before the request's body was received whole (a 413, an early 401).
 * Node would have to drain the rest before the connection could carry another request, and gives
 * up on a slow or large one by closing the socket under a client that expects to reuse it.
 */
function requestBodyUnread(c: Context): boolean {
  const incoming = incomingMessage(c);
  return incoming !== undefined && !incoming.complete;
}

/** Set by @hono/node-server; absent when the app is called in-process. */
function incomingMessage(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * Whether the request has a body, without touching `c.req.raw.body`: on @hono/node-server that
 * builds a whole web Request with a stream over the socket, which cost more CPU than the rest of a
 * small JSON request's handling. Node gives every request but GET and HEAD a body, maybe empty.
 */
function hasBody(c: Context): boolean {
  if (!incomingMessage(c)) return c.req.raw.body !== null;
  return c.req.method !== 'GET' && c.req.method !== 'HEAD';
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a request body once, as UTF-8 that must be valid: by default it would be decoded with
 * U+FFFD in place of each bad byte and stored so, altered without a word. Hono serves the body's
 * later reads (the validator's JSON, the idempotency fingerprint) from the text cached here.
 */
const utf8Body: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (hasBody(c)) {
    const bytes = await c.req.arrayBuffer();
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw invalidRequest('The request body is not valid UTF-8.', [{ path: 'body', message: 'must be valid UTF-8' }]);
    }
    // Hono keeps promises in this cache, though its type names the resolved values.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  }
  await next();
};

/** The state-changing POSTs that honour Idempotency-Key (confirm changes nothing, so it is not one). */
export const IDEMPOTENT_PATHS = [
  '/v1/api-keys',
  '/v1/environments/:env/fence',
  '/v1/environments/:env/log',
  '/v1/environments/:env/deployments/:generation/ready',
  '/v1/environments/:env/deployments/:generation/promote',
  '/v1/webhooks',
  '/v1/webhooks/:id/rotate-secret',
  '/v1/webhooks/:id/test',
  '/v1/webhooks/:id/deliveries/:delivery_id/redeliver',
];

const LONG_POLL_PATH = /^\/v1\/environments\/[^/]+\/deployments\/[^/]+$/;

/** A watch stream or a deployment long-poll: a client waiting, not work in progress, which would use up the in-flight limit. */
function isWaitingRequest(c: Context): boolean {
  if (c.req.method !== 'GET') return false;
  return c.req.path.endsWith('/watch') || (LONG_POLL_PATH.test(c.req.path) && c.req.query('wait') !== undefined);
}

export function createApp(deps: AppDeps): App {
  const limits = new Limits(deps.config.limits, deps.database.db);
  const keys = new KeyLookup(deps.database.db);
  deps.watchHub.onRevocation((keyId) => (keyId === null ? keys.forgetAll() : keys.forget(keyId)));
  const { metrics } = deps;
  metrics.readInFlightFrom(() => limits.inFlight);
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = { json: 'body', query: 'query', param: 'path', header: 'header' }[
          result.target as string
        ] ?? String(result.target);
        throw invalidRequest(
          'The request does not match the schema; see errors.',
          result.error.issues.map((issue) => ({
            path: [where, ...issue.path.map(String)].join('.'),
            message: issue.message,
          })),
        );
      }
    },
  });

  app.use(requestId());
  app.use(secureHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    metrics.requestDuration.observe({ method: c.req.method, route: routePath(c, -1), status: String(c.res.status) }, seconds);
    deps.logger.info(
      {
        request_id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        tenant: c.get('tenant'),
        duration_ms: Math.round(seconds * 100_000) / 100,
      },
      'request',
    );
  });
  app.use(async (c, next) => {
    await next();
    // A kept-alive connection would hold shutdown open until its idle timeout; close it after this answer.
    if (deps.lifecycle.draining || requestBodyUnread(c)) c.header('connection', 'close');
  });
  app.use('/v1/*', async (_c, next) => {
    if (deps.lifecycle.draining) {
      throw new ApiError('unavailable', 'The service is shutting down; retry on another replica.', {}, {
        'retry-after': '1',
        connection: 'close',
      });
    }
    await next();
  });
  const bodyTooLarge = () => {
    throw new ApiError(
      'payload_too_large',
      `The request body is over the limit of ${deps.config.maxBodyBytes} bytes.`,
      { limit: deps.config.maxBodyBytes },
    );
  };
  const countedBodyLimit = bodyLimit({ maxSize: deps.config.maxBodyBytes, onError: bodyTooLarge });
  app.use('/v1/*', async (c, next) => {
    // A declared length is judged from the header alone (hono's bodyLimit would first look at the body stream, see hasBody).
    const length = c.req.header('content-length');
    if (incomingMessage(c) && length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > deps.config.maxBodyBytes ? bodyTooLarge() : next();
    }
    return countedBodyLimit(c, next);
  });
  app.use('/v1/*', authenticate(deps, keys, new AuthFailureLimiter(deps.config.limits)));
  app.use('/v1/*', utf8Body);
  // Counted once the body is read, so connections still sending theirs (bounded by the server's
  // request timeout) hold no share of the process; each tenant holds at most its own share.
  app.use('/v1/*', async (c, next) => {
    if (isWaitingRequest(c)) return next();
    const tenant = c.get('tenant');
    limits.enter(tenant);
    try {
      await next();
    } finally {
      limits.leave(tenant);
    }
  });
  app.use('/v1/*', async (c, next) => {
    // Sent from outside the idempotency middleware: after its transaction has committed.
    const wakeups: Wakeup[] = [];
    c.set('wakeups', wakeups);
    try {
      await next();
    } finally {
      deps.database.wake(wakeups);
    }
  });
  app.use('/v1/*', async (c, next) => {
    c.set('db', deps.database.db);
    const tenant = c.get('tenant');
    if (tenant === undefined) return next();
    const tenantLimits = await limits.forTenant(tenant);
    c.set('limits', tenantLimits);
    const rateHeaders = limits.takeRequest(c.get('keyId'), tenantLimits);
    await next();
    // A 429 for a quota carries that quota's fields instead.
    if (!c.res.headers.has('ratelimit')) {
      // On the response's own headers: `c.header` on a finished response rebuilds it as a web Response.
      for (const [name, value] of Object.entries(rateHeaders)) c.res.headers.set(name, value);
    }
  });
  for (const path of IDEMPOTENT_PATHS) app.use(path, idempotency(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (pal_…), created with POST /v1/api-keys.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token from PALISADE_ADMIN_TOKEN; good only on /v1/api-keys and /v1/tenants.',
  });

  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, metrics);
  registerApiKeyRoutes(app, deps.watchHub);
  registerTenantLimitRoutes(app, limits);
  registerEnvironmentRoutes(app, deps);
  registerFencingRoutes(app, deps);
  registerLogRoutes(app, deps);
  registerDeploymentRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerWatchRoutes(app, deps);
  registerEventRoutes(app);

  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  registerDocsRoutes(app);

  app.notFound((c) => problemResponse(c, new ApiError('not_found', 'No such route.')));

  app.onError((error, c) => {
    const known = toApiError(error);
    if (known) {
      if (known.status === 409) metrics.conflicts.inc({ code: known.code });
      if (known.status === 429) metrics.exhausted.inc({ resource: String(known.members.resource) });
      return problemResponse(c, known);
    }
    // A driver error wrapped by the query builder carries the SQL and its parameters (request data)
    // in its message; log only the database's own code and message, and never the stack.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    deps.logger.error(
      {
        request_id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        error: error.name,
        error_code: cause?.code ?? (error as { code?: unknown }).code,
        error_message: cause && typeof cause.message === 'string' ? cause.message : error.message,
      },
      'unhandled error',
    );
    return problemResponse(
      c,
      new ApiError('internal', 'An internal error occurred; it was logged with this request id.'),
    );
  });

  return app;
}

export function openApiDocument(app: App) {
  return declareResponseHeaders(app.getOpenAPI31Document(openApiInfo), IDEMPOTENT_PATHS);
}
