import { z } from '@hono/zod-openapi';
import type { App, AppDeps } from './types.js';
import { defineRoute } from './route.js';
import { jsonResponse } from './schemas.js';
import type { Metrics } from '../metrics.js';

const tags = ['health'];

const HealthStatus = z
  .object({ status: z.enum(['ok', 'unavailable']), database: z.enum(['postgres', 'pglite']) })
  .openapi('HealthStatus');

const Replication = z
  .object({
    synchronous: z.boolean().openapi({
      description:
        'Whether a commit is acknowledged only once a synchronous standby has it (synchronous_standby_names set, synchronous_commit on, remote_write or remote_apply, and a standby in sync).',
    }),
    sync_standbys: z.number().int().openapi({ description: 'Standbys the primary reports in sync or quorum state.' }),
  })
  .openapi('Replication');

const ReadinessStatus = HealthStatus.extend({
  replication: Replication.optional().openapi({ description: 'Absent when the database did not answer.' }),
}).openapi('ReadinessStatus');

const livenessRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'healthz',
  summary: 'Liveness: the process is up',
  tags,
  auth: 'none',
  responses: { 200: jsonResponse(HealthStatus, 'The process is up.') },
});

const readinessRoute = defineRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'readyz',
  summary: 'Readiness: the database answers and every migration is applied',
  description:
    'Answers within a second: a database that has not answered by then counts as unavailable. Also says whether commits wait for a synchronous standby; with PALISADE_REQUIRE_SYNC_REPLICATION=true the service is not ready without one.',
  tags,
  auth: 'none',
  responses: {
    200: jsonResponse(ReadinessStatus, 'Ready to serve.'),
    503: jsonResponse(
      ReadinessStatus,
      'Not ready: the database is unreachable, migrations are missing, the process is draining, or synchronous replication is required and missing.',
    ),
  },
});

const metricsRoute = defineRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics',
  description:
    'Request durations by route and status, fences by kind, 409s by code, 429s by resource, webhook attempts by outcome, outbox lag, requests in flight, and the process metrics (memory, CPU, event loop).',
  tags,
  auth: 'none',
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

async function withinReadinessBound<T>(answer: Promise<T>, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const tooLate = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), READINESS_BOUND_MS);
  });
  try {
    return await Promise.race([answer, tooLate]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: App, deps: AppDeps): void {
  const database = deps.database.kind;

  app.openapi(livenessRoute, (c) => c.json({ status: 'ok' as const, database }, 200));

  app.openapi(readinessRoute, async (c) => {
    const [migrated, state] = await Promise.all([
      withinReadinessBound(deps.database.ready(), false),
      withinReadinessBound(
        deps.database.replication().catch(() => undefined),
        undefined,
      ),
    ]);
    const replication = state && { synchronous: state.synchronous, sync_standbys: state.syncStandbys };
    const durable = !deps.config.requireSyncReplication || state?.synchronous === true;
    return !deps.lifecycle.draining && migrated && durable
      ? c.json({ status: 'ok' as const, database, replication }, 200)
      : c.json({ status: 'unavailable' as const, database, replication }, 503);
  });
}
