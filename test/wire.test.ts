import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { json, useHarness, useServedApp } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

const served = useServedApp(harness);

async function send(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
) {
  const {
    statusCode,
    headers: responseHeaders,
    body: responseBody,
  } = await pool.request({ method, path, headers, body });
  return { statusCode, headers: responseHeaders, text: await responseBody.text() };
}

describe('the wire: answers sent before the body was read', () => {
  it('a 413 on a kept-alive connection leaves the next request on that connection working', async () => {
    const h = harness();
    const t = await h.newTenant();
    const pool = new Pool(served(), { connections: 1, pipelining: 1 });
    try {
      const tooLarge = Buffer.alloc(h.maxBodyBytes + 64 * 1024, 0x20);
      const refused = await send(
        pool,
        'POST',
        '/v1/environments/big/log',
        {
          authorization: `Bearer ${t.key}`,
          'content-type': 'application/json',
        },
        tooLarge,
      );
      expect(refused.statusCode).toBe(413);
      expect(JSON.parse(refused.text)).toMatchObject({ code: 'payload_too_large' });

      const next = await send(pool, 'GET', '/v1/environments', { authorization: `Bearer ${t.key}` });
      expect(next.statusCode, next.text).toBe(200);
    } finally {
      await pool.close();
    }
  });

  it('an early 401 with a body unread leaves the next request on that connection working', async () => {
    const h = harness();
    const t = await h.newTenant();
    const pool = new Pool(served(), { connections: 1, pipelining: 1 });
    try {
      const body = JSON.stringify({ deploy_generation: 1, holder: 'x'.repeat(900_000) });
      const refused = await send(
        pool,
        'POST',
        '/v1/environments/e/fence',
        {
          authorization: 'Bearer pal_unknown',
          'content-type': 'application/json',
        },
        body,
      );
      expect(refused.statusCode).toBe(401);

      const next = await send(pool, 'GET', '/v1/environments', { authorization: `Bearer ${t.key}` });
      expect(next.statusCode, next.text).toBe(200);
    } finally {
      await pool.close();
    }
  });
});

describe('the wire: request bodies must be UTF-8', () => {
  it('invalid UTF-8 in a JSON body is 400 invalid_request and stores nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const { token } = await h.fence(t, env, 1);
    const prefix = Buffer.from(`{"token":${JSON.stringify(token)},"entries":[{"name":"`);
    const suffix = Buffer.from('"}]}');
    for (const invalid of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const res = await h.app.request(`/v1/environments/${env}/log`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.key}`, 'content-type': 'application/json' },
        body: Buffer.concat([prefix, Buffer.from(invalid), suffix]),
      });
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.errors).toEqual([{ path: 'body', message: expect.stringMatching(/UTF-8/) }]);
    }
    const log = await json(await h.request('GET', `/v1/environments/${env}/log`, { key: t.key }));
    expect(log.entries).toEqual([]);

    const valid = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      body: { token, entries: [{ name: 'zoë ✓ 🚀' }] },
    });
    expect(valid.status).toBe(201);
    const stored = await json(await h.request('GET', `/v1/environments/${env}/log`, { key: t.key }));
    expect(stored.entries[0].data).toEqual({ name: 'zoë ✓ 🚀' });
  });

  it('invalid UTF-8 in a body answered over HTTP is a 400 too', async () => {
    const h = harness();
    const t = await h.newTenant();
    const pool = new Pool(served(), { connections: 1 });
    try {
      const res = await send(
        pool,
        'POST',
        '/v1/environments/utf/fence',
        {
          authorization: `Bearer ${t.key}`,
          'content-type': 'application/json',
        },
        Buffer.concat([Buffer.from('{"deploy_generation":1,"holder":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      );
      expect(res.statusCode, res.text).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'invalid_request' });
      const env = await send(pool, 'GET', '/v1/environments/utf', { authorization: `Bearer ${t.key}` });
      expect(env.statusCode).toBe(404);
    } finally {
      await pool.close();
    }
  });
});
