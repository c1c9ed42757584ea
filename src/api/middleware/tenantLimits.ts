import type { MiddlewareHandler } from 'hono';
import type { Database } from '../../db/client.js';
import type { Limits } from '../../limits.js';
import type { AppEnv } from '../types.js';
import { serverResponse } from './outgoingHeaders.js';

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
    const policy = `"request_rate";q=${rate.quota};w=${rate.windowSeconds}`;
    const state = `"request_rate";r=${rate.remaining};t=${rate.fullInSeconds}`;
    // A 429 for a quota carries that quota's fields instead: a response's own headers replace those
    // set on the Node response, and both of these come with a refusal's (see refusalHeaders).
    const outgoing = serverResponse(c);
    if (outgoing) {
      outgoing.setHeader('ratelimit-policy', policy);
      outgoing.setHeader('ratelimit', state);
      return next();
    }
    await next();
    if (!c.res.headers.has('ratelimit')) {
      // On the response's own headers: `c.header` on a finished response rebuilds it as a web Response.
      c.res.headers.set('ratelimit-policy', policy);
      c.res.headers.set('ratelimit', state);
    }
  };
}
