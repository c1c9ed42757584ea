/**
 * A PostgreSQL 15 cluster managed by Patroni with a single-node etcd, all on loopback, for the
 * failover run: each member is its own PostgreSQL cluster on a port of its own, so the machine's
 * PostgreSQL on 5432 is never touched. Every process started here runs under `timeout`, so none
 * outlives a crashed run by more than `lifetimeSeconds`, and each is stopped by its pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const SCOPE = 'palisade';

export type ClusterOptions = {
  members: number;
  /** Commits wait for a synchronous standby (Patroni `synchronous_mode`); false: ordinary asynchronous replication. */
  synchronous: boolean;
  /** First PostgreSQL port; member N (1-based) listens on `pgPort + N - 1`, its Patroni REST API on `restPort + N - 1`. */
  pgPort?: number;
  restPort?: number;
  etcdPort?: number;
  /** How long any process of the cluster may live at most. */
  lifetimeSeconds?: number;
  log?: (message: string) => void;
};

export type Member = {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  /** The `timeout` process running Patroni, or null once killed or stopped. */
  process: ChildProcess | null;
};

export type PatroniCluster = {
  members: Member[];
  /** A multi-host URL naming every member, asking for the primary. */
  url: string;
  workDir: string;
  /** The member whose Patroni says it is the primary (REST `/primary` answers 200). */
  primary(): Promise<Member | null>;
  /**
   * Waits until a primary other than `not` and (in synchronous mode) a synchronous standby are in
   * place. Patroni's REST answers lag a kill by up to one loop, so a failover is waited for by
   * naming the member that was lost.
   */
  waitHealthy(timeoutMs: number, not?: Member): Promise<{ primary: Member; sync: Member | null }>;
  /** Waits until every member runs: the primary, a synchronous standby (in synchronous mode) and every other member a running replica. */
  waitWhole(timeoutMs: number): Promise<{ primary: Member; sync: Member | null }>;
  /** SIGKILLs the member's postmaster; its Patroni stays up and brings it back as a replica. */
  killPostgres(member: Member): number;
  /** SIGKILLs the member's Patroni and then its postmaster: the whole node is gone. */
  killNode(member: Member): void;
  /** Starts the member's Patroni again (it rejoins, rewinding if it must). */
  startMember(member: Member): void;
  /** Stops every process; the members' files and logs are kept when `keepFiles` (to read after a failed run). */
  stop(keepFiles?: boolean): Promise<void>;
};

function postgresIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function httpStatus(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

function memberConfig(cluster: { workDir: string; etcdPort: number; synchronous: boolean }, member: Member): string {
  const dir = join(cluster.workDir, member.name);
  // Timings from the loopback measurements: a dead leader is noticed within a loop (2 s) when
  // only its postmaster dies, and within the ttl (10 s) when the whole node does.
  return `scope: ${SCOPE}
namespace: /service/
name: ${member.name}
log:
  level: INFO
  dir: ${dir}/log
restapi:
  listen: 127.0.0.1:${member.restPort}
  connect_address: 127.0.0.1:${member.restPort}
etcd3:
  hosts: 127.0.0.1:${cluster.etcdPort}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    primary_start_timeout: 0
    synchronous_mode: ${cluster.synchronous}
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: "on"
        wal_retrieve_retry_interval: 1s
        max_connections: 200
  initdb:
  - encoding: UTF8
  - data-checksums
  - auth: trust
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${member.pgPort}
  connect_address: 127.0.0.1:${member.pgPort}
  data_dir: ${member.dataDir}
  bin_dir: ${PG_BIN}
  pgpass: ${dir}/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: rewind_user
  basebackup:
  - checkpoint: fast
  parameters:
    unix_socket_directories: ${dir}
watchdog:
  mode: "off"
`;
}

/** Why this machine cannot run the cluster, or null when it can. */
export function missingPrerequisite(): string | null {
  for (const program of ['patroni', 'etcd', join(PG_BIN, 'postgres')]) {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    } catch {
      return `${program} is not installed (Debian: apt-get install -y patroni etcd-server postgresql-15)`;
    }
  }
  if (process.getuid?.() !== 0) return 'it must run as root, to run Patroni and PostgreSQL as the postgres user';
  return null;
}

export async function startPatroniCluster(options: ClusterOptions): Promise<PatroniCluster> {
  const pgPort = options.pgPort ?? 5441;
  const restPort = options.restPort ?? 8011;
  const etcdPort = options.etcdPort ?? 23791;
  const lifetime = String(options.lifetimeSeconds ?? 1_800);
  const log = options.log ?? (() => {});
  const ports = [
    etcdPort,
    etcdPort + 10,
    ...Array.from({ length: options.members }, (_, i) => [pgPort + i, restPort + i]).flat(),
  ];
  for (const port of ports) {
    if (!(await portIsFree(port)))
      throw new Error(`port ${port} is in use: another failover run, or something else, holds it`);
  }

  const { uid, gid } = postgresIds();
  const workDir = mkdtempSync(join(tmpdir(), 'palisade-patroni-'));
  chmodSync(workDir, 0o755);
  const processes = new Set<ChildProcess>();
  const started = (child: ChildProcess, logFile: string) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    // Two streams into one file: neither may end it, the child's close does.
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    processes.add(child);
    child.once('exit', () => processes.delete(child));
    child.once('close', () => out.end());
    return child;
  };

  const etcd = started(
    spawn(
      'timeout',
      [
        '--kill-after=5',
        lifetime,
        'etcd',
        '--name',
        'e1',
        '--data-dir',
        join(workDir, 'etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${etcdPort + 10}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${etcdPort + 10}`,
        '--initial-cluster',
        `e1=http://127.0.0.1:${etcdPort + 10}`,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        SCOPE,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
    join(workDir, 'etcd.log'),
  );

  const members: Member[] = Array.from({ length: options.members }, (_, i) => {
    const name = `pg${i + 1}`;
    const dir = join(workDir, name);
    mkdirSync(join(dir, 'log'), { recursive: true });
    chmodSync(dir, 0o700);
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'log'), uid, gid);
    return { name, pgPort: pgPort + i, restPort: restPort + i, dataDir: join(dir, 'data'), process: null };
  });
  for (const member of members) {
    const file = join(workDir, `${member.name}.yml`);
    writeFileSync(file, memberConfig({ workDir, etcdPort, synchronous: options.synchronous }, member));
    chmodSync(file, 0o644);
  }

  const startMember = (member: Member) => {
    // PostgreSQL refuses to run as root, so Patroni (which runs it) runs as postgres.
    member.process = started(
      spawn('timeout', ['--kill-after=5', lifetime, 'patroni', join(workDir, `${member.name}.yml`)], {
        uid,
        gid,
        env: { ...process.env, HOME: workDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      join(workDir, member.name, 'stdout.log'),
    );
  };
  const patroniPid = (member: Member): number | null => {
    const parent = member.process?.pid;
    if (!parent) return null;
    try {
      return Number(
        execFileSync('pgrep', ['-P', String(parent)])
          .toString()
          .trim()
          .split('\n')[0],
      );
    } catch {
      return null;
    }
  };
  const postmasterPid = (member: Member): number | null => {
    const file = join(member.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  };
  const kill = (pid: number | null, signal: NodeJS.Signals) => {
    if (pid === null) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  };

  const primary = async () => {
    for (const member of members)
      if ((await httpStatus(`http://127.0.0.1:${member.restPort}/primary`)) === 200) return member;
    return null;
  };
  const syncStandby = async () => {
    for (const member of members)
      if ((await httpStatus(`http://127.0.0.1:${member.restPort}/sync`)) === 200) return member;
    return null;
  };

  const stop = async (keepFiles = false) => {
    // Patroni stops its PostgreSQL on SIGTERM; a member whose Patroni is gone may leave a postmaster behind.
    for (const member of members) kill(patroniPid(member), 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (members.some((member) => member.process && member.process.exitCode === null) && Date.now() < deadline)
      await sleep(200);
    for (const member of members) {
      kill(patroniPid(member), 'SIGKILL');
      kill(postmasterPid(member), 'SIGKILL');
      if (member.process?.pid) kill(member.process.pid, 'SIGKILL');
    }
    if (etcd.pid) kill(etcd.pid, 'SIGTERM');
    const etcdDeadline = Date.now() + 10_000;
    while (processes.size > 0 && Date.now() < etcdDeadline) await sleep(100);
    for (const child of processes) if (child.pid) kill(child.pid, 'SIGKILL');
    if (keepFiles) log(`cluster files and logs kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };

  const cluster: PatroniCluster = {
    members,
    workDir,
    url: `postgres://postgres@${members.map((m) => `127.0.0.1:${m.pgPort}`).join(',')}/postgres?target_session_attrs=primary`,
    primary,
    waitHealthy: async (timeoutMs, not) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [leader, sync] = await Promise.all([
          primary(),
          options.synchronous ? syncStandby() : Promise.resolve(null),
        ]);
        if (leader && leader !== not && ((sync && sync !== leader) || !options.synchronous))
          return { primary: leader, sync };
        if (Date.now() > deadline) {
          throw new Error(
            `no ${leader ? 'synchronous standby' : 'primary'} within ${timeoutMs} ms (logs in ${workDir})`,
          );
        }
        await sleep(250);
      }
    },
    waitWhole: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const healthy = await cluster.waitHealthy(Math.max(0, deadline - Date.now()));
        const replicas = await Promise.all(
          members
            .filter((member) => member !== healthy.primary)
            .map((member) => httpStatus(`http://127.0.0.1:${member.restPort}/replica`)),
        );
        if (replicas.every((status) => status === 200)) return healthy;
        if (Date.now() > deadline)
          throw new Error(`not every member is a running replica within ${timeoutMs} ms (logs in ${workDir})`);
        await sleep(250);
      }
    },
    killPostgres: (member) => {
      const pid = postmasterPid(member);
      if (pid === null) throw new Error(`${member.name} has no postmaster running`);
      kill(pid, 'SIGKILL');
      return pid;
    },
    killNode: (member) => {
      kill(patroniPid(member), 'SIGKILL');
      kill(postmasterPid(member), 'SIGKILL');
      if (member.process?.pid) kill(member.process.pid, 'SIGKILL');
      member.process = null;
    },
    startMember,
    stop,
  };

  try {
    log(
      `etcd on ${etcdPort}; ${options.members} Patroni members (${options.synchronous ? 'synchronous' : 'asynchronous'} replication) in ${workDir}`,
    );
    startMember(members[0]!);
    const bootstrapDeadline = Date.now() + 60_000;
    while (!(await primary())) {
      if (Date.now() > bootstrapDeadline)
        throw new Error(`${members[0]!.name} did not become the primary (logs in ${workDir})`);
      await sleep(250);
    }
    for (const member of members.slice(1)) startMember(member);
    const healthy = await cluster.waitWhole(120_000);
    log(`primary ${healthy.primary.name}${healthy.sync ? `, synchronous standby ${healthy.sync.name}` : ''}`);
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}
