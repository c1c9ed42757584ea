import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.js';
import { buildDeps } from '../src/api/deps.js';
import { createLogger } from '../src/logger.js';
import { Keyring } from '../src/secrets.js';
import { createScratchDatabase, httpBackend } from './support/database.js';
import { testLimits } from './support/harness.js';
import { expectProblem } from './support/problems.js';

async function appOnScratch(draining = false) {
  const scratch = await createScratchDatabase(httpBackend);
  const deps = buildDeps(
    {
      adminToken: 'admin-token-for-health-tests',
      maxBodyBytes: 1024 * 1024,
      maxEntryBytes: 65536,
      webhooks: { allowPrivate: true },
      limits: testLimits,
      watchHeartbeatMs: 15_000,
    },
    { database: scratch.handle, logger: createLogger('silent'), keyring: new Keyring(randomBytes(32)) },
  );
  deps.lifecycle.draining = draining;
  return { app: createApp(deps), scratch, lifecycle: deps.lifecycle };
}

describe('health and availability', () => {
  it('/healthz and /readyz answer 200 with the database kind when migrated', async () => {
    const { app, scratch } = await appOnScratch();
    try {
      expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok', database: httpBackend });
      const ready = await app.request('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        status: 'ok',
        database: httpBackend,
        replication: { synchronous: false, sync_standbys: 0 },
      });
      expect((await app.request('/readyz')).headers.get('x-request-id')).toBeTruthy();
    } finally {
      await scratch.drop();
    }
  });

  it('while draining, /readyz is 503 and API requests get 503 unavailable with Retry-After', async () => {
    const { app, scratch, lifecycle } = await appOnScratch();
    try {
      lifecycle.draining = true;
      expect((await app.request('/readyz')).status).toBe(503);
      const res = await app.request('/v1/environments', { headers: { authorization: 'Bearer pal_x' } });
      await expectProblem(res, 503, 'unavailable', { action: 'retry' });
      expect(res.headers.get('retry-after')).toBe('1');
    } finally {
      await scratch.drop();
    }
  });

  it('when the database is gone, requests get 503 unavailable (not 500) and /readyz is 503', async () => {
    const { app, scratch } = await appOnScratch();
    const key = await app.request('/v1/api-keys', {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-for-health-tests', 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', name: 'k' }),
    });
    expect(key.status).toBe(201);
    await scratch.drop();
    const res = await app.request('/v1/environments/orders', {
      headers: { authorization: `Bearer ${((await key.json()) as { key: string }).key}` },
    });
    const problem = await expectProblem(res, 503, 'unavailable', { action: 'retry' });
    expect(problem.detail).not.toMatch(/CONNECTION|ECONN|closed|PGlite/i);
    expect((await app.request('/readyz')).status).toBe(503);
  });
});
