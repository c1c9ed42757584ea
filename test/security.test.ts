import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { apiKeys, environments } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

const tenantRoutes = (env: string): [string, string, unknown?][] => [
  ['GET', '/v1/environments'],
  ['PUT', `/v1/environments/${env}`],
  ['GET', `/v1/environments/${env}`],
  ['DELETE', `/v1/environments/${env}`],
  ['POST', `/v1/environments/${env}/fence`, { deploy_generation: 1, holder: 'x' }],
  ['POST', `/v1/environments/${env}/confirm`, { token: { deploy_generation: 1, epoch: 1 } }],
  ['POST', `/v1/environments/${env}/log`, { token: { deploy_generation: 1, epoch: 1 }, entries: [1] }],
  ['GET', `/v1/environments/${env}/log`],
  ['GET', `/v1/environments/${env}/history`],
];

async function environmentCount(h: Harness, key: string) {
  return (await json(await h.request('GET', '/v1/environments', { key }))).items.length;
}

describe('authentication', () => {
  it('no key, a malformed header or an unknown key is 401 with WWW-Authenticate on every tenant route', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    for (const [method, path, body] of tenantRoutes(env)) {
      for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer pal_unknown' }] as Record<
        string,
        string
      >[]) {
        const res = await h.request(method, path, { body, headers });
        await expectProblem(res, 401, 'unauthorized', { action: 'authenticate' });
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    expect(await environmentCount(h, t.key)).toBe(0);
  });

  it('a revoked key is refused at once', async () => {
    const h = harness();
    const t = await h.newTenant();
    expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);
    const revoke = await h.request('DELETE', `/v1/api-keys/${t.keyId}`, { key: h.adminToken });
    expect(revoke.status).toBe(204);
    await expectProblem(await h.request('GET', '/v1/environments', { key: t.key }), 401, 'unauthorized');
    expect((await h.request('DELETE', `/v1/api-keys/${t.keyId}`, { key: h.adminToken })).status).toBe(204);
  });

  it('the admin token on a tenant route is 403 and changes nothing', async () => {
    const h = harness();
    const env = h.uniqueName();
    for (const [method, path, body] of tenantRoutes(env)) {
      await expectProblem(await h.request(method, path, { key: h.adminToken, body }), 403, 'forbidden', {
        action: 'abort',
      });
    }
    expect(await h.scratch.handle.db.select().from(environments).where(eq(environments.name, env))).toEqual([]);
  });

  it('a tenant key on an admin route is 403; a wrong admin token is 401', async () => {
    const h = harness();
    const t = await h.newTenant();
    const body = { tenant: 'sneaky', name: 'escalation' };
    await expectProblem(await h.request('POST', '/v1/api-keys', { key: t.key, body }), 403, 'forbidden');
    await expectProblem(await h.request('DELETE', `/v1/api-keys/${t.keyId}`, { key: t.key }), 403, 'forbidden');
    await expectProblem(
      await h.request('POST', '/v1/api-keys', { key: `${h.adminToken}x`, body }),
      401,
      'unauthorized',
    );
    await expectProblem(await h.request('POST', '/v1/api-keys', { body }), 401, 'unauthorized');
    expect((await h.request('GET', '/v1/environments', { key: t.key })).status).toBe(200);
  });

  it('creating a key validates its input; revoking an unknown key is 404', async () => {
    const h = harness();
    for (const body of [
      { tenant: 'Acme', name: 'x' },
      { tenant: 'acme' },
      { tenant: 'acme', name: '' },
      { tenant: 'acme', name: 'x', role: 'admin' },
    ]) {
      await expectProblem(await h.request('POST', '/v1/api-keys', { key: h.adminToken, body }), 400, 'invalid_request');
    }
    await expectProblem(await h.request('DELETE', '/v1/api-keys/key_nope', { key: h.adminToken }), 404, 'not_found');
  });

  it('a key is shown once and stored only as a hash', async () => {
    const h = harness();
    const t = await h.newTenant();
    const created = await json(
      await h.request('POST', '/v1/api-keys', { key: h.adminToken, body: { tenant: t.tenant, name: 'second' } }),
    );
    expect(created).toMatchObject({ tenant: t.tenant, name: 'second', key: expect.stringMatching(/^pal_/) });
    const rows = await h.scratch.handle.db.select().from(apiKeys).where(eq(apiKeys.id, created.id));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(created.key);
    // Two keys of one tenant see the same environments.
    await h.request('PUT', '/v1/environments/shared', { key: t.key });
    expect(await environmentCount(h, created.key)).toBe(1);
  });
});

describe('tenant isolation', () => {
  it('another tenant’s environment is 404 and its own fence of the same name is separate', async () => {
    const h = harness();
    const owner = await h.newTenant();
    const intruder = await h.newTenant();
    const env = h.uniqueName();
    const fence = await json(
      await h.request('POST', `/v1/environments/${env}/fence`, {
        key: owner.key,
        body: { deploy_generation: 5, holder: 'owner' },
      }),
    );
    await h.request('POST', `/v1/environments/${env}/log`, {
      key: owner.key,
      body: { token: fence.token, entries: ['secret'] },
    });

    for (const [method, path, body] of [
      ['GET', `/v1/environments/${env}`],
      ['GET', `/v1/environments/${env}/log`],
      ['GET', `/v1/environments/${env}/history`],
      ['DELETE', `/v1/environments/${env}`],
      ['POST', `/v1/environments/${env}/confirm`, { token: fence.token }],
      ['POST', `/v1/environments/${env}/log`, { token: fence.token, entries: ['intrusion'] }],
    ] as const) {
      await expectProblem(await h.request(method, path, { key: intruder.key, body }), 404, 'not_found');
    }
    expect(await environmentCount(h, intruder.key)).toBe(0);

    const own = await json(
      await h.request('POST', `/v1/environments/${env}/fence`, {
        key: intruder.key,
        body: { deploy_generation: 1, holder: 'intruder' },
      }),
    );
    expect(own).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
    const ownerView = await json(await h.request('GET', `/v1/environments/${env}`, { key: owner.key }));
    expect(ownerView).toMatchObject({ token: fence.token, holder: 'owner', upper: 1 });
  });
});
