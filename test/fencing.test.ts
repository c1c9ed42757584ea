import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { fenceToken, json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

async function fence(h: Harness, t: Tenant, env: string, deploy_generation: number, holder = 'pod') {
  return h.request('POST', `/v1/environments/${env}/fence`, {
    key: t.key,
    body: { deploy_generation, holder },
  });
}

async function snapshot(h: Harness, t: Tenant, env: string) {
  const state = await h.request('GET', `/v1/environments/${env}`, { key: t.key });
  const history = await h.request('GET', `/v1/environments/${env}/history`, { key: t.key });
  return { state: await state.json(), history: await history.json() };
}

describe('fence — happy path', () => {
  it('creates the environment and issues epoch 1 with previous null', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const res = await fence(h, t, env, 1, 'coordinator-a');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token: { deploy_generation: 1, epoch: 1 }, previous: null });

    const state = await json(await h.request('GET', `/v1/environments/${env}`, { key: t.key }));
    expect(state).toMatchObject({
      name: env,
      token: { deploy_generation: 1, epoch: 1 },
      holder: 'coordinator-a',
      upper: 0,
    });
    expect(Date.parse(state.fenced_at)).not.toBeNaN();
  });

  it('a higher generation fences the previous holder out and names it', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'gen1-pod');
    const res = await fence(h, t, env, 2, 'gen2-pod');
    expect(await res.json()).toEqual({
      token: { deploy_generation: 2, epoch: 2 },
      previous: { token: { deploy_generation: 1, epoch: 1 }, holder: 'gen1-pod' },
    });
  });

  it('the same generation fences again by epoch; epoch alone strictly increases', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const tokens = [];
    for (const generation of [0, 0, 3, 3, 3, 7]) tokens.push(await fenceToken(h, t, env, generation));
    expect(tokens.map((token) => token.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tokens.map((token) => token.deploy_generation)).toEqual([0, 0, 3, 3, 3, 7]);
  });

  it('accepts the largest safe generation', async () => {
    const h = harness();
    const t = await h.newTenant();
    const token = await fenceToken(h, t, h.uniqueName(), Number.MAX_SAFE_INTEGER);
    expect(token).toEqual({ deploy_generation: Number.MAX_SAFE_INTEGER, epoch: 1 });
  });

  it('history lists every token newest first, with the log upper at issue, paginated', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const first = await fenceToken(h, t, env, 1, 'a');
    await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      body: { token: first, entries: [1, 2] },
    });
    for (const [generation, holder] of [
      [1, 'b'],
      [2, 'c'],
      [5, 'd'],
    ] as const) {
      await h.fence(t, env, generation, holder);
    }
    const page1 = await json(await h.request('GET', `/v1/environments/${env}/history?limit=3`, { key: t.key }));
    expect(page1.items.map((i: any) => [i.token.epoch, i.token.deploy_generation, i.holder, i.upper])).toEqual([
      [4, 5, 'd', 2],
      [3, 2, 'c', 2],
      [2, 1, 'b', 2],
    ]);
    expect(typeof page1.next_cursor).toBe('string');
    const page2 = await json(
      await h.request('GET', `/v1/environments/${env}/history?limit=3&cursor=${page1.next_cursor}`, { key: t.key }),
    );
    expect(page2.items.map((i: any) => [i.token.epoch, i.holder, i.upper])).toEqual([[1, 'a', 0]]);
    expect(page2.next_cursor).toBeNull();
  });
});

describe('fence — errors', () => {
  it('a lower generation is 409 fenced by deploy_generation, and nothing changes', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await h.fence(t, env, 5);
    const before = await snapshot(h, t, env);
    const res = await fence(h, t, env, 4);
    await expectProblem(res, 409, 'fenced', {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: { deploy_generation: 5, epoch: 1 },
      your_deploy_generation: 4,
    });
    expect(await snapshot(h, t, env)).toEqual(before);
  });

  it.each([
    ['generation above 2^53-1', { deploy_generation: 9007199254740992, holder: 'x' }, 'body.deploy_generation'],
    ['negative generation', { deploy_generation: -1, holder: 'x' }, 'body.deploy_generation'],
    ['fractional generation', { deploy_generation: 1.5, holder: 'x' }, 'body.deploy_generation'],
    ['generation as a string', { deploy_generation: '1', holder: 'x' }, 'body.deploy_generation'],
    ['missing holder', { deploy_generation: 1 }, 'body.holder'],
    ['empty holder', { deploy_generation: 1, holder: '' }, 'body.holder'],
    ['holder too long', { deploy_generation: 1, holder: 'h'.repeat(257) }, 'body.holder'],
    ['unknown member', { deploy_generation: 1, holder: 'x', lease: 10 }, 'body'],
    ['a NUL in the holder', { deploy_generation: 1, holder: 'a\u0000b' }, 'body.holder'],
    ['an unpaired surrogate in the holder', { deploy_generation: 1, holder: 'a\ud800' }, 'body.holder'],
    ['an array body', [1], 'body'],
  ])('%s is 400 invalid_request and creates nothing', async (_, body, path) => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const res = await h.request('POST', `/v1/environments/${env}/fence`, { key: t.key, body });
    const problem = await expectProblem(res, 400, 'invalid_request', { action: 'fix_request' });
    expect(problem.errors.map((e: any) => e.path)).toContain(path);
    const after = await h.request('GET', `/v1/environments/${env}`, { key: t.key });
    await expectProblem(after, 404, 'not_found');
  });

  it('a generation beyond 2^53 written as a literal is refused, not rounded', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const res = await h.request('POST', `/v1/environments/${env}/fence`, {
      key: t.key,
      rawBody: '{"deploy_generation": 18446744073709551617, "holder": "x"}',
      headers: { 'content-type': 'application/json' },
    });
    await expectProblem(res, 400, 'invalid_request');
  });

  it('malformed JSON and a non-JSON content type are 400', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const malformed = await h.request('POST', `/v1/environments/${env}/fence`, {
      key: t.key,
      rawBody: '{"deploy_generation": 1,',
      headers: { 'content-type': 'application/json' },
    });
    await expectProblem(malformed, 400, 'invalid_request', { errors: [{ path: 'body', message: 'malformed JSON' }] });
    const text = await h.request('POST', `/v1/environments/${env}/fence`, {
      key: t.key,
      rawBody: 'deploy_generation=1',
      headers: { 'content-type': 'text/plain' },
    });
    await expectProblem(text, 400, 'invalid_request');
    await expectProblem(await h.request('GET', `/v1/environments/${env}`, { key: t.key }), 404, 'not_found');
  });

  it('an invalid environment name is 400', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const name of ['UPPER', '-leading', 'a'.repeat(64), 'sp%20ace']) {
      const res = await fence(h, t, name, 1);
      const problem = await expectProblem(res, 400, 'invalid_request');
      expect(problem.errors[0].path).toBe('path.env');
    }
  });
});

describe('confirm', () => {
  it('answers the token and the upper while the token is current', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 3);
    await h.request('POST', `/v1/environments/${env}/log`, { key: t.key, body: { token, entries: ['a'] } });
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token, upper: 1 });
  });

  it('an older generation is fenced by deploy_generation with action terminate', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const old = await fenceToken(h, t, env, 1);
    const current = await fenceToken(h, t, env, 2);
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token: old } });
    await expectProblem(res, 409, 'fenced', {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: current,
      your_token: old,
    });
  });

  it('an older epoch of the same generation is fenced by epoch with action halt', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const old = await fenceToken(h, t, env, 4);
    const current = await fenceToken(h, t, env, 4);
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token: old } });
    await expectProblem(res, 409, 'fenced', { kind: 'epoch', action: 'halt', current_token: current, your_token: old });
  });

  it('a generation takeover is never reported as an epoch fence, even after later same-generation fences', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const old = await fenceToken(h, t, env, 1);
    await h.fence(t, env, 2);
    const current = await fenceToken(h, t, env, 2);
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token: old } });
    await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation', current_token: current });
  });

  it.each([
    ['a newer epoch', { deploy_generation: 1, epoch: 9 }],
    ['a newer generation', { deploy_generation: 8, epoch: 1 }],
    ['the current epoch with another generation', { deploy_generation: 0, epoch: 1 }],
  ])('%s than was ever issued is 409 token_from_future with action abort', async (_, token) => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const current = await fenceToken(h, t, env, 1);
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token } });
    await expectProblem(res, 409, 'token_from_future', { action: 'abort', current_token: current, your_token: token });
  });

  it('any token where none was issued is token_from_future with current_token null', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    expect((await h.request('PUT', `/v1/environments/${env}`, { key: t.key })).status).toBe(201);
    const token = { deploy_generation: 1, epoch: 1 };
    const res = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token } });
    await expectProblem(res, 409, 'token_from_future', { current_token: null, your_token: token });
  });

  it('an unknown environment is 404 and epoch 0 is 400', async () => {
    const h = harness();
    const t = await h.newTenant();
    const missing = await h.request('POST', `/v1/environments/${h.uniqueName()}/confirm`, {
      key: t.key,
      body: { token: { deploy_generation: 1, epoch: 1 } },
    });
    await expectProblem(missing, 404, 'not_found');
    const zero = await h.request('POST', `/v1/environments/${h.uniqueName()}/confirm`, {
      key: t.key,
      body: { token: { deploy_generation: 1, epoch: 0 } },
    });
    await expectProblem(zero, 400, 'invalid_request');
  });
});
