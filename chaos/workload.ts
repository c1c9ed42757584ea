/**
 * The chaos workload: 64 clients over 4 environments (fences, guarded appends, confirms) plus one
 * operator per environment driving the deployment handover (register, ready, promote), against
 * several service processes on one PostgreSQL database, with the webhook receiver down for a window
 * and answering 500 at random otherwise. The caller adds its own faults (chaos/run.ts: service kills
 * and a PostgreSQL restart; chaos/failover.ts: a Patroni cluster's primary killed). Afterwards the
 * recorded history and the final state go through chaos/checker.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Token } from '../src/domain/token.js';
import { type ServiceProcess, startService, stopAllServices } from '../test/support/processes.js';
import { WebhookReceiver } from '../test/support/receiver.js';
import {
  type AppendOp,
  checkAll,
  type DeploymentRecord,
  type DeployOp,
  type FenceOp,
  type EnvironmentState,
  type FeedEvent,
  type HistoryItem,
  type HttpResult,
  type Json,
  type LogEntry,
  type Operation,
  outcomeOf,
} from './checker.js';

/** A fault, run at `share` of the run's length (0 at the start, 1 at the end). */
export type FaultStep = { share: number; run: () => Promise<void> };

export type FaultContext = {
  log(message: string): void;
  /** SIGKILLs service `index` (a random one without it) and starts it again `downMs` later. */
  killAndRestartService(index?: number, downMs?: number): Promise<void>;
  /** Counts a fault in the summary's `faults`. */
  count(fault: string, by?: number): void;
  /** The base URLs of the service processes running now. */
  serviceUrls(): string[];
};

export type ChaosOptions = {
  /** Prefix of the log lines and of the artifacts folder. */
  name: string;
  databaseUrl: string;
  runSeconds: number;
  services: number;
  /** Over the workload's own service settings. */
  serviceEnv?: Record<string, string>;
  faults(context: FaultContext): FaultStep[];
};

export type ChaosResult = {
  ops: Operation[];
  violations: string[];
  summary: Record<string, unknown>;
  /** When the run began, on the `performance.now()` clock of the operations' times. */
  runStartedAt: number;
};

const CLIENTS = 64;
const ENVIRONMENTS = ['chaos-a', 'chaos-b', 'chaos-c', 'chaos-d'];
const WEBHOOK_WAIT_MS = 30_000;
const RANDOM_500_SHARE = 0.2;
const RECEIVER_DOWN_MS = 4_000;

const HANDOVER_PAUSE_MS = [2_000, 5_000];
const HANDOVER_STEP_ATTEMPTS = 3;

let runName = 'chaos';
const log = (message: string) =>
  console.log(`[${runName} ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
const started = performance.now();

/** One request of the workload, answered or not: a failure to connect or a timeout is status 0. */
export async function call(
  url: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<HttpResult> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: Json | null = null;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      // Left null: the checker reports a body that is not JSON where one is due.
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: parsed, text };
  } catch (error) {
    return { status: 0, contentType: '', body: null, text: String((error as Error).cause ?? error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Service processes that can be killed and restarted
// ---------------------------------------------------------------------------------------------

type Slot = { index: number; service: ServiceProcess | null; starts: number; killing: boolean };

const faults: {
  kills: number;
  restarts: number;
  receiverDownMs: number;
  unexpectedExits: number;
  [fault: string]: number;
} = { kills: 0, restarts: 0, receiverDownMs: 0, unexpectedExits: 0 };
const unexpected: string[] = [];
let serviceEnv: Record<string, string> = {};
let slots: Slot[] = [];
let shuttingDown = false;

async function startSlot(slot: Slot): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const service = await startService(serviceEnv, { readyTimeoutMs: 60_000 });
      slot.starts++;
      slot.service = service;
      service.child.once('exit', (code, signal) => {
        if (slot.service !== service) return;
        slot.service = null;
        if (slot.killing || shuttingDown) return;
        faults.unexpectedExits++;
        const tail = service.output().slice(-2_000);
        unexpected.push(
          `service ${slot.index} exited by itself (code ${code}, signal ${signal}); output tail:\n${tail}`,
        );
        log(`service ${slot.index} exited by itself (code ${code}, signal ${signal}); restarting it`);
        void startSlot(slot);
      });
      return;
    } catch (error) {
      log(`starting service ${slot.index} failed (attempt ${attempt}): ${String(error).slice(-1_500)}`);
      if (attempt >= 5) throw error;
      await sleep(1_000);
    }
  }
}

function liveServices(): Slot[] {
  return slots.filter((slot) => slot.service !== null);
}

async function killAndRestart(slot: Slot, downMs: number): Promise<void> {
  if (!slot.service) return;
  slot.killing = true;
  log(`SIGKILL service ${slot.index} (pid ${slot.service.child.pid})`);
  await slot.service.stop('SIGKILL');
  slot.service = null;
  faults.kills++;
  await sleep(downMs);
  slot.killing = false;
  await startSlot(slot);
  faults.restarts++;
  log(`service ${slot.index} restarted`);
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

const ops: Operation[] = [];
let running = true;
/** The highest generation any client has seen per environment, so the operator registers above it. */
const highestSeen = new Map<string, number>();
const noteGeneration = (env: string, generation: number) =>
  highestSeen.set(env, Math.max(highestSeen.get(env) ?? 0, generation));

function pickService(): Slot | null {
  const live = liveServices();
  return live[Math.floor(Math.random() * live.length)] ?? null;
}

async function runClient(client: number, key: string): Promise<void> {
  const env = ENVIRONMENTS[client % ENVIRONMENTS.length]!;
  const path = `/v1/environments/${env}`;
  let token: Token | null = null;
  let highest = 0;
  let seq = 0;
  let fences = 0;
  let leading = false;
  const learn = (body: Json | null) => {
    const current = body?.current_token as Token | undefined;
    if (current && Number.isSafeInteger(current.deploy_generation)) {
      highest = Math.max(highest, current.deploy_generation);
      noteGeneration(env, highest);
    }
  };
  while (running) {
    await sleep(leading ? Math.random() * 20 : 50 + Math.random() * 300);
    if (!running) break;
    const slot = pickService();
    if (!slot) {
      await sleep(100);
      continue;
    }
    const url = slot.service!.url;
    const roll = Math.random();
    const action =
      token === null
        ? 'fence'
        : leading
          ? roll < 0.85
            ? 'append'
            : 'confirm'
          : roll < 0.3
            ? 'fence'
            : roll < 0.55
              ? 'append'
              : 'confirm';
    const invokedAt = performance.now();
    if (action === 'fence') {
      const step = Math.random();
      const generation = Math.max(0, highest + (step < 0.25 ? 1 : step < 0.35 ? -1 : 0));
      const request = { deploy_generation: generation, holder: `c${client}-f${++fences}` };
      const response = await call(url, key, 'POST', `${path}/fence`, request);
      ops.push({
        kind: 'fence',
        env,
        client,
        service: slot.index,
        invokedAt,
        completedAt: performance.now(),
        outcome: outcomeOf(response.status),
        request,
        response,
      });
      if (response.status === 200) {
        token = response.body!.token as Token;
        highest = Math.max(highest, token.deploy_generation);
        noteGeneration(env, highest);
        leading = true;
      } else learn(response.body);
    } else if (action === 'append') {
      seq++;
      const entries = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, part) => ({ client, seq, part }));
      const request: { token: Token; expected_upper?: number; entries: typeof entries } = { token: token!, entries };
      const response = await call(url, key, 'POST', `${path}/log`, request);
      ops.push({
        kind: 'append',
        env,
        client,
        service: slot.index,
        invokedAt,
        completedAt: performance.now(),
        outcome: outcomeOf(response.status),
        request,
        response,
      });
      leading = response.status === 201 || (response.status !== 409 && leading);
      if (response.status === 409) learn(response.body);
    } else {
      const request = { token: token! };
      const response = await call(url, key, 'POST', `${path}/confirm`, request);
      ops.push({
        kind: 'confirm',
        env,
        client,
        service: slot.index,
        invokedAt,
        completedAt: performance.now(),
        outcome: outcomeOf(response.status),
        request,
        response,
      });
      leading = response.status === 200 || (response.status !== 409 && leading);
      if (response.status === 409) learn(response.body);
    }
  }
}

/**
 * The operator of one environment: a new generation registers, says it is ready and is promoted,
 * again and again. Registration and readiness are retried when the answer is lost (repeating them
 * changes nothing); a promotion is not, so each deployment is promoted by one request at most and the
 * checker can hold it to all or nothing.
 */
async function runOperator(env: string, key: string): Promise<void> {
  const path = `/v1/environments/${env}/deployments`;
  let handovers = 0;
  const step = async (kind: DeployOp['kind'], generation: number, holder: string): Promise<HttpResult> => {
    for (let attempt = 1; ; attempt++) {
      const slot = pickService();
      if (!slot) {
        await sleep(100);
        continue;
      }
      const invokedAt = performance.now();
      const response =
        kind === 'register'
          ? await call(slot.service!.url, key, 'PUT', `${path}/${generation}`, { holder })
          : await call(slot.service!.url, key, 'POST', `${path}/${generation}/${kind}`);
      ops.push({
        kind,
        env,
        client: -1,
        service: slot.index,
        invokedAt,
        completedAt: performance.now(),
        outcome: outcomeOf(response.status),
        request: { deploy_generation: generation, holder },
        response,
      });
      const current = response.body?.current_token as Token | undefined;
      if (current) noteGeneration(env, current.deploy_generation);
      const lost = response.status === 0 || response.status >= 500;
      if (!lost || kind === 'promote' || attempt >= HANDOVER_STEP_ATTEMPTS || !running) return response;
      await sleep(200);
    }
  };
  while (running) {
    await sleep(HANDOVER_PAUSE_MS[0]! + Math.random() * (HANDOVER_PAUSE_MS[1]! - HANDOVER_PAUSE_MS[0]!));
    if (!running) break;
    const generation = (highestSeen.get(env) ?? 0) + 1;
    const holder = `${env}-deploy-${++handovers}`;
    const registered = await step('register', generation, holder);
    if (registered.status !== 201 && registered.status !== 200) continue;
    const ready = await step('ready', generation, holder);
    if (ready.status !== 200) continue;
    const promoted = await step('promote', generation, holder);
    const token = promoted.body?.token as Token | undefined;
    if (promoted.status === 200 && token) noteGeneration(env, token.deploy_generation);
    else noteGeneration(env, generation);
  }
}

// ---------------------------------------------------------------------------------------------
// Final state
// ---------------------------------------------------------------------------------------------

async function readJson(key: string, path: string): Promise<Json> {
  for (let attempt = 1; ; attempt++) {
    const slot = pickService();
    const response = slot
      ? await call(slot.service!.url, key, 'GET', path)
      : { status: 0, body: null, text: 'no live service' };
    if (response.status === 200 && response.body) return response.body;
    if (attempt >= 20) throw new Error(`GET ${path}: ${response.status} ${response.text}`);
    await sleep(500);
  }
}

async function readEnvironment(key: string, env: string): Promise<EnvironmentState> {
  const newestFirst: HistoryItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await readJson(key, `/v1/environments/${env}/history?limit=1000${query}`);
    newestFirst.push(...(page.items as HistoryItem[]));
    cursor = page.next_cursor as string | null;
  } while (cursor !== null);
  const entries: LogEntry[] = [];
  let upper = 0;
  for (;;) {
    const page = await readJson(key, `/v1/environments/${env}/log?from=${entries.length}&limit=1000`);
    upper = page.upper as number;
    const received = page.entries as LogEntry[];
    entries.push(...received);
    if (received.length === 0 || entries.length >= upper) break;
  }
  const deployments: DeploymentRecord[] = [];
  let deploymentCursor: string | null = null;
  do {
    const query: string = deploymentCursor === null ? '' : `&cursor=${encodeURIComponent(deploymentCursor)}`;
    const page = await readJson(key, `/v1/environments/${env}/deployments?limit=1000${query}`);
    deployments.push(...(page.items as DeploymentRecord[]));
    deploymentCursor = page.next_cursor as string | null;
  } while (deploymentCursor !== null);
  return { history: newestFirst.reverse(), log: { entries, upper }, deployments };
}

async function readFeed(key: string): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let after = '';
  for (;;) {
    const page = await readJson(key, `/v1/events?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    const items = page.items as FeedEvent[];
    events.push(...items);
    after = page.next_cursor as string;
    if (items.length === 0) return events;
  }
}

/** What became of the operations without an answer: committed or not, as the final state shows. */
function resolveUnknowns(all: Operation[], environments: Record<string, EnvironmentState>) {
  const written = new Set(
    Object.values(environments).flatMap((e) => e.log.entries.map((entry) => JSON.stringify(entry.data))),
  );
  const holders = new Set(Object.values(environments).flatMap((e) => e.history.map((item) => item.holder)));
  const unresolved = all.filter((op) => op.outcome === 'unknown' || op.response.status >= 500);
  const appends = unresolved.filter((op): op is AppendOp => op.kind === 'append');
  const fences = unresolved.filter((op): op is FenceOp => op.kind === 'fence');
  const promotions = unresolved.filter((op): op is DeployOp => op.kind === 'promote');
  const landed = appends.filter((op) => written.has(JSON.stringify(op.request.entries[0]))).length;
  const committed = fences.filter((op) => holders.has(op.request.holder)).length;
  const promoted = promotions.filter((op) => holders.has(op.request.holder)).length;
  return {
    appends_landed: landed,
    appends_absent: appends.length - landed,
    fences_committed: committed,
    fences_absent: fences.length - committed,
    promotions_committed: promoted,
    promotions_absent: promotions.length - promoted,
  };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  runName = options.name;
  slots = Array.from({ length: options.services }, (_, index) => ({ index, service: null, starts: 0, killing: false }));
  const RUN_SECONDS = options.runSeconds;
  const receiver = await WebhookReceiver.start();
  let receiverMode: 'random' | 'down' | 'healthy' = 'random';
  receiver.respond = () =>
    receiverMode === 'down' ? 503 : receiverMode === 'healthy' ? 204 : Math.random() < RANDOM_500_SHARE ? 500 : 204;
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  serviceEnv = {
    DATABASE_URL: options.databaseUrl,
    PALISADE_ADMIN_TOKEN: adminToken,
    PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true',
    PALISADE_WEBHOOK_TIMEOUT: '1s',
    PALISADE_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s',
    PALISADE_WEBHOOK_DISABLE_AFTER: '10m',
    PALISADE_WEBHOOK_POLL_INTERVAL: '250ms',
    PALISADE_RATE_LIMIT: '100000',
    ...options.serviceEnv,
  };
  const outDir = join(tmpdir(), `palisade-${options.name}-${Date.now()}`);
  mkdirSync(outDir, { recursive: true });
  try {
    log(`starting ${options.services} service processes`);
    await startSlot(slots[0]!); // the first one migrates
    await Promise.all(slots.slice(1).map((slot) => startSlot(slot)));
    const created = await call(slots[0]!.service!.url, adminToken, 'POST', '/v1/api-keys', {
      tenant: 'chaos',
      name: 'chaos run',
    });
    if (created.status !== 201) throw new Error(`creating a key: ${created.status} ${created.text}`);
    const key = created.body!.key as string;
    const endpoint = await call(slots[0]!.service!.url, key, 'POST', '/v1/webhooks', {
      url: receiver.url,
      events: ['generation.fenced'],
    });
    if (endpoint.status !== 201) throw new Error(`registering the endpoint: ${endpoint.status} ${endpoint.text}`);
    receiver.secrets = [endpoint.body!.secret as string];

    log(`running ${CLIENTS} clients over ${ENVIRONMENTS.length} environments for ${RUN_SECONDS} s with faults`);
    const runMs = RUN_SECONDS * 1000;
    const runStart = performance.now();
    const at = (share: number) => sleep(Math.max(0, runStart + share * runMs - performance.now()));
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, client) => runClient(client, key)));
    const operators = Promise.all(ENVIRONMENTS.map((env) => runOperator(env, key)));
    const context: FaultContext = {
      log,
      killAndRestartService: (index, downMs) =>
        killAndRestart(slots[index ?? Math.floor(Math.random() * slots.length)]!, downMs ?? 500 + Math.random() * 1500),
      count: (fault, by = 1) => {
        faults[fault] = (faults[fault] ?? 0) + by;
      },
      serviceUrls: () => liveServices().map((slot) => slot.service!.url),
    };
    const nemesis = (async () => {
      const plan: FaultStep[] = [
        ...options.faults(context),
        {
          share: 0.28,
          run: async () => {
            log(`receiver down (503) for ${RECEIVER_DOWN_MS} ms`);
            receiverMode = 'down';
            await sleep(RECEIVER_DOWN_MS);
            receiverMode = 'random';
            faults.receiverDownMs += RECEIVER_DOWN_MS;
            log('receiver back (20% random 500)');
          },
        },
      ].sort((a, b) => a.share - b.share);
      const pending: Promise<void>[] = [];
      for (const step of plan) {
        await at(step.share);
        pending.push(step.run().catch((error) => void unexpected.push(`fault step failed: ${String(error)}`)));
      }
      await Promise.all(pending);
    })();
    await at(1);
    await nemesis;
    running = false;
    await Promise.all([clients, operators]);
    log('clients stopped; faults over; receiver answers 204 from now on');
    receiverMode = 'healthy';
    for (const slot of slots) if (!slot.service) await startSlot(slot);

    // Wait until every committed generation.fenced event was received with a 2xx answer.
    const deadline = performance.now() + WEBHOOK_WAIT_MS;
    let feed: FeedEvent[] = [];
    let missing: string[] = [];
    for (;;) {
      feed = await readFeed(key);
      const delivered = new Set(receiver.received.filter((r) => r.answered === 204).map((r) => r.id));
      missing = feed.filter((e) => e.type === 'generation.fenced' && !delivered.has(e.id)).map((e) => e.id);
      if (missing.length === 0 || performance.now() > deadline) break;
      await sleep(500);
    }
    log(
      missing.length === 0
        ? 'every generation.fenced event in the feed was delivered'
        : `${missing.length} generation.fenced events still undelivered after ${WEBHOOK_WAIT_MS} ms`,
    );

    const environments: Record<string, EnvironmentState> = {};
    for (const env of ENVIRONMENTS) environments[env] = await readEnvironment(key, env);
    const receptions = receiver.received.map((r) => ({
      id: r.id,
      verified: r.verified,
      payload: { type: r.payload.type, data: r.payload.data },
      answered: r.answered,
    }));
    const violations = checkAll(ops, { environments, feed, receptions });
    violations.push(...unexpected.filter((u) => u.startsWith('fault step failed')));

    writeFileSync(
      join(outDir, 'history.json'),
      JSON.stringify({ ops, environments, feed, receptions, faults, unexpected }, null, 1),
    );
    for (const slot of slots)
      if (slot.service) writeFileSync(join(outDir, `service-${slot.index}.log`), slot.service.output());

    const count = (predicate: (op: Operation) => boolean) => ops.filter(predicate).length;
    const generationEvents = feed.filter((e) => e.type === 'generation.fenced');
    const summary = {
      run_seconds: RUN_SECONDS,
      operations: ops.length,
      by_outcome: {
        ok: count((o) => o.outcome === 'ok'),
        fail: count((o) => o.outcome === 'fail'),
        unknown: count((o) => o.outcome === 'unknown'),
      },
      fail_5xx: count((o) => o.response.status >= 500),
      by_kind: Object.fromEntries(
        (['fence', 'append', 'confirm', 'register', 'ready', 'promote'] as const).map((kind) => [
          kind,
          {
            ok: count((o) => o.kind === kind && o.outcome === 'ok'),
            fail: count((o) => o.kind === kind && o.outcome === 'fail'),
            unknown: count((o) => o.kind === kind && o.outcome === 'unknown'),
          },
        ]),
      ),
      fenced_refusals: {
        deploy_generation: count(
          (o) => o.response.body?.code === 'fenced' && o.response.body.kind === 'deploy_generation',
        ),
        epoch: count((o) => o.response.body?.code === 'fenced' && o.response.body.kind === 'epoch'),
      },
      unknown_resolved: resolveUnknowns(ops, environments),
      history_tokens: Object.values(environments).reduce((n, e) => n + e.history.length, 0),
      log_entries: Object.values(environments).reduce((n, e) => n + e.log.entries.length, 0),
      faults: { ...faults, service_starts: slots.map((s) => s.starts) },
      webhooks: {
        generation_fenced_committed: generationEvents.length,
        deliveries_received: receiver.received.length,
        answered_2xx: receiver.received.filter((r) => r.answered === 204).length,
        answered_5xx: receiver.received.filter((r) => typeof r.answered === 'number' && r.answered >= 500).length,
        distinct_ids: new Set(receiver.received.map((r) => r.id)).size,
      },
      violations: violations.length,
      elapsed_seconds: Math.round((performance.now() - started) / 100) / 10,
      artifacts: outDir,
    };
    for (const note of unexpected) console.log(`NOTE: ${note.slice(0, 2_500)}`);
    for (const violation of violations.slice(0, 50)) console.log(`VIOLATION: ${violation}`);
    if (violations.length > 50) console.log(`… and ${violations.length - 50} more (see ${outDir}/history.json)`);
    return { ops, violations, summary, runStartedAt: runStart };
  } finally {
    shuttingDown = true;
    running = false;
    await stopAllServices().catch(() => {});
    await receiver.close().catch(() => {});
  }
}
