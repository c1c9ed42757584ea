import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import {
  type EnvironmentRow,
  type FenceRecord,
  fencesAfter,
  findEnvironmentOrTombstone,
  lastIssuedToken,
} from '../db/environments.js';
import { type DeploymentEvent, deploymentEventsAfter, type FeedPosition, isAfter } from '../db/events.js';

/** What one watch stream needs read. */
export type ReadRequest = {
  /** Tokens issued after this epoch; null for none (the stream has sent no epoch yet). */
  tokensAfter: number | null;
  /** Deployment events after this feed position; `'now'` for the present position alone; null for none. */
  deploymentsAfter: FeedPosition | 'now' | null;
};

/** The environment as one read found it: enough for every stream that asked, each skipping what it sent. */
export type EnvironmentChanges = {
  /** The row, live or deleted; null if the name was never used. */
  row: EnvironmentRow | null;
  /** Tokens issued after the lowest epoch asked for, oldest first. */
  fences: FenceRecord[];
  /** Events after the oldest position asked for, and the position to resume from; null when none asked. */
  deployments: { events: DeploymentEvent[]; horizon: FeedPosition; unsettled: string[] } | null;
};

type Batch = {
  requests: ReadRequest[];
  resolve(changes: EnvironmentChanges): void;
  reject(error: unknown): void;
  promise: Promise<EnvironmentChanges>;
};

/**
 * The reads of one environment, shared by all its watch streams on this process. A change wakes
 * every stream at once; each asks for a read, and the requests that come while none is running
 * (or while one runs, for the next) are answered by one read. A read begins after every request
 * it answers, so it sees every change committed before the request was made.
 */
export class SharedRead {
  /** The streams that joined and have not left. */
  streams = 0;
  private waiting: Batch | null = null;
  private reading = false;

  constructor(
    private readonly db: Database,
    private readonly tenant: string,
    private readonly name: string,
    private readonly onRead: () => void,
    private readonly logger: Logger,
  ) {}

  read(request: ReadRequest): Promise<EnvironmentChanges> {
    if (!this.waiting) {
      let resolve!: Batch['resolve'];
      let reject!: Batch['reject'];
      const promise = new Promise<EnvironmentChanges>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Answered by every stream at once; a failure is logged once below.
      promise.catch(() => {});
      this.waiting = { requests: [], resolve, reject, promise };
      // After the current turn: the streams woken together all ask within it.
      if (!this.reading) setImmediate(() => void this.drain());
    }
    this.waiting.requests.push(request);
    return this.waiting.promise;
  }

  private async drain(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      while (this.waiting) {
        const batch = this.waiting;
        this.waiting = null;
        try {
          batch.resolve(await this.readFor(batch.requests));
        } catch (error) {
          // The query builder's message carries the statement and its parameters; log the database's own.
          const cause = (error as { cause?: { message?: unknown } }).cause;
          const message =
            typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
          this.logger.warn(
            { environment: this.name, streams: batch.requests.length, error: message },
            'watch streams could not re-read; retrying',
          );
          batch.reject(error);
        }
      }
    } finally {
      this.reading = false;
    }
  }

  private async readFor(requests: ReadRequest[]): Promise<EnvironmentChanges> {
    this.onRead();
    let tokensAfter: number | null = null;
    let deploymentsAfter: FeedPosition | 'now' | null = null;
    for (const request of requests) {
      if (request.tokensAfter !== null) tokensAfter = Math.min(tokensAfter ?? request.tokensAfter, request.tokensAfter);
      const position = request.deploymentsAfter;
      if (position === 'now') deploymentsAfter ??= 'now';
      else if (
        position !== null &&
        (deploymentsAfter === null || deploymentsAfter === 'now' || isAfter(deploymentsAfter, position))
      ) {
        deploymentsAfter = position;
      }
    }
    // Read before the token, so a promotion's fence, committed with its event, is sent first.
    const deployments =
      deploymentsAfter === null ? null : await deploymentEventsAfter(this.db, this.tenant, this.name, deploymentsAfter);
    const row = await findEnvironmentOrTombstone(this.db, this.tenant, this.name);
    const newest = row ? (lastIssuedToken(row)?.epoch ?? 0) : 0;
    const fences =
      row && !row.deletedAt && tokensAfter !== null && newest > tokensAfter
        ? await fencesAfter(this.db, row.id, tokensAfter)
        : [];
    return { row, fences, deployments };
  }
}

/** The shared reads of every watched environment of this process. */
export class EnvironmentReads {
  private readonly byEnvironment = new Map<string, SharedRead>();

  constructor(
    private readonly db: Database,
    private readonly onRead: () => void,
    private readonly logger: Logger,
  ) {}

  /** The environment's shared read, for a stream until it calls `leave`. */
  join(tenant: string, name: string): SharedRead {
    const key = `${tenant}\n${name}`;
    let shared = this.byEnvironment.get(key);
    if (!shared) {
      shared = new SharedRead(this.db, tenant, name, this.onRead, this.logger);
      this.byEnvironment.set(key, shared);
    }
    shared.streams++;
    return shared;
  }

  leave(tenant: string, name: string): void {
    const key = `${tenant}\n${name}`;
    const shared = this.byEnvironment.get(key);
    if (shared && --shared.streams === 0) this.byEnvironment.delete(key);
  }
}
