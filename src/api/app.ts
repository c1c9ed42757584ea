import { OpenAPIHono } from '@hono/zod-openapi';
import { invalidRequest } from '../domain/refusal.js';
import { registerApiKeyRoutes } from './apiKeys.js';
import { registerTenantLimitRoutes } from './tenantLimits.js';
import { authenticate } from './auth.js';
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
import { openApiDocument, registerSecuritySchemes } from './document.js';
import { ApiError, problemResponse, toApiError } from './problems.js';
import { limitBody } from './middleware/bodyLimit.js';
import { closeConnectionWhenDone, refuseWhileDraining } from './middleware/draining.js';
import { countInFlight } from './middleware/inFlight.js';
import { inOne } from './middleware/inOne.js';
import { requestId, secureHeaders } from './middleware/outgoingHeaders.js';
import { requestLog } from './middleware/requestLog.js';
import { applyTenantLimits } from './middleware/tenantLimits.js';
import { utf8Body } from './middleware/utf8Body.js';
import { sendWakeups } from './middleware/wakeups.js';
import { API_PREFIX, findDeclaredRoute } from './route.js';
import type { App, AppDeps, AppEnv } from './types.js';

export function createApp(deps: AppDeps): App {
  const { metrics, limits } = deps;
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where =
          { json: 'body', query: 'query', param: 'path', header: 'header' }[result.target as string] ??
          String(result.target);
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

  const api = `${API_PREFIX}/*`;
  app.use(inOne(requestId, secureHeaders(), requestLog(deps), closeConnectionWhenDone(deps.lifecycle)));
  app.use(
    api,
    inOne(
      refuseWhileDraining(deps.lifecycle),
      limitBody(deps.config.maxBodyBytes),
      findDeclaredRoute,
      authenticate(deps),
      utf8Body,
    ),
  );
  // Counted once the body is read, so connections still sending theirs (bounded by the server's
  // request timeout) hold no share of the process.
  app.use(api, inOne(countInFlight(limits), sendWakeups(deps.database), applyTenantLimits(deps.database.db, limits)));
  app.use(api, idempotency(deps));

  registerSecuritySchemes(app);

  registerHealthRoutes(app, deps);
  registerMetricsRoute(app, metrics);
  registerApiKeyRoutes(app, deps.watchHub);
  registerTenantLimitRoutes(app, limits);
  registerEnvironmentRoutes(app);
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
