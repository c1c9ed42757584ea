/**
 * Watch fan-out: N streams on one environment, one fence, and how long after the fence's response
 * each stream receives its `fenced` event. The streams are opened by a child process of their own,
 * so the fencing client and the service's event loop are not the ones parsing the streams.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/watch-fanout.ts [--streams 500] [--fences 10]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createScratchPostgres } from '../test/support/database.js';
import { startService, stopAllServices } from '../test/support/processes.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const STREAMS = option('--streams', 500);
const FENCES = option('--fences', 10);
/** Wall-clock milliseconds with sub-millisecond precision, comparable across the two processes. */
const now = () => performance.timeOrigin + performance.now();

if (process.argv[2] === '--clients') {
  // The child: opens the streams, then reports each `fenced` event's arrival time.
  const [, , , url, key, env, count] = process.argv;
  let open = 0;
  const told = new Map<number, number[]>();
  for (let i = 0; i < Number(count); i++) {
    request(`${url}/v1/environments/${env}/watch`, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.setEncoding('utf8');
      let snapshot = false;
      res.on('data', (chunk: string) => {
        const at = now();
        if (!snapshot && chunk.includes('event: snapshot')) {
          snapshot = true;
          if (++open === Number(count)) process.send!({ ready: true });
        }
        for (const match of chunk.matchAll(/event: fenced\ndata: [^\n]*\nid: (\d+)/g)) {
          const epoch = Number(match[1]);
          const list = told.get(epoch) ?? [];
          told.set(epoch, list);
          // One message per fence, once every stream has it: messages per stream would queue the later streams' reads.
          if (list.push(at) === Number(count)) process.send!({ epoch, arrivals: list });
        }
      });
    }).end();
  }
} else {
  const DATABASE_URL = process.env.DATABASE_URL;
  if (!DATABASE_URL) {
    console.error('DATABASE_URL is not set');
    process.exit(2);
  }
  const admin = `admin-${randomBytes(12).toString('hex')}`;
  const scratch = await createScratchPostgres();
  try {
    const service = await startService(
      {
        DATABASE_URL: scratch.url,
        PALISADE_ADMIN_TOKEN: admin,
        PALISADE_MAX_WATCH_STREAMS: String(STREAMS),
        PALISADE_RATE_LIMIT: '100000',
      },
      { compiled: true },
    );
    const keyResponse = await fetch(`${service.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'fanout', name: 'bench' }),
    });
    const { key } = (await keyResponse.json()) as { key: string };
    const fence = async () => {
      const res = await fetch(`${service.url}/v1/environments/fanned/fence`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ deploy_generation: 1, holder: 'bench' }),
      });
      const { token } = (await res.json()) as { token: { epoch: number } };
      return { epoch: token.epoch, answered: now() };
    };
    await fence();

    const clients = fork(fileURLToPath(import.meta.url), ['--clients', service.url, key, 'fanned', String(STREAMS)], {
      execArgv: ['--import', 'tsx'],
    });
    const arrivals = new Map<number, number[]>();
    const ready = new Promise<void>((resolve) =>
      clients.on('message', (message: { ready?: boolean; epoch?: number; arrivals?: number[] }) => {
        if (message.ready) resolve();
        else arrivals.set(message.epoch!, message.arrivals!);
      }),
    );
    await ready;

    const delays: number[] = [];
    for (let i = 0; i < FENCES; i++) {
      const { epoch, answered } = await fence();
      const deadline = Date.now() + 10_000;
      while ((arrivals.get(epoch)?.length ?? 0) < STREAMS && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const got = arrivals.get(epoch) ?? [];
      if (got.length < STREAMS)
        console.log(`fence ${epoch}: only ${got.length} of ${STREAMS} streams told within 10 s`);
      delays.push(...got.map((at) => at - answered));
      await new Promise((r) => setTimeout(r, 200));
    }
    clients.kill();
    delays.sort((a, b) => a - b);
    const at = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]!.toFixed(1);
    console.log(
      `${STREAMS} streams on one environment, ${FENCES} fences: from the fence's response to each stream's event p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`,
    );
  } finally {
    await stopAllServices();
    await scratch.drop();
  }
}
