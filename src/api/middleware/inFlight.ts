import type { MiddlewareHandler } from 'hono';
import type { Limits } from '../../limits.js';
import type { AppEnv } from '../types.js';

/**
 * Counts the request in flight, for the process and for its tenant, each of which holds at most its
 * own share. A request its route declares waiting (a watch stream, a long-poll) is a client waiting,
 * not work in progress, and would use up the limit.
 */
export function countInFlight(limits: Limits): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('route')?.waits(c)) return next();
    const tenant = c.get('tenant');
    limits.enter(tenant);
    try {
      await next();
    } finally {
      limits.leave(tenant);
    }
  };
}
