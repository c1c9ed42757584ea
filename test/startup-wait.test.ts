import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { expectProblem } from './support/problems.js';
import { startExpectingExit, startService, stopAllServices } from './support/processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Forwards `port` to the shared PostgreSQL: a database that comes up when this starts. */
async function forward(port: number, target: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe.skipIf(!POSTGRES_URL)('a replica started while PostgreSQL is down', () => {
  let scratch: { url: string; drop(): Promise<void> };
  const proxies: Server[] = [];
  beforeAll(async () => {
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    await stopAllServices();
    for (const proxy of proxies) proxy.close();
    await scratch.drop();
  });

  it('waits and retries, live but not ready, and serves once the database is up', async () => {
    const databasePort = await freePort();
    const httpPort = await freePort();
    const url = new URL(scratch.url);
    const viaProxy = new URL(scratch.url);
    viaProxy.port = String(databasePort);
    const starting = startService({ DATABASE_URL: viaProxy.toString(), PORT: String(httpPort) });
    const origin = `http://127.0.0.1:${httpPort}`;

    let live: Response | null = null;
    for (let i = 0; i < 100 && !live; i++) {
      live = await fetch(`${origin}/healthz`).catch(() => null);
      if (!live) await sleep(100);
    }
    expect(live?.status).toBe(200);
    expect((await fetch(`${origin}/readyz`)).status).toBe(503);
    const refused = await fetch(`${origin}/v1/environments`, { headers: { authorization: 'Bearer pal_x' } });
    await expectProblem(refused, 503, 'unavailable', { action: 'retry' });
    expect(refused.headers.get('retry-after')).not.toBeNull();
    await sleep(1_500);

    proxies.push(await forward(databasePort, url));
    const service = await starting;
    expect(service.port).toBe(httpPort);
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    const retries = service
      .output()
      .split('\n')
      .filter((line) => line.includes('database unreachable at start-up'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatch(/ECONNREFUSED/);
    expect(retries[0]).toMatch(/"retry_in_ms":\d+/);
  });

  it('gives up with exit 1 after PALISADE_DB_STARTUP_WAIT', async () => {
    const viaNothing = new URL(scratch.url);
    viaNothing.port = String(await freePort());
    const started = performance.now();
    const exited = await startExpectingExit({ DATABASE_URL: viaNothing.toString(), PALISADE_DB_STARTUP_WAIT: '2s' });
    expect(exited.exitCode).toBe(1);
    expect(performance.now() - started).toBeGreaterThan(2_000);
    expect(exited.stdout).toMatch(/database unreachable at start-up/);
    expect(exited.stdout).toMatch(/gave up/);
  });
});
