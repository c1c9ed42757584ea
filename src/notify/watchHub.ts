import { announceRevocation, API_KEYS_CHANNEL, revokedAmong } from '../db/apiKeys.js';
import type { DatabaseHandle } from '../db/client.js';
import { ENVIRONMENTS_CHANNEL, type WatchTopic } from '../db/events.js';
import { KEY_CACHE_TTL_MS } from '../keyCache.js';

/**
 * How often the keys of open watchers are checked for revocation, should the notification of one
 * be lost: as long as a replica may go on accepting a revoked key from its cache.
 */
const REVOCATION_CHECK_INTERVAL_MS = KEY_CACHE_TTL_MS;

type Watcher = {
  /** The API key the watcher was opened with; its revocation ends the watch. */
  keyId: string;
  /** A committed change of `topic`; without one, any state may have changed unheard. */
  wake(topic?: WatchTopic): void;
  revoke(): void;
};

/** Called with the id of a revoked key, or with null when revocations may have been missed. */
type RevocationHandler = (keyId: string | null) => void;

/**
 * Fans the notifications of this process out: one LISTEN for all of them. Watchers are woken on
 * every commit of a fence or delete by any replica sharing the database, and again whenever the
 * listener is back after a loss (notifications sent meanwhile are gone). A revoked key ends the
 * watchers it opened, on every replica: announced by the replica that revoked it, and checked
 * periodically, since a notification is only a hint.
 */
export class WatchHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly revocationHandlers = new Set<RevocationHandler>();
  private readonly unlisteners: (() => Promise<void>)[] = [];
  private revocationCheck: NodeJS.Timeout | null = null;
  private checkingRevocations = false;
  closed = false;

  constructor(private readonly database: DatabaseHandle) {}

  async start(): Promise<void> {
    this.unlisteners.push(
      await this.database.listen(
        ENVIRONMENTS_CHANNEL,
        (payload) => {
          const [tenant, name, topic] = payload.split('\n');
          for (const watcher of this.watchers.get(`${tenant}\n${name}`) ?? []) watcher.wake(topic as WatchTopic);
        },
        () => this.wakeAll(),
      ),
      await this.database.listen(
        API_KEYS_CHANNEL,
        (keyId) => this.keyRevoked(keyId),
        () => this.revocationsMissed(),
      ),
    );
    this.revocationCheck = setInterval(() => void this.endRevokedWatchers(), REVOCATION_CHECK_INTERVAL_MS);
    this.revocationCheck.unref();
  }

  /** Registers a watcher of the environment; returns the unsubscribe. */
  subscribe(tenant: string, name: string, watcher: Watcher): () => void {
    const key = `${tenant}\n${name}`;
    let set = this.watchers.get(key);
    if (!set) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(key);
    };
  }

  /** Calls `handler` for each revocation this process learns of (see RevocationHandler). */
  onRevocation(handler: RevocationHandler): void {
    this.revocationHandlers.add(handler);
  }

  /** Acts at once on a revocation this process committed, and tells the other replicas. */
  async revoked(keyId: string): Promise<void> {
    this.keyRevoked(keyId);
    try {
      await announceRevocation(this.database.db, keyId);
    } catch {
      // The revocation is committed; the other replicas' caches and checks catch up within their bound.
    }
  }

  /** Wakes every watcher one last time, so their streams end, and stops listening. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.revocationCheck) clearInterval(this.revocationCheck);
    this.wakeAll();
    for (const unlisten of this.unlisteners.splice(0)) await unlisten().catch(() => {});
  }

  private wakeAll(): void {
    for (const set of this.watchers.values()) for (const watcher of set) watcher.wake();
  }

  private keyRevoked(keyId: string): void {
    for (const handler of this.revocationHandlers) handler(keyId);
    for (const set of this.watchers.values()) for (const watcher of set) if (watcher.keyId === keyId) watcher.revoke();
  }

  private revocationsMissed(): void {
    for (const handler of this.revocationHandlers) handler(null);
    void this.endRevokedWatchers();
  }

  private async endRevokedWatchers(): Promise<void> {
    if (this.checkingRevocations || this.closed) return;
    const keyIds = new Set<string>();
    for (const set of this.watchers.values()) for (const watcher of set) keyIds.add(watcher.keyId);
    if (keyIds.size === 0) return;
    this.checkingRevocations = true;
    try {
      for (const keyId of await revokedAmong(this.database.db, [...keyIds])) this.keyRevoked(keyId);
    } catch {
      // The database is unreachable; the next check tries again.
    } finally {
      this.checkingRevocations = false;
    }
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
  /** Set once the key the waiter was opened with is revoked; the waiter should end. */
  revoked = false;

  constructor(hub: WatchHub, tenant: string, name: string, keyId: string) {
    this.unsubscribe = hub.subscribe(tenant, name, {
      keyId,
      wake: (topic) => this.signal(topic),
      revoke: () => {
        this.revoked = true;
        this.signal();
      },
    });
  }

  /** Ends the current or next wait as a change would; without a topic, every topic counts as changed. */
  signal(topic?: WatchTopic): void {
    this.pending = true;
    if (topic) this.topics.add(topic);
    else for (const each of ['token', 'deployments'] as const) this.topics.add(each);
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
