import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';

/**
 * Many clients race fences, appends and confirms on one environment through two service processes
 * sharing one PostgreSQL database. Every operation is recorded with its invoke and complete times;
 * the checkers below then hold the recorded history against the contract's invariants.
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

type Json = Record<string, any>;
type EntryData = { client: number; append: number; part: number };

/** `status` 0 means no HTTP response at all (the request failed on the network). */
type HttpResult = { status: number; contentType: string; body: Json | null; text: string };

type Timing = { client: number; service: number; invokedAt: number; completedAt: number; response: HttpResult };
type FenceOp = Timing & {
  kind: 'fence';
  request: { deploy_generation: number; holder: string };
  /** The highest generation this client had seen in any answer when it sent the fence. */
  knownGeneration: number;
};
type AppendOp = Timing & {
  kind: 'append';
  request: { token: Token; expected_upper?: number; entries: EntryData[] };
};
type ConfirmOp = Timing & { kind: 'confirm'; request: { token: Token } };
type Operation = FenceOp | AppendOp | ConfirmOp;
type WriteOp = AppendOp | ConfirmOp;

type HistoryItem = { token: Token; holder: string; upper: number; fenced_at: string };
type LogEntry = { offset: number; data: unknown; token: Token; appended_at: string };

// ---------------------------------------------------------------------------------------------
// Helpers over recorded operations
// ---------------------------------------------------------------------------------------------

const tokenText = (token: Token | undefined | null) =>
  token ? `{g${token.deploy_generation} e${token.epoch}}` : String(token);

const sameToken = (a: Token | undefined | null, b: Token | undefined | null) =>
  !!a && !!b && a.deploy_generation === b.deploy_generation && a.epoch === b.epoch;

function isToken(value: unknown): value is Token {
  const token = value as Token | null;
  return (
    typeof token === 'object' &&
    token !== null &&
    Number.isSafeInteger(token.deploy_generation) &&
    token.deploy_generation >= 0 &&
    Number.isSafeInteger(token.epoch) &&
    token.epoch >= 1
  );
}

function describeOp(op: Operation): string {
  let request: string;
  if (op.kind === 'fence') {
    request = `generation ${op.request.deploy_generation}`;
  } else {
    request = `token ${tokenText(op.request.token)}`;
    if (op.kind === 'append' && op.request.expected_upper !== undefined) {
      request += ` expected_upper ${op.request.expected_upper}`;
    }
  }
  const timing = `invoked ${op.invokedAt.toFixed(1)}, completed ${op.completedAt.toFixed(1)}`;
  const answer = `${op.response.status} ${op.response.text.slice(0, 300)}`;
  return `${op.kind} by client ${op.client} via service ${op.service} (${request}, ${timing}) → ${answer}`;
}

const succeededFences = (ops: Operation[]) =>
  ops.filter((op): op is FenceOp => op.kind === 'fence' && op.response.status === 200);
const acknowledgedAppends = (ops: Operation[]) =>
  ops.filter((op): op is AppendOp => op.kind === 'append' && op.response.status === 201);
const writes = (ops: Operation[]) =>
  ops.filter((op): op is WriteOp => op.kind === 'append' || op.kind === 'confirm');
const isFencedRefusal = (op: Operation) => op.response.status === 409 && op.response.body?.code === 'fenced';

/** The token the response of a successful fence carries. */
const fencedToken = (op: FenceOp) => op.response.body!.token as Token;

// ---------------------------------------------------------------------------------------------
// The checker: each function returns the violations it found, in words
// ---------------------------------------------------------------------------------------------

/** No 5xx, no network failure, only the statuses each operation can answer, and well-formed bodies. */
function checkResponses(ops: Operation[]): string[] {
  const violations: string[] = [];
  const allowed = { fence: [200, 409], append: [201, 409], confirm: [200, 409] };
  for (const op of ops) {
    const { status, body } = op.response;
    if (status === 0 || status >= 500 || !allowed[op.kind].includes(status) || body === null) {
      violations.push(`unexpected response: ${describeOp(op)}`);
      continue;
    }
    if (status === 409) {
      violations.push(...checkConflictProblem(op));
      continue;
    }
    if (op.kind === 'fence') {
      const previous = body.previous as Json | null;
      const wellFormed =
        isToken(body.token) &&
        body.token.deploy_generation === op.request.deploy_generation &&
        (previous === null || (isToken(previous?.token) && typeof previous?.holder === 'string'));
      if (!wellFormed) violations.push(`malformed fence result: ${describeOp(op)}`);
    } else if (op.kind === 'append') {
      const wellFormed =
        Number.isSafeInteger(body.offset) &&
        body.upper === body.offset + op.request.entries.length &&
        (op.request.expected_upper === undefined || body.offset === op.request.expected_upper);
      if (!wellFormed) violations.push(`malformed append result: ${describeOp(op)}`);
    } else if (!sameToken(body.token, op.request.token) || !Number.isSafeInteger(body.upper)) {
      violations.push(`malformed confirm result: ${describeOp(op)}`);
    }
  }
  return violations;
}

/** Every 409 is application/problem+json with the members the contract lists for its code. */
function checkConflictProblem(op: Operation): string[] {
  const { body, contentType } = op.response;
  const problem = body!;
  const wrong = (why: string) => [`409 ${why}: ${describeOp(op)}`];
  if (!contentType.startsWith('application/problem+json')) return wrong(`has content type ${contentType}`);
  for (const member of ['type', 'title', 'detail', 'code', 'action']) {
    if (typeof problem[member] !== 'string') return wrong(`lacks the string member ${member}`);
  }
  if (problem.status !== 409) return wrong('has a status member other than 409');
  if (problem.type !== `https://palisade.dev/problems/${String(problem.code).replaceAll('_', '-')}`) {
    return wrong('has a type that does not match its code');
  }
  if (problem.code === 'fenced') {
    if (!['deploy_generation', 'epoch'].includes(problem.kind)) return wrong('fenced has no valid kind');
    if (!isToken(problem.current_token)) return wrong('fenced has no current_token');
    if (problem.action !== (problem.kind === 'deploy_generation' ? 'terminate' : 'halt')) {
      return wrong(`fenced of kind ${problem.kind} has action ${problem.action}`);
    }
    if (op.kind === 'fence') {
      if (problem.your_deploy_generation !== op.request.deploy_generation) {
        return wrong('fenced (fence) does not echo your_deploy_generation');
      }
      if (problem.kind !== 'deploy_generation') return wrong('a refused fence is not of kind deploy_generation');
      if (!(problem.current_token.deploy_generation > op.request.deploy_generation)) {
        return wrong('a fence was refused although its generation is not lower than the current one');
      }
    } else if (!sameToken(problem.your_token, op.request.token)) {
      return wrong('fenced does not echo your_token');
    }
    return [];
  }
  if (problem.code === 'upper_mismatch' && op.kind === 'append' && op.request.expected_upper !== undefined) {
    if (problem.action !== 'retry') return wrong('upper_mismatch has an action other than retry');
    if (problem.expected_upper !== op.request.expected_upper) return wrong('upper_mismatch does not echo expected_upper');
    if (!Number.isSafeInteger(problem.current_upper) || problem.current_upper === problem.expected_upper) {
      return wrong('upper_mismatch has no current_upper that differs from expected_upper');
    }
    return [];
  }
  // token_from_future included: every token a client sends was issued to it by a fence.
  return wrong(`with code ${problem.code} is not a possible answer to this request`);
}

/**
 * Invariant 1: successful fences return distinct epochs; the history is strictly increasing in
 * epoch (1, 2, 3, … as the contract says), never lowers the generation, and is exactly the set of
 * tokens handed out; each fence names the token it fenced out; and fences are linearizable against
 * each other in real time.
 */
function checkFenceTokens(ops: Operation[], history: HistoryItem[]): string[] {
  const violations: string[] = [];
  const fences = succeededFences(ops);

  const byEpoch = new Map<number, FenceOp>();
  for (const fence of fences) {
    const token = fencedToken(fence);
    const earlier = byEpoch.get(token.epoch);
    if (earlier) violations.push(`epoch ${token.epoch} was issued twice: ${describeOp(earlier)} and ${describeOp(fence)}`);
    byEpoch.set(token.epoch, fence);
  }

  history.forEach((item, index) => {
    if (item.token.epoch !== index + 1) {
      violations.push(`history item ${index} has epoch ${item.token.epoch}, expected ${index + 1} (strictly increasing by one)`);
    }
    const before = history[index - 1];
    if (before && item.token.deploy_generation < before.token.deploy_generation) {
      violations.push(`history lowers the generation: ${tokenText(before.token)} then ${tokenText(item.token)}`);
    }
    if (before && item.upper < before.upper) {
      violations.push(`history upper goes back: ${before.upper} at ${tokenText(before.token)}, ${item.upper} at ${tokenText(item.token)}`);
    }
    const fence = byEpoch.get(item.token.epoch);
    if (!fence) {
      violations.push(`history holds ${tokenText(item.token)} (holder ${item.holder}) that no fence returned`);
    } else if (!sameToken(fencedToken(fence), item.token) || fence.request.holder !== item.holder) {
      violations.push(`history holds ${tokenText(item.token)} for ${item.holder}, but the fence returned: ${describeOp(fence)}`);
    }
  });
  const historyEpochs = new Set(history.map((item) => item.token.epoch));
  for (const fence of fences) {
    if (!historyEpochs.has(fencedToken(fence).epoch)) violations.push(`a returned token is missing from history: ${describeOp(fence)}`);
  }

  for (const fence of fences) {
    const epoch = fencedToken(fence).epoch;
    const previous = history[epoch - 2];
    const expected = previous ? { token: previous.token, holder: previous.holder } : null;
    if (!isDeepStrictEqual(fence.response.body!.previous, expected)) {
      violations.push(`fence names previous ${JSON.stringify(fence.response.body!.previous)}, history says ${JSON.stringify(expected)}: ${describeOp(fence)}`);
    }
  }

  for (const op of ops.filter((o): o is FenceOp => o.kind === 'fence')) {
    const completedBefore = fences.filter((fence) => fence.completedAt < op.invokedAt);
    const highestEpoch = Math.max(0, ...completedBefore.map((fence) => fencedToken(fence).epoch));
    // A generation the client itself saw in an answer was committed, and generations never go down.
    const highestGeneration = Math.max(
      op.knownGeneration,
      ...completedBefore.map((fence) => fencedToken(fence).deploy_generation),
    );
    if (op.response.status === 200 && fencedToken(op).epoch <= highestEpoch) {
      violations.push(`fence returned an epoch not above ${highestEpoch}, which a fence completed before it was invoked had: ${describeOp(op)}`);
    }
    if (op.request.deploy_generation < highestGeneration && !isFencedRefusal(op)) {
      violations.push(`fence with generation below ${highestGeneration}, already current before it was invoked, was not refused: ${describeOp(op)}`);
    }
  }
  return violations;
}

/**
 * Invariant 4, and nothing invented: the log's offsets are dense, every acknowledged append is at
 * exactly its offsets with its data and token, and the acknowledged appends cover the whole log.
 */
function checkLogAgainstAppends(ops: Operation[], log: { entries: LogEntry[]; upper: number }): string[] {
  const violations: string[] = [];
  const { entries, upper } = log;
  if (entries.length !== upper) violations.push(`the log has ${entries.length} entries but upper ${upper}`);
  entries.forEach((entry, index) => {
    if (entry.offset !== index) violations.push(`log offsets are not dense: position ${index} holds offset ${entry.offset}`);
  });

  const writerAt = new Map<number, AppendOp>();
  for (const append of acknowledgedAppends(ops)) {
    const offset = append.response.body!.offset as number;
    append.request.entries.forEach((data, part) => {
      const at = offset + part;
      const earlier = writerAt.get(at);
      if (earlier) violations.push(`offset ${at} was acknowledged twice: ${describeOp(earlier)} and ${describeOp(append)}`);
      writerAt.set(at, append);
      const entry = entries[at];
      if (!entry || entry.offset !== at) {
        violations.push(`acknowledged entry at offset ${at} is missing from the log: ${describeOp(append)}`);
      } else if (!isDeepStrictEqual(entry.data, data) || !sameToken(entry.token, append.request.token)) {
        violations.push(`offset ${at} holds ${JSON.stringify(entry.data)} with ${tokenText(entry.token)}, but was acknowledged to: ${describeOp(append)}`);
      }
    });
  }
  for (const entry of entries) {
    if (!writerAt.has(entry.offset)) {
      violations.push(`offset ${entry.offset} holds ${JSON.stringify(entry.data)} with ${tokenText(entry.token)}, which no acknowledged append wrote`);
    }
  }
  return violations;
}

/**
 * Invariant 2 from the database's own record: a history item's `upper` is the log's upper when its
 * token was issued, so each entry must carry the token of the latest fence whose upper is at or
 * below the entry's offset. Real time agrees: an append acknowledged before a fence was invoked lies
 * below that fence's upper, and one invoked after a fence completed lies at or above it.
 */
function checkLogAgainstHistory(ops: Operation[], entries: LogEntry[], history: HistoryItem[]): string[] {
  const violations: string[] = [];
  let fenceIndex = -1;
  for (const entry of entries) {
    while (fenceIndex + 1 < history.length && history[fenceIndex + 1]!.upper <= entry.offset) fenceIndex++;
    const governing = history[fenceIndex];
    if (!governing) {
      violations.push(`offset ${entry.offset} was written before any fence`);
    } else if (!sameToken(entry.token, governing.token)) {
      violations.push(`offset ${entry.offset} carries ${tokenText(entry.token)}, but ${tokenText(governing.token)} was current from upper ${governing.upper}`);
    }
  }

  const historyByEpoch = new Map(history.map((item) => [item.token.epoch, item]));
  const appends = acknowledgedAppends(ops);
  for (const fence of succeededFences(ops)) {
    const recorded = historyByEpoch.get(fencedToken(fence).epoch);
    if (!recorded) continue; // reported by checkFenceTokens
    for (const append of appends) {
      const { offset, upper } = append.response.body! as { offset: number; upper: number };
      if (append.completedAt < fence.invokedAt && upper > recorded.upper) {
        violations.push(`append acknowledged before a fence was invoked ends at ${upper}, past that fence's upper ${recorded.upper}: ${describeOp(append)} / ${describeOp(fence)}`);
      }
      if (fence.completedAt < append.invokedAt && offset < recorded.upper) {
        violations.push(`append invoked after a fence completed landed at ${offset}, below that fence's upper ${recorded.upper}: ${describeOp(append)} / ${describeOp(fence)}`);
      }
    }
  }
  return violations;
}

/**
 * Invariant 2 in real time: once a fence issuing T has completed, an append or confirm invoked
 * afterwards with an older token must be refused as fenced, through either process.
 */
function checkStaleWritesRefused(ops: Operation[]): string[] {
  const violations: string[] = [];
  const fences = succeededFences(ops);
  for (const write of writes(ops)) {
    const newer = fences.find(
      (fence) => fence.completedAt < write.invokedAt && fencedToken(fence).epoch > write.request.token.epoch,
    );
    if (newer && !isFencedRefusal(write)) {
      violations.push(`${write.kind} with a token older than ${tokenText(fencedToken(newer))}, issued before it was invoked, was not refused as fenced: ${describeOp(write)}`);
    }
  }
  return violations;
}

/**
 * Invariant 3: a fenced refusal is of kind deploy_generation (action terminate) exactly when the
 * current generation is above the writer's, and of kind epoch (halt) only within one generation.
 * The current_token it names must be a token really issued, newer than the writer's, no older than
 * any fence completed before the request, and issued by a fence invoked before the answer came.
 * An epoch refusal is wrong if a fence of a higher generation had already completed.
 */
function checkFencedKinds(ops: Operation[], history: HistoryItem[]): string[] {
  const violations: string[] = [];
  const issued = new Map(history.map((item) => [item.token.epoch, item.token]));
  const fences = succeededFences(ops);
  const fenceOfEpoch = new Map(fences.map((fence) => [fencedToken(fence).epoch, fence]));
  for (const write of writes(ops).filter(isFencedRefusal)) {
    const refusal = write.response.body!;
    const yours = write.request.token;
    const current = refusal.current_token as Token;
    const expectedKind = current.deploy_generation > yours.deploy_generation ? 'deploy_generation' : 'epoch';
    if (!sameToken(issued.get(current.epoch), current)) {
      violations.push(`fenced names a current_token that was never issued: ${describeOp(write)}`);
    }
    if (!(current.epoch > yours.epoch) || current.deploy_generation < yours.deploy_generation) {
      violations.push(`fenced names a current_token that is not newer than the writer's: ${describeOp(write)}`);
    }
    if (refusal.kind !== expectedKind || refusal.action !== (expectedKind === 'deploy_generation' ? 'terminate' : 'halt')) {
      violations.push(`fenced should be kind ${expectedKind}: ${describeOp(write)}`);
    }
    const completedBefore = fences.filter((fence) => fence.completedAt < write.invokedAt);
    const newestCompleted = Math.max(0, ...completedBefore.map((fence) => fencedToken(fence).epoch));
    if (current.epoch < newestCompleted) {
      violations.push(`fenced names current epoch ${current.epoch}, older than epoch ${newestCompleted} completed before the request: ${describeOp(write)}`);
    }
    const issuer = fenceOfEpoch.get(current.epoch);
    if (issuer && !(issuer.invokedAt < write.completedAt)) {
      violations.push(`fenced names a token whose fence was invoked only after the answer: ${describeOp(write)}`);
    }
    if (refusal.kind === 'epoch') {
      const takeover = completedBefore.find((fence) => fencedToken(fence).deploy_generation > yours.deploy_generation);
      if (takeover) {
        violations.push(`epoch refusal although generation ${fencedToken(takeover).deploy_generation} had taken over before the request: ${describeOp(write)}`);
      }
    }
  }
  return violations;
}

/** The run must have exercised the interesting cases, so the checks above cannot pass vacuously. */
function summarize(ops: Operation[]) {
  const staleAppends = ops.filter((op) => op.kind === 'append' && isFencedRefusal(op));
  return {
    operations: ops.length,
    succeededFences: succeededFences(ops).length,
    refusedFences: ops.filter((op) => op.kind === 'fence' && isFencedRefusal(op)).length,
    acknowledgedAppends: acknowledgedAppends(ops).length,
    refusedStaleAppends: staleAppends.length,
    epochRefusals: writes(ops).filter((op) => isFencedRefusal(op) && op.response.body!.kind === 'epoch').length,
    generationRefusals: writes(ops).filter((op) => isFencedRefusal(op) && op.response.body!.kind === 'deploy_generation').length,
    upperMismatches: ops.filter((op) => op.response.body?.code === 'upper_mismatch').length,
    confirmed: ops.filter((op) => op.kind === 'confirm' && op.response.status === 200).length,
  };
}

// ---------------------------------------------------------------------------------------------
// The workload
// ---------------------------------------------------------------------------------------------

async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<HttpResult> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Json | null = null;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      // Left null: checkResponses reports a body that is not JSON.
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed, text };
  } catch (error) {
    return { status: 0, contentType: '', body: null, text: String(error) };
  }
}

/**
 * Paces the clients and records what they do. Follower pauses scale with the observed latency: on a
 * busy machine every request is slower, and with fixed pauses fences would come faster than a new
 * leader's first append, so that hardly any append is accepted.
 */
class Workload {
  readonly ops: Operation[] = [];
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

  record(op: Operation): void {
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
    const enough = (Object.keys(MINIMUM) as (keyof typeof MINIMUM)[]).every((name) => this.counts[name] >= MINIMUM[name]);
    return elapsed >= this.maximumMs || (elapsed >= this.minimumMs && enough);
  }
}

function nextAction(leading: boolean): Operation['kind'] {
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
    if (isToken(body?.current_token)) highestGeneration = Math.max(highestGeneration, body.current_token.deploy_generation);
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
        client,
        service: serviceIndex,
        invokedAt,
        completedAt: performance.now(),
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
        append: appendCount,
        part,
      }));
      const request: AppendOp['request'] = { token: token!, entries };
      if (Math.random() < 0.3) request.expected_upper = knownUpper;
      const response = await call(url, key, 'POST', `${path}/log`, request);
      const completedAt = performance.now();
      workload.record({ kind: 'append', client, service: serviceIndex, invokedAt, completedAt, request, response });
      leading = response.status === 201 || response.body?.code === 'upper_mismatch';
      if (response.status === 201) knownUpper = response.body!.upper as number;
      else if (response.body?.code === 'upper_mismatch') knownUpper = response.body.current_upper as number;
      else learnCurrent(response.body);
    } else {
      const request = { token: token! };
      const response = await call(url, key, 'POST', `${path}/confirm`, request);
      const completedAt = performance.now();
      workload.record({ kind: 'confirm', client, service: serviceIndex, invokedAt, completedAt, request, response });
      leading = response.status === 200;
      if (response.status === 200) knownUpper = response.body!.upper as number;
      else learnCurrent(response.body);
    }
  }
}

async function readJson(url: string, key: string, path: string): Promise<Json> {
  const response = await call(url, key, 'GET', path);
  if (response.status !== 200 || response.body === null) throw new Error(`GET ${path}: ${response.status} ${response.text}`);
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
    const created = await call(services[0]!.url, adminToken, 'POST', '/v1/api-keys', { tenant: 'racers', name: 'race test' });
    if (created.status !== 201) throw new Error(`creating a key failed: ${created.status} ${created.text}`);
    key = created.body!.key as string;
  });

  afterAll(async () => {
    await stopAllServices();
    await dropDatabase?.();
  });

  it(`${CLIENTS} clients racing fences, appends and confirms keep every fencing invariant`, { timeout: 60_000 }, async () => {
    // A short unchecked run on another environment first: a cold JIT makes requests slow enough
    // that a new leader's first append rarely lands before the next fence.
    const warmUp = new Workload(WARM_UP_MS, WARM_UP_MS, 10);
    await Promise.all(Array.from({ length: CLIENTS }, (_, client) => runClient('warm-up', client, services, key, warmUp)));

    const workload = new Workload(RUN_MS, MAX_RUN_MS, warmUp.latency);
    const runStartedAt = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, client) => runClient(ENVIRONMENT, client, services, key, workload)));
    const runMs = Math.round(performance.now() - runStartedAt);
    const { ops } = workload;

    // Read through the other process than the one that created the key, for good measure.
    const reader = services[1]!.url;
    const history = await readHistory(reader, key);
    const log = await readLog(reader, key);

    const summary = summarize(ops);
    const violations = [
      ...checkResponses(ops),
      ...checkFenceTokens(ops, history),
      ...checkLogAgainstAppends(ops, log),
      ...checkLogAgainstHistory(ops, log.entries, history),
      ...checkStaleWritesRefused(ops),
      ...checkFencedKinds(ops, history),
    ];
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
