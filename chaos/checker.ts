import { isDeepStrictEqual } from 'node:util';
import type { Token } from '../src/domain/token.js';

/**
 * The chaos checker: pure functions over a recorded history of client operations plus the final
 * database state read through the API (fence history, log, event feed) and what the webhook
 * receiver got. Each check returns the violations it found, in words; an empty list is a pass.
 *
 * Outcomes: `ok` is a 2xx answer, `fail` any other HTTP answer, `unknown` no HTTP answer at all
 * (connection refused or cut, a killed process). A 5xx `fail` is treated as indeterminate too: a
 * service that lost its database connection during COMMIT cannot know whether the write landed.
 */

export type Json = Record<string, any>;
export type Outcome = 'ok' | 'fail' | 'unknown';
/** `status` 0: no HTTP answer. `contentType` is recorded where the answers' shape is checked (checkAnswers). */
export type HttpResult = { status: number; body: Json | null; text: string; contentType: string };
export type EntryData = { client: number; seq: number; part: number };

type Base = {
  env: string;
  client: number;
  service: number;
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  response: HttpResult;
};
export type FenceOp = Base & {
  kind: 'fence';
  request: { deploy_generation: number; holder: string };
  /** The highest generation the client had seen in any answer when it sent the fence, where it keeps count. */
  knownGeneration?: number;
};
export type AppendOp = Base & {
  kind: 'append';
  request: { token: Token; expected_upper?: number; entries: EntryData[] };
};
export type ConfirmOp = Base & { kind: 'confirm'; request: { token: Token } };
/** A step of the deployment handover; a promotion issues a token as a fence does. */
export type DeployOp = Base & {
  kind: 'register' | 'ready' | 'promote';
  request: { deploy_generation: number; holder: string };
};
export type Operation = FenceOp | AppendOp | ConfirmOp | DeployOp;
type WriteOp = AppendOp | ConfirmOp;
/** The operations whose every answer checkAnswers knows. */
export type FencingOp = FenceOp | WriteOp;
/** The operations that issue a token: a fence, and a promotion. */
type IssuingOp = FenceOp | (DeployOp & { kind: 'promote' });

export type HistoryItem = { token: Token; holder: string; upper: number; fenced_at: string };
export type LogEntry = { offset: number; data: unknown; token: Token; appended_at: string };
export type DeploymentRecord = { deploy_generation: number; state: string; holder: string; token: Token | null };
export type EnvironmentState = {
  history: HistoryItem[];
  log: { entries: LogEntry[]; upper: number };
  /** Present when the run drove the handover. */
  deployments?: DeploymentRecord[];
};
export type FeedEvent = { id: string; type: string; timestamp: string; data: Json };
export type Reception = {
  id: string;
  verified: boolean;
  payload: { type: string; data: unknown };
  answered: number | string;
};

export type FinalState = {
  environments: Record<string, EnvironmentState>;
  feed: FeedEvent[];
  receptions: Reception[];
};

export const outcomeOf = (status: number): Outcome =>
  status === 0 ? 'unknown' : status >= 200 && status < 300 ? 'ok' : 'fail';

export const tokenText = (token: Token | undefined | null) =>
  token ? `{g${token.deploy_generation} e${token.epoch}}` : String(token);

const sameToken = (a: Token | undefined | null, b: Token | undefined | null) =>
  !!a && !!b && a.deploy_generation === b.deploy_generation && a.epoch === b.epoch;

export function isToken(value: unknown): value is Token {
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

/** No answer, or a 5xx: the operation may or may not have taken effect. */
export const indeterminate = (op: Operation) => op.outcome === 'unknown' || op.response.status >= 500;
const isOk = (op: Operation) => op.outcome === 'ok';
const isFencedRefusal = (op: Operation) => op.response.status === 409 && op.response.body?.code === 'fenced';

export function describeOp(op: Operation): string {
  const request =
    'holder' in op.request
      ? `generation ${op.request.deploy_generation} holder ${op.request.holder}`
      : `token ${tokenText(op.request.token)}${op.kind === 'append' && op.request.expected_upper !== undefined ? ` expected_upper ${op.request.expected_upper}` : ''}`;
  return `${op.kind} on ${op.env} by client ${op.client} via service ${op.service} (${request}, ${op.invokedAt.toFixed(1)}..${op.completedAt.toFixed(1)}) → ${op.outcome} ${op.response.status} ${op.response.text.slice(0, 200)}`;
}

const issues = (op: Operation): op is IssuingOp => op.kind === 'fence' || op.kind === 'promote';
/** Acknowledged fences and promotions, each with the token it issued. */
const okFences = (ops: Operation[]) => ops.filter((op): op is IssuingOp => issues(op) && isOk(op));
const fenceToken = (op: IssuingOp) => op.response.body!.token as Token;
const writes = (ops: Operation[]) => ops.filter((op): op is WriteOp => op.kind === 'append' || op.kind === 'confirm');

/**
 * Invariant 1: the history's epochs are 1, 2, 3, … (strictly increasing, none twice), generations
 * never go down, every ok fence's token is in it with its holder, and every item is either an ok
 * fence's or an indeterminate fence's (matched by its unique holder); an ok fence names as previous
 * the history item before its own. Real time: a fence invoked after another completed gets a higher
 * epoch.
 */
export function checkTokens(ops: Operation[], history: HistoryItem[]): string[] {
  const violations: string[] = [];
  const fences = okFences(ops);
  const byEpoch = new Map<number, IssuingOp>();
  for (const fence of fences) {
    const token = fenceToken(fence);
    const earlier = byEpoch.get(token.epoch);
    if (earlier) violations.push(`epoch ${token.epoch} issued twice: ${describeOp(earlier)} and ${describeOp(fence)}`);
    byEpoch.set(token.epoch, fence);
    if (token.deploy_generation !== fence.request.deploy_generation) {
      violations.push(
        `fence returned generation ${token.deploy_generation}, asked for ${fence.request.deploy_generation}: ${describeOp(fence)}`,
      );
    }
  }
  const indeterminateByHolder = new Map(
    ops.filter((op): op is IssuingOp => issues(op) && indeterminate(op)).map((op) => [op.request.holder, op]),
  );
  history.forEach((item, index) => {
    if (item.token.epoch !== index + 1) {
      violations.push(`history item ${index} has epoch ${item.token.epoch}, expected ${index + 1}`);
    }
    const before = history[index - 1];
    if (before && item.token.deploy_generation < before.token.deploy_generation) {
      violations.push(`history lowers the generation: ${tokenText(before.token)} then ${tokenText(item.token)}`);
    }
    if (before && item.upper < before.upper) {
      violations.push(`history upper goes back at ${tokenText(item.token)}: ${before.upper} then ${item.upper}`);
    }
    const fence = byEpoch.get(item.token.epoch);
    if (fence) {
      if (!sameToken(fenceToken(fence), item.token) || fence.request.holder !== item.holder) {
        violations.push(
          `history holds ${tokenText(item.token)} for ${item.holder}, the fence returned: ${describeOp(fence)}`,
        );
      }
      return;
    }
    const maybe = indeterminateByHolder.get(item.holder);
    if (!maybe || maybe.request.deploy_generation !== item.token.deploy_generation) {
      violations.push(
        `history holds ${tokenText(item.token)} (holder ${item.holder}) that neither an ok nor an unknown-outcome fence can explain`,
      );
    }
  });
  const inHistory = new Map(history.map((item) => [item.token.epoch, item]));
  for (const fence of fences) {
    if (!sameToken(inHistory.get(fenceToken(fence).epoch)?.token, fenceToken(fence))) {
      violations.push(`an ok fence's token is missing from the history: ${describeOp(fence)}`);
    }
    if (fence.kind !== 'fence') continue;
    const before = history[fenceToken(fence).epoch - 2];
    const expected = before ? { token: before.token, holder: before.holder } : null;
    if (!isDeepStrictEqual(fence.response.body!.previous, expected)) {
      violations.push(
        `fence names previous ${JSON.stringify(fence.response.body!.previous)}, the history says ${JSON.stringify(expected)}: ${describeOp(fence)}`,
      );
    }
  }
  for (const fence of fences) {
    const newer = fences.find(
      (other) => other.completedAt < fence.invokedAt && fenceToken(other).epoch >= fenceToken(fence).epoch,
    );
    if (newer)
      violations.push(
        `fence returned an epoch not above one completed before it was invoked: ${describeOp(fence)} / ${describeOp(newer)}`,
      );
  }
  return violations;
}

/**
 * Invariant 4: offsets dense; every ok append at its offsets with its data and token; every entry
 * written by an ok or an indeterminate append, each append's entries at exactly one place (all or
 * none of an indeterminate append's entries, contiguous); nothing from a definitely refused append.
 */
export function checkLog(ops: Operation[], log: { entries: LogEntry[]; upper: number }): string[] {
  const violations: string[] = [];
  const { entries, upper } = log;
  if (entries.length !== upper) violations.push(`the log has ${entries.length} entries but upper ${upper}`);
  entries.forEach((entry, index) => {
    if (entry.offset !== index)
      violations.push(`offsets are not dense: position ${index} holds offset ${entry.offset}`);
  });
  const dataKey = (data: unknown) => JSON.stringify(data);
  const positions = new Map<string, number[]>();
  entries.forEach((entry, index) => {
    const key = dataKey(entry.data);
    positions.set(key, [...(positions.get(key) ?? []), index]);
  });
  for (const [key, at] of positions) {
    if (at.length > 1) violations.push(`entry ${key} appears at ${at.length} offsets: ${at.join(', ')}`);
  }
  const explained = new Set<string>();
  for (const op of ops) {
    if (op.kind !== 'append') continue;
    if (isOk(op)) {
      const offset = op.response.body?.offset as number;
      op.request.entries.forEach((data, part) => {
        explained.add(dataKey(data));
        const entry = entries[offset + part];
        if (!entry || entry.offset !== offset + part) {
          violations.push(`acknowledged entry ${dataKey(data)} missing at offset ${offset + part}: ${describeOp(op)}`);
        } else if (!isDeepStrictEqual(entry.data, data) || !sameToken(entry.token, op.request.token)) {
          violations.push(
            `offset ${offset + part} holds ${dataKey(entry.data)} with ${tokenText(entry.token)}, acknowledged to: ${describeOp(op)}`,
          );
        }
      });
    } else if (indeterminate(op)) {
      const at = op.request.entries.map((data) => positions.get(dataKey(data))?.[0]);
      for (const data of op.request.entries) explained.add(dataKey(data));
      const present = at.filter((offset) => offset !== undefined);
      if (present.length === 0) continue;
      const contiguous = at.every((offset, part) => offset !== undefined && offset === at[0]! + part);
      if (!contiguous)
        violations.push(
          `an unknown-outcome append is partly present (offsets ${JSON.stringify(at)}): ${describeOp(op)}`,
        );
      else if (present.some((offset) => !sameToken(entries[offset!]!.token, op.request.token))) {
        violations.push(`an unknown-outcome append landed with another token: ${describeOp(op)}`);
      }
    }
  }
  for (const entry of entries) {
    if (!explained.has(dataKey(entry.data))) {
      violations.push(`offset ${entry.offset} holds ${dataKey(entry.data)} that no ok or unknown-outcome append wrote`);
    }
  }
  return violations;
}

/**
 * Invariant 2: an entry carries the token of the latest fence whose recorded upper is at or below
 * its offset (so it was current when the append committed). Real time: an ok append or confirm
 * invoked after a newer token's fence completed is a violation; an append acknowledged before a
 * fence was invoked lies below that fence's upper, one invoked after it completed at or above it.
 */
export function checkWrites(ops: Operation[], state: EnvironmentState): string[] {
  const violations: string[] = [];
  const { history } = state;
  let index = -1;
  for (const entry of state.log.entries) {
    while (index + 1 < history.length && history[index + 1]!.upper <= entry.offset) index++;
    const governing = history[index];
    if (!governing) violations.push(`offset ${entry.offset} was written before any fence`);
    else if (!sameToken(entry.token, governing.token)) {
      violations.push(
        `offset ${entry.offset} accepted with ${tokenText(entry.token)} while ${tokenText(governing.token)} was current (from upper ${governing.upper})`,
      );
    }
  }
  const fences = okFences(ops);
  for (const write of writes(ops).filter(isOk)) {
    const newer = fences.find(
      (fence) => fence.completedAt < write.invokedAt && fenceToken(fence).epoch > write.request.token.epoch,
    );
    if (newer)
      violations.push(
        `${write.kind} accepted with a token older than ${tokenText(fenceToken(newer))}, issued before it was invoked: ${describeOp(write)}`,
      );
  }
  const recorded = new Map(history.map((item) => [item.token.epoch, item]));
  const appends = ops.filter((op): op is AppendOp => op.kind === 'append' && isOk(op));
  for (const fence of fences) {
    const item = recorded.get(fenceToken(fence).epoch);
    if (!item) continue;
    for (const append of appends) {
      const { offset, upper } = append.response.body as { offset: number; upper: number };
      if (append.completedAt < fence.invokedAt && upper > item.upper) {
        violations.push(
          `append acknowledged before a fence was invoked ends at ${upper}, past the fence's upper ${item.upper}: ${describeOp(append)}`,
        );
      }
      if (fence.completedAt < append.invokedAt && offset < item.upper) {
        violations.push(
          `append invoked after a fence completed landed at ${offset}, below its upper ${item.upper}: ${describeOp(append)}`,
        );
      }
    }
  }
  return violations;
}

/**
 * Invariant 3: a fenced refusal is kind deploy_generation exactly when the current generation is
 * above the writer's, epoch only within one generation; a refused fence is always deploy_generation;
 * an epoch refusal after a higher generation's fence had completed is a violation. The current_token
 * a refused write is shown was really issued, is newer than the writer's, is no older than any fence
 * completed before the write was invoked, and was issued by a fence invoked before the answer came.
 */
export function checkRefusalKinds(ops: Operation[], history: HistoryItem[]): string[] {
  const violations: string[] = [];
  const fences = okFences(ops);
  const issued = new Map(history.map((item) => [item.token.epoch, item.token]));
  const fenceOfEpoch = new Map(fences.map((fence) => [fenceToken(fence).epoch, fence]));
  for (const op of ops.filter(isFencedRefusal)) {
    const refusal = op.response.body!;
    const current = refusal.current_token as Token | undefined;
    if (op.kind !== 'append' && op.kind !== 'confirm') {
      if (refusal.kind !== 'deploy_generation')
        violations.push(`a refused ${op.kind} is not of kind deploy_generation: ${describeOp(op)}`);
      continue;
    }
    const yours = op.request.token;
    const expected = current && current.deploy_generation > yours.deploy_generation ? 'deploy_generation' : 'epoch';
    if (refusal.kind !== expected || refusal.action !== (expected === 'deploy_generation' ? 'terminate' : 'halt')) {
      violations.push(`fenced should be kind ${expected}: ${describeOp(op)}`);
    }
    const completedBefore = fences.filter((fence) => fence.completedAt < op.invokedAt);
    if (refusal.kind === 'epoch') {
      const takeover = completedBefore.find((fence) => fenceToken(fence).deploy_generation > yours.deploy_generation);
      if (takeover)
        violations.push(
          `epoch refusal although generation ${fenceToken(takeover).deploy_generation} had taken over before: ${describeOp(op)}`,
        );
    }
    if (!current) {
      violations.push(`fenced names no current_token: ${describeOp(op)}`);
      continue;
    }
    if (!sameToken(issued.get(current.epoch), current)) {
      violations.push(`fenced names a current_token that was never issued: ${describeOp(op)}`);
    }
    if (!(current.epoch > yours.epoch) || current.deploy_generation < yours.deploy_generation) {
      violations.push(`fenced names a current_token that is not newer than the writer's: ${describeOp(op)}`);
    }
    const newestCompleted = Math.max(0, ...completedBefore.map((fence) => fenceToken(fence).epoch));
    if (current.epoch < newestCompleted) {
      violations.push(
        `fenced names current epoch ${current.epoch}, older than epoch ${newestCompleted} completed before the request: ${describeOp(op)}`,
      );
    }
    const issuer = fenceOfEpoch.get(current.epoch);
    if (issuer && !(issuer.invokedAt < op.completedAt)) {
      violations.push(`fenced names a token whose fence was invoked only after the answer: ${describeOp(op)}`);
    }
  }
  return violations;
}

/**
 * For a run without faults, where every request must be answered as the contract says: no 5xx and
 * no missing answer, only the statuses each operation can answer, well-formed bodies, 409s that are
 * problem documents with the members their code lists; and what must be refused is refused as
 * fenced: a write with a token older than one whose fence completed before the write was invoked, a
 * fence with a generation below one current before it was invoked.
 */
export function checkAnswers(ops: FencingOp[]): string[] {
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

  const fences = okFences(ops);
  for (const write of writes(ops)) {
    const newer = fences.find(
      (fence) => fence.completedAt < write.invokedAt && fenceToken(fence).epoch > write.request.token.epoch,
    );
    if (newer && !isFencedRefusal(write)) {
      violations.push(
        `${write.kind} with a token older than ${tokenText(fenceToken(newer))}, issued before it was invoked, was not refused as fenced: ${describeOp(write)}`,
      );
    }
  }
  for (const op of ops) {
    if (op.kind !== 'fence') continue;
    // A generation the client itself saw in an answer was committed, and generations never go down.
    const current = Math.max(
      op.knownGeneration ?? 0,
      ...fences.filter((fence) => fence.completedAt < op.invokedAt).map((fence) => fenceToken(fence).deploy_generation),
    );
    if (op.request.deploy_generation < current && !isFencedRefusal(op)) {
      violations.push(
        `fence with generation below ${current}, current before it was invoked, was not refused as fenced: ${describeOp(op)}`,
      );
    }
  }
  return violations;
}

/** A 409 is application/problem+json with the members the contract lists for its code. */
function checkConflictProblem(op: FencingOp): string[] {
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
    if (problem.expected_upper !== op.request.expected_upper)
      return wrong('upper_mismatch does not echo expected_upper');
    if (!Number.isSafeInteger(problem.current_upper) || problem.current_upper === problem.expected_upper) {
      return wrong('upper_mismatch has no current_upper that differs from expected_upper');
    }
    return [];
  }
  // token_from_future included: every token a client sends was issued to it by a fence.
  return wrong(`with code ${problem.code} is not a possible answer to this request`);
}

/**
 * Invariant 5: every committed generation.fenced event (from the feed) was received at least once
 * with a valid signature; every reception of its payload carries its id as webhook-id; every
 * reception verifies; and every generation raise in a history has its event in the feed.
 */
export function checkWebhooks(state: FinalState): string[] {
  const violations: string[] = [];
  const events = state.feed.filter((event) => event.type === 'generation.fenced');
  for (const reception of state.receptions) {
    if (!reception.verified)
      violations.push(`a reception with webhook-id ${reception.id} did not verify (bad signature)`);
  }
  for (const event of events) {
    const same = state.receptions.filter(
      (reception) => reception.payload.type === event.type && isDeepStrictEqual(reception.payload.data, event.data),
    );
    if (!same.some((reception) => reception.id === event.id && reception.verified)) {
      violations.push(
        `generation.fenced ${event.id} (${JSON.stringify(event.data)}) was never received with a valid signature`,
      );
    }
    const otherIds = [...new Set(same.map((reception) => reception.id).filter((id) => id !== event.id))];
    if (otherIds.length > 0)
      violations.push(`generation.fenced ${event.id} was also received under webhook-id(s) ${otherIds.join(', ')}`);
  }
  for (const [env, { history }] of Object.entries(state.environments)) {
    history.forEach((item, index) => {
      const before = history[index - 1];
      if (!before || item.token.deploy_generation <= before.token.deploy_generation) return;
      const event = events.find((e) => e.data.environment === env && sameToken(e.data.by?.token, item.token));
      if (!event)
        violations.push(`${env}: the raise to ${tokenText(item.token)} has no generation.fenced event in the feed`);
      else if (!sameToken(event.data.fenced?.token, before.token)) {
        violations.push(
          `${env}: generation.fenced ${event.id} names fenced ${tokenText(event.data.fenced?.token)}, history says ${tokenText(before.token)}`,
        );
      }
    });
  }
  return violations;
}

/**
 * Invariant 6: a promotion is all or nothing. A deployment holds a token exactly when the history
 * holds that token for its holder and the feed has its deployment.promoted event; once one is
 * promoted, every deployment of an older generation is fenced; an acknowledged promotion's token is
 * the one its deployment holds.
 */
export function checkPromotions(ops: Operation[], env: string, state: EnvironmentState, feed: FeedEvent[]): string[] {
  const deployments = state.deployments;
  if (!deployments) return [];
  const violations: string[] = [];
  const promotedEvents = feed.filter((event) => event.type === 'deployment.promoted' && event.data.environment === env);
  for (const deployment of deployments) {
    const generation = deployment.deploy_generation;
    const issued = state.history.find(
      (item) => item.holder === deployment.holder && item.token.deploy_generation === generation,
    );
    const events = promotedEvents.filter((event) => event.data.deploy_generation === generation);
    const partial = `promotion of generation ${generation} is partial:`;
    if (deployment.token) {
      if (!issued || !sameToken(issued.token, deployment.token)) {
        violations.push(
          `${partial} the deployment holds ${tokenText(deployment.token)} but the history does not (for ${deployment.holder})`,
        );
      }
      if (events.length !== 1 || !sameToken(events[0]!.data.token, deployment.token)) {
        violations.push(
          `${partial} no deployment.promoted event with ${tokenText(deployment.token)} (${events.length} for the generation)`,
        );
      }
      for (const older of deployments) {
        if (older.deploy_generation < generation && older.state !== 'fenced') {
          violations.push(
            `generation ${older.deploy_generation} is ${older.state} although generation ${generation} was promoted`,
          );
        }
      }
    } else {
      if (issued)
        violations.push(
          `${partial} the history holds ${tokenText(issued.token)} for ${deployment.holder} but the deployment has no token`,
        );
      if (events.length > 0) violations.push(`${partial} a deployment.promoted event but the deployment has no token`);
    }
  }
  for (const op of ops) {
    if (op.kind !== 'promote' || !isOk(op)) continue;
    const returned = op.response.body?.token as Token | null | undefined;
    const deployment = deployments.find((d) => d.deploy_generation === op.request.deploy_generation);
    if (!returned || !deployment || !sameToken(returned, deployment.token)) {
      violations.push(
        `acknowledged promotion of generation ${op.request.deploy_generation} returned ${tokenText(returned)}, the deployment holds ${tokenText(deployment?.token)}: ${describeOp(op)}`,
      );
    }
  }
  return violations;
}

/** Every check of one environment's invariants, over the operations on it and its final state. */
export function checkEnvironment(
  ops: Operation[],
  env: string,
  environment: EnvironmentState,
  feed: FeedEvent[],
): string[] {
  const mine = ops.filter((op) => op.env === env);
  return [
    ...checkTokens(mine, environment.history),
    ...checkLog(mine, environment.log),
    ...checkWrites(mine, environment),
    ...checkRefusalKinds(mine, environment.history),
    ...checkPromotions(mine, env, environment, feed),
  ];
}

/** Every check over the whole run. */
export function checkAll(ops: Operation[], state: FinalState): string[] {
  const violations: string[] = [];
  for (const [env, environment] of Object.entries(state.environments)) {
    violations.push(...checkEnvironment(ops, env, environment, state.feed).map((v) => `${env}: ${v}`));
  }
  const known = new Set(Object.keys(state.environments));
  for (const op of ops) if (!known.has(op.env)) violations.push(`no final state read for ${op.env}`);
  violations.push(...checkWebhooks(state));
  return violations;
}
