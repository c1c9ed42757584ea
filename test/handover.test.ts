import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPalisadeClient, type PalisadeClient } from '../src/client/index.js';
import { killAllClis, startCli, waitFor } from './support/cli.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { type ServiceProcess, startService, stopAllServices } from './support/processes.js';
import { WebhookReceiver } from './support/receiver.js';

/**
 * The zero-downtime handover end to end: the service as a process, `palisade run --await-promotion`
 * supervisors around a child that records the mode it was started in, and a webhook receiver.
 */

let service: ServiceProcess;
let dropDatabase: (() => Promise<void>) | undefined;
let work: string;
let client: PalisadeClient;
let apiKey: string;
let receiver: WebhookReceiver;
let childScript: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'palisade-handover-'));
  let databaseEnv: Record<string, string>;
  if (POSTGRES_URL) {
    const scratch = await createScratchPostgres();
    dropDatabase = scratch.drop;
    databaseEnv = { DATABASE_URL: scratch.url };
  } else {
    databaseEnv = { PALISADE_DATA_DIR: join(work, 'data') };
  }
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  service = await startService({
    ...databaseEnv,
    PALISADE_ADMIN_TOKEN: adminToken,
    PALISADE_WEBHOOK_ALLOW_PRIVATE: 'true',
    PALISADE_WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,200ms',
    PALISADE_WEBHOOK_POLL_INTERVAL: '200ms',
  });
  const admin = createPalisadeClient({ baseUrl: service.url, apiKey: adminToken });
  ({ key: apiKey } = await admin.createApiKey({
    tenant: `handover-${randomBytes(4).toString('hex')}`,
    name: 'handover tests',
  }));
  client = createPalisadeClient({ baseUrl: service.url, apiKey });
  receiver = await WebhookReceiver.start();
  const endpoint = await client.createWebhook({
    url: receiver.url,
    events: ['generation.fenced', 'deployment.ready_to_promote', 'deployment.promoted'],
  });
  receiver.secrets = [endpoint.secret];

  // The child appends one line per start and per SIGTERM to its journal: the mode it runs in and its
  // token. Read-only, it creates the ready file after a moment of "catching up". It exits if its
  // supervisor disappears, so a failed test leaves nothing behind.
  childScript = join(work, 'child.mjs');
  writeFileSync(
    childScript,
    [
      "import { appendFileSync, writeFileSync } from 'node:fs';",
      'const [journal] = process.argv.slice(2);',
      'const mode = process.env.PALISADE_MODE;',
      'const record = (event) => appendFileSync(journal, JSON.stringify({ event, mode, token: process.env.PALISADE_TOKEN ?? null }) + "\\n");',
      "record('start');",
      "process.on('SIGTERM', () => { record('SIGTERM'); process.exit(0); });",
      "if (mode === 'read_only' && process.env.CATCH_UP_MS !== 'never') {",
      "  setTimeout(() => writeFileSync(process.env.PALISADE_READY_FILE, ''), Number(process.env.CATCH_UP_MS ?? 200));",
      '}',
      'const parent = process.ppid;',
      'setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(1); } }, 200);',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  killAllClis();
  await receiver?.close();
  await stopAllServices();
  await dropDatabase?.();
  if (work) rmSync(work, { recursive: true, force: true });
});

type JournalLine = { event: 'start' | 'SIGTERM'; mode: string; token: string | null };

function journal(path: string): JournalLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as JournalLine);
}

function superviseCandidate(env: string, generation: number, extraEnv: Record<string, string> = {}) {
  const journalPath = join(work, `journal-${env}-${generation}`);
  const supervisor = startCli(
    [
      'run',
      '--await-promotion',
      '--env',
      env,
      '--generation',
      String(generation),
      '--holder',
      `gen-${generation}`,
      '--grace',
      '5s',
      '--',
      process.execPath,
      childScript,
      journalPath,
    ],
    { PALISADE_URL: service.url, PALISADE_API_KEY: apiKey, ...extraEnv },
  );
  return { supervisor, journal: () => journal(journalPath) };
}

/** Waits until the deployment is in `state` (long-polling), or fails after the timeout. */
async function waitForState(env: string, generation: number, state: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deployment = await client.getDeployment(env, generation, { wait: '2s' }).catch(() => null);
    if (deployment?.state === state) return deployment;
    if (Date.now() > deadline)
      throw new Error(`deployment ${generation} of ${env} did not reach ${state} (is ${deployment?.state})`);
    if (!deployment) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const token = (deploy_generation: number, epoch: number) => JSON.stringify({ deploy_generation, epoch });

describe('palisade run --await-promotion', () => {
  it('generation 2 comes up read-only, is promoted, generation 1 exits 0, and the receiver hears of both', {
    timeout: 60_000,
  }, async () => {
    const env = `handover-${randomBytes(4).toString('hex')}`;

    const first = superviseCandidate(env, 1);
    await waitForState(env, 1, 'ready_to_promote');
    expect(first.journal()).toEqual([{ event: 'start', mode: 'read_only', token: null }]);
    await client.promoteDeployment(env, 1);
    await waitForState(env, 1, 'is_leader');
    await waitFor(
      () => first.supervisor.stderr().includes(`watching ${env}`) && first.journal().length >= 3,
      'generation 1 to run and watch as the leader',
    );
    expect(first.journal()).toEqual([
      { event: 'start', mode: 'read_only', token: null },
      { event: 'SIGTERM', mode: 'read_only', token: null },
      { event: 'start', mode: 'leader', token: token(1, 1) },
    ]);

    const second = superviseCandidate(env, 2);
    const ready = await waitForState(env, 2, 'ready_to_promote');
    expect(ready.token).toBeNull();
    expect(second.journal()).toEqual([{ event: 'start', mode: 'read_only', token: null }]);
    // A read-only candidate takes nothing from the leader.
    expect((await client.getEnvironment(env)).token).toEqual({ deploy_generation: 1, epoch: 1 });
    expect(first.journal().at(-1)).toMatchObject({ event: 'start', mode: 'leader' });

    const promoted = await client.promoteDeployment(env, 2);
    expect(promoted).toMatchObject({ state: 'promoting', token: { deploy_generation: 2, epoch: 2 } });
    const promotedAt = performance.now();

    const firstExit = await first.supervisor.done;
    console.info(`promotion → generation 1 supervisor exit: ${(firstExit.at - promotedAt).toFixed(1)} ms`);
    expect(firstExit.code, firstExit.stderr).toBe(0);
    expect(firstExit.stderr).toContain('a newer generation took over');
    expect(first.journal().at(-1)).toEqual({ event: 'SIGTERM', mode: 'leader', token: token(1, 1) });

    await waitForState(env, 2, 'is_leader');
    await waitFor(() => second.journal().length >= 3, 'generation 2 to restart as the leader');
    expect(second.journal()).toEqual([
      { event: 'start', mode: 'read_only', token: null },
      { event: 'SIGTERM', mode: 'read_only', token: null },
      { event: 'start', mode: 'leader', token: token(2, 2) },
    ]);
    expect((await client.getDeployment(env, 1)).state).toBe('fenced');

    const received = await receiver.waitFor(
      (all) =>
        all.some(
          (r) =>
            r.payload.type === 'deployment.promoted' &&
            r.payload.data.environment === env &&
            r.payload.data.deploy_generation === 2,
        ) && all.some((r) => r.payload.type === 'generation.fenced' && r.payload.data.environment === env),
    );
    const ours = received.filter((r) => r.payload.data.environment === env);
    expect(ours.every((r) => r.verified)).toBe(true);
    expect(
      ours.find((r) => r.payload.type === 'deployment.promoted' && r.payload.data.deploy_generation === 2)!.payload
        .data,
    ).toMatchObject({
      token: { deploy_generation: 2, epoch: 2 },
      previous: { token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' },
    });
    expect(ours.find((r) => r.payload.type === 'generation.fenced')!.payload.data).toMatchObject({
      fenced: { token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' },
      by: { token: { deploy_generation: 2, epoch: 2 }, holder: 'gen-2' },
    });
    expect(
      ours
        .filter((r) => r.payload.type === 'deployment.ready_to_promote')
        .map((r) => r.payload.data.deploy_generation)
        .sort(),
    ).toEqual([1, 2]);

    second.supervisor.child.kill('SIGTERM');
    expect((await second.supervisor.done).code).toBe(0);
  });

  it('a candidate stands down with exit 0 when a newer generation is promoted while it waits', {
    timeout: 30_000,
  }, async () => {
    const env = `handover-${randomBytes(4).toString('hex')}`;
    const waiting = superviseCandidate(env, 3, { CATCH_UP_MS: 'never' });
    await waitForState(env, 3, 'catching_up');
    await waitFor(() => waiting.journal().length >= 1, 'the read-only child');
    await client.registerDeployment(env, 4, { holder: 'gen-4' });
    await client.promoteDeployment(env, 4, { skip_catchup: true });
    const exit = await waiting.supervisor.done;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).toContain('before generation 3 was promoted');
    expect(waiting.journal()).toEqual([
      { event: 'start', mode: 'read_only', token: null },
      { event: 'SIGTERM', mode: 'read_only', token: null },
    ]);
    // A generation older than the leader does not start at all.
    const late = superviseCandidate(env, 2);
    const lateExit = await late.supervisor.done;
    expect(lateExit.code, lateExit.stderr).toBe(0);
    expect(lateExit.stderr).toContain('does not start');
    expect(late.journal()).toEqual([]);
  });

  it('a restart of the promoted generation fences again (a new epoch) and runs as the leader at once', {
    timeout: 30_000,
  }, async () => {
    const env = `handover-${randomBytes(4).toString('hex')}`;
    await client.registerDeployment(env, 5, { holder: 'gen-5' });
    await client.promoteDeployment(env, 5, { skip_catchup: true });
    const restarted = superviseCandidate(env, 5);
    await waitFor(() => restarted.journal().length >= 1, 'the restarted child');
    expect(restarted.journal()).toEqual([{ event: 'start', mode: 'leader', token: token(5, 2) }]);
    await waitForState(env, 5, 'is_leader');
    restarted.supervisor.child.kill('SIGTERM');
    expect((await restarted.supervisor.done).code).toBe(0);
  });

  it('promoted, but the command is gone when it restarts as the leader: run says the token was taken and exits 3', {
    timeout: 30_000,
  }, async () => {
    const env = `handover-${randomBytes(4).toString('hex')}`;
    // Read-only, the command deletes its own file, then says it has caught up: the check before
    // registering passed, and the restart as the leader, after the promotion, cannot spawn it.
    const vanishing = join(work, `vanishing-${env}`);
    writeFileSync(
      vanishing,
      [
        '#!/bin/sh',
        'rm -- "$0"',
        ': > "$PALISADE_READY_FILE"',
        'while kill -0 "$PPID" 2>/dev/null; do sleep 0.1; done',
      ].join('\n'),
      { mode: 0o755 },
    );
    const supervisor = startCli(
      [
        'run',
        '--await-promotion',
        '--env',
        env,
        '--generation',
        '6',
        '--holder',
        'gen-6',
        '--grace',
        '5s',
        '--',
        vanishing,
      ],
      { PALISADE_URL: service.url, PALISADE_API_KEY: apiKey },
    );
    await waitForState(env, 6, 'ready_to_promote');
    await client.promoteDeployment(env, 6);

    const exit = await supervisor.done;
    expect(exit.code, exit.stderr).toBe(3);
    expect(exit.stderr).toContain(
      `palisade run: took ${env}'s token (generation 6, epoch 1, holder gen-6) but ${vanishing} never ran:`,
    );
    expect(exit.stderr).toContain('exiting 3');
    expect((await client.getEnvironment(env)).token).toEqual({ deploy_generation: 6, epoch: 1 });
    // No process leads, so none is reported as the leader.
    expect((await client.getDeployment(env, 6)).state).toBe('promoting');
  });

  it('a child that exits before promotion ends the supervisor with its code', { timeout: 30_000 }, async () => {
    const env = `handover-${randomBytes(4).toString('hex')}`;
    const supervisor = startCli(
      ['run', '--await-promotion', '--env', env, '--generation', '1', '--', process.execPath, '-e', 'process.exit(9)'],
      { PALISADE_URL: service.url, PALISADE_API_KEY: apiKey },
    );
    const exit = await supervisor.done;
    expect(exit.code, exit.stderr).toBe(9);
    expect(exit.stderr).toContain('before promotion');
    expect((await client.getDeployment(env, 1)).state).not.toBe('promoting');
  });
});
