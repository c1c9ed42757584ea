import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, findKeyOwner } from '../src/db/apiKeys.js';
import { type DatabaseHandle, openDatabase } from '../src/db/client.js';
import type { Wakeup } from '../src/db/wakeups.js';
import { DISPATCHERS_WAKEUP } from '../src/db/events.js';
import { claimDueDeliveries, type EndpointRow } from '../src/db/webhooks.js';
import { confirmToken, fenceEnvironment } from '../src/domain/fencing.js';
import { appendEntries, readEntries } from '../src/domain/log.js';
import { createEndpoint, listDeliveries } from '../src/domain/webhooks.js';
import { Keyring } from '../src/secrets.js';
import { createScratchPostgres, POSTGRES_URL } from './support/database.js';

/**
 * On PostgreSQL every statement is prepared and kept by its connection (src/db/client.ts), which
 * is sound only while the statement texts do not vary with the data. On a pool of one connection,
 * `pg_prepared_statements` lists all of them.
 */
describe.skipIf(!POSTGRES_URL)('prepared statements on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchPostgres>>;
  let database: DatabaseHandle;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 1 });
  });

  afterAll(async () => {
    await database?.close();
    await scratch?.drop();
  });

  async function preparedStatements(): Promise<string[]> {
    const rows = (await database.db.execute(
      sql`select statement from pg_prepared_statements order by statement`,
    )) as unknown as { statement: string }[];
    return rows.map((row) => row.statement);
  }

  it('the hot path runs prepared statements, one per call site whatever the number of values', async () => {
    const db = database.db;
    const tenant = 'statements';
    const keyring = new Keyring(randomBytes(32));
    const { key } = await createApiKey(db, tenant, 'test');
    const endpoints: EndpointRow[] = [];
    const subscribe = async (count: number) => {
      while (endpoints.length < count) {
        const endpoint = {
          url: 'https://example.com/hook',
          allowPrivate: false,
          events: ['generation.fenced' as const],
          environments: null,
          description: '',
        };
        endpoints.push((await createEndpoint(db, keyring, tenant, endpoint, 100)).endpoint);
      }
    };
    let rounds = 0;

    // Round n: a takeover with n subscribed endpoints (n deliveries to insert and to claim), an
    // append of n entries, and a page of one endpoint's deliveries (one more each round) whose
    // attempts are looked up by their ids.
    const round = async (n: number) => {
      await subscribe(n);
      rounds++;
      const env = `env-${n}`;
      await fenceEnvironment(db, tenant, env, { deployGeneration: 1, holder: 'a', maxEnvironments: 100 }, []);
      const { token } = await fenceEnvironment(
        db,
        tenant,
        env,
        { deployGeneration: 2, holder: 'b', maxEnvironments: 100 },
        [],
      );
      await confirmToken(db, tenant, env, token);
      await findKeyOwner(db, key);
      const entries = Array.from({ length: n }, (_, i) => JSON.stringify(i));
      await appendEntries(db, tenant, env, { token, expectedUpper: 0, entries, maxEntries: 1000 });
      expect((await readEntries(db, tenant, env, { from: 0, limit: 100, maxBytes: 1024 * 1024 })).upper).toBe(n);
      expect(await claimDueDeliveries(db, 100, 60_000)).toHaveLength(n);
      expect((await listDeliveries(db, tenant, endpoints[0]!.id, { limit: 100, beforeId: null })).items).toHaveLength(
        rounds,
      );
    };

    await round(1);
    const afterFirstRound = await preparedStatements();
    expect(afterFirstRound.find((s) => s.includes('unnest') && s.includes('"log_entries"'))).toBeDefined();
    expect(afterFirstRound.find((s) => s.includes('"api_keys"') && s.includes('"key_hash" ='))).toBeDefined();

    for (const n of [2, 3, 7]) await round(n);
    expect(await preparedStatements()).toEqual(afterFirstRound);
  });

  // PostgreSQL serialises the commits of all notifying transactions, cluster-wide, behind one lock
  // held through the WAL flush: a write that notifies queues every other tenant's writes behind it.
  it('no statement that writes notifies; the wake-ups go after commit, in a statement of their own', async () => {
    const db = database.db;
    const tenant = 'wakeups';
    const keyring = new Keyring(randomBytes(32));
    const endpoint = {
      url: 'https://example.com/hook',
      allowPrivate: false,
      events: ['generation.fenced' as const],
      environments: null,
      description: '',
    };
    await createEndpoint(db, keyring, tenant, endpoint, 100);
    const wakeups: Wakeup[] = [];
    await fenceEnvironment(db, tenant, 'env', { deployGeneration: 1, holder: 'a', maxEnvironments: 100 }, wakeups);
    await fenceEnvironment(db, tenant, 'env', { deployGeneration: 2, holder: 'b', maxEnvironments: 100 }, wakeups);
    expect(wakeups).toContainEqual(DISPATCHERS_WAKEUP);
    database.wake(wakeups);

    let statements = await preparedStatements();
    for (
      const deadline = Date.now() + 5_000;
      !statements.some((s) => s.includes('pg_notify')) && Date.now() < deadline;
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      statements = await preparedStatements();
    }
    const notifying = statements.filter((s) => /pg_notify/i.test(s));
    expect(notifying).toHaveLength(1);
    expect(notifying[0]).not.toMatch(/\b(insert|update|delete)\b/i);

    // The takeover is one statement: the token, its history row, the older deployments, the event and its deliveries.
    const takeover = statements.filter((s) => s.includes('insert into "fences"'));
    expect(
      takeover.some((s) =>
        ['update "environments"', 'update "deployments"', 'insert into "events"', 'insert into "deliveries"'].every(
          (part) => s.includes(part),
        ),
      ),
    ).toBe(true);
  });
});
