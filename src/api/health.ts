import { createRoute, z } from '@hono/zod-openapi';
import type { App, AppDeps } from './app.js';
import { jsonResponse } from './schemas.js';

const tags = ['health'];

const HealthStatus = z
  .object({ status: z.enum(['ok', 'unavailable']), database: z.enum(['postgres', 'pglite']) })
  .openapi('HealthStatus');

const livenessRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'healthz',
  summary: 'Liveness: the process is up',
  tags,
  security: [],
  responses: { 200: jsonResponse(HealthStatus, 'The process is up.') },
});

const readinessRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'readyz',
  summary: 'Readiness: the database answers and every migration is applied',
  tags,
  security: [],
  responses: {
    200: jsonResponse(HealthStatus, 'Ready to serve.'),
    503: jsonResponse(HealthStatus, 'Not ready: the database is unreachable, migrations are missing, or the process is draining.'),
  },
});

export function registerHealthRoutes(app: App, deps: AppDeps): void {
  const database = deps.database.kind;

  app.openapi(livenessRoute, (c) => c.json({ status: 'ok' as const, database }, 200));

  app.openapi(readinessRoute, async (c) => {
    const ready = !deps.lifecycle.draining && (await deps.database.ready());
    return ready
      ? c.json({ status: 'ok' as const, database }, 200)
      : c.json({ status: 'unavailable' as const, database }, 503);
  });
}
