import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppDeps, AppEnv } from '../types.js';

/** One log line and one duration sample per request, by the route it matched. */
export function requestLog({ logger, metrics }: Pick<AppDeps, 'logger' | 'metrics'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    metrics.requestDuration.observe(
      { method: c.req.method, route: routePath(c, -1), status: String(c.res.status) },
      seconds,
    );
    logger.info(
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
  };
}
