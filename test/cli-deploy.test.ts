import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PalisadeClient } from '../src/client/index.js';
import { cli, type CliService, startCli, startCliService } from './support/cli.js';
import type { ServiceProcess } from './support/processes.js';

let fixture: CliService | undefined;
let service: ServiceProcess;
let client: PalisadeClient;
let apiKey: string;

beforeAll(async () => {
  fixture = await startCliService('deploy');
  ({ service, client, apiKey } = fixture);
}, 60_000);

afterAll(async () => {
  await fixture?.close();
});

const clientEnv = () => ({ PALISADE_URL: service.url, PALISADE_API_KEY: apiKey });
const uniqueName = () => `env-${randomBytes(5).toString('hex')}`;
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/;

/** Generation 1 leads `env`; generation 2 registers as a candidate catching up. */
async function handoverUnderWay(): Promise<string> {
  const env = uniqueName();
  await client.fence(env, { deploy_generation: 1, holder: 'gen-1' });
  await client.registerDeployment(env, 2, { holder: 'gen-2', state: 'catching_up' });
  return env;
}

describe('palisade deploy', () => {
  it('status, wait, ready and promote carry a handover through, in words and in JSON', async () => {
    const env = await handoverUnderWay();

    const status = await cli(['deploy', 'status', '--env', env, '--generation', '2'], clientEnv());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.replace(TIME, '<time>')).toBe(
      `${env} generation 2: catching_up (holder gen-2, no token, since <time>)\n`,
    );

    const waiting = startCli(['deploy', 'wait', '--env', env, '--generation', '2', '--timeout', '20s'], clientEnv());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(waiting.child.exitCode, 'wait returns only once the state is reached').toBeNull();

    const ready = await cli(['deploy', 'ready', '--env', env, '--generation', '2'], clientEnv());
    expect(ready.code, ready.stderr).toBe(0);
    expect(ready.stdout).toMatch(
      new RegExp(`^${env} generation 2: ready_to_promote \\(holder gen-2, no token, since `),
    );
    const waited = await waiting.done;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain(`${env} generation 2: ready_to_promote`);

    const promoted = await cli(['deploy', 'promote', '--env', env, '--generation', '2', '--json'], clientEnv());
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({
      environment: env,
      deploy_generation: 2,
      state: 'promoting',
      holder: 'gen-2',
      token: { deploy_generation: 2, epoch: 2 },
    });

    const listed = await cli(['deploy', 'status', '--env', env], clientEnv());
    expect(listed.code, listed.stderr).toBe(0);
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(TIME, '<time>')),
    ).toEqual([`${env} generation 2: promoting (holder gen-2, token 2/2, since <time>)`]);
    const listedJson = JSON.parse((await cli(['deploy', 'status', '--env', env, '--json'], clientEnv())).stdout);
    expect(
      listedJson.items.map((d: { deploy_generation: number; state: string }) => [d.deploy_generation, d.state]),
    ).toEqual([[2, 'promoting']]);
  });

  it('a promotion before the candidate is ready is refused: exit 1 naming invalid_transition; --skip-catchup promotes', async () => {
    const env = await handoverUnderWay();
    const refused = await cli(['deploy', 'promote', '--env', env, '--generation', '2'], clientEnv());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^palisade: the service answered 409 invalid_transition: .+\(action retry\)\n$/);
    const skipped = await cli(['deploy', 'promote', '--env', env, '--generation', '2', '--skip-catchup'], clientEnv());
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain('promoting');
  });

  it('wait gives up after its timeout with exit 1, and exits 3 for a generation fenced meanwhile', async () => {
    const env = await handoverUnderWay();
    const timedOut = await cli(['deploy', 'wait', '--env', env, '--generation', '2', '--timeout', '1s'], clientEnv());
    expect(timedOut.code).toBe(1);
    expect(timedOut.stderr).toBe(`palisade: ${env} generation 2 is still catching_up after 1s\n`);

    await client.registerDeployment(env, 3, { holder: 'gen-3', state: 'catching_up' });
    const waitingOld = startCli(
      ['deploy', 'wait', '--env', env, '--generation', '2', '--until', 'is_leader', '--timeout', '20s'],
      clientEnv(),
    );
    await client.promoteDeployment(env, 3, { skip_catchup: true });
    const fenced = await waitingOld.done;
    expect(fenced.code).toBe(3);
    expect(fenced.stderr).toBe(`palisade: ${env} generation 2 was fenced by a newer generation\n`);
  });

  it('usage errors exit 64: a missing --env, an unknown state, an option of another command', async () => {
    for (const args of [
      ['deploy', 'status'],
      ['deploy', 'wait', '--env', 'e', '--generation', '1', '--until', 'done'],
      ['deploy', 'ready', '--env', 'e', '--generation', '1', '--skip-catchup'],
      ['deploy', 'wait', '--env', 'e', '--generation', '1', '--timeout', '30'],
      ['deploy', 'launch'],
    ]) {
      const result = await cli(args, clientEnv());
      expect(result.code, args.join(' ')).toBe(64);
    }
    const bareTimeout = await cli(
      ['deploy', 'wait', '--env', 'e', '--generation', '1', '--timeout', '30'],
      clientEnv(),
    );
    expect(bareTimeout.stderr).toContain('--timeout: "30" has no unit: write 30ms or 30s');
  });
});

describe('the CLI on errors and durations', () => {
  it('a 400 prints each invalid member with its message, not only "see errors"', async () => {
    const env = uniqueName();
    await client.fence(env, { deploy_generation: 1, holder: 'x' });
    const result = await cli(['env', 'log', env, '--limit', '5000'], clientEnv());
    expect(result.code).toBe(1);
    const [first, ...issues] = result.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^palisade: the service answered 400 invalid_request: .+\(action fix_request\)$/);
    expect(issues).toEqual([expect.stringMatching(/^ {2}query\.limit: .*1000/)]);
  });

  it('run refuses a --grace without a unit, as the configuration does', async () => {
    const result = await cli(
      ['run', '--env', uniqueName(), '--generation', '1', '--grace', '5', '--', 'true'],
      clientEnv(),
    );
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('--grace: "5" has no unit: write 5ms or 5s');
  });
});
