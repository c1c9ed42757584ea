import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, rowsOf } from '../src/db/client.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';
import { expectProblem } from './support/problems.js';
import { startService, stopAllServices, type ServiceProcess } from './support/processes.js';

describe.skipIf(!POSTGRES_URL)('waits on PostgreSQL are bounded', () => {
  let scratch: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    scratch = await createScratchPostgres();
  });
  afterAll(async () => {
    await stopAllServices();
    await scratch.drop();
  });

  it('the service’s sessions carry statement, lock and idle-in-transaction timeouts', async () => {
    const handle = await openDatabase({
      kind: 'postgres',
      url: scratch.url,
      waits: { statementMs: 3_000, lockMs: 1_500, idleInTransactionMs: 4_000 },
    });
    try {
      const [row] = rowsOf<Record<string, string>>(
        await handle.db.execute(sql`select current_setting('statement_timeout') as statement,
          current_setting('lock_timeout') as lock,
          current_setting('idle_in_transaction_session_timeout') as idle`),
      );
      expect(row).toEqual({ statement: '3s', lock: '1500ms', idle: '4s' });
    } finally {
      await handle.close();
    }
  });

  it('a request blocked on a lock, and one that cannot get a connection, answer 503 within their bounds; /readyz within a second', async () => {
    const service: ServiceProcess = await startService({
      DATABASE_URL: scratch.url,
      DATABASE_POOL_SIZE: '1',
      PALISADE_DB_LOCK_TIMEOUT: '1s',
      PALISADE_DB_ACQUIRE_TIMEOUT: '300ms',
      PALISADE_ADMIN_TOKEN: 'admin-token-for-waits-test',
    });
    const created = await fetch(`${service.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-for-waits-test', 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'waits', name: 'k' }),
    });
    const { key } = (await created.json()) as { key: string };
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const fence = () =>
      fetch(`${service.url}/v1/environments/held/fence`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ deploy_generation: 1, holder: 'a' }),
      });
    expect((await fence()).status).toBe(200);

    const holder = postgres(scratch.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding = holder.begin(async (tx) => {
      await tx`select id from environments where name = 'held' for update`;
      await released;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      const blocked = fence();
      await new Promise((resolve) => setTimeout(resolve, 100));

      const queued = await fetch(`${service.url}/v1/environments`, { headers: auth });
      const queuedMs = performance.now() - started;
      await expectProblem(queued, 503, 'unavailable', { action: 'retry' });
      expect(queued.headers.get('retry-after')).toBe('1');
      expect(queuedMs).toBeLessThan(1_000);

      const readyStarted = performance.now();
      const ready = await fetch(`${service.url}/readyz`);
      expect(performance.now() - readyStarted).toBeLessThan(1_200);
      expect(ready.status).toBe(503);

      const lockRefused = await blocked;
      await expectProblem(lockRefused, 503, 'unavailable', { action: 'retry' });
      expect(performance.now() - started).toBeLessThan(3_000);
    } finally {
      release();
      await holding;
      await holder.end();
    }
    expect((await fence()).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });
});
