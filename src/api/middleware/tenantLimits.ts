import type { MiddlewareHandler } from 'hono';
import type { Database } from '../../db/client.js';
import type { Limits } from '../../limits.js';
import type { AppEnv } from '../types.js';

/**
 * Gives the request the database and, on a tenant route, the tenant's limits; takes one request from
 * the key's rate and sends the RateLimit headers.
 */
export function applyTenantLimits(db: Database, limits: Limits): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set('db', db);
    const tenant = c.get('tenant');
    if (tenant === undefined) return next();
    const tenantLimits = await limits.forTenant(tenant);
    c.set('limits', tenantLimits);
    const rate = limits.takeRequest(c.get('keyId'), tenantLimits);
    await next();
    // A 429 for a quota carries that quota's fields instead.
    if (!c.res.headers.has('ratelimit')) {
      // On the response's own headers: `c.header` on a finished response rebuilds it as a web Response.
      c.res.headers.set('ratelimit-policy', `"request_rate";q=${rate.quota};w=${rate.windowSeconds}`);
      c.res.headers.set('ratelimit', `"request_rate";r=${rate.remaining};t=${rate.fullInSeconds}`);
    }
  };
}
