import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { findKeyOwner } from '../db/apiKeys.js';
import { ApiError } from '../errors.js';
import type { AppDeps, AppEnv } from './app.js';

const ADMIN_PREFIXES = ['/v1/api-keys', '/v1/tenants'];

function unauthorized(detail: string): ApiError {
  return new ApiError('unauthorized', detail, {}, {
    'www-authenticate': 'Bearer realm="palisade"',
  });
}

function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
  return match?.[1] ?? null;
}

/** Compares digests, so neither the length nor the content of the admin token leaks through timing. */
function isAdminToken(presented: string, adminToken: string | undefined): boolean {
  if (!adminToken) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(adminToken).digest();
  return timingSafeEqual(a, b);
}

/**
 * `/v1/api-keys` and `/v1/tenants` take only the admin token; every other `/v1` route takes only a tenant key and
 * sets `tenant` for the handlers. A credential that is valid but on the wrong kind of route is 403.
 */
export function authenticate(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = bearerToken(c.req.header('authorization'));
    if (!presented) {
      throw unauthorized('Send Authorization: Bearer <key>.');
    }
    const admin = isAdminToken(presented, deps.config.adminToken);
    const adminRoute = ADMIN_PREFIXES.some((prefix) => c.req.path === prefix || c.req.path.startsWith(`${prefix}/`));

    if (adminRoute) {
      if (admin) return next();
      if (await findKeyOwner(deps.database.db, presented)) {
        throw new ApiError('forbidden', 'A tenant key cannot manage API keys or tenants; use the admin token.');
      }
      throw unauthorized(
        deps.config.adminToken
          ? 'The admin token is wrong.'
          : 'No admin token is configured (PALISADE_ADMIN_TOKEN), so API keys cannot be managed.',
      );
    }

    if (admin) {
      throw new ApiError('forbidden', 'The admin token is good only on /v1/api-keys and /v1/tenants; use a tenant key.');
    }
    const owner = await findKeyOwner(deps.database.db, presented);
    if (!owner) throw unauthorized('The API key is unknown or revoked.');
    c.set('tenant', owner.tenant);
    c.set('keyId', owner.keyId);
    await next();
  };
}
