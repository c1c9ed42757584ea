/**
 * The peer a user would hand-roll fencing on: a throwaway single-node etcd on loopback, with its
 * defaults (the WAL is fsynced before a write is acknowledged, as PostgreSQL's
 * `synchronous_commit = on` does), driven through the `etcd3` gRPC client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import type { Token } from '../src/domain/token.js';
import { closedLoop, freePort, ownedBy, type Measurement } from './load.js';
import type { LimitOperation } from './pgbench.js';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

type EtcdEnvironment = {
  tokenKey: string;
  upperKey: string;
  logPrefix: string;
  token: Token;
  modRevision: number;
  upper: number;
};

export type EtcdPeer = {
  run(operation: LimitOperation, workers: number): Promise<Measurement>;
  /** Closes the client, stops etcd by its process group and removes its data directory. */
  close(): Promise<void>;
};

/** True when an `etcd` binary is on the PATH. */
export async function etcdInstalled(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = spawn('etcd', ['--version'], { stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('close', (code) => resolve(code === 0));
  });
}

/**
 * etcd runs under `timeout`, which makes itself the leader of a new process group: stopping sends
 * the signal to that group, and should this process die without stopping it, `timeout` still ends
 * etcd once `lifetimeSeconds` have passed.
 */
async function startEtcd(
  dataDir: string,
  lifetimeSeconds: number,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    'timeout',
    [
      '--kill-after=5',
      String(lifetimeSeconds),
      'etcd',
      '--name',
      'bench',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `bench=${peer}`,
      '--logger',
      'zap',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-10_000);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is already gone.
    }
  };
  const killOnExit = () => killGroup('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (!running) return;
    killGroup('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      killGroup('SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!running) throw new Error(`etcd exited before it was ready:\n${stderr}`);
    try {
      const health = await fetch(`${endpoint}/health`);
      if (health.ok && ((await health.json()) as { health?: string }).health === 'true') return { endpoint, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd was not healthy within ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    }
    await delay(100);
  }
}

/**
 * Starts etcd and writes `environments` environments, each a token key holding (1, 1) and an upper
 * key holding 0. Each worker of a run owns its environments and remembers their tokens, the
 * token key's mod revision and the upper, as a client of hand-rolled fencing would.
 */
export async function prepareEtcd(options: {
  seconds: number;
  environments: number;
  lifetimeSeconds: number;
}): Promise<EtcdPeer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'palisade-etcd-'));
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  try {
    etcd = await startEtcd(dataDir, options.lifetimeSeconds);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const client = new Etcd3({ hosts: etcd.endpoint });
  const close = async () => {
    client.close();
    await etcd.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const environments: EtcdEnvironment[] = [];
    const SEED_BATCH = 100;
    for (let first = 0; first < options.environments; first += SEED_BATCH) {
      const batch = Array.from(
        { length: Math.min(SEED_BATCH, options.environments - first) },
        (_, i) => `/palisade/bench/env-${first + i}`,
      );
      environments.push(
        ...(await Promise.all(
          batch.map(async (prefix) => {
            const token = { deploy_generation: 1, epoch: 1 };
            const tokenKey = `${prefix}/token`;
            const upperKey = `${prefix}/upper`;
            const written = await client
              .if(tokenKey, 'Create', '==', 0)
              .then(client.put(tokenKey).value(JSON.stringify(token)), client.put(upperKey).value('0'))
              .commit();
            return {
              tokenKey,
              upperKey,
              logPrefix: `${prefix}/log/`,
              token,
              modRevision: Number(written.header.revision),
              upper: 0,
            };
          }),
        )),
      );
    }

    return {
      async run(operation, workers) {
        const pick = Array.from({ length: workers }, (_, worker) => ownedBy(environments, workers, worker));
        return closedLoop(options.seconds, workers, async (worker) => {
          const env = pick[worker]!();
          try {
            if (operation === 'fence') {
              // A takeover: the new token only if nobody changed the key since this client last saw it.
              const next = { deploy_generation: env.token.deploy_generation + 1, epoch: env.token.epoch + 1 };
              const result = await client
                .if(env.tokenKey, 'Mod', '==', env.modRevision)
                .then(client.put(env.tokenKey).value(JSON.stringify(next)))
                .else(client.get(env.tokenKey))
                .commit();
              if (!result.succeeded) {
                // Someone else fenced: learn their token, as a hand-rolled client would before trying again.
                const [current] = result.responses[0]?.response_range?.kvs ?? [];
                if (current) {
                  env.token = JSON.parse(current.value.toString()) as Token;
                  env.modRevision = Number(current.mod_revision);
                }
                return 'token changed';
              }
              env.token = next;
              env.modRevision = Number(result.header.revision);
              return 'ok';
            }
            // A guarded append: the entry and the new upper only while the token and the upper are the ones expected.
            const offset = String(env.upper).padStart(12, '0');
            const result = await client
              .if(env.tokenKey, 'Value', '==', JSON.stringify(env.token))
              .and(env.upperKey, 'Value', '==', String(env.upper))
              .then(
                client.put(`${env.logPrefix}${offset}`).value(JSON.stringify({ worker, at: env.upper })),
                client.put(env.upperKey).value(String(env.upper + 1)),
              )
              .commit();
            if (!result.succeeded) return 'guard refused';
            env.upper += 1;
            return 'ok';
          } catch (error) {
            return (error as Error).name;
          }
        });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
