import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, startUpWarnings } from '../src/config.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { startExpectingExit, startService, stopAllServices, TEST_SECRET_KEY } from './support/processes.js';

const work = mkdtempSync(join(tmpdir(), 'palisade-config-'));

afterAll(async () => {
  await stopAllServices();
  rmSync(work, { recursive: true, force: true });
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

const logLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('configuration — unknown and look-alike variables', () => {
  it('an unknown PALISADE_ variable is refused, naming the nearest known one', () => {
    expect(problemsOf({ PALISADE_ADMIN_TOKNE: 'x'.repeat(20) })).toEqual([
      'PALISADE_ADMIN_TOKNE: unknown variable; did you mean PALISADE_ADMIN_TOKEN?',
    ]);
    expect(problemsOf({ PALISADE_RATE_LIMITS: '5' })[0]).toContain('did you mean PALISADE_RATE_LIMIT?');
  });

  it('the variables of the CLI and of `palisade run` are known', () => {
    expect(() =>
      loadConfig({
        PALISADE_URL: 'http://x',
        PALISADE_API_KEY: 'k',
        PALISADE_TOKEN: '{}',
        PALISADE_MODE: 'leader',
        PALISADE_ENV: 'e',
      }),
    ).not.toThrow();
  });

  it('the service exits 1 on a misspelt variable rather than starting without it', async () => {
    const exited = await startExpectingExit({
      PALISADE_DATA_DIR: join(work, 'typo'),
      PALISADE_ADMIN_TOKNE: 'x'.repeat(20),
    });
    expect(exited.exitCode).toBe(1);
    expect(exited.stderr).toContain('did you mean PALISADE_ADMIN_TOKEN?');
    expect(existsSync(join(work, 'typo'))).toBe(false);
  });

  it('a DATABASE_URL look-alike set without DATABASE_URL is warned about; with DATABASE_URL it is not', () => {
    const config = loadConfig({ DATABASE_URI: 'postgres://db/x', PALISADE_ADMIN_TOKEN: 'x'.repeat(20) });
    expect(startUpWarnings(config, { DATABASE_URI: 'postgres://db/x' })).toEqual([
      'DATABASE_URI is set but DATABASE_URL is not: the service uses the embedded database; did you mean DATABASE_URL?',
    ]);
    expect(startUpWarnings(config, { DB_URL: 'x', PG_URL: 'y' })).toHaveLength(2);
    const withUrl = loadConfig({
      DATABASE_URL: 'postgres://db/x',
      PALISADE_SECRET_KEY: TEST_SECRET_KEY,
      PALISADE_ADMIN_TOKEN: 'x'.repeat(20),
    });
    expect(startUpWarnings(withUrl, { DATABASE_URL: 'postgres://db/x', DB_URL: 'x' })).toEqual([]);
  });

  it('no admin token is warned about', () => {
    expect(startUpWarnings(loadConfig({}), {})).toEqual([
      'PALISADE_ADMIN_TOKEN is not set: no API key can be created (POST /v1/api-keys answers 401)',
    ]);
  });
});

describe('configuration — values', () => {
  it('a DATABASE_URL without a host is refused', () => {
    for (const url of ['postgres://', 'postgresql://', 'postgres:///palisade', 'postgres://user@/palisade']) {
      expect(problemsOf({ DATABASE_URL: url, PALISADE_SECRET_KEY: TEST_SECRET_KEY })).toEqual([
        'DATABASE_URL: must name a host, e.g. postgres://user:password@db.example:5432/palisade',
      ]);
    }
  });

  it('durations need a unit: a bare number is refused, not read as milliseconds', () => {
    expect(problemsOf({ PALISADE_WEBHOOK_TIMEOUT: '5000' })).toEqual([
      'PALISADE_WEBHOOK_TIMEOUT: "5000" has no unit: write 5000ms or 5000s (units: ms, s, m, h, d)',
    ]);
    expect(problemsOf({ PALISADE_WEBHOOK_RETRY_SCHEDULE: '1s,30' })[0]).toContain('"30" has no unit');
    expect(problemsOf({ PALISADE_SHUTDOWN_GRACE: 'soon' })).toEqual([
      'PALISADE_SHUTDOWN_GRACE: "soon" is not a duration such as 250ms, 1.5s, 10s, 5m, 2h or 1d',
    ]);
    const config = loadConfig({
      PALISADE_WEBHOOK_TIMEOUT: '1.5s',
      PALISADE_SHUTDOWN_GRACE: '2m',
      PALISADE_WATCH_HEARTBEAT: '250ms',
    });
    expect([config.webhooks.timeoutMs, config.shutdownGraceMs, config.watchHeartbeatMs]).toEqual([1_500, 120_000, 250]);
  });

  it('the grace period is a duration like every other; its old millisecond name is refused with the new one', () => {
    expect(loadConfig({}).shutdownGraceMs).toBe(10_000);
    expect(problemsOf({ PALISADE_SHUTDOWN_GRACE_MS: '5000' })).toEqual([
      'PALISADE_SHUTDOWN_GRACE_MS: unknown variable; did you mean PALISADE_SHUTDOWN_GRACE?',
    ]);
  });
});

describe('start-up', () => {
  it('a busy port: one line naming it, exit 1, and the embedded store is never opened', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(work, 'busy');
    try {
      const exited = await startExpectingExit({ PORT: String(port), PALISADE_DATA_DIR: dataDir });
      expect(exited.exitCode).toBe(1);
      expect(exited.stderr).toBe(`palisade: port ${port} on 127.0.0.1 is already in use (PORT, HOST)\n`);
      expect(exited.stdout).not.toContain('EADDRINUSE');
      expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('the start-up line names the embedded store and its directory, and warns of the missing admin token', async () => {
    const dataDir = join(work, 'embedded');
    const service = await startService({ PALISADE_DATA_DIR: dataDir });
    await service.stop();
    const lines = logLines(service.output());
    const listening = lines.find((line) => line.msg === 'listening')!;
    expect(listening).toMatchObject({ host: '127.0.0.1', port: service.port, database: 'pglite', data_dir: dataDir });
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toContain(
      'PALISADE_ADMIN_TOKEN is not set: no API key can be created (POST /v1/api-keys answers 401)',
    );
  });

  it.skipIf(!POSTGRES_URL)(
    'the start-up line names the PostgreSQL host, port and database, never the password',
    async () => {
      const scratch = await createScratchPostgres();
      try {
        const password = `pw-${randomBytes(8).toString('hex')}`;
        const url = new URL(scratch.url);
        url.password = password;
        const service = await startService({ DATABASE_URL: url.toString(), PALISADE_ADMIN_TOKEN: 'x'.repeat(20) });
        await service.stop();
        expect(service.output()).not.toContain(password);
        const listening = logLines(service.output()).find((line) => line.msg === 'listening')!;
        expect(listening).toMatchObject({
          database: 'postgres',
          database_host: url.hostname,
          database_port: Number(url.port || 5432),
          database_name: url.pathname.slice(1),
        });
        expect(logLines(service.output()).filter((line) => line.level === 40)).toEqual([]);
      } finally {
        await scratch.drop();
      }
    },
  );
});
