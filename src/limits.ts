import type { LimitsConfig } from './config.js';
import type { Database } from './db/client.js';
import { getLimitOverrides, type LimitOverrides } from './db/limits.js';
import { resourceExhausted } from './domain/quotas.js';

export type TenantLimits = Pick<
  LimitsConfig,
  'requestRate' | 'requestBurst' | 'environments' | 'logEntries' | 'webhooks' | 'idempotencyKeys' | 'logPageBytes'
>;

/** A key's bucket, with the limits it was last filled under: clean-up judges it by those. */
type Bucket = { tokens: number; refilledAt: number; rate: number; burst: number };

const OVERRIDE_TTL_MS = 10_000;
const PRUNE_EVERY = 10_000;

/** A key's request rate after a request: its burst, the window it refills in, what is left and when it is full again. */
export type RateState = { quota: number; windowSeconds: number; remaining: number; fullInSeconds: number };

/**
 * The limits in force: configured defaults, per-tenant overrides (cached for ten seconds, so an
 * override reaches every replica within that), and the per-key request-rate token buckets. The
 * buckets live in this process: N replicas behind a balancer admit up to N times the rate.
 */
export class Limits {
  private readonly overrides = new Map<string, { value: LimitOverrides; until: number }>();
  private readonly buckets = new Map<string, Bucket>();
  private takes = 0;
  private readonly inFlightByTenant = new Map<string, number>();
  inFlight = 0;

  constructor(
    readonly defaults: LimitsConfig,
    private readonly db: Database,
  ) {}

  async forTenant(tenant: string): Promise<TenantLimits> {
    const now = Date.now();
    let cached = this.overrides.get(tenant);
    if (!cached || cached.until < now) {
      cached = { value: await getLimitOverrides(this.db, tenant), until: now + OVERRIDE_TTL_MS };
      this.overrides.set(tenant, cached);
    }
    const o = cached.value;
    return {
      requestRate: o.requestRate ?? this.defaults.requestRate,
      // A rate without a burst gets twice the rate, as PALISADE_RATE_LIMIT without PALISADE_RATE_LIMIT_BURST does.
      requestBurst: o.requestBurst ?? (o.requestRate !== null ? 2 * o.requestRate : this.defaults.requestBurst),
      environments: o.environments ?? this.defaults.environments,
      logEntries: o.logEntries ?? this.defaults.logEntries,
      webhooks: o.webhooks ?? this.defaults.webhooks,
      idempotencyKeys: this.defaults.idempotencyKeys,
      logPageBytes: this.defaults.logPageBytes,
    };
  }

  /**
   * Counts a request in flight, or refuses it with in_flight when its tenant holds its share
   * (`tenantInFlight`) or the process is at `maxInFlight`; a counted request must `leave`.
   */
  enter(tenant: string | undefined): void {
    const held = tenant === undefined ? 0 : (this.inFlightByTenant.get(tenant) ?? 0);
    if (tenant !== undefined && held >= this.defaults.tenantInFlight) {
      throw resourceExhausted(
        'in_flight',
        this.defaults.tenantInFlight,
        'This tenant is at its share of the requests this process works on at once; retry shortly, perhaps on another replica.',
        { retryAfterSeconds: 1, windowSeconds: 1 },
      );
    }
    if (this.inFlight >= this.defaults.maxInFlight) {
      throw resourceExhausted(
        'in_flight',
        this.defaults.maxInFlight,
        'This process is at its limit of requests in flight; retry shortly, perhaps on another replica.',
        { retryAfterSeconds: 1, windowSeconds: 1 },
      );
    }
    this.inFlight++;
    if (tenant !== undefined) this.inFlightByTenant.set(tenant, held + 1);
  }

  leave(tenant: string | undefined): void {
    this.inFlight--;
    if (tenant === undefined) return;
    const held = (this.inFlightByTenant.get(tenant) ?? 1) - 1;
    if (held === 0) this.inFlightByTenant.delete(tenant);
    else this.inFlightByTenant.set(tenant, held);
  }

  forget(tenant: string): void {
    this.overrides.delete(tenant);
  }

  /** Takes one request from the key's bucket; refuses it with request_rate when the bucket is empty. Returns what is left of it. */
  takeRequest(keyId: string, limits: TenantLimits): RateState {
    const now = performance.now();
    const { requestRate: rate, requestBurst: burst } = limits;
    const bucket = this.buckets.get(keyId) ?? { tokens: burst, refilledAt: now, rate, burst };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) / 1000) * rate);
    bucket.refilledAt = now;
    bucket.rate = rate;
    bucket.burst = burst;
    this.buckets.set(keyId, bucket);
    if (++this.takes % PRUNE_EVERY === 0) this.pruneFullBuckets(now);

    const windowSeconds = Math.max(1, Math.ceil(burst / rate));
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
      throw resourceExhausted(
        'request_rate',
        rate,
        `This API key may send ${rate} requests per second (bursts of ${burst}).`,
        {
          retryAfterSeconds,
          windowSeconds,
          quota: burst,
        },
      );
    }
    bucket.tokens -= 1;
    return {
      quota: burst,
      windowSeconds,
      remaining: Math.floor(bucket.tokens),
      fullInSeconds: Math.ceil((burst - bucket.tokens) / rate),
    };
  }

  /** Drops the buckets that have refilled: a new one would start full, the same. */
  private pruneFullBuckets(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.refilledAt) / 1000) * bucket.rate >= bucket.burst) {
        this.buckets.delete(key);
      }
    }
  }
}
