import { describe, expect, it } from 'vitest';
import type { Token } from '../src/domain/token.js';
import { httpBackend } from './support/database.js';
import { fenceToken, json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

function append(h: Harness, t: Tenant, env: string, body: unknown) {
  return h.request('POST', `/v1/environments/${env}/log`, { key: t.key, body });
}

async function readAll(h: Harness, t: Tenant, env: string) {
  return json(await h.request('GET', `/v1/environments/${env}/log?limit=1000`, { key: t.key }));
}

describe('log — happy path', () => {
  it('appends at dense offsets and reads back every JSON type exactly', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    const values = [{ b: 1, a: [true, null] }, [1, 'two'], 'text ✓ \u0000 \ud83d\ude00', 3.25, false, null, 0, {}];

    const first = await append(h, t, env, { token, entries: values.slice(0, 3) });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ offset: 0, upper: 3 });
    const second = await append(h, t, env, { token, expected_upper: 3, entries: values.slice(3) });
    expect(await second.json()).toEqual({ offset: 3, upper: 8 });

    const log = await readAll(h, t, env);
    expect(log.upper).toBe(8);
    expect(log.entries.map((e: any) => e.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(log.entries.map((e: any) => e.data)).toEqual(values);
    expect(JSON.stringify(log.entries[0].data)).toBe('{"b":1,"a":[true,null]}');
    for (const entry of log.entries) {
      expect(entry.token).toEqual(token);
      expect(Date.parse(entry.appended_at)).not.toBeNaN();
    }
  });

  it('entries travel as one array: text that means something in an array literal is stored as sent', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    const values = [null, 'NULL', '', ' ', [], { 'a,b': '}{' }, '\\"', ['"', ',', '{', '}'], 'x\ny', 1e21];
    expect((await append(h, t, env, { token, entries: values })).status).toBe(201);
    const log = await readAll(h, t, env);
    expect(log.entries.map((e: any) => e.data)).toEqual(values);
    expect(log.entries.map((e: any) => e.offset)).toEqual(values.map((_, i) => i));
  });

  it('reads a window with from and limit, and past the upper reads nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    await append(h, t, env, { token, entries: Array.from({ length: 10 }, (_, i) => i) });
    const window = await json(await h.request('GET', `/v1/environments/${env}/log?from=4&limit=3`, { key: t.key }));
    expect(window).toMatchObject({ upper: 10 });
    expect(window.entries.map((e: any) => [e.offset, e.data])).toEqual([
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    const past = await json(await h.request('GET', `/v1/environments/${env}/log?from=10`, { key: t.key }));
    expect(past).toEqual({ entries: [], upper: 10, next_from: 10 });
  });

  it('a new generation appends after the old one, each entry carrying its writer’s token', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const gen1 = await fenceToken(h, t, env, 1);
    await append(h, t, env, { token: gen1, entries: ['from gen 1'] });
    const gen2 = await fenceToken(h, t, env, 2);
    expect((await append(h, t, env, { token: gen2, expected_upper: 1, entries: ['from gen 2'] })).status).toBe(201);
    const log = await readAll(h, t, env);
    expect(log.entries.map((e: any) => [e.data, e.token])).toEqual([
      ['from gen 1', gen1],
      ['from gen 2', gen2],
    ]);
  });

  it('accepts 1000 entries and an entry of exactly the entry limit', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    const many = await append(h, t, env, { token, entries: Array.from({ length: 1000 }, (_, i) => ({ i })) });
    expect(await many.json()).toEqual({ offset: 0, upper: 1000 });
    const exact = 'x'.repeat(h.maxEntryBytes - 2);
    const big = await append(h, t, env, { token, entries: [exact] });
    expect(await big.json()).toEqual({ offset: 1000, upper: 1001 });
  });
});

describe('log — errors leave the log unchanged', () => {
  async function setup(h: Harness) {
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    await append(h, t, env, { token, entries: ['first'] });
    return { t, env, token, before: await readAll(h, t, env) };
  }

  it('a stale generation is 409 fenced, kind deploy_generation, action terminate', async () => {
    const h = harness();
    const { t, env, token } = await setup(h);
    const current = await fenceToken(h, t, env, 2);
    const before = await readAll(h, t, env);
    const res = await append(h, t, env, { token, entries: ['late write'] });
    await expectProblem(res, 409, 'fenced', {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: current,
      your_token: token,
    });
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('a stale epoch of the same generation is 409 fenced, kind epoch, action halt', async () => {
    const h = harness();
    const { t, env, token } = await setup(h);
    const current = await fenceToken(h, t, env, 1);
    const res = await append(h, t, env, { token, entries: ['x'] });
    await expectProblem(res, 409, 'fenced', {
      kind: 'epoch',
      action: 'halt',
      current_token: current,
      your_token: token,
    });
  });

  it('expected_upper that does not match is 409 upper_mismatch with both uppers', async () => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const res = await append(h, t, env, { token, expected_upper: 0, entries: ['x'] });
    await expectProblem(res, 409, 'upper_mismatch', { action: 'retry', expected_upper: 0, current_upper: 1 });
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('the token is checked before the upper: a stale writer with a wrong upper learns it was fenced', async () => {
    const h = harness();
    const { t, env, token } = await setup(h);
    await h.fence(t, env, 2);
    const res = await append(h, t, env, { token, expected_upper: 99, entries: ['x'] });
    await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation' });
  });

  it('a token never issued is 409 token_from_future', async () => {
    const h = harness();
    const { t, env, before } = await setup(h);
    const forged = { deploy_generation: 1, epoch: 2 };
    const res = await append(h, t, env, { token: forged, entries: ['x'] });
    await expectProblem(res, 409, 'token_from_future', { action: 'abort', your_token: forged });
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('an entry over the entry limit is 413 naming the entry, and no entry of the batch is written', async () => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const res = await append(h, t, env, { token, entries: ['small', 'x'.repeat(h.maxEntryBytes)] });
    await expectProblem(res, 413, 'payload_too_large', { limit: h.maxEntryBytes, entry_index: 1 });
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('an entry nested deeper than 100 levels is 400, not a crash; 100 levels are fine', async () => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const deep = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      rawBody: `{"token": ${JSON.stringify(token)}, "entries": [1, ${nested(200_000)}]}`,
      headers: { 'content-type': 'application/json' },
    });
    const problem = await expectProblem(deep, 400, 'invalid_request');
    expect(problem.errors).toEqual([{ path: 'body.entries.1', message: 'nested deeper than 100 levels' }]);
    expect(await readAll(h, t, env)).toEqual(before);
    const ok = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      rawBody: `{"token": ${JSON.stringify(token)}, "entries": [${nested(100)}]}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(201);
  });

  it('a number beyond double range is 400, not silently stored as null', async () => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const res = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      rawBody: `{"token": ${JSON.stringify(token)}, "entries": [{"n": 1e400}]}`,
      headers: { 'content-type': 'application/json' },
    });
    const problem = await expectProblem(res, 400, 'invalid_request');
    expect(problem.errors).toEqual([{ path: 'body.entries.0', message: 'has a number out of range' }]);
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('a body over 1 MiB is 413', async () => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const entries = Array.from({ length: 20 }, () => 'y'.repeat(60 * 1024));
    const res = await append(h, t, env, { token, entries });
    await expectProblem(res, 413, 'payload_too_large', { limit: h.maxBodyBytes });
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it.each([
    ['no entries', (token: Token) => ({ token, entries: [] }), 'body.entries'],
    ['1001 entries', (token: Token) => ({ token, entries: Array.from({ length: 1001 }, () => 1) }), 'body.entries'],
    ['entries not an array', (token: Token) => ({ token, entries: { a: 1 } }), 'body.entries'],
    ['missing token', () => ({ entries: [1] }), 'body.token'],
    [
      'token epoch as string',
      (token: Token) => ({ token: { ...token, epoch: '1' }, entries: [1] }),
      'body.token.epoch',
    ],
    ['negative expected_upper', (token: Token) => ({ token, expected_upper: -1, entries: [1] }), 'body.expected_upper'],
    [
      'expected_upper above 2^53-1',
      (token: Token) => ({ token, expected_upper: 2 ** 53, entries: [1] }),
      'body.expected_upper',
    ],
    ['unknown member', (token: Token) => ({ token, entries: [1], offset: 3 }), 'body'],
  ])('%s is 400 invalid_request', async (_, makeBody, path) => {
    const h = harness();
    const { t, env, token, before } = await setup(h);
    const res = await append(h, t, env, makeBody(token));
    const problem = await expectProblem(res, 400, 'invalid_request');
    expect(problem.errors.map((e: any) => e.path)).toContain(path);
    expect(await readAll(h, t, env)).toEqual(before);
  });

  it('reading with a bad from or limit is 400; an unknown environment is 404', async () => {
    const h = harness();
    const { t, env } = await setup(h);
    for (const query of [
      'from=-1',
      'from=abc',
      'limit=0',
      'limit=1001',
      'from=9007199254740992',
      'from=',
      'from=%20',
      'from=0x1',
      'limit=1e1',
      'from=1.5',
    ]) {
      const res = await h.request('GET', `/v1/environments/${env}/log?${query}`, { key: t.key });
      await expectProblem(res, 400, 'invalid_request');
    }
    await expectProblem(
      await h.request('GET', `/v1/environments/${h.uniqueName()}/log`, { key: t.key }),
      404,
      'not_found',
    );
    const appendMissing = await append(h, t, h.uniqueName(), {
      token: { deploy_generation: 1, epoch: 1 },
      entries: [1],
    });
    await expectProblem(appendMissing, 404, 'not_found');
  });
});

describe('log — concurrency', () => {
  it('concurrent appends with the current token get dense, disjoint offsets', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, writer) =>
        append(h, t, env, { token, entries: [`${writer}-a`, `${writer}-b`] }).then((r) => json(r)),
      ),
    );
    const offsets = results.flatMap((r: any) => [r.offset, r.offset + 1]).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const log = await readAll(h, t, env);
    for (const r of results as any[]) {
      const writer = (log.entries[r.offset].data as string).split('-')[0];
      expect(log.entries[r.offset + 1].data).toBe(`${writer}-b`);
    }
  });

  it('concurrent compare-and-appends at one upper: exactly one wins', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const token = await fenceToken(h, t, env, 1);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        append(h, t, env, { token, expected_upper: 0, entries: [i] }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect((await readAll(h, t, env)).upper).toBe(1);
  });
});
