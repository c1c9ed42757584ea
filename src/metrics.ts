import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchCounts } from './db/batches.js';
import type { PoolUsage, ReplicationState } from './db/client.js';

/**
 * The service's Prometheus metrics, in a registry of its own (one per app, so tests can build many).
 * The outbox lag, the requests in flight and the connection pool's usage are read at scrape time;
 * the pool's gauges exist only on PostgreSQL, as PGlite has no pool.
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

  readonly watchReads = new Counter({
    name: 'palisade_watch_reads_total',
    help: 'Reads of an environment for its watch streams; one read serves every stream of the environment waiting on it.',
    registers: [this.registry],
  });

  private inFlightSource: () => number = () => 0;

  constructor(outboxLagSeconds: () => Promise<number>, poolUsage?: () => PoolUsage) {
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which promtool rejects; the per-type gauges beside them hold the same counts.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
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
    if (poolUsage) this.observePool(poolUsage);
  }

  private observePool(usage: () => PoolUsage): void {
    new Gauge({
      name: 'palisade_db_pool_connections',
      help: 'PostgreSQL connections of this process by state: busy (in a transaction or running a statement) or idle (free, opened yet or not).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { busy, max } = usage();
        this.set({ state: 'busy' }, busy);
        this.set({ state: 'idle' }, max - busy);
      },
    });
    new Gauge({
      name: 'palisade_db_pool_max',
      help: 'PostgreSQL connections this process may open (DATABASE_POOL_SIZE).',
      registers: [this.registry],
      collect() {
        this.set(usage().max);
      },
    });
    new Gauge({
      name: 'palisade_db_pool_waiting',
      help: 'Transactions and statements waiting for a PostgreSQL connection, all of the pool being busy.',
      registers: [this.registry],
      collect() {
        this.set(usage().waiting);
      },
    });
  }

  /** Reports, at scrape time, whether commits wait for a synchronous standby. */
  observeReplication(read: () => Promise<ReplicationState>): void {
    new Gauge({
      name: 'palisade_db_synchronous_replication',
      help: 'Whether a commit is acknowledged only once a synchronous standby has it (1) or not (0); NaN when the database does not answer.',
      registers: [this.registry],
      async collect() {
        this.set(
          await read().then(
            (state) => (state.synchronous ? 1 : 0),
            () => Number.NaN,
          ),
        );
      },
    });
    new Gauge({
      name: 'palisade_db_sync_standbys',
      help: 'Standbys the PostgreSQL primary reports in sync or quorum state.',
      registers: [this.registry],
      async collect() {
        this.set(
          await read().then(
            (state) => state.syncStandbys,
            () => Number.NaN,
          ),
        );
      },
    });
  }

  /** Reports, at scrape time, how many statements carried the batched calls of each kind (src/db/batches.ts). */
  observeStatementBatches(read: () => BatchCounts): void {
    const counter = (name: string, help: string, pick: (counts: BatchCounts[string]) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['statement'] as const,
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [statement, counts] of Object.entries(read())) this.inc({ statement }, pick(counts));
        },
      });
    counter(
      'palisade_db_batched_statements_total',
      'Statements sent for calls that may share one (append, take_over, find_live_environment); calls ÷ statements is how many shared each.',
      (counts) => counts.statements,
    );
    counter(
      'palisade_db_batched_calls_total',
      'Calls sent in those statements: appends, takeovers and environment reads.',
      (counts) => counts.calls,
    );
  }

  /** Where the in-flight gauge reads its value at scrape time. */
  readInFlightFrom(source: () => number): void {
    this.inFlightSource = source;
  }
}
