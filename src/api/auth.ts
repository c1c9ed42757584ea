import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { LimitsConfig } from '../config.js';
import { findKeyOwner } from '../db/apiKeys.js';
import { ApiError } from './problems.js';
import { KEY_CACHE_TTL_MS } from '../keyCache.js';
import { resourceExhausted } from '../domain/quotas.js';
import type { Database } from '../db/client.js';
import { incomingMessage } from './middleware/incoming.js';
import type { AuthKind } from './route.js';
import type { AppDeps, AppEnv } from './types.js';

type Owner = { keyId: string; tenant: string };

/**
 * How long a key the database did not know is answered 401 without asking it again. Keys are random
 * and shown once at creation, so a new key has never been presented before: remembering the unknown
 * ones delays no real key, and a flood repeating a bad key costs one lookup per this interval.
 */
export const UNKNOWN_KEY_TTL_MS = 2_000;

const MAX_REMEMBERED_KEYS = 100_000;

/** How long a key found valid may still be looked up from an address that has used up its failures. */
const RECENTLY_VALID_MS = 600_000;

/** Looks keys up by hash, remembering known and unknown keys briefly so neither repeats a round trip. */
export class KeyLookup {
  private readonly known = new Map<string, { owner: Owner; until: number }>();
  /** By hash, so the map holds no presented secret; in insertion order, oldest first. */
  private readonly unknown = new Map<string, number>();
  /** Hashes of keys found valid lately, which an address out of failures may still present. */
  private readonly recentlyValid = new Map<string, number>();

  constructor(private readonly db: Database) {}

  /** The owner if the key is known without a lookup; undefined when only the database can say. */
  cached(key: string): Owner | null | undefined {
    const now = Date.now();
    const known = this.known.get(key);
    if (known && known.until > now) return known.owner;
    const unknownUntil = this.unknown.get(digest(key));
    if (unknownUntil !== undefined && unknownUntil > now) return null;
    return undefined;
  }

  /**
   * Whether the key was valid lately: its owner is cached for only 2 s, but an address shared with
   * a client sending bad keys (a NAT, a proxy) must not lock out a tenant whose key works.
   */
  recentlyValidated(key: string): boolean {
    return (this.recentlyValid.get(digest(key)) ?? 0) > Date.now();
  }

  async find(key: string): Promise<Owner | null> {
    const cached = this.cached(key);
    if (cached !== undefined) return cached;
    const owner = await findKeyOwner(this.db, key);
    const now = Date.now();
    if (owner) {
      this.known.set(key, { owner, until: now + KEY_CACHE_TTL_MS });
      if (this.known.size > MAX_REMEMBERED_KEYS) this.known.clear();
      this.recentlyValid.set(digest(key), now + RECENTLY_VALID_MS);
      if (this.recentlyValid.size > MAX_REMEMBERED_KEYS) this.recentlyValid.clear();
    } else {
      this.known.delete(key);
      const hash = digest(key);
      this.unknown.delete(hash);
      this.unknown.set(hash, now + UNKNOWN_KEY_TTL_MS);
      if (this.unknown.size > MAX_REMEMBERED_KEYS) this.unknown.delete(this.unknown.keys().next().value!);
    }
    return owner;
  }

  forget(keyId: string): void {
    for (const [key, entry] of this.known) if (entry.owner.keyId === keyId) this.known.delete(key);
  }

  forgetAll(): void {
    this.known.clear();
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64');
}

type Bucket = { tokens: number; refilledAt: number };

/**
 * Failed authentications per client address: a token bucket that only failures draw from. An
 * address whose bucket is empty is refused before any lookup, so a flood of made-up keys costs the
 * database at most the bucket's rate per address. Keys already known to this process still pass.
 */
export class AuthFailureLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: Pick<LimitsConfig, 'authFailureRate' | 'authFailureBurst'>) {}

  /** Throws 429 auth_failures when the address has no failures left. */
  check(address: string): void {
    const bucket = this.refilled(address, performance.now());
    if (bucket.tokens >= 1) return;
    const { authFailureRate: rate, authFailureBurst: burst } = this.limits;
    throw resourceExhausted(
      'auth_failures',
      rate,
      `Too many failed authentications from this address: ${rate} per second are allowed (bursts of ${burst}).`,
      {
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)),
        windowSeconds: Math.max(1, Math.ceil(burst / rate)),
        quota: burst,
      },
    );
  }

  recordFailure(address: string): void {
    const now = performance.now();
    const bucket = this.refilled(address, now);
    bucket.tokens -= 1;
    this.buckets.set(address, bucket);
    if (this.buckets.size > MAX_REMEMBERED_KEYS) this.pruneFull(now);
  }

  private refilled(address: string, now: number): Bucket {
    const { authFailureRate: rate, authFailureBurst: burst } = this.limits;
    const bucket = this.buckets.get(address) ?? { tokens: burst, refilledAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * rate);
    bucket.refilledAt = now;
    return bucket;
  }

  private pruneFull(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (
        bucket.tokens + ((now - bucket.refilledAt) / 1000) * this.limits.authFailureRate >=
        this.limits.authFailureBurst
      ) {
        this.buckets.delete(address);
      }
    }
  }
}

/** The TCP peer's address; undefined when the app is called in-process rather than over the network. */
function clientAddress(c: Context): string | undefined {
  return incomingMessage(c)?.socket.remoteAddress;
}

export function unauthorized(detail: string): ApiError {
  return new ApiError(
    'unauthorized',
    detail,
    {},
    {
      'www-authenticate': 'Bearer realm="palisade"',
    },
  );
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
 * Asks for the credential the matched route declares: the admin token on an admin route, a tenant
 * key on a tenant route, which sets `tenant` for the handlers. A credential that is valid but on the
 * wrong kind of route is 403. A path no route matches is taken for a tenant route, so it tells
 * nothing to a caller without a key.
 */
export function authenticate(deps: Pick<AppDeps, 'config' | 'keys' | 'authFailures'>): MiddlewareHandler<AppEnv> {
  const { keys, authFailures: failures } = deps;
  const isAdminToken = adminTokenCheck(deps.config.adminToken);
  // By the cached owner, which stands for one key: the admin check hashes the key, and its answer
  // for a key does not change.
  const ownerIsAdmin = new WeakMap<Owner, boolean>();
  const isAdmin = (presented: string, cached: Owner | null | undefined) => {
    if (!cached) return isAdminToken(presented);
    let admin = ownerIsAdmin.get(cached);
    if (admin === undefined) {
      admin = isAdminToken(presented);
      ownerIsAdmin.set(cached, admin);
    }
    return admin;
  };
  const identify = checkCredentials(deps, keys, isAdmin);
  return async (c, next) => {
    const kind = c.get('route')?.auth ?? 'tenant';
    if (kind === 'none') return next();
    const address = clientAddress(c);
    const presented = bearerToken(c.req.header('authorization'));
    const cached = presented === null ? undefined : keys.cached(presented);
    const recognised = presented !== null && (cached || keys.recentlyValidated(presented) || isAdminToken(presented));
    if (address !== undefined && !recognised) failures.check(address);
    try {
      await identify(c, kind, presented, cached);
    } catch (error) {
      if (address !== undefined && error instanceof ApiError && error.code === 'unauthorized')
        failures.recordFailure(address);
      throw error;
    }
    await next();
  };
}

function checkCredentials(
  deps: Pick<AppDeps, 'config'>,
  keys: KeyLookup,
  isAdmin: (presented: string, cached: Owner | null | undefined) => boolean,
): (
  c: Context<AppEnv>,
  kind: Exclude<AuthKind, 'none'>,
  presented: string | null,
  cached: Owner | null | undefined,
) => Promise<void> {
  return async (c, kind, presented, cached) => {
    if (!presented) {
      throw unauthorized('Send Authorization: Bearer <key>.');
    }
    const admin = isAdmin(presented, cached);

    if (kind === 'admin') {
      if (admin) return;
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
      throw new ApiError(
        'forbidden',
        'The admin token is good only on /v1/api-keys and /v1/tenants; use a tenant key.',
      );
    }
    // Looked up just now, with nothing awaited since: a revocation heard meanwhile is not missed.
    const owner = cached ?? (await keys.find(presented));
    if (!owner) throw unauthorized('The API key is unknown or revoked.');
    c.set('tenant', owner.tenant);
    c.set('keyId', owner.keyId);
  };
}
