import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { findKeyOwner } from '../db/apiKeys.js';
import { ApiError } from '../errors.js';
import type { Database } from '../db/client.js';
import type { AppDeps, AppEnv } from './app.js';

const ADMIN_PREFIXES = ['/v1/api-keys', '/v1/tenants'];

/**
 * How long a key's owner is remembered. A revocation takes effect at once on every replica that
 * hears of it (see WatchHub), and within this long on one that missed the notification.
 */
export const KEY_CACHE_TTL_MS = 2_000;

type Owner = { keyId: string; tenant: string };

/** Looks keys up by hash, remembering known keys briefly so the hot path skips a round trip. */
export class KeyLookup {
  private readonly known = new Map<string, { owner: Owner; until: number }>();

  constructor(private readonly db: Database) {}

  async find(key: string): Promise<Owner | null> {
    const now = Date.now();
    const cached = this.known.get(key);
    if (cached && cached.until > now) return cached.owner;
    const owner = await findKeyOwner(this.db, key);
    // Unknown keys are not remembered: a key created on another replica works there at once.
    if (owner) this.known.set(key, { owner, until: now + KEY_CACHE_TTL_MS });
    else this.known.delete(key);
    if (this.known.size > 100_000) this.known.clear();
    return owner;
  }

  forget(keyId: string): void {
    for (const [key, entry] of this.known) if (entry.owner.keyId === keyId) this.known.delete(key);
  }

  forgetAll(): void {
    this.known.clear();
  }
}

export function unauthorized(detail: string): ApiError {
  return new ApiError('unauthorized', detail, {}, {
    'www-authenticate': 'Bearer realm="palisade"',
  });
}

function bearerToken(header: string | undefined): string | null {
  const match = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i);
  return match?.[1] ?? null;
}

/** Compares digests, so neither the length nor the content of the admin token leaks through timing. */
const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Compares digests of equal length in constant time; the admin token's is computed once. */
function adminTokenCheck(adminToken: string | undefined): (presented: string) => boolean {
  if (!adminToken) return () => false;
  const expected = sha256(adminToken);
  return (presented) => timingSafeEqual(sha256(presented), expected);
}

/**
 * `/v1/api-keys` and `/v1/tenants` take only the admin token; every other `/v1` route takes only a tenant key and
 * sets `tenant` for the handlers. A credential that is valid but on the wrong kind of route is 403.
 */
export function authenticate(deps: AppDeps, keys: KeyLookup): MiddlewareHandler<AppEnv> {
  const isAdminToken = adminTokenCheck(deps.config.adminToken);
  return async (c, next) => {
    const presented = bearerToken(c.req.header('authorization'));
    if (!presented) {
      throw unauthorized('Send Authorization: Bearer <key>.');
    }
    const admin = isAdminToken(presented);
    const adminRoute = ADMIN_PREFIXES.some((prefix) => c.req.path === prefix || c.req.path.startsWith(`${prefix}/`));

    if (adminRoute) {
      if (admin) return next();
      if (await keys.find(presented)) {
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
    const owner = await keys.find(presented);
    if (!owner) throw unauthorized('The API key is unknown or revoked.');
    c.set('tenant', owner.tenant);
    c.set('keyId', owner.keyId);
    await next();
  };
}
