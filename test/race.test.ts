import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppendOp,
  checkAnswers,
  checkEnvironment,
  type FencingOp,
  type HistoryItem,
  isToken,
  type Json,
  type LogEntry,
  outcomeOf,
} from '../chaos/checker.js';
import { call } from '../chaos/workload.js';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';

/**
 * Many clients race fences, appends and confirms on one environment through two service processes
 * sharing one PostgreSQL database. Every operation is recorded with its invoke and complete times;
 * chaos/checker.ts then holds the recorded history against the contract's invariants, and against
 * the answers a run without faults must get.
 */

const CLIENTS = 56;
const ENVIRONMENT = 'race-db';
const WARM_UP_MS = 1_000;
/** The run lasts RUN_MS, and longer, up to MAX_RUN_MS, only while the minimums below are not met. */
const RUN_MS = 3_500;
const MAX_RUN_MS = 20_000;
const MINIMUM = { succeededFences: 100, acknowledgedAppends: 100, refusedStaleAppends: 50 };
/** A follower's mean pause, in multiples of the observed request latency; a leader's longest pause. */
const FOLLOWER_PAUSE_LATENCIES = 25;
const LEADER_PAUSE_MS = 5;
/**
 * What a client that does not lead does next. Followers append rarely: a stale append still queues
 * for the environment's row lock, and the leader's appends should not wait behind many of them.
 */
const FOLLOWER_FENCE_SHARE = 0.25;
const FOLLOWER_APPEND_SHARE = 0.15;
const LEADER_APPEND_SHARE = 0.85;
/** Raising or lowering the generation now and then; rarely enough that most fences succeed. */
const GENERATION_STEP_SHARE = 1 / 24;

const isFencedRefusal = (op: FencingOp) => op.response.status === 409 && op.response.body?.code === 'fenced';
const writes = (ops: FencingOp[]) => ops.filter((op) => op.kind === 'append' || op.kind === 'confirm');

/** The run must have exercised the interesting cases, so the checks cannot pass vacuously. */
function summarize(ops: FencingOp[]) {
  const staleAppends = ops.filter((op) => op.kind === 'append' && isFencedRefusal(op));
  return {
    operations: ops.length,
    succeededFences: ops.filter((op) => op.kind === 'fence' && op.response.status === 200).length,
    refusedFences: ops.filter((op) => op.kind === 'fence' && isFencedRefusal(op)).length,
    acknowledgedAppends: ops.filter((op) => op.kind === 'append' && op.response.status === 201).length,
    refusedStaleAppends: staleAppends.length,
    epochRefusals: writes(ops).filter((op) => isFencedRefusal(op) && op.response.body!.kind === 'epoch').length,
    generationRefusals: writes(ops).filter(
      (op) => isFencedRefusal(op) && op.response.body!.kind === 'deploy_generation',
    ).length,
    upperMismatches: ops.filter((op) => op.response.body?.code === 'upper_mismatch').length,
    confirmed: ops.filter((op) => op.kind === 'confirm' && op.response.status === 200).length,
  };
}

// ---------------------------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------------------------

/**
 * Paces the clients and records what they do. Follower pauses scale with the observed latency: on a
 * busy machine every request is slower, and with fixed pauses fences would come faster than a new
 * leader's first append, so that hardly any append is accepted.
 */
class Workload {
  readonly ops: FencingOp[] = [];
  private readonly counts = { succeededFences: 0, acknowledgedAppends: 0, refusedStaleAppends: 0 };
  private readonly startedAt = performance.now();

  constructor(
    private readonly minimumMs: number,
    private readonly maximumMs: number,
    private latencyMs: number,
  ) {}

  get latency(): number {
    return this.latencyMs;
  }

  record(op: FencingOp): void {
    this.ops.push(op);
    this.latencyMs += 0.05 * (op.completedAt - op.invokedAt - this.latencyMs);
    if (op.kind === 'fence' && op.response.status === 200) this.counts.succeededFences++;
    if (op.kind === 'append' && op.response.status === 201) this.counts.acknowledgedAppends++;
    if (op.kind === 'append' && isFencedRefusal(op)) this.counts.refusedStaleAppends++;
  }

  /** Pauses before a client's next operation; a long pause ends early once the run is over. */
  async pause(leading: boolean): Promise<void> {
    const pauseMs = leading
      ? Math.random() * LEADER_PAUSE_MS
      : Math.random() * 2 * FOLLOWER_PAUSE_LATENCIES * Math.min(Math.max(this.latencyMs, 1), 100);
    const until = performance.now() + pauseMs;
    for (let now = performance.now(); now < until && !this.finished(); now = performance.now()) {
      await sleep(Math.min(50, until - now));
    }
  }

  finished(): boolean {
    const elapsed = performance.now() - this.startedAt;
    const enough = (Object.keys(MINIMUM) as (keyof typeof MINIMUM)[]).every(
      (name) => this.counts[name] >= MINIMUM[name],
    );
    return elapsed >= this.maximumMs || (elapsed >= this.minimumMs && enough);
  }
}

function nextAction(leading: boolean): FencingOp['kind'] {
  const roll = Math.random();
  if (leading) return roll < LEADER_APPEND_SHARE ? 'append' : 'confirm';
  if (roll < FOLLOWER_FENCE_SHARE) return 'fence';
  return roll < FOLLOWER_FENCE_SHARE + FOLLOWER_APPEND_SHARE ? 'append' : 'confirm';
}

/** One client: fences, appends and confirms at random until the workload is finished, recording each operation. */
async function runClient(
  environment: string,
  client: number,
  services: ServiceProcess[],
  key: string,
  workload: Workload,
): Promise<void> {
  const serviceIndex = client % services.length;
  const url = services[serviceIndex]!.url;
  const path = `/v1/environments/${environment}`;
  let token: Token | null = null;
  let highestGeneration = 0;
  let knownUpper = 0;
  let appendCount = 0;
  // A client leads from a successful fence until it is refused: a leader keeps writing at once,
  // the others pause between operations so the environment's row lock is not one endless queue.
  let leading = false;

  const learnCurrent = (body: Json | null) => {
    if (isToken(body?.current_token))
      highestGeneration = Math.max(highestGeneration, body.current_token.deploy_generation);
  };

  while (!workload.finished()) {
    await workload.pause(leading);
    if (workload.finished()) break;
    const action = token === null ? 'fence' : nextAction(leading);
    const invokedAt = performance.now();

    if (action === 'fence') {
      const step = Math.random();
      const delta = step < GENERATION_STEP_SHARE ? -1 : step < 2 * GENERATION_STEP_SHARE ? 1 : 0;
      const knownGeneration = highestGeneration;
      const request = { deploy_generation: Math.max(0, knownGeneration + delta), holder: `client-${client}` };
      const response = await call(url, key, 'POST', `${path}/fence`, request);
      workload.record({
        kind: 'fence',
        env: environment,
        client,
        service: serviceIndex,
        invokedAt,
        completedAt: performance.now(),
        outcome: outcomeOf(response.status),
        request,
        response,
        knownGeneration,
      });
      if (response.status === 200 && isToken(response.body?.token)) {
        token = response.body.token;
        highestGeneration = Math.max(highestGeneration, response.body.token.deploy_generation);
        leading = true;
      } else {
        learnCurrent(response.body);
      }
    } else if (action === 'append') {
      appendCount++;
      const entries = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, part) => ({
        client,
        seq: appendCount,
        part,
      }));
      const request: AppendOp['request'] = { token: token!, entries };
      if (Math.random() < 0.3) request.expected_upper = knownUpper;
      const response = await call(url, key, 'POST', `${path}/log`, request);
      const completedAt = performance.now();
      workload.record({
        kind: 'append',
        env: environment,
        client,
        service: serviceIndex,
        invokedAt,
        completedAt,
        outcome: outcomeOf(response.status),
        request,
        response,
      });
      leading = response.status === 201 || response.body?.code === 'upper_mismatch';
      if (response.status === 201) knownUpper = response.body!.upper as number;
      else if (response.body?.code === 'upper_mismatch') knownUpper = response.body.current_upper as number;
      else learnCurrent(response.body);
    } else {
      const request = { token: token! };
      const response = await call(url, key, 'POST', `${path}/confirm`, request);
      const completedAt = performance.now();
      workload.record({
        kind: 'confirm',
        env: environment,
        client,
        service: serviceIndex,
        invokedAt,
        completedAt,
        outcome: outcomeOf(response.status),
        request,
        response,
      });
      leading = response.status === 200;
      if (response.status === 200) knownUpper = response.body!.upper as number;
      else learnCurrent(response.body);
    }
  }
}

async function readJson(url: string, key: string, path: string): Promise<Json> {
  const response = await call(url, key, 'GET', path);
  if (response.status !== 200 || response.body === null)
    throw new Error(`GET ${path}: ${response.status} ${response.text}`);
  return response.body;
}

/** The whole fence history, oldest first, following next_cursor. */
async function readHistory(url: string, key: string): Promise<HistoryItem[]> {
  const newestFirst: HistoryItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await readJson(url, key, `/v1/environments/${ENVIRONMENT}/history?limit=1000${query}`);
    newestFirst.push(...(page.items as HistoryItem[]));
    cursor = page.next_cursor as string | null;
  } while (cursor !== null);
  return newestFirst.reverse();
}

/** The whole log, read page by page up to the upper. */
async function readLog(url: string, key: string): Promise<{ entries: LogEntry[]; upper: number }> {
  const entries: LogEntry[] = [];
  let upper = 0;
  for (;;) {
    const page = await readJson(url, key, `/v1/environments/${ENVIRONMENT}/log?from=${entries.length}&limit=1000`);
    upper = page.upper as number;
    const received = page.entries as LogEntry[];
    entries.push(...received);
    if (received.length === 0 || entries.length >= upper) return { entries, upper };
  }
}

describe.skipIf(!POSTGRES_URL)('racing clients through two processes on one PostgreSQL database', () => {
  let dropDatabase: (() => Promise<void>) | undefined;
  let services: ServiceProcess[] = [];
  let key = '';

  beforeAll(async () => {
    const scratch = await createScratchPostgres();
    dropDatabase = scratch.drop;
    const adminToken = `admin-${randomBytes(16).toString('hex')}`;
    const env = { DATABASE_URL: scratch.url, PALISADE_ADMIN_TOKEN: adminToken };
    // One after the other: the race under test is the clients', not the migrations'.
    services = [await startService(env), await startService(env)];
    const created = await call(services[0]!.url, adminToken, 'POST', '/v1/api-keys', {
      tenant: 'racers',
      name: 'race test',
    });
    if (created.status !== 201) throw new Error(`creating a key failed: ${created.status} ${created.text}`);
    key = created.body!.key as string;
  });

  afterAll(async () => {
    await stopAllServices();
    await dropDatabase?.();
  });

  it(`${CLIENTS} clients racing fences, appends and confirms keep every fencing invariant`, {
    timeout: 60_000,
  }, async () => {
    // A short unchecked run on another environment first: a cold JIT makes requests slow enough
    // that a new leader's first append rarely lands before the next fence.
    const warmUp = new Workload(WARM_UP_MS, WARM_UP_MS, 10);
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, client) => runClient('warm-up', client, services, key, warmUp)),
    );

    const workload = new Workload(RUN_MS, MAX_RUN_MS, warmUp.latency);
    const runStartedAt = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, client) => runClient(ENVIRONMENT, client, services, key, workload)),
    );
    const runMs = Math.round(performance.now() - runStartedAt);
    const { ops } = workload;

    // Read through the other process than the one that created the key, for good measure.
    const reader = services[1]!.url;
    const history = await readHistory(reader, key);
    const log = await readLog(reader, key);

    const summary = summarize(ops);
    const violations = [...checkAnswers(ops), ...checkEnvironment(ops, ENVIRONMENT, { history, log }, [])];
    expect(violations.slice(0, 40), `${violations.length} violations; run: ${JSON.stringify(summary)}`).toEqual([]);

    expect(summary.succeededFences, JSON.stringify(summary)).toBeGreaterThanOrEqual(MINIMUM.succeededFences);
    expect(summary.acknowledgedAppends, JSON.stringify(summary)).toBeGreaterThanOrEqual(MINIMUM.acknowledgedAppends);
    expect(summary.refusedStaleAppends, JSON.stringify(summary)).toBeGreaterThanOrEqual(MINIMUM.refusedStaleAppends);
    expect(summary.refusedFences, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(summary.epochRefusals, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(summary.generationRefusals, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(new Set(ops.map((op) => op.service)).size).toBe(2);
    console.info(`race run of ${runMs} ms: ${JSON.stringify(summary)}`);
  });
});
