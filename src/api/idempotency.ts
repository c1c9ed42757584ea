import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import {
  findResponse,
  IDEMPOTENCY_KEY_TTL_MS,
  liveKeyUsage,
  responseBinding,
  storeResponse,
  tryLockKey,
} from '../db/idempotency.js';
import { invalidRequest } from '../domain/refusal.js';
import { ApiError } from './problems.js';
import { assertRoomForIdempotencyKey } from '../domain/quotas.js';
import { IDEMPOTENCY_KEY_PATTERN } from './schemas.js';
import type { AppDeps, AppEnv } from './types.js';

/** Thrown inside the transaction to leave no record of a request whose answer is not to be replayed. */
class RollBack extends Error {}

/**
 * Answers worth replaying are those of work that ran: successes, and the refusals of the work itself
 * (404, 409). Bad input (400, 413), a limit (429) and failures (5xx) leave no record, so the same key
 * can carry the corrected or later request.
 */
export const isReplayable = (status: number) => status < 400 || status === 404 || status === 409;

/**
 * Idempotency-Key on a route declared idempotent. The handler runs inside a transaction that also
 * stores its response, so a retry with the same key and body gets that response replayed without
 * the work being done again, and a request that failed leaves nothing behind. The same
 * key with another body (or route) is 422; a key whose first request still runs is 409.
 * Every stored body is sealed under the Idempotency-Key and the server's key: some carry a
 * secret shown once (a new API key, a webhook signing secret), and a replay shows it again only
 * to whoever holds the Idempotency-Key.
 */
export function idempotency(deps: Pick<AppDeps, 'database' | 'keyring'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (!c.get('route')?.idempotent || key === undefined) return next();
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw invalidRequest('The Idempotency-Key must be 1 to 255 visible ASCII characters.', [
        { path: 'header.idempotency-key', message: 'must be 1 to 255 visible ASCII characters' },
      ]);
    }
    // No tenant name can contain a colon, so the admin routes' scope is apart from every tenant's.
    const scope = c.get('tenant') ?? ':admin';
    const fingerprint = createHash('sha256')
      .update(`${c.req.method} ${c.req.path}\n`)
      .update(await c.req.text())
      .digest('hex');

    let replay: Response | null = null;
    try {
      await deps.database.db.transaction(async (tx) => {
        if (!(await tryLockKey(tx, scope, key))) {
          throw new ApiError(
            'idempotency_in_flight',
            'A request with this Idempotency-Key is still being processed.',
            {},
            {
              'retry-after': '1',
            },
          );
        }
        const stored = await findResponse(tx, scope, key);
        if (stored) {
          if (stored.fingerprint !== fingerprint) {
            throw new ApiError(
              'idempotency_key_reused',
              'This Idempotency-Key was used with another request; use a new key for a new request.',
            );
          }
          replay = new Response(deps.keyring.openResponse(key, responseBinding(scope, fingerprint), stored.body), {
            status: stored.status,
            headers: {
              ...(stored.contentType ? { 'content-type': stored.contentType } : {}),
              'idempotent-replayed': 'true',
            },
          });
          return;
        }
        const tenant = c.get('tenant');
        // A tenant's records are capped, so one cannot fill the database with a day's worth of keys.
        // The check runs before the work, so a refused request does nothing.
        if (tenant !== undefined) {
          assertRoomForIdempotencyKey(
            await liveKeyUsage(tx, tenant),
            c.get('limits').idempotencyKeys,
            IDEMPOTENCY_KEY_TTL_MS,
          );
        }
        c.set('db', tx);
        await next();
        if (!isReplayable(c.res.status)) throw new RollBack();
        await storeResponse(tx, scope, key, {
          fingerprint,
          status: c.res.status,
          contentType: c.res.headers.get('content-type'),
          body: deps.keyring.sealResponse(key, responseBinding(scope, fingerprint), await c.res.clone().text()),
        });
      });
    } catch (error) {
      if (!(error instanceof RollBack)) throw error;
    }
    if (replay) c.res = replay;
  };
}
