import { createRoute, z } from '@hono/zod-openapi';
import type { App, AppDeps } from './app.js';
import { jsonResponse } from './schemas.js';
import type { Metrics } from '../metrics.js';

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
  description: 'Answers within a second: a database that has not answered by then counts as unavailable.',
  tags,
  security: [],
  responses: {
    200: jsonResponse(HealthStatus, 'Ready to serve.'),
    503: jsonResponse(HealthStatus, 'Not ready: the database is unreachable, migrations are missing, or the process is draining.'),
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics',
  description:
    'Request durations by route and status, fences by kind, 409s by code, 429s by resource, webhook attempts by outcome, outbox lag, requests in flight, and the process metrics (memory, CPU, event loop).',
  tags,
  security: [],
  responses: {
    200: { description: 'The Prometheus text format.', content: { 'text/plain': { schema: z.string() } } },
  },
});

export function registerMetricsRoute(app: App, metrics: Metrics): void {
  app.openapi(metricsRoute, async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
}

/** A probe that waits on an unreachable database would outlast its prober's timeout; it answers not ready instead. */
const READINESS_BOUND_MS = 1_000;

async function withinReadinessBound(ready: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READINESS_BOUND_MS);
  });
  try {
    return await Promise.race([ready, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: App, deps: AppDeps): void {
  const database = deps.database.kind;

  app.openapi(livenessRoute, (c) => c.json({ status: 'ok' as const, database }, 200));

  app.openapi(readinessRoute, async (c) => {
    const ready = !deps.lifecycle.draining && (await withinReadinessBound(deps.database.ready()));
    return ready
      ? c.json({ status: 'ok' as const, database }, 200)
      : c.json({ status: 'unavailable' as const, database }, 503);
  });
}
