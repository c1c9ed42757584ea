import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PalisadeClient } from '../src/client/index.js';
import { cli, type CliService, startCli, startCliService, waitFor } from './support/cli.js';
import type { ServiceProcess } from './support/processes.js';

let fixture: CliService | undefined;
let service: ServiceProcess;
let work: string;
let client: PalisadeClient;
let adminToken: string;
let apiKey: string;
let databaseEnv: CliService['databaseEnv'];
let childScript: string;

beforeAll(async () => {
  fixture = await startCliService('cli');
  ({ service, work, client, adminToken, apiKey, databaseEnv } = fixture);

  // A long-running child: reports its environment when it starts, writes a marker on SIGTERM and
  // exits; it also exits if its parent disappears, so a failed test leaves nothing behind.
  childScript = join(work, 'child.mjs');
  writeFileSync(
    childScript,
    [
      "import { renameSync, writeFileSync } from 'node:fs';",
      'const [started, marker] = process.argv.slice(2);',
      'const parent = process.ppid;',
      "process.on('SIGTERM', () => { writeFileSync(marker, 'SIGTERM'); process.exit(0); });",
      // Written whole, then renamed into place: the test reads it as soon as the name exists.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the child's source, where the template is evaluated
      'writeFileSync(`${started}.tmp`, JSON.stringify({ token: process.env.PALISADE_TOKEN, env: process.env.PALISADE_ENV, url: process.env.PALISADE_URL }));',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the child's source, where the template is evaluated
      'renameSync(`${started}.tmp`, started);',
      'setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(1); } }, 200);',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await fixture?.close();
});

const clientEnv = () => ({ PALISADE_URL: service.url, PALISADE_API_KEY: apiKey });

const uniqueName = () => `env-${randomBytes(5).toString('hex')}`;

/**
 * Starts `palisade run` for `generation` around the child script and waits until the child runs
 * and the supervisor watches the environment.
 */
async function supervise(env: string, generation: number) {
  const started = join(work, `started-${env}-${generation}`);
  const marker = join(work, `marker-${env}-${generation}`);
  const supervisor = startCli(
    [
      'run',
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
      started,
      marker,
    ],
    clientEnv(),
  );
  await waitFor(
    () => existsSync(started) && supervisor.stderr().includes(`watching ${env}`),
    'the child and the watch',
  );
  return { supervisor, started, marker };
}

describe('palisade run', () => {
  it('a newer generation takes over: the child gets SIGTERM and run exits 0 within 500 ms', async () => {
    const env = uniqueName();
    const { supervisor, started, marker } = await supervise(env, 1);
    expect(JSON.parse(readFileSync(started, 'utf8'))).toEqual({
      token: JSON.stringify({ deploy_generation: 1, epoch: 1 }),
      env,
      url: service.url,
    });

    await client.fence(env, { deploy_generation: 2, holder: 'gen-2' });
    const fencedAt = performance.now();
    const exit = await supervisor.done;
    const latencyMs = exit.at - fencedAt;
    console.info(`takeover → supervisor exit: ${latencyMs.toFixed(1)} ms`);

    expect(exit.code, exit.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
    expect(latencyMs).toBeLessThan(500);
    expect(exit.stderr).toContain('a newer generation took over');
  });

  it('the same generation fenced again (a newer epoch): the child gets SIGTERM and run exits 2', async () => {
    const env = uniqueName();
    const { supervisor, marker } = await supervise(env, 4);
    await client.fence(env, { deploy_generation: 4, holder: 'gen-4-again' });
    const fencedAt = performance.now();
    const exit = await supervisor.done;
    console.info(`epoch fence → supervisor exit: ${(exit.at - fencedAt).toFixed(1)} ms`);
    expect(exit.code, exit.stderr).toBe(2);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
    expect(exit.stderr).toContain('halt');
  });

  it('the environment is deleted: treated as a takeover, exit 0', async () => {
    const env = uniqueName();
    const { supervisor, marker } = await supervise(env, 1);
    await client.deleteEnvironment(env);
    const exit = await supervisor.done;
    expect(exit.code, exit.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
    expect(exit.stderr).toContain('deleted');
  });

  it('SIGTERM to palisade run is passed on to the child, and run exits with the child’s code', async () => {
    const env = uniqueName();
    const { supervisor, marker } = await supervise(env, 1);
    supervisor.child.kill('SIGTERM');
    const exit = await supervisor.done;
    expect(exit.code, exit.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
    expect(exit.stderr).toContain('received SIGTERM');
    // The token stays with generation 1: nothing took over.
    expect((await client.getEnvironment(env)).token).toEqual({ deploy_generation: 1, epoch: 1 });
  });

  it('a child that exits by itself with code 7 makes run exit 7; a generation already taken over does not start', async () => {
    const env = uniqueName();
    const [own, late] = await Promise.all([
      cli(['run', '--env', env, '--generation', '5', '--', process.execPath, '-e', 'process.exit(7)'], clientEnv()),
      (async () => {
        await client.fence(uniqueName(), { deploy_generation: 0, holder: 'warm-up' });
        const other = uniqueName();
        await client.fence(other, { deploy_generation: 9, holder: 'newer' });
        return cli(
          ['run', '--env', other, '--generation', '8', '--', process.execPath, '-e', 'process.exit(7)'],
          clientEnv(),
        );
      })(),
    ]);
    expect(own.code, own.stderr).toBe(7);
    expect(own.stderr).toContain('exited with code 7');
    expect(late.code, late.stderr).toBe(0);
    expect(late.stderr).toContain('does not start');
  });
});

describe('palisade run with a command that cannot start', () => {
  it('fences nothing and registers nothing: the holder keeps the token, run exits 127 or 126 with one line', {
    timeout: 60_000,
  }, async () => {
    const env = uniqueName();
    const { supervisor, marker } = await supervise(env, 1);
    const missing = join(work, 'servr');
    const notExecutable = join(work, 'not-executable');
    writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const directory = join(work, 'a-directory');
    mkdirSync(directory);
    const commands = [
      { command: 'palisade-no-such-command', code: 127, problem: 'not found on PATH' },
      { command: missing, code: 127, problem: 'no such file' },
      { command: notExecutable, code: 126, problem: 'not executable' },
      { command: directory, code: 126, problem: 'is a directory' },
    ];
    const attempts = commands.flatMap((expected) => [
      { ...expected, args: ['run', '--env', env, '--generation', '2', '--', expected.command, 'arg'] },
      { ...expected, args: ['run', '--await-promotion', '--env', env, '--generation', '3', '--', expected.command] },
    ]);
    const results: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < attempts.length; i += 4) {
      results.push(...(await Promise.all(attempts.slice(i, i + 4).map(({ args }) => cli(args, clientEnv())))));
    }
    attempts.forEach(({ args, code, command, problem }, i) => {
      const result = results[i]!;
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toBe(`palisade run: cannot start ${command}: ${problem}\n`);
    });

    expect((await client.getEnvironment(env)).token).toEqual({ deploy_generation: 1, epoch: 1 });
    expect((await client.history(env)).items.map((item) => item.token)).toEqual([{ deploy_generation: 1, epoch: 1 }]);
    expect((await client.listDeployments(env)).items).toEqual([]);
    expect(supervisor.child.exitCode).toBeNull();
    expect(existsSync(marker)).toBe(false);

    supervisor.child.kill('SIGTERM');
    expect((await supervisor.done).code).toBe(0);
  });

  it('a command that passes the check but fails to spawn after the fence: run says the token was taken and exits 3', async () => {
    const env = uniqueName();
    const { supervisor: first, marker } = await supervise(env, 1);
    // Executable, so the check before the fence passes; its interpreter is missing, which only
    // execve finds out: the spawn fails after the fence, as it would if the file vanished meanwhile.
    const noInterpreter = join(work, 'no-interpreter');
    writeFileSync(noInterpreter, '#!/nonexistent/interpreter\n', { mode: 0o755 });

    const second = await cli(
      ['run', '--env', env, '--generation', '2', '--holder', 'gen-2', '--', noInterpreter],
      clientEnv(),
    );

    expect(second.code, second.stderr).toBe(3);
    expect(second.stderr).toContain(
      `palisade run: took ${env}'s token (generation 2, epoch 2, holder gen-2) but ${noInterpreter} never ran:`,
    );
    expect(second.stderr).toContain('ENOENT');
    expect(second.stderr).toContain('exiting 3');
    // The token was taken: the healthy generation stood down, and the environment has no running holder.
    expect(await client.getEnvironment(env)).toMatchObject({
      token: { deploy_generation: 2, epoch: 2 },
      holder: 'gen-2',
    });
    const firstExit = await first.done;
    expect(firstExit.code, firstExit.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('SIGTERM');
  });
});

describe('palisade commands', () => {
  it('--help works for every command, and usage errors exit 64', { timeout: 60_000 }, async () => {
    const commands = [
      ['--help'],
      ['serve', '--help'],
      ['migrate', '--help'],
      ['keys', '--help'],
      ['keys', 'create', '--help'],
      ['keys', 'revoke', '--help'],
      ['env', '--help'],
      ['env', 'fence', '--help'],
      ['env', 'confirm', '--help'],
      ['env', 'show', '--help'],
      ['env', 'log', '--help'],
      ['env', 'watch', '--help'],
      ['run', '--help'],
    ];
    const results: Awaited<ReturnType<typeof cli>>[] = [];
    for (let i = 0; i < commands.length; i += 4) {
      results.push(...(await Promise.all(commands.slice(i, i + 4).map((args) => cli(args)))));
    }
    commands.forEach((args, i) => {
      const result = results[i]!;
      const name = args.filter((arg) => arg !== '--help').join(' ');
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stdout).toContain(name ? `Usage: palisade ${name}` : 'Usage: palisade <command>');
    });

    const [missing, unknown, noCommand] = await Promise.all([
      cli(['run', '--env', 'x', '--', 'true'], clientEnv()),
      cli(['env', 'show', 'x', '--bogus'], clientEnv()),
      cli(['frobnicate']),
    ]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('--generation is required');
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toMatch(/bogus/);
    expect(noCommand.code).toBe(64);
  });

  it('keys create, env fence, env show, env confirm and keys revoke round-trip', { timeout: 60_000 }, async () => {
    const admin = { PALISADE_URL: service.url, PALISADE_ADMIN_TOKEN: adminToken };
    const created = await cli(
      ['keys', 'create', '--tenant', `rt-${randomBytes(4).toString('hex')}`, '--name', 'round trip'],
      admin,
    );
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; name: string };
    expect(key).toMatchObject({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^pal_/),
      name: 'round trip',
    });

    const env = uniqueName();
    const withKey = { PALISADE_URL: service.url, PALISADE_API_KEY: key.key };
    // The key from the flag, the service from the variable.
    const fenced = await cli(['env', 'fence', env, '--generation', '3', '--holder', 'cli', '--key', key.key], {
      PALISADE_URL: service.url,
    });
    expect(fenced.code, fenced.stderr).toBe(0);
    expect(JSON.parse(fenced.stdout)).toEqual({ token: { deploy_generation: 3, epoch: 1 }, previous: null });

    const [shown, confirmed, log] = await Promise.all([
      cli(['env', 'show', env], withKey),
      cli(['env', 'confirm', env, '--generation', '3', '--epoch', '1'], withKey),
      cli(['env', 'log', env], withKey),
    ]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      name: env,
      token: { deploy_generation: 3, epoch: 1 },
      holder: 'cli',
      upper: 0,
    });
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(JSON.parse(confirmed.stdout)).toEqual({ token: { deploy_generation: 3, epoch: 1 }, upper: 0 });
    expect(log.code, log.stderr).toBe(0);
    expect(JSON.parse(log.stdout)).toEqual({ entries: [], upper: 0, next_from: 0 });

    const refenced = await cli(['env', 'fence', env, '--generation', '4'], withKey);
    expect(refenced.code, refenced.stderr).toBe(0);
    const stale = await cli(['env', 'confirm', env, '--token', '{"deploy_generation":3,"epoch":1}'], withKey);
    expect(stale.code).toBe(3);
    expect(stale.stderr).toContain('fenced (deploy_generation, action terminate)');

    const revoked = await cli(['keys', 'revoke', key.id], admin);
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await cli(['env', 'show', env], withKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 unauthorized');
  });

  it('env watch prints one JSON event per line', async () => {
    const env = uniqueName();
    await client.fence(env, { deploy_generation: 1, holder: 'a' });
    const watcher = startCli(['env', 'watch', env], clientEnv());
    await waitFor(() => watcher.stdout().includes('"snapshot"'), 'the snapshot');
    await client.fence(env, { deploy_generation: 2, holder: 'b' });
    await waitFor(() => watcher.stdout().includes('"fenced"'), 'the fenced event');
    watcher.child.kill('SIGINT');
    const exit = await watcher.done;
    expect(exit.code, exit.stderr).toBe(0);
    const events = exit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; id: string });
    expect(events.map((event) => `${event.event} ${event.id}`)).toEqual(['snapshot 1', 'fenced 2']);
  });

  it('migrate applies the migrations and exits; serve starts the service and drains on SIGTERM', async () => {
    const database = await databaseEnv();
    const migrated = await cli(['migrate'], database);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toContain('migrations applied');

    const server = startCli(['serve', '--port', '0', '--host', '127.0.0.1'], { ...database, LOG_LEVEL: 'info' });
    await waitFor(() => /"msg":"listening"/.test(server.stdout()), 'the service to listen', 30_000);
    const { port } = JSON.parse(
      server
        .stdout()
        .split('\n')
        .find((line) => line.includes('"listening"'))!,
    ) as { port: number };
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    server.child.kill('SIGTERM');
    const exit = await server.done;
    expect(exit.code, exit.stderr).toBe(0);
  }, 60_000);
});
