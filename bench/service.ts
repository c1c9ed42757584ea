/**
 * The service as `npm start` runs it (compiled), on a scratch PostgreSQL database, under
 * closed-loop HTTP load over undici keep-alive connections (one per worker).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import type { Token } from '../src/domain/token.js';
import { createScratchPostgres } from '../test/support/database.js';
import { type ServiceProcess, startService, stopAllServices } from '../test/support/processes.js';
import { closedLoop, ownedBy, type Measurement } from './load.js';

export type ServiceOperation = 'fence' | 'confirm' | 'append';

type EnvState = { name: string; token: Token; upper: number };

const TENANT = 'bench';
const MAX_ENVIRONMENTS = 1_000_000;

/** A run of the service, with the CPU time its process used per successful operation. */
export type ServiceMeasurement = Measurement & { cpuMicrosPerOp: number };

export type ServiceUnderLoad = {
  run(operation: ServiceOperation, workers: number): Promise<ServiceMeasurement>;
  /** The service process's peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number | null;
  close(): Promise<void>;
};

/**
 * Builds and starts the service and creates `environments` environments through its API, each
 * fenced once. Each worker of a run owns its environments and tracks their tokens and uppers, so
 * every fence succeeds (a takeover: generation + 1) and every append is a guarded compare-and-append
 * (current token and `expected_upper`).
 */
export async function prepareService(options: {
  seconds: number;
  environments: number;
  maxWorkers: number;
  /** Where the service writes a CPU profile (node --cpu-prof) when it stops; none without. */
  cpuProfileDir?: string;
  /** Options for node instead of those of `npm start`. */
  nodeOptions?: string[];
}): Promise<ServiceUnderLoad> {
  const scratch = await createScratchPostgres();
  let pool: Pool | undefined;
  let service: ServiceProcess | undefined;
  const close = async () => {
    try {
      await pool?.close();
      await service?.stop();
    } finally {
      await stopAllServices();
      await scratch.drop();
    }
  };
  try {
    const adminToken = randomBytes(16).toString('hex');
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
    service = await startService(
      {
        DATABASE_URL: scratch.url,
        PALISADE_ADMIN_TOKEN: adminToken,
        // The production default: one JSON log line per request.
        LOG_LEVEL: 'info',
        PALISADE_RATE_LIMIT: '10000000',
        PALISADE_MAX_IN_FLIGHT: '100000',
        PALISADE_MAX_ENVIRONMENTS: String(MAX_ENVIRONMENTS),
      },
      {
        compiled: true,
        nodeOptions: [
          ...(options.nodeOptions ?? startScriptNodeOptions()),
          ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
        ],
      },
    );
    const started = service;
    const connections = new Pool(started.url, { connections: options.maxWorkers, pipelining: 1 });
    pool = connections;
    const call = async (method: 'POST', path: string, key: string, body: unknown) => {
      const response = await connections.request({
        method,
        path,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.statusCode, body: (await response.body.json()) as any };
    };
    const created = await call('POST', '/v1/api-keys', adminToken, { tenant: TENANT, name: 'bench' });
    const key = created.body.key as string;

    const states: EnvState[] = [];
    for (let i = 0; i < options.environments; i++) {
      const name = `env-${i}`;
      const fenced = await call('POST', `/v1/environments/${name}/fence`, key, {
        deploy_generation: 1,
        holder: 'bench',
      });
      states.push({ name, token: fenced.body.token, upper: 0 });
    }

    return {
      async run(operation, workers) {
        const pick = Array.from({ length: workers }, (_, worker) => ownedBy(states, workers, worker));
        const cpuBefore = cpuSeconds(started.child.pid!);
        const measured = await closedLoop(options.seconds, workers, async (worker) => {
          const env = pick[worker]!();
          if (operation === 'fence') {
            const r = await call('POST', `/v1/environments/${env.name}/fence`, key, {
              deploy_generation: env.token.deploy_generation + 1,
              holder: `w${worker}`,
            });
            if (r.status !== 200) return `HTTP ${r.status}`;
            env.token = r.body.token;
            return 'ok';
          }
          if (operation === 'confirm') {
            const r = await call('POST', `/v1/environments/${env.name}/confirm`, key, { token: env.token });
            return r.status === 200 ? 'ok' : `HTTP ${r.status}`;
          }
          const r = await call('POST', `/v1/environments/${env.name}/log`, key, {
            token: env.token,
            expected_upper: env.upper,
            entries: [{ worker, at: env.upper }],
          });
          if (r.status !== 201) return `HTTP ${r.status}`;
          env.upper = r.body.upper;
          return 'ok';
        });
        const cpuMicrosPerOp = ((cpuSeconds(started.child.pid!) - cpuBefore) * 1e6) / Math.max(1, measured.succeeded);
        return { ...measured, cpuMicrosPerOp };
      },
      peakRssMb() {
        const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${started.child.pid}/status`, 'utf8'))?.[1];
        return peak ? Number(peak) / 1024 : null;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The options `npm start` gives node (`node --flag … dist/index.js`), so the bench runs what it runs. */
function startScriptNodeOptions(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: { start: string };
  };
  const [, ...words] = manifest.scripts.start.split(' ');
  return words.filter((word) => word.startsWith('--'));
}

/** User and system CPU time the process has used (Linux), in seconds: the wall time it was not waiting. */
function cpuSeconds(pid: number): number {
  // The fields after the command name (which is in parentheses and may hold spaces); utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture the service runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
