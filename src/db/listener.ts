import { performance } from 'node:perf_hooks';
import postgres, { type Sql } from 'postgres';

/** SQLSTATE 25006: the statement cannot run on this server, as LISTEN cannot on a standby. */
const READ_ONLY_SQL_TRANSACTION = '25006';

/** The longest wait between two attempts to reconnect, in seconds (postgres.js counts in seconds). */
const MAX_RECONNECT_DELAY_S = 1;

/**
 * The delay before reconnect attempt `retries` (1-based): 50 ms doubling up to one second, with
 * jitter so replicas do not all knock at once. postgres.js's own default grows as 3^retries up to
 * 20 s, so after a restart of a few seconds a connection would stay away 10–20 s after the server
 * is back.
 */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, MAX_RECONNECT_DELAY_S);
}

export type ListenerChange = { state: 'lost' } | { state: 'back'; downMs: number };

type Subscriber = { onNotify: (payload: string) => void; onReconnect?: () => void };

/**
 * The LISTEN connection of this process: one connection for every channel, re-established
 * promptly after it drops. postgres.js's `listen` re-listens too, but with its slow default backoff
 * and without saying when it lost or regained the connection, which callers need: a notification
 * sent while nobody listened is gone, so each subscriber is told to re-read its state once the
 * listener is back.
 */
export class NotificationListener {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private sql: Sql;
  private lostAt: number | null = null;
  private ended = false;

  constructor(
    private readonly url: string,
    private readonly onChange: (change: ListenerChange) => void = () => {},
  ) {
    this.sql = this.connect();
  }

  private connect(): Sql {
    // `onnotify` is the option postgres.js's own `listen` is built on; its typings leave it out.
    const options: postgres.Options<Record<string, never>> & { onnotify: (channel: string, payload: string) => void } =
      {
        max: 1,
        max_lifetime: null,
        fetch_types: false,
        backoff: reconnectDelaySeconds,
        onnotice: () => {},
        connection: { application_name: 'palisade-listener' },
        onnotify: (channel, payload) => {
          for (const subscriber of this.subscribers.get(channel) ?? []) subscriber.onNotify(payload);
        },
        onclose: () => {
          if (client === this.sql) this.connectionClosed();
        },
      };
    const client = postgres(this.url, options);
    return client;
  }

  /** Listens on `channel`; `onReconnect` is called each time the connection is back after a loss. */
  async listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    const subscriber: Subscriber = { onNotify, onReconnect };
    let set = this.subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.subscribers.set(channel, set);
      await this.sql.unsafe(`listen ${quoted(channel)}`);
    }
    set.add(subscriber);
    return async () => {
      set.delete(subscriber);
      if (set.size > 0 || this.subscribers.get(channel) !== set) return;
      this.subscribers.delete(channel);
      if (!this.ended && this.lostAt === null) await this.sql.unsafe(`unlisten ${quoted(channel)}`);
    };
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.sql.end({ timeout: 5 });
  }

  /**
   * Called when the connection closes, and again after each failed attempt to reconnect: asking
   * for the channels once more makes postgres.js reconnect, after its backoff.
   */
  private connectionClosed(): void {
    if (this.ended || this.subscribers.size === 0) return;
    if (this.lostAt === null) {
      this.lostAt = performance.now();
      this.onChange({ state: 'lost' });
    }
    const statement = [...this.subscribers.keys()].map((channel) => `listen ${quoted(channel)}`).join('; ');
    this.sql.unsafe(statement).then(
      () => this.reconnected(),
      (error: unknown) => {
        // A standby refuses LISTEN but keeps the connection, so nothing would close it and try
        // again: a fresh client connects anew, to the primary (the old one's close is not ours to act on).
        if ((error as { code?: unknown } | null)?.code !== READ_ONLY_SQL_TRANSACTION || this.ended) return;
        const standby = this.sql;
        this.sql = this.connect();
        void standby.end({ timeout: 0 }).catch(() => {});
        setTimeout(() => this.connectionClosed(), 1_000 * reconnectDelaySeconds(1)).unref();
      },
    );
  }

  private reconnected(): void {
    if (this.lostAt === null) return;
    const downMs = Math.round(performance.now() - this.lostAt);
    this.lostAt = null;
    this.onChange({ state: 'back', downMs });
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.onReconnect?.();
  }
}

function quoted(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
