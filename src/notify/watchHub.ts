import type { DatabaseHandle } from '../db/client.js';
import { ENVIRONMENTS_CHANNEL, type WatchTopic } from '../db/environments.js';

type Listener = (topic: WatchTopic) => void;

/**
 * Fans the environments channel out to the watchers of this process: one LISTEN for all of them,
 * woken on every commit of a fence or delete by any replica sharing the database.
 */
export class WatchHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private unlisten: (() => Promise<void>) | null = null;
  closed = false;

  constructor(private readonly database: DatabaseHandle) {}

  async start(): Promise<void> {
    this.unlisten = await this.database.listen(ENVIRONMENTS_CHANNEL, (payload) => {
      const [tenant, name, topic] = payload.split('\n');
      for (const listener of this.listeners.get(`${tenant}\n${name}`) ?? []) listener(topic as WatchTopic);
    });
  }

  /** Calls `listener` with the topic after each committed change of the environment; returns the unsubscribe. */
  subscribe(tenant: string, name: string, listener: Listener): () => void {
    const key = `${tenant}\n${name}`;
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  /** Wakes every watcher one last time, so their streams end, and stops listening. */
  async stop(): Promise<void> {
    this.closed = true;
    for (const set of this.listeners.values()) for (const listener of set) listener('token');
    await this.unlisten?.().catch(() => {});
  }
}

/**
 * One waiter's view of an environment's changes: `wait` resolves at the next change, or at once if
 * one came while the waiter was busy, so none is missed between two waits.
 */
export class Wakeup {
  private pending = false;
  private readonly topics = new Set<WatchTopic>();
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;

  constructor(hub: WatchHub, tenant: string, name: string) {
    this.unsubscribe = hub.subscribe(tenant, name, (topic) => this.signal(topic));
  }

  /** Ends the current or next wait as a change would (for a closed connection, say). */
  signal(topic?: WatchTopic): void {
    this.pending = true;
    if (topic) this.topics.add(topic);
    this.wake?.();
  }

  /** True once a change has come (since the last wait), false when `timeoutMs` passed without one. */
  async wait(timeoutMs: number): Promise<boolean> {
    const woken = await new Promise<boolean>((resolve) => {
      if (this.pending) return resolve(true);
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
    this.wake = null;
    this.pending = false;
    return woken;
  }

  /** Whether `topic` changed since the last call that asked about it. */
  changed(topic: WatchTopic): boolean {
    return this.topics.delete(topic);
  }

  close(): void {
    this.unsubscribe();
  }
}
