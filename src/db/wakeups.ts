import { randomUUID } from 'node:crypto';

/**
 * A hint that something changed, for the watchers or dispatchers listening on `channel`. Sent only
 * after the change has committed, never from inside the writing transaction: PostgreSQL serialises
 * the commits of every transaction that notifies, cluster-wide, behind one lock held through the WAL
 * flush, which would queue every tenant's writes behind each other. A wake-up is only a hint: its
 * listeners re-read what changed, on reconnect and at least once per heartbeat, so one lost delays,
 * never loses.
 */
export type Wakeup = { channel: string; payload: string };

/** Sends `select pg_notify(…)` for each wake-up, in one statement outside any writing transaction. */
export type NotifyStatement = (channels: string[], payloads: string[]) => Promise<unknown>;

type Subscriber = (payload: string) => void;

/**
 * Starts the last line of a NOTIFY's payload that names the process which sent it. A replica's own
 * NOTIFY comes back to its listener after its listeners were woken in process; the mark lets it drop
 * that echo, which would wake every watcher of the environment a second time. A payload's own lines
 * come first, so a replica that reads only those reads the mark as an extra line it ignores.
 */
const ORIGIN_MARK = '\nfrom:';

/**
 * The wake-ups of one process. Its own listeners are woken at once, in process; the other replicas
 * by NOTIFY, coalesced: while one notifying statement is in flight, the wake-ups that come meanwhile
 * (duplicates sent once) wait and go together in the next, so a busy process runs at most one at a time.
 */
export class WakeupSender {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly pending = new Map<string, Wakeup>();
  private sending = false;
  private readonly origin = randomUUID();

  /** Without `notify` (the embedded database, one process) wake-ups stay in process. */
  constructor(private readonly notify: NotifyStatement | null) {}

  /** Calls `onWake` for every wake-up this process sends on `channel`; returns the unsubscribe. */
  subscribe(channel: string, onWake: Subscriber): () => void {
    let set = this.subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.subscribers.set(channel, set);
    }
    set.add(onWake);
    return () => {
      set.delete(onWake);
      if (set.size === 0 && this.subscribers.get(channel) === set) this.subscribers.delete(channel);
    };
  }

  /**
   * Wraps a NOTIFY listener: another process's payloads reach `onNotify` without their mark, and
   * this process's own, whose listeners `send` has already woken, not at all.
   */
  fromOtherProcesses(onNotify: Subscriber): Subscriber {
    return (payload) => {
      const mark = payload.lastIndexOf(ORIGIN_MARK);
      if (mark === -1) return onNotify(payload);
      if (payload.slice(mark + ORIGIN_MARK.length) !== this.origin) onNotify(payload.slice(0, mark));
    };
  }

  /** Wakes this process's listeners now and the other replicas' shortly; call it after the commit. */
  send(wakeups: readonly Wakeup[]): void {
    if (wakeups.length === 0) return;
    for (const wakeup of wakeups) {
      for (const onWake of this.subscribers.get(wakeup.channel) ?? []) onWake(wakeup.payload);
      if (this.notify) this.pending.set(`${wakeup.channel}\n${wakeup.payload}`, wakeup);
    }
    if (!this.sending && this.pending.size > 0) void this.flush();
  }

  private async flush(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.size > 0) {
        const batch = [...this.pending.values()];
        this.pending.clear();
        try {
          await this.notify!(
            batch.map((wakeup) => wakeup.channel),
            batch.map((wakeup) => `${wakeup.payload}${ORIGIN_MARK}${this.origin}`),
          );
        } catch {
          // The database is unreachable: the other replicas re-read on reconnect and on their heartbeat.
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
