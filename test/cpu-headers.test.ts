/**
 * Served by @hono/node-server, the middleware sets its headers on the Node response rather than on
 * the app's web Response (src/api/middleware/outgoingHeaders.ts); in-process it sets them through
 * hono. Both must send the same headers.
 */
import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { type Harness, type Tenant, useHarness, useServedApp } from './support/harness.js';

const harness = useHarness(httpBackend, { limits: { environments: 1 } });
const served = useServedApp(harness);

/** What the connection or the message framing carries, which only the server path has. */
const TRANSPORT = new Set(['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding']);

type Call = { method: string; path: string; key?: string | null; body?: unknown; headers?: Record<string, string> };

function headersOf(res: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!TRANSPORT.has(name)) headers[name] = value;
  });
  return headers;
}

/** The call's status and headers in-process and over HTTP; the request id and rate state vary per call. */
async function bothWays(h: Harness, call: Call) {
  const headers: Record<string, string> = { ...call.headers };
  if (call.key) headers.authorization = `Bearer ${call.key}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const init = { method: call.method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body) };
  const inProcess = await h.app.request(call.path, init);
  const overHttp = await fetch(`${served()}${call.path}`, init);
  const normalize = (res: Response) => {
    const all = headersOf(res);
    return {
      status: res.status,
      headers: {
        ...all,
        ...(all['x-request-id'] ? { 'x-request-id': call.headers?.['x-request-id'] ?? 'generated' } : {}),
        ...(all.ratelimit ? { ratelimit: all.ratelimit.replace(/;r=\d+/, ';r=N') } : {}),
      },
      requestId: all['x-request-id'],
    };
  };
  return { inProcess: normalize(inProcess), overHttp: normalize(overHttp) };
}

describe('response headers over HTTP and in-process', () => {
  it('every kind of answer carries the same headers both ways', async () => {
    const h = harness();
    const t: Tenant = await h.newTenant();
    const env = h.uniqueName();
    await h.fence(t, env, 5);
    const calls: Call[] = [
      { method: 'GET', path: '/healthz' },
      { method: 'GET', path: '/openapi.json' },
      { method: 'GET', path: '/v1/environments', key: null },
      { method: 'GET', path: '/v1/environments', key: 'pal_unknown' },
      { method: 'GET', path: '/v1/environments', key: h.adminToken },
      { method: 'GET', path: '/v1/no-such-route', key: t.key },
      { method: 'GET', path: '/v1/environments', key: t.key },
      { method: 'GET', path: `/v1/environments/${h.uniqueName('missing')}`, key: t.key },
      {
        method: 'POST',
        path: `/v1/environments/${env}/fence`,
        key: t.key,
        body: { deploy_generation: 1, holder: 'x' },
      },
      { method: 'POST', path: `/v1/environments/${env}/confirm`, key: t.key, body: { token: 'nonsense' } },
      // The tenant may hold one environment: a 429 with the quota's own RateLimit fields.
      {
        method: 'POST',
        path: `/v1/environments/${h.uniqueName()}/fence`,
        key: t.key,
        body: { deploy_generation: 1, holder: 'x' },
      },
      { method: 'GET', path: '/v1/environments', key: t.key, headers: { 'x-request-id': 'caller-chosen-id' } },
    ];
    for (const call of calls) {
      const { inProcess, overHttp } = await bothWays(h, call);
      expect({ call, status: overHttp.status, headers: overHttp.headers }).toEqual({
        call,
        status: inProcess.status,
        headers: inProcess.headers,
      });
      expect(overHttp.requestId).toMatch(call.headers?.['x-request-id'] ?? /^[0-9a-f-]{36}$/);
    }
  });

  it('a 200 to a tenant key carries the secure headers, a request id and the key’s rate over HTTP', async () => {
    const h = harness();
    const t = await h.newTenant();
    const res = await fetch(`${served()}/v1/environments`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('ratelimit-policy')).toMatch(/^"request_rate";q=\d+;w=\d+$/);
    expect(res.headers.get('ratelimit')).toMatch(/^"request_rate";r=\d+;t=\d+$/);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
