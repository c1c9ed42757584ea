import { Refusal, type Resource } from './refusal.js';

/**
 * `resource_exhausted`; `timing` only where waiting helps. The policy's quota is `limit` unless the
 * timing names another (a token bucket's burst).
 */
export function resourceExhausted(
  resource: Resource,
  limit: number,
  detail: string,
  timing: { retryAfterSeconds: number; windowSeconds: number; quota?: number } | null = null,
): Refusal {
  return new Refusal(
    'resource_exhausted',
    detail,
    { resource, limit },
    timing
      ? {
          retryAfterSeconds: timing.retryAfterSeconds,
          window: { seconds: timing.windowSeconds, ...(timing.quota === undefined ? {} : { quota: timing.quota }) },
        }
      : {},
  );
}

/** One more environment, refused when the tenant has `live` of its `max`. */
export function assertRoomForEnvironment(live: number, max: number): void {
  if (live >= max) {
    throw resourceExhausted(
      'environments',
      max,
      `This tenant has ${live} environments, its limit; delete one or ask for a higher limit.`,
    );
  }
}

/** One more webhook endpoint, refused when the tenant has `existing` of its `max`. */
export function assertRoomForWebhook(existing: number, max: number): void {
  if (existing >= max) {
    throw resourceExhausted(
      'webhooks',
      max,
      `This tenant has ${existing} webhook endpoints, its limit; delete one or ask for a higher limit.`,
    );
  }
}

/** `count` more entries on a log holding `upper`, refused past `max`. */
export function assertRoomInLog(upper: number, count: number, max: number): void {
  if (upper + count > max) {
    throw resourceExhausted(
      'log_entries',
      max,
      `The log holds ${upper} entries; ${count} more would pass its limit of ${max}.`,
    );
  }
}

/**
 * One more Idempotency-Key record, refused when the tenant holds `cap`; it passes once the oldest
 * expires, `ttlMs` after its request.
 */
export function assertRoomForIdempotencyKey(
  usage: { count: number; oldestExpiresInMs: number },
  cap: number,
  ttlMs: number,
): void {
  if (usage.count < cap) return;
  throw resourceExhausted(
    'idempotency_keys',
    cap,
    `This tenant holds ${cap} Idempotency-Key records, its limit; each expires 24 hours after its request. Retry without the header, or later.`,
    {
      retryAfterSeconds: Math.max(1, Math.ceil(usage.oldestExpiresInMs / 1000)),
      windowSeconds: ttlMs / 1000,
    },
  );
}
