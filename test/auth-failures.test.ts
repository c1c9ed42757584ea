import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKey } from '../src/db/apiKeys.js';
import { apiKeys } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { useHarness, useServedApp } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const harness = useHarness(httpBackend, { limits: { authFailureRate: 1, authFailureBurst: 5 } });

const served = useServedApp(harness);

const unknownKey = () => `pal_${randomBytes(32).toString('base64url')}`;

function listOver(key: string): Promise<Response> {
  return fetch(`${served()}/v1/environments`, { headers: { authorization: `Bearer ${key}` } });
}

describe('authentication under a flood of bad keys', () => {
  it('an unknown key is remembered as unknown for a short while: repeating it does not reach the database', async () => {
    const h = harness();
    const key = unknownKey();
    await expectProblem(await h.request('GET', '/v1/environments', { key }), 401, 'unauthorized');
    // Written behind the service's back: only a lookup in the database would find it.
    await h.scratch.handle.db.insert(apiKeys).values({
      id: `key_${randomBytes(12).toString('hex')}`,
      tenant: h.uniqueName('tenant'),
      name: 'late',
      keyHash: hashKey(key),
    });
    await expectProblem(await h.request('GET', '/v1/environments', { key }), 401, 'unauthorized');
    await sleep(2_100);
    expect((await h.request('GET', '/v1/environments', { key })).status).toBe(200);
  });

  it('failed authentications are limited per client address: 429 auth_failures with Retry-After, known keys unaffected', async () => {
    const h = harness();
    const t = await h.newTenant();
    expect((await listOver(t.key)).status).toBe(200);
    for (let i = 0; i < 5; i++) await expectProblem(await listOver(unknownKey()), 401, 'unauthorized');

    const refused = await listOver(unknownKey());
    await expectProblem(refused, 429, 'resource_exhausted', { resource: 'auth_failures', limit: 1, action: 'backoff' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-policy')).toBe('"auth_failures";q=5;w=5');
    await expectProblem(await listOver('not-even-a-key'), 429, 'resource_exhausted', { resource: 'auth_failures' });

    expect((await listOver(t.key)).status).toBe(200);
    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 100);
    await expectProblem(await listOver(unknownKey()), 401, 'unauthorized');
  });

  it('a key found valid lately still passes from an address out of failures, after its owner is no longer cached', async () => {
    const h = harness();
    const t = await h.newTenant();
    await sleep(1_100);
    expect((await listOver(t.key)).status).toBe(200);
    await sleep(2_100);
    let status = 401;
    for (let i = 0; i < 20 && status === 401; i++) status = (await listOver(unknownKey())).status;
    expect(status).toBe(429);
    expect((await listOver(t.key)).status).toBe(200);
  });
});
