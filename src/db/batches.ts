import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Database, Transaction } from './client.js';

/**
 * Calls that arrive while earlier ones are in the database go to it together, as one statement and
 * one commit: on a machine whose cores the database shares, a statement per call costs a socket write,
 * a parse of the protocol and a commit each, on both sides. Nothing waits for a batch to fill: a
 * call is sent at once, alone, while fewer than `maxInFlight` statements of its kind are out; the
 * calls that came meanwhile go together when one returns. So a lone caller sees no added latency,
 * and under load each statement carries what queued during the last one.
 *
 * A call only ever joins a statement not yet sent, so it reads everything committed before it was
 * made. Calls with the same `key` (one environment) never share a statement: a statement
 * answers each of its calls from the row as it found it. A statement that writes skips the rows
 * another transaction holds (`for update skip locked`) and answers those calls `ALONE`: each is then
 * sent by itself and waits for its row as it would have without batching, so one held row never
 * holds up the other calls of its statement, nor their tenants. The queue is first come, first served
 * across tenants; what one tenant can have queued is bounded by its requests in flight
 * (`PALISADE_MAX_IN_FLIGHT_PER_TENANT`), so no tenant's calls can push another's out.
 */
export type BatchOptions<Call, Result> = {
  /** Names the kind of statement in `statementBatches`. */
  name: string;
  /** At most this many calls in one statement. */
  maxCalls: number;
  /** At most this many statements of this kind out at once; the pool's other connections serve the rest. */
  maxInFlight: number;
  /**
   * A call's size (the bytes it sends, say), when calls differ: a statement carries calls up to
   * `maxWeight` in all, or one call however large, so no statement grows long enough to hold up
   * its calls or to meet the statement timeout for all of them.
   */
  weight?: (call: Call) => number;
  maxWeight?: number;
  /** Calls with the same key never share a statement; reads, which may, leave it out. */
  key?: (call: Call) => string;
  /** Runs `calls` as one statement and answers them in order; `ALONE` for a call to send by itself. */
  runBatch: (db: Database, calls: Call[]) => Promise<(Result | typeof ALONE)[]>;
  /** Runs one call by itself: a batch of one, a call inside a transaction, a call answered `ALONE`. */
  runOne: (db: Database | Transaction, call: Call) => Promise<Result>;
};

/** The key of a call about one environment: calls with the same key never share a statement. */
export const environmentKey = ({ tenant, name }: { tenant: string; name: string }): string => `${tenant}\u0000${name}`;

/**
 * A batched statement's rows in the order of its calls, by the 1-based call number each row carries
 * (`unnest … with ordinality`); undefined for a call the statement returned no row for.
 */
export function inCallOrder<Row extends { call: number }>(rows: Row[], calls: number): (Row | undefined)[] {
  const byCall = new Map(rows.map((row) => [row.call, row]));
  return Array.from({ length: calls }, (_, index) => byCall.get(index + 1));
}

/** What a batch answers for a call whose row another transaction held: send it by itself. */
export const ALONE = Symbol('alone');

type Pending<Call, Result> = {
  call: Call;
  key: string | undefined;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
};

/** How many statements of each batched kind a database was sent, and how many calls they carried. */
export type BatchCounts = Record<string, { statements: number; calls: number }>;

const countsByDatabase = new WeakMap<Database, BatchCounts>();

export function statementBatches(db: Database): BatchCounts {
  return structuredClone(countsByDatabase.get(db) ?? {});
}

class Batcher<Call, Result> {
  private readonly queue: Pending<Call, Result>[] = [];
  private inFlight = 0;
  private readonly counts: { statements: number; calls: number };

  constructor(
    private readonly db: Database,
    private readonly options: BatchOptions<Call, Result>,
  ) {
    const counts = countsByDatabase.get(db) ?? {};
    countsByDatabase.set(db, counts);
    this.counts = counts[options.name] = { statements: 0, calls: 0 };
  }

  submit(call: Call): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, key: this.options.key?.(call), resolve, reject });
      if (this.inFlight < this.options.maxInFlight) this.send();
    });
  }

  private send(): void {
    const batch = this.take();
    if (batch.length === 0) return;
    this.inFlight++;
    this.counts.statements++;
    this.counts.calls += batch.length;
    const sent = batch.length === 1 ? this.sendOne(batch[0]!) : this.sendBatch(batch);
    void sent.finally(() => {
      this.inFlight--;
      if (this.queue.length > 0) this.send();
    });
  }

  /** The oldest calls, one per key; a later call for a key already taken keeps its place for the next statement. */
  private take(): Pending<Call, Result>[] {
    const batch: Pending<Call, Result>[] = [];
    const keys = new Set<string>();
    const { weight, maxWeight = Number.POSITIVE_INFINITY } = this.options;
    let total = 0;
    let index = 0;
    while (index < this.queue.length && batch.length < this.options.maxCalls) {
      const pending = this.queue[index]!;
      if (pending.key !== undefined && keys.has(pending.key)) {
        index++;
        continue;
      }
      const added = weight ? weight(pending.call) : 0;
      if (batch.length > 0 && total + added > maxWeight) break;
      if (pending.key !== undefined) keys.add(pending.key);
      total += added;
      batch.push(pending);
      this.queue.splice(index, 1);
    }
    return batch;
  }

  private async sendOne(pending: Pending<Call, Result>): Promise<void> {
    try {
      pending.resolve(await this.options.runOne(this.db, pending.call));
    } catch (error) {
      pending.reject(error);
    }
  }

  private async sendBatch(batch: Pending<Call, Result>[]): Promise<void> {
    let results: (Result | typeof ALONE)[];
    try {
      results = await this.options.runBatch(
        this.db,
        batch.map((pending) => pending.call),
      );
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, index) => {
      const result = results[index]!;
      // Not awaited: the call waits for its row on a connection of its own, not in this kind's slots.
      if (result === ALONE) {
        this.counts.statements++;
        void this.sendOne(pending);
      } else pending.resolve(result);
    });
  }
}

/**
 * A function that sends its calls through one batcher per database, and alone inside a transaction
 * (whose statements must stay in it).
 */
export function batched<Call, Result>(
  options: BatchOptions<Call, Result>,
): (db: Database | Transaction, call: Call) => Promise<Result> {
  const batchers = new WeakMap<Database, Batcher<Call, Result>>();
  return (db, call) => {
    if (db instanceof PgTransaction) return options.runOne(db, call);
    let batcher = batchers.get(db);
    if (!batcher) batchers.set(db, (batcher = new Batcher(db, options)));
    return batcher.submit(call);
  };
}
