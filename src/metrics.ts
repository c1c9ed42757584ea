import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (one per app, so tests can build many).
 * `observeOutboxLag` and `inFlight` are read at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly requestDuration = new Histogram({
    name: 'palisade_http_request_duration_seconds',
    help: 'HTTP request duration by route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly fences = new Counter({
    name: 'palisade_fences_total',
    help: 'Tokens issued, by what they fenced out: first (nothing), deploy_generation or epoch.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly conflicts = new Counter({
    name: 'palisade_conflicts_total',
    help: '409 answers by problem code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly exhausted = new Counter({
    name: 'palisade_resource_exhausted_total',
    help: '429 answers by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'palisade_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: succeeded, retry (failed, will retry) or failed (gave up).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private inFlightSource: () => number = () => 0;

  constructor(outboxLagSeconds: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'palisade_' });
    new Gauge({
      name: 'palisade_outbox_lag_seconds',
      help: 'How long the oldest due webhook delivery has been waiting (0 when none is due).',
      registers: [this.registry],
      async collect() {
        this.set(await outboxLagSeconds().catch(() => Number.NaN));
      },
    });
    const metrics = this;
    new Gauge({
      name: 'palisade_http_requests_in_flight',
      help: 'Requests this process is working on (watch streams excluded).',
      registers: [this.registry],
      collect() {
        this.set(metrics.inFlightSource());
      },
    });
  }

  /** Where the in-flight gauge reads its value at scrape time. */
  readInFlightFrom(source: () => number): void {
    this.inFlightSource = source;
  }
}
