import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { json, useHarness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

describe('environments — happy path', () => {
  it('PUT creates with 201, then answers 200 with the same environment', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const created = await h.request('PUT', `/v1/environments/${env}`, { key: t.key });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toEqual({
      name: env,
      token: null,
      holder: null,
      upper: 0,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      fenced_at: null,
    });
    const again = await h.request('PUT', `/v1/environments/${env}`, { key: t.key });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
    expect(await json(await h.request('GET', `/v1/environments/${env}`, { key: t.key }))).toEqual(body);
  });

  it('concurrent PUTs of one name create it exactly once', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.request('PUT', `/v1/environments/${env}`, { key: t.key }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
  });

  it('lists by name with a cursor until next_cursor is null', async () => {
    const h = harness();
    const t = await h.newTenant();
    const names = ['e-3', 'e-1', 'e-5', 'e-2', 'e-4'];
    for (const name of names) await h.request('PUT', `/v1/environments/${name}`, { key: t.key });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await json(await h.request('GET', `/v1/environments${query}`, { key: t.key }));
      seen.push(...page.items.map((e: any) => e.name));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...names].sort());
    expect(pages).toBe(3);
  });

  it('DELETE removes the environment with its log and history', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const fence = await json(
      await h.request('POST', `/v1/environments/${env}/fence`, {
        key: t.key,
        body: { deploy_generation: 1, holder: 'a' },
      }),
    );
    await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      body: { token: fence.token, entries: [1, 2] },
    });
    expect((await h.request('DELETE', `/v1/environments/${env}`, { key: t.key })).status).toBe(204);
    for (const path of ['', '/log', '/history']) {
      await expectProblem(await h.request('GET', `/v1/environments/${env}${path}`, { key: t.key }), 404, 'not_found');
    }
    const list = await json(await h.request('GET', '/v1/environments', { key: t.key }));
    expect(list.items.map((e: any) => e.name)).not.toContain(env);
    await expectProblem(await h.request('DELETE', `/v1/environments/${env}`, { key: t.key }), 404, 'not_found');
  });

  it('a name used again starts empty, but never reissues a token from before the delete', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const fence = (generation: number) =>
      h
        .request('POST', `/v1/environments/${env}/fence`, {
          key: t.key,
          body: { deploy_generation: generation, holder: 'x' },
        })
        .then((r) => json(r));
    await fence(1);
    const before = (await fence(1)).token;
    await h.request('DELETE', `/v1/environments/${env}`, { key: t.key });

    const recreated = await h.request('PUT', `/v1/environments/${env}`, { key: t.key });
    expect(recreated.status).toBe(201);
    expect(await recreated.json()).toMatchObject({ token: null, upper: 0, holder: null });
    const stale = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      body: { token: before, entries: [1] },
    });
    await expectProblem(stale, 409, 'fenced', { kind: 'epoch', current_token: null, your_token: before });

    const after = await fence(1);
    expect(after).toEqual({ token: { deploy_generation: 1, epoch: 3 }, previous: null });
    const staleAgain = await h.request('POST', `/v1/environments/${env}/log`, {
      key: t.key,
      body: { token: before, entries: [1] },
    });
    await expectProblem(staleAgain, 409, 'fenced', { kind: 'epoch' });
    const history = await json(await h.request('GET', `/v1/environments/${env}/history`, { key: t.key }));
    expect(history.items.map((i: any) => i.token.epoch)).toEqual([3]);
  });
});

describe('environments — re-created after a delete', () => {
  it('a lower generation than any issued before the delete is refused; a writer from before is terminated', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const fence = (generation: number) =>
      h.request('POST', `/v1/environments/${env}/fence`, {
        key: t.key,
        body: { deploy_generation: generation, holder: 'x' },
      });
    const old = (await json(await fence(5))).token;
    await h.request('DELETE', `/v1/environments/${env}`, { key: t.key });

    await expectProblem(await fence(4), 409, 'fenced', {
      kind: 'deploy_generation',
      current_token: null,
      your_deploy_generation: 4,
    });
    const next = await json(await fence(6));
    expect(next).toEqual({ token: { deploy_generation: 6, epoch: 2 }, previous: null });
    const stale = await h.request('POST', `/v1/environments/${env}/confirm`, { key: t.key, body: { token: old } });
    await expectProblem(stale, 409, 'fenced', {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: next.token,
    });
  });
});

describe('environments — errors', () => {
  it('an unknown environment is 404 on every route that needs one', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    for (const [method, path] of [
      ['GET', ''],
      ['DELETE', ''],
      ['GET', '/history'],
      ['GET', '/log'],
    ] as const) {
      await expectProblem(await h.request(method, `/v1/environments/${env}${path}`, { key: t.key }), 404, 'not_found', {
        action: 'fix_request',
      });
    }
  });

  it('a bad limit or cursor is 400', async () => {
    const h = harness();
    const t = await h.newTenant();
    // The last cursor decodes to {"v":"\u0000"}: well-formed base64 JSON, but no name has a NUL.
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=ten',
      'cursor=not-a-cursor',
      'cursor=eyJ2IjoxfQ',
      'cursor=eyJ2IjoiXHUwMDAwIn0',
    ]) {
      const res = await h.request('GET', `/v1/environments?${query}`, { key: t.key });
      await expectProblem(res, 400, 'invalid_request');
    }
  });

  it('an unknown route is a 404 problem', async () => {
    const h = harness();
    const t = await h.newTenant();
    await expectProblem(await h.request('GET', '/v1/nothing-here', { key: t.key }), 404, 'not_found');
    await expectProblem(await h.request('GET', '/nothing-here'), 404, 'not_found');
  });
});
