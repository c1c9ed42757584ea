import type { Logger } from 'pino';
import type { WebhookConfig } from '../config.js';
import type { DatabaseHandle } from '../db/client.js';
import { DELIVERIES_CHANNEL } from '../db/events.js';
import type { Metrics } from '../metrics.js';
import { type Keyring, UnknownKeyError } from '../secrets.js';
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDueDeliveries,
  nextDueAt,
  recordAttempt,
} from '../db/webhooks.js';
import { type SendResult, WebhookSender } from './sender.js';
import { signedHeaders } from './signature.js';

const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** The delay before retry number `attempt` (1-based), with ±20% jitter; null once the schedule is used up. */
export function retryDelay(attempt: number, scheduleMs: number[], retryAfterMs: number | null): number | null {
  const scheduled = scheduleMs[attempt - 1];
  if (scheduled === undefined) return null;
  const jittered = Math.round(scheduled * (0.8 + Math.random() * 0.4));
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/**
 * Delivers the outbox. Every service process runs one: each claims due deliveries with
 * SKIP LOCKED, is woken by NOTIFY when a transaction commits new ones, and otherwise sleeps until the
 * next retry is due or the poll interval passes (the fallback should a notification be lost).
 */
export class WebhookDispatcher {
  private readonly sender: WebhookSender;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly leaseMs: number;
  private stopped = false;
  private woken = false;
  private wakeSleeper: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly config: WebhookConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly keyring: Keyring,
  ) {
    this.sender = new WebhookSender({ timeoutMs: config.timeoutMs });
    // Longer than any attempt can take, so a live process never loses its claim mid-send.
    this.leaseMs = 2 * config.timeoutMs + 1_000;
  }

  async start(): Promise<void> {
    // Deliveries committed while the listener was down were not announced: look for them once it is back.
    this.unlisten = await this.database.listen(
      DELIVERIES_CHANNEL,
      () => this.wake(),
      () => this.wake(),
    );
    this.loopDone = this.loop();
  }

  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  /** Stops claiming, lets the attempts in flight finish (each is bounded by the timeout), then closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    await Promise.all(this.inFlight);
    await this.unlisten?.().catch(() => {});
    await this.sender.close();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const free = this.config.concurrency - this.inFlight.size;
      this.woken = false;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await claimDueDeliveries(this.database.db, free, this.leaseMs);
        } catch (error) {
          this.logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            'claiming deliveries failed',
          );
        }
      }
      for (const delivery of claimed) {
        const attempt: Promise<void> = this.attempt(delivery).finally(() => {
          this.inFlight.delete(attempt);
          this.wake();
        });
        this.inFlight.add(attempt);
      }
      if (free > 0 && claimed.length === free) continue;
      if (!this.woken && !this.stopped) await this.sleep(await this.untilNextDue());
    }
  }

  private async untilNextDue(): Promise<number> {
    if (this.inFlight.size >= this.config.concurrency) return this.config.pollIntervalMs;
    try {
      const due = await nextDueAt(this.database.db);
      if (due === null) return this.config.pollIntervalMs;
      return Math.max(0, Math.min(this.config.pollIntervalMs, due.getTime() - Date.now()));
    } catch {
      return this.config.pollIntervalMs;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeSleeper = null;
        resolve();
      }
      this.wakeSleeper = done;
      if (this.woken) done();
    });
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const attemptedAt = new Date();
    const { endpoint } = delivery;
    const secrets = this.signingSecrets(endpoint, attemptedAt);
    const result: SendResult =
      typeof secrets === 'string'
        ? { statusCode: null, durationMs: 0, responseBody: null, retryAfterMs: null, error: `not sent: ${secrets}` }
        : await this.sender.send(
            endpoint.url,
            endpoint.allowPrivate,
            delivery.payload,
            signedHeaders(secrets, delivery.eventId, delivery.payload, attemptedAt),
          );
    const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;

    let outcome: AttemptOutcome = { kind: 'succeeded' };
    let disableReason: string | null = null;
    if (!succeeded) {
      const failingSince = endpoint.failingSince ?? attemptedAt;
      if (result.statusCode === 410) {
        disableReason = 'the endpoint answered 410 Gone';
      } else if (attemptedAt.getTime() - failingSince.getTime() >= this.config.disableAfterMs) {
        disableReason = `every attempt has failed since ${failingSince.toISOString()}`;
      }
      const honoursRetryAfter = result.statusCode === 429 || result.statusCode === 503;
      const delay =
        result.statusCode === 410
          ? null
          : retryDelay(
              delivery.attempts + 1,
              this.config.retryScheduleMs,
              honoursRetryAfter ? result.retryAfterMs : null,
            );
      if (delay === null) {
        outcome = { kind: 'failed' };
        disableReason ??= 'a delivery used up its retry schedule without a 2xx answer';
      } else {
        outcome = { kind: 'retry', at: new Date(attemptedAt.getTime() + result.durationMs + delay) };
      }
    }

    try {
      await recordAttempt(
        this.database.db,
        delivery,
        {
          attemptedAt,
          statusCode: result.statusCode,
          durationMs: result.durationMs,
          error: result.error ?? (succeeded ? null : `answered ${result.statusCode}`),
          responseBody: result.responseBody,
        },
        outcome,
        disableReason,
      );
    } catch (error) {
      // The claim's lease runs out and the delivery is attempted again: at least once, not at most once.
      this.logger.warn(
        { delivery_id: delivery.id, error: error instanceof Error ? error.message : String(error) },
        'recording a delivery attempt failed',
      );
    }
    this.metrics.deliveries.inc({ outcome: outcome.kind });
    this.logger.info(
      {
        delivery_id: delivery.id,
        event_id: delivery.eventId,
        endpoint_id: endpoint.id,
        status_code: result.statusCode,
        duration_ms: result.durationMs,
        outcome: outcome.kind,
        disabled: disableReason ?? undefined,
      },
      'webhook attempt',
    );
  }

  /**
   * The live secrets in clear, opened only now, to sign; or why they cannot be. A secret sealed
   * under a key this process lacks (a replica configured with another key) or altered is not sent
   * unsigned: the attempt fails and is retried.
   */
  private signingSecrets(endpoint: ClaimedDelivery['endpoint'], at: Date): string[] | string {
    try {
      const secrets = [this.keyring.openWebhookSecret(endpoint.id, endpoint.secret)];
      if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > at) {
        secrets.push(this.keyring.openWebhookSecret(endpoint.id, endpoint.previousSecret));
      }
      return secrets;
    } catch (error) {
      return error instanceof UnknownKeyError
        ? `the signing secret is ${error.message}`
        : 'the signing secret does not open with its key (altered, or moved from another endpoint)';
    }
  }
}
