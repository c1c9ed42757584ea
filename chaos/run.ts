/**
 * Jepsen-style safety check under crashes: 64 clients over 4 environments drive three service
 * processes on one scratch PostgreSQL database while processes are SIGKILLed and restarted,
 * PostgreSQL is restarted once, and the webhook receiver is down for a window and answers 500 at
 * random otherwise. Afterwards the recorded history and the final state go through chaos/checker.ts.
 *
 *   DATABASE_URL=postgres://… npm run test:chaos -- [--seconds N] [--short]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { createScratchPostgres } from '../test/support/database.js';
import { type ServiceProcess, startService, stopAllServices } from '../test/support/processes.js';
import { WebhookReceiver } from '../test/support/receiver.js';
import {
  type AppendOp,
  checkAll,
  type FenceOp,
  type EnvironmentState,
  type FeedEvent,
  type HistoryItem,
  type HttpResult,
  type Json,
  type LogEntry,
  type Operation,
  outcomeOf,
  type Token,
} from './checker.js';

const args = process.argv.slice(2);
const short = args.includes('--short');
const secondsFlag = args.indexOf('--seconds');
const RUN_SECONDS = secondsFlag >= 0 ? Number(args[secondsFlag + 1]) : short ? 40 : 60;
if (!Number.isFinite(RUN_SECONDS) || RUN_SECONDS < 10) {
  console.error('--seconds needs a number of at least 10');
  process.exit(2);
}
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error('DATABASE_URL is not set: the chaos run needs a PostgreSQL server it may restart, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run test:chaos -- --short');
  process.exit(2);
}

const CLIENTS = 64;
const ENVIRONMENTS = ['chaos-a', 'chaos-b', 'chaos-c', 'chaos-d'];
const SERVICES = 3;
const WEBHOOK_WAIT_MS = 30_000;
const RANDOM_500_SHARE = 0.2;
const RECEIVER_DOWN_MS = 4_000;

const log = (message: string) => console.log(`[chaos ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}`);
const started = performance.now();

async function call(url: string, key: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<HttpResult> {
  try {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: Json | null = null;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, text };
  } catch (error) {
    return { status: 0, body: null, text: String((error as Error).cause ?? error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Service processes that can be killed and restarted
// ---------------------------------------------------------------------------------------------

type Slot = { index: number; service: ServiceProcess | null; starts: number; killing: boolean };

const faults = { kills: 0, restarts: 0, pgRestarts: 0, pgDowntimeMs: 0, receiverDownMs: 0, unexpectedExits: 0 };
const unexpected: string[] = [];
let serviceEnv: Record<string, string> = {};
const slots: Slot[] = Array.from({ length: SERVICES }, (_, index) => ({ index, service: null, starts: 0, killing: false }));
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
        unexpected.push(`service ${slot.index} exited by itself (code ${code}, signal ${signal}); output tail:\n${tail}`);
        log(`service ${slot.index} exited by itself (code ${code}, signal ${signal}); restarting it`);
        void startSlot(slot);
      });
      return;
    } catch (error) {
      log(`starting service ${slot.index} failed (attempt ${attempt}): ${String(error).slice(0, 300)}`);
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

async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL does not accept connections: ${String(error)}`);
      await sleep(200);
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}

async function restartPostgres(): Promise<void> {
  const version = readdirSync('/etc/postgresql')[0];
  if (!version) throw new Error('no cluster under /etc/postgresql');
  log(`restarting PostgreSQL ${version}/main`);
  const before = performance.now();
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'pipe' });
  await waitForPostgres(DATABASE_URL!, 60_000);
  faults.pgRestarts++;
  faults.pgDowntimeMs = Math.round(performance.now() - before);
  log(`PostgreSQL accepts connections again after ${faults.pgDowntimeMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

const ops: Operation[] = [];
let running = true;

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
    if (current && Number.isSafeInteger(current.deploy_generation)) highest = Math.max(highest, current.deploy_generation);
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
    const action = token === null ? 'fence' : leading ? (roll < 0.85 ? 'append' : 'confirm') : roll < 0.3 ? 'fence' : roll < 0.55 ? 'append' : 'confirm';
    const invokedAt = performance.now();
    if (action === 'fence') {
      const step = Math.random();
      const generation = Math.max(0, highest + (step < 0.25 ? 1 : step < 0.35 ? -1 : 0));
      const request = { deploy_generation: generation, holder: `c${client}-f${++fences}` };
      const response = await call(url, key, 'POST', `${path}/fence`, request);
      ops.push({ kind: 'fence', env, client, service: slot.index, invokedAt, completedAt: performance.now(), outcome: outcomeOf(response.status), request, response });
      if (response.status === 200) {
        token = response.body!.token as Token;
        highest = Math.max(highest, token.deploy_generation);
        leading = true;
      } else learn(response.body);
    } else if (action === 'append') {
      seq++;
      const entries = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, (_, part) => ({ client, seq, part }));
      const request: { token: Token; expected_upper?: number; entries: typeof entries } = { token: token!, entries };
      const response = await call(url, key, 'POST', `${path}/log`, request);
      ops.push({ kind: 'append', env, client, service: slot.index, invokedAt, completedAt: performance.now(), outcome: outcomeOf(response.status), request, response });
      leading = response.status === 201 || (response.status !== 409 && leading);
      if (response.status === 409) learn(response.body);
    } else {
      const request = { token: token! };
      const response = await call(url, key, 'POST', `${path}/confirm`, request);
      ops.push({ kind: 'confirm', env, client, service: slot.index, invokedAt, completedAt: performance.now(), outcome: outcomeOf(response.status), request, response });
      leading = response.status === 200 || (response.status !== 409 && leading);
      if (response.status === 409) learn(response.body);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Final state
// ---------------------------------------------------------------------------------------------

async function readJson(key: string, path: string): Promise<Json> {
  for (let attempt = 1; ; attempt++) {
    const slot = pickService();
    const response = slot ? await call(slot.service!.url, key, 'GET', path) : { status: 0, body: null, text: 'no live service' };
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
  return { history: newestFirst.reverse(), log: { entries, upper } };
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
  const written = new Set(Object.values(environments).flatMap((e) => e.log.entries.map((entry) => JSON.stringify(entry.data))));
  const holders = new Set(Object.values(environments).flatMap((e) => e.history.map((item) => item.holder)));
  const unresolved = all.filter((op) => op.outcome === 'unknown' || op.response.status >= 500);
  const appends = unresolved.filter((op): op is AppendOp => op.kind === 'append');
  const fences = unresolved.filter((op): op is FenceOp => op.kind === 'fence');
  const landed = appends.filter((op) => written.has(JSON.stringify(op.request.entries[0]))).length;
  const committed = fences.filter((op) => holders.has(op.request.holder)).length;
  return {
    appends_landed: landed,
    appends_absent: appends.length - landed,
    fences_committed: committed,
    fences_absent: fences.length - committed,
  };
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const scratch = await createScratchPostgres();
  const receiver = await WebhookReceiver.start();
  let receiverMode: 'random' | 'down' | 'healthy' = 'random';
  receiver.respond = () => (receiverMode === 'down' ? 503 : receiverMode === 'healthy' ? 204 : Math.random() < RANDOM_500_SHARE ? 500 : 204);
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  serviceEnv = {
    DATABASE_URL: scratch.url,
    PALISADE_ADMIN_TOKEN: adminToken,
    PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true',
    PALISADE_WEBHOOK_TIMEOUT: '1s',
    PALISADE_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s,1s,1s,1s',
    PALISADE_WEBHOOK_DISABLE_AFTER: '10m',
    PALISADE_WEBHOOK_POLL_INTERVAL: '250ms',
    PALISADE_RATE_LIMIT: '100000',
  };
  const outDir = join(tmpdir(), `palisade-chaos-${Date.now()}`);
  mkdirSync(outDir, { recursive: true });
  let exitCode = 1;
  try {
    log(`scratch database ${new URL(scratch.url).pathname.slice(1)}; starting ${SERVICES} service processes`);
    await startSlot(slots[0]!); // the first one migrates
    await Promise.all(slots.slice(1).map((slot) => startSlot(slot)));
    const created = await call(slots[0]!.service!.url, adminToken, 'POST', '/v1/api-keys', { tenant: 'chaos', name: 'chaos run' });
    if (created.status !== 201) throw new Error(`creating a key: ${created.status} ${created.text}`);
    const key = created.body!.key as string;
    const endpoint = await call(slots[0]!.service!.url, key, 'POST', '/v1/webhooks', { url: receiver.url, events: ['generation.fenced'] });
    if (endpoint.status !== 201) throw new Error(`registering the endpoint: ${endpoint.status} ${endpoint.text}`);
    receiver.secrets = [endpoint.body!.secret as string];

    log(`running ${CLIENTS} clients over ${ENVIRONMENTS.length} environments for ${RUN_SECONDS} s with faults`);
    const runMs = RUN_SECONDS * 1000;
    const runStart = performance.now();
    const at = (share: number) => sleep(Math.max(0, runStart + share * runMs - performance.now()));
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, client) => runClient(client, key)));
    const nemesis = (async () => {
      const killShares = RUN_SECONDS >= 60 ? [0.1, 0.25, 0.45, 0.65, 0.85] : [0.12, 0.4, 0.75];
      const plan: { share: number; run: () => Promise<void> }[] = [
        ...killShares.map((share) => ({
          share,
          run: () => killAndRestart(slots[Math.floor(Math.random() * SERVICES)]!, 500 + Math.random() * 1500),
        })),
        { share: 0.55, run: () => restartPostgres() },
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
    await clients;
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
    log(missing.length === 0 ? 'every generation.fenced event in the feed was delivered' : `${missing.length} generation.fenced events still undelivered after ${WEBHOOK_WAIT_MS} ms`);

    const environments: Record<string, EnvironmentState> = {};
    for (const env of ENVIRONMENTS) environments[env] = await readEnvironment(key, env);
    const receptions = receiver.received.map((r) => ({ id: r.id, verified: r.verified, payload: { type: r.payload.type, data: r.payload.data }, answered: r.answered }));
    const violations = checkAll(ops, { environments, feed, receptions });
    violations.push(...unexpected.filter((u) => u.startsWith('fault step failed')));

    writeFileSync(join(outDir, 'history.json'), JSON.stringify({ ops, environments, feed, receptions, faults, unexpected }, null, 1));
    for (const slot of slots) if (slot.service) writeFileSync(join(outDir, `service-${slot.index}.log`), slot.service.output());

    const count = (predicate: (op: Operation) => boolean) => ops.filter(predicate).length;
    const generationEvents = feed.filter((e) => e.type === 'generation.fenced');
    const summary = {
      run_seconds: RUN_SECONDS,
      operations: ops.length,
      by_outcome: { ok: count((o) => o.outcome === 'ok'), fail: count((o) => o.outcome === 'fail'), unknown: count((o) => o.outcome === 'unknown') },
      fail_5xx: count((o) => o.response.status >= 500),
      by_kind: Object.fromEntries(
        (['fence', 'append', 'confirm'] as const).map((kind) => [
          kind,
          { ok: count((o) => o.kind === kind && o.outcome === 'ok'), fail: count((o) => o.kind === kind && o.outcome === 'fail'), unknown: count((o) => o.kind === kind && o.outcome === 'unknown') },
        ]),
      ),
      fenced_refusals: {
        deploy_generation: count((o) => o.response.body?.code === 'fenced' && o.response.body.kind === 'deploy_generation'),
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
    console.log(JSON.stringify(summary, null, 2));
    for (const note of unexpected) console.log(`NOTE: ${note.slice(0, 2_500)}`);
    for (const violation of violations.slice(0, 50)) console.log(`VIOLATION: ${violation}`);
    if (violations.length > 50) console.log(`… and ${violations.length - 50} more (see ${outDir}/history.json)`);
    console.log(violations.length === 0 ? 'chaos check: no violations' : `chaos check: ${violations.length} violations`);
    exitCode = violations.length === 0 ? 0 : 1;
  } finally {
    shuttingDown = true;
    running = false;
    await stopAllServices().catch(() => {});
    await receiver.close().catch(() => {});
    await scratch.drop().catch((error) => console.error(`dropping the scratch database: ${String(error)}`));
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
