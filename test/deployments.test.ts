import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { events as eventTable } from '../src/db/schema.js';
import type { Token } from '../src/domain/token.js';
import { httpBackend } from './support/database.js';
import { feedShowing, fenceToken, json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { SseReader } from './support/sse.js';

const harness = useHarness(httpBackend, { watchHeartbeatMs: 150 });

type Deployment = {
  environment: string;
  deploy_generation: number;
  state: string;
  holder: string;
  token: Token | null;
  ready_at: string | null;
  promoted_at: string | null;
  fenced_at: string | null;
};

const path = (env: string, generation: number | string, action = '') =>
  `/v1/environments/${env}/deployments/${generation}${action ? `/${action}` : ''}`;

function register(
  h: Harness,
  t: Tenant,
  env: string,
  generation: number | string,
  body: unknown = { holder: `gen-${generation}` },
) {
  return h.request('PUT', path(env, generation), { key: t.key, body });
}

function ready(h: Harness, t: Tenant, env: string, generation: number) {
  return h.request('POST', path(env, generation, 'ready'), { key: t.key });
}

function promote(h: Harness, t: Tenant, env: string, generation: number, body?: unknown) {
  return h.request('POST', path(env, generation, 'promote'), { key: t.key, body });
}

async function get(h: Harness, t: Tenant, env: string, generation: number): Promise<Deployment> {
  const res = await h.request('GET', path(env, generation), { key: t.key });
  expect(res.status).toBe(200);
  return json<Deployment>(res);
}

async function expectOk(res: Response, status = 200): Promise<Deployment> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as Deployment;
}

/** Registers, readies and promotes `generation`; returns the promoted deployment. */
async function handOver(h: Harness, t: Tenant, env: string, generation: number): Promise<Deployment> {
  await expectOk(await register(h, t, env, generation), 201);
  await expectOk(await ready(h, t, env, generation));
  return expectOk(await promote(h, t, env, generation));
}

/**
 * The tenant's events as written, in transaction order. Read from the table: the feed shows an event
 * only once every older transaction of the whole cluster has ended, which other test files delay.
 */
async function feed(h: Harness, t: Tenant): Promise<{ type: string; data: Record<string, any> }[]> {
  const rows = await h.scratch.handle.db
    .select({ payload: eventTable.payload })
    .from(eventTable)
    .where(eq(eventTable.tenant, t.tenant))
    .orderBy(asc(eventTable.txid), asc(eventTable.id));
  return rows.map((row) => JSON.parse(row.payload) as { type: string; data: Record<string, any> });
}

async function environment(h: Harness, t: Tenant, env: string) {
  return json(await h.request('GET', `/v1/environments/${env}`, { key: t.key }));
}

describe('deployments — the handover', () => {
  it('walks a candidate through every state; the promotion fences the old generation in the same step', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const first = await handOver(h, t, env, 1);
    expect(first).toMatchObject({ state: 'promoting', token: { deploy_generation: 1, epoch: 1 } });
    expect(await expectOk(await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' }))).toMatchObject({
      state: 'is_leader',
    });

    const registered = await expectOk(await register(h, t, env, 2, { holder: 'gen-2-pod' }), 201);
    expect(registered).toMatchObject({
      environment: env,
      deploy_generation: 2,
      state: 'initializing',
      holder: 'gen-2-pod',
      token: null,
      ready_at: null,
      promoted_at: null,
      fenced_at: null,
    });
    // Registering read-only changes nothing for the leader.
    expect(await environment(h, t, env)).toMatchObject({ token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' });

    expect(await expectOk(await register(h, t, env, 2, { holder: 'gen-2-pod', state: 'catching_up' }))).toMatchObject({
      state: 'catching_up',
    });
    const readied = await expectOk(await ready(h, t, env, 2));
    expect(readied.state).toBe('ready_to_promote');
    expect(Date.parse(readied.ready_at!)).not.toBeNaN();

    const promoted = await expectOk(await promote(h, t, env, 2));
    expect(promoted).toMatchObject({
      state: 'promoting',
      token: { deploy_generation: 2, epoch: 2 },
      holder: 'gen-2-pod',
    });
    expect(await environment(h, t, env)).toMatchObject({
      token: { deploy_generation: 2, epoch: 2 },
      holder: 'gen-2-pod',
    });
    expect(await get(h, t, env, 1)).toMatchObject({ state: 'fenced', token: { deploy_generation: 1, epoch: 1 } });
    expect((await get(h, t, env, 1)).fenced_at).toBe(promoted.promoted_at);

    // The old generation's token is refused by generation: its process exits 0.
    const stale = await h.request('POST', `/v1/environments/${env}/confirm`, {
      key: t.key,
      body: { token: first.token },
    });
    await expectProblem(stale, 409, 'fenced', {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: promoted.token,
    });

    expect(await expectOk(await register(h, t, env, 2, { holder: 'gen-2-pod', state: 'is_leader' }))).toMatchObject({
      state: 'is_leader',
    });
    const confirmed = await h.request('POST', `/v1/environments/${env}/confirm`, {
      key: t.key,
      body: { token: promoted.token },
    });
    expect(confirmed.status).toBe(200);

    const events = (await feed(h, t)).filter((event) => event.data.environment === env);
    expect(events.map((event) => event.type)).toEqual([
      'deployment.ready_to_promote',
      'deployment.promoted',
      'deployment.ready_to_promote',
      expect.stringMatching(/^(generation\.fenced|deployment\.promoted)$/),
      expect.stringMatching(/^(generation\.fenced|deployment\.promoted)$/),
    ]);
    const promotedEvent = events.find(
      (event) => event.type === 'deployment.promoted' && event.data.deploy_generation === 2,
    )!;
    expect(promotedEvent.data).toEqual({
      environment: env,
      deploy_generation: 2,
      holder: 'gen-2-pod',
      token: { deploy_generation: 2, epoch: 2 },
      previous: { token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' },
      skipped_catchup: false,
      promoted_at: promoted.promoted_at,
    });
    const fencedEvent = events.find((event) => event.type === 'generation.fenced')!;
    expect(fencedEvent.data).toMatchObject({
      fenced: { token: { deploy_generation: 1, epoch: 1 }, holder: 'gen-1' },
      by: { token: { deploy_generation: 2, epoch: 2 }, holder: 'gen-2-pod' },
    });
    // The event feed carries the same events, in the same order.
    const page = await feedShowing(h, t, events.length);
    expect(page.map((event) => event.data)).toEqual(events.map((event) => event.data));
  });

  it('promotes with skip_catchup from initializing or catching_up, and says so in the event', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 4);
    const promoted = await expectOk(await promote(h, t, env, 4, { skip_catchup: true }));
    expect(promoted).toMatchObject({ state: 'promoting', token: { deploy_generation: 4, epoch: 1 }, ready_at: null });
    await register(h, t, env, 5, { holder: 'gen-5', state: 'catching_up' });
    expect(await expectOk(await promote(h, t, env, 5, { skip_catchup: true }))).toMatchObject({
      token: { deploy_generation: 5, epoch: 2 },
    });
    const promotions = (await feed(h, t)).filter((event) => event.type === 'deployment.promoted');
    expect(promotions.map((event) => event.data.skipped_catchup)).toEqual([true, true]);
  });

  it('repeats change nothing: register, ready, promote and is_leader are safe to retry', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    expect((await register(h, t, env, 1)).status).toBe(201);
    expect((await register(h, t, env, 1)).status).toBe(200);
    await ready(h, t, env, 1);
    const again = await expectOk(await ready(h, t, env, 1));
    expect(again.state).toBe('ready_to_promote');
    // A registration without a state keeps the state: a retried PUT does not undo readiness.
    expect(await expectOk(await register(h, t, env, 1))).toMatchObject({ state: 'ready_to_promote' });
    const first = await expectOk(await promote(h, t, env, 1));
    const second = await expectOk(await promote(h, t, env, 1));
    expect(second).toEqual(first);
    await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' });
    expect(await expectOk(await promote(h, t, env, 1))).toMatchObject({ state: 'is_leader', token: first.token });
    expect(await expectOk(await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' }))).toMatchObject({
      state: 'is_leader',
    });

    const history = await json(await h.request('GET', `/v1/environments/${env}/history`, { key: t.key }));
    expect(history.items).toHaveLength(1);
    const types = (await feed(h, t)).map((event) => event.type);
    expect(types).toEqual(['deployment.ready_to_promote', 'deployment.promoted']);
  });

  it('a candidate that restarts reports initializing again, and must say it is ready again', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 3);
    await ready(h, t, env, 3);
    const restarted = await expectOk(await register(h, t, env, 3, { holder: 'gen-3-new-pod', state: 'initializing' }));
    expect(restarted).toMatchObject({ state: 'initializing', holder: 'gen-3-new-pod', ready_at: null });
    await expectProblem(await promote(h, t, env, 3), 409, 'invalid_transition', { action: 'retry' });
    await ready(h, t, env, 3);
    expect(await expectOk(await promote(h, t, env, 3))).toMatchObject({ holder: 'gen-3-new-pod' });
  });

  it('before promotion a candidate may report initializing or catching_up from any state it is in', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const enter = async (state: string) => {
      if (state === 'ready_to_promote') return expectOk(await ready(h, t, env, 1));
      return expectOk(await register(h, t, env, 1, { holder: 'gen-1', state }));
    };
    await register(h, t, env, 1);
    for (const from of ['initializing', 'catching_up', 'ready_to_promote']) {
      for (const to of ['initializing', 'catching_up']) {
        expect((await enter(from)).state).toBe(from);
        const moved = await enter(to);
        expect(moved, `${from} → ${to}`).toMatchObject({ state: to, ready_at: null, token: null });
      }
    }
  });

  it('a plain fence with a higher generation fences the deployments of older generations', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await handOver(h, t, env, 1);
    await register(h, t, env, 2);
    await register(h, t, env, 5);
    await h.fence(t, env, 3, 'manual');
    expect((await get(h, t, env, 1)).state).toBe('fenced');
    expect((await get(h, t, env, 2)).state).toBe('fenced');
    expect((await get(h, t, env, 5)).state).toBe('initializing');
    // A fence within the same generation fences no deployment.
    await h.fence(t, env, 3, 'manual-restart');
    expect((await get(h, t, env, 5)).state).toBe('initializing');
  });

  it('lists deployments newest generation first, page by page', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    for (const generation of [1, 2, 3, 7, 9]) await register(h, t, env, generation);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.request(
        'GET',
        `/v1/environments/${env}/deployments?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: t.key },
      );
      const page = await json<{ items: Deployment[]; next_cursor: string | null }>(res);
      seen.push(...page.items.map((item) => item.deploy_generation));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([9, 7, 3, 2, 1]);
  });

  it('deleting the environment deletes its deployments; the name starts over above the last generation', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await handOver(h, t, env, 2);
    expect((await h.request('DELETE', `/v1/environments/${env}`, { key: t.key })).status).toBe(204);
    expect((await h.request('GET', path(env, 2), { key: t.key })).status).toBe(404);
    await expectProblem(await register(h, t, env, 1), 409, 'fenced', {
      kind: 'deploy_generation',
      your_deploy_generation: 1,
    });
    const again = await handOver(h, t, env, 2);
    expect(again.token).toEqual({ deploy_generation: 2, epoch: 2 });
  });
});

describe('deployments — long-poll', () => {
  it('GET ?wait answers as soon as the state changes', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    const started = performance.now();
    const waiting = h.request('GET', `${path(env, 1)}?wait=10s`, { key: t.key });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await ready(h, t, env, 1);
    const res = await waiting;
    const elapsed = performance.now() - started;
    expect(await json(res)).toMatchObject({ state: 'ready_to_promote' });
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('answers with the unchanged deployment when the wait runs out', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    const started = performance.now();
    const res = await h.request('GET', `${path(env, 1)}?wait=300ms`, { key: t.key });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await json(res)).toMatchObject({ state: 'initializing' });
  });

  it('with state, answers at once when the deployment has already moved on', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    await ready(h, t, env, 1);
    const started = performance.now();
    const res = await h.request('GET', `${path(env, 1)}?wait=10s&state=initializing`, { key: t.key });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await json(res)).toMatchObject({ state: 'ready_to_promote' });
  });

  it('wakes on the fence of another generation that fences this deployment', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    const waiting = h.request('GET', `${path(env, 1)}?wait=10s`, { key: t.key });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await h.fence(t, env, 2, 'manual');
    expect(await json(await waiting)).toMatchObject({ state: 'fenced' });
  });
});

describe('deployments — watch', () => {
  it('streams deployment.ready_to_promote, then the fenced token and deployment.promoted', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await handOver(h, t, env, 1);
    const res = await h.request('GET', `/v1/environments/${env}/watch`, { key: t.key });
    const stream = new SseReader(res);
    try {
      await stream.waitFor((s) => s.events().length >= 1);
      await register(h, t, env, 2);
      await ready(h, t, env, 2);
      await stream.waitFor((s) => s.events().some((e) => e.event === 'deployment.ready_to_promote'));
      await promote(h, t, env, 2);
      await stream.waitFor((s) => s.events().some((e) => e.event === 'deployment.promoted'));
      const events = stream.events();
      expect(events.map((e) => e.event)).toEqual([
        'snapshot',
        'deployment.ready_to_promote',
        'fenced',
        'deployment.promoted',
      ]);
      expect(events[1]!.data).toMatchObject({ environment: env, deploy_generation: 2, holder: 'gen-2' });
      expect(events[2]).toMatchObject({ id: '2', data: { token: { deploy_generation: 2, epoch: 2 } } });
      expect(events[3]).toMatchObject({
        id: '2',
        data: {
          deploy_generation: 2,
          token: { deploy_generation: 2, epoch: 2 },
          previous: { token: { deploy_generation: 1, epoch: 1 } },
        },
      });
    } finally {
      await stream.close();
    }
  });
});

describe('deployments — refused transitions leave everything as it was', () => {
  /** Asserts a refusal, then that the deployment, the token and the event feed are unchanged. */
  async function expectRefused(
    h: Harness,
    t: Tenant,
    env: string,
    generation: number,
    res: Response,
    status: number,
    code: string,
    members: Record<string, unknown>,
  ) {
    const before = {
      deployment: await get(h, t, env, generation).catch(() => null),
      env: await environment(h, t, env),
      events: (await feed(h, t)).length,
    };
    await expectProblem(res, status, code, members);
    expect(await get(h, t, env, generation).catch(() => null)).toEqual(before.deployment);
    expect(await environment(h, t, env)).toEqual(before.env);
    expect((await feed(h, t)).length).toBe(before.events);
  }

  it('promote before ready is 409 invalid_transition with action retry', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    for (const state of ['initializing', 'catching_up']) {
      await register(h, t, env, 1, { holder: 'gen-1', state });
      await expectRefused(h, t, env, 1, await promote(h, t, env, 1), 409, 'invalid_transition', {
        action: 'retry',
        deployment_state: state,
        requested_state: 'promoting',
        allowed_from: ['ready_to_promote', 'promoting', 'is_leader'],
      });
    }
    await expectRefused(h, t, env, 1, await promote(h, t, env, 1, { skip_catchup: false }), 409, 'invalid_transition', {
      action: 'retry',
    });
  });

  it('is_leader only after promotion; back to initializing or catching_up only before it', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await expectProblem(
      await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' }),
      409,
      'invalid_transition',
      {
        action: 'abort',
        deployment_state: null,
        requested_state: 'is_leader',
      },
    );
    expect((await h.request('GET', path(env, 1), { key: t.key })).status).toBe(404);
    await register(h, t, env, 1);
    for (const state of ['initializing', 'catching_up', 'ready_to_promote']) {
      if (state === 'ready_to_promote') await ready(h, t, env, 1);
      else await register(h, t, env, 1, { holder: 'gen-1', state });
      await expectRefused(
        h,
        t,
        env,
        1,
        await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' }),
        409,
        'invalid_transition',
        {
          action: 'abort',
          deployment_state: state,
          requested_state: 'is_leader',
          allowed_from: ['promoting', 'is_leader'],
        },
      );
    }
    await promote(h, t, env, 1);
    for (const leading of ['promoting', 'is_leader']) {
      if (leading === 'is_leader') await register(h, t, env, 1, { holder: 'gen-1', state: 'is_leader' });
      for (const state of ['initializing', 'catching_up']) {
        await expectRefused(
          h,
          t,
          env,
          1,
          await register(h, t, env, 1, { holder: 'gen-1', state }),
          409,
          'invalid_transition',
          {
            action: 'abort',
            deployment_state: leading,
            requested_state: state,
          },
        );
      }
      await expectRefused(h, t, env, 1, await ready(h, t, env, 1), 409, 'invalid_transition', {
        action: 'abort',
        deployment_state: leading,
        requested_state: 'ready_to_promote',
      });
    }
  });

  it('a generation older than the leader is refused with fenced, kind deploy_generation, at every step', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await handOver(h, t, env, 1);
    await register(h, t, env, 2);
    await handOver(h, t, env, 3);
    const members = {
      kind: 'deploy_generation',
      action: 'terminate',
      current_token: { deploy_generation: 3, epoch: 2 },
    };
    for (const generation of [1, 2]) {
      expect((await get(h, t, env, generation)).state).toBe('fenced');
      await expectRefused(h, t, env, generation, await register(h, t, env, generation), 409, 'fenced', {
        ...members,
        your_deploy_generation: generation,
      });
      await expectRefused(h, t, env, generation, await ready(h, t, env, generation), 409, 'fenced', members);
      await expectRefused(
        h,
        t,
        env,
        generation,
        await promote(h, t, env, generation, { skip_catchup: true }),
        409,
        'fenced',
        members,
      );
      await expectRefused(
        h,
        t,
        env,
        generation,
        await register(h, t, env, generation, { holder: 'x', state: 'is_leader' }),
        409,
        'fenced',
        members,
      );
    }
    // A generation never registered but older than the leader cannot register either.
    await expectProblem(await register(h, t, env, 0), 409, 'fenced', {
      kind: 'deploy_generation',
      your_deploy_generation: 0,
    });
    expect((await h.request('GET', path(env, 0), { key: t.key })).status).toBe(404);
  });

  it('unknown deployments and environments are 404', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await expectProblem(await ready(h, t, env, 1), 404, 'not_found');
    await expectProblem(await promote(h, t, env, 1), 404, 'not_found');
    await expectProblem(await h.request('GET', path(env, 1), { key: t.key }), 404, 'not_found');
    await expectProblem(
      await h.request('GET', `/v1/environments/${env}/deployments`, { key: t.key }),
      404,
      'not_found',
    );
    await h.fence(t, env, 1);
    await expectProblem(await ready(h, t, env, 1), 404, 'not_found');
    await expectProblem(await promote(h, t, env, 1, { skip_catchup: true }), 404, 'not_found');
    expect((await environment(h, t, env)).token).toEqual({ deploy_generation: 1, epoch: 1 });
  });

  it('another tenant’s deployments are 404 and stay untouched', async () => {
    const h = harness();
    const owner = await h.newTenant();
    const other = await h.newTenant();
    const env = h.uniqueName();
    await register(h, owner, env, 1);
    await ready(h, owner, env, 1);
    await expectProblem(await promote(h, other, env, 1, { skip_catchup: true }), 404, 'not_found');
    await expectProblem(await ready(h, other, env, 1), 404, 'not_found');
    await expectProblem(await h.request('GET', path(env, 1), { key: other.key }), 404, 'not_found');
    expect((await get(h, owner, env, 1)).state).toBe('ready_to_promote');
  });

  it('bad input is 400 and changes nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await register(h, t, env, 1);
    const cases: [string, string, unknown][] = [
      ['PUT', path(env, -1), { holder: 'x' }],
      ['PUT', path(env, '1.5'), { holder: 'x' }],
      ['PUT', path(env, '9007199254740992'), { holder: 'x' }],
      ['PUT', path(env, 'abc'), { holder: 'x' }],
      ['PUT', path(env, 1), {}],
      ['PUT', path(env, 1), { holder: '' }],
      ['PUT', path(env, 1), { holder: 'x', state: 'promoting' }],
      ['PUT', path(env, 1), { holder: 'x', state: 'ready_to_promote' }],
      ['PUT', path(env, 1), { holder: 'x', state: 'fenced' }],
      ['PUT', path(env, 1), { holder: 'x', extra: true }],
      ['PUT', path('Bad_Name', 1), { holder: 'x' }],
      ['POST', path(env, 1, 'promote'), { skip_catchup: 'yes' }],
      ['POST', path(env, 1, 'promote'), { skip_catchup: true, force: true }],
      ['GET', `${path(env, 1)}?wait=61s`, undefined],
      ['GET', `${path(env, 1)}?wait=soon`, undefined],
      ['GET', `${path(env, 1)}?wait=-1`, undefined],
      ['GET', `${path(env, 1)}?wait=1s&state=leader`, undefined],
      ['GET', `/v1/environments/${env}/deployments?cursor=nope`, undefined],
    ];
    for (const [method, url, body] of cases) {
      await expectProblem(await h.request(method, url, { key: t.key, body }), 400, 'invalid_request');
    }
    const malformed = await h.request('PUT', path(env, 1), {
      key: t.key,
      rawBody: '{"holder":',
      headers: { 'content-type': 'application/json' },
    });
    await expectProblem(malformed, 400, 'invalid_request');
    expect(await get(h, t, env, 1)).toMatchObject({ state: 'initializing', holder: 'gen-1' });
    expect(await feed(h, t)).toEqual([]);
  });

  it('promote takes no body, or an empty object', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const body of [undefined, {}]) {
      const env = h.uniqueName();
      await register(h, t, env, 1);
      await ready(h, t, env, 1);
      expect((await expectOk(await promote(h, t, env, 1, body))).state).toBe('promoting');
    }
  });
});

describe('deployments — races', () => {
  it('concurrent promotions of several generations leave exactly one leader, the newest token’s generation', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (let round = 0; round < 4; round++) {
      const env = h.uniqueName();
      await handOver(h, t, env, 1);
      const generations = [2, 3, 4, 5, 6];
      for (const generation of generations) {
        await register(h, t, env, generation);
        await ready(h, t, env, generation);
      }
      const answers = await Promise.all([
        ...generations.map((generation) => promote(h, t, env, generation)),
        ...generations.map((generation) => promote(h, t, env, generation)),
        h.request('POST', `/v1/environments/${env}/fence`, {
          key: t.key,
          body: { deploy_generation: 4, holder: 'manual' },
        }),
      ]);
      for (const res of answers) {
        if (res.status !== 200) await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation' });
      }
      const current = (await environment(h, t, env)).token as Token;
      const list = await json<{ items: Deployment[] }>(
        await h.request('GET', `/v1/environments/${env}/deployments`, { key: t.key }),
      );
      const leading = list.items.filter((d) => d.state === 'promoting' || d.state === 'is_leader');
      expect(leading.length).toBeLessThanOrEqual(1);
      for (const d of list.items) {
        if (d.deploy_generation < current.deploy_generation)
          expect(d.state, `generation ${d.deploy_generation}`).toBe('fenced');
      }
      if (leading[0]) expect(leading[0].deploy_generation).toBe(current.deploy_generation);
      // The promotion of the newest generation cannot lose: nothing newer was issued.
      expect(current.deploy_generation).toBe(6);
      expect(leading[0]?.token).toEqual(current);
      const history = await json<{ items: { token: { epoch: number } }[] }>(
        await h.request('GET', `/v1/environments/${env}/history?limit=1000`, { key: t.key }),
      );
      const epochs = history.items.map((item) => item.token.epoch).reverse();
      expect(epochs).toEqual(epochs.map((_, i) => i + 1));
    }
  });

  it('many concurrent promotions of one deployment issue one token', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    await handOver(h, t, env, 1);
    await register(h, t, env, 2);
    await ready(h, t, env, 2);
    const answers = await Promise.all(Array.from({ length: 12 }, () => promote(h, t, env, 2)));
    const bodies = await Promise.all(answers.map((res) => expectOk(res)));
    expect(new Set(bodies.map((body) => JSON.stringify(body.token))).size).toBe(1);
    const history = await json(await h.request('GET', `/v1/environments/${env}/history`, { key: t.key }));
    expect(history.items).toHaveLength(2);
    expect(
      (await feed(h, t)).filter((event) => event.type === 'deployment.promoted' && event.data.deploy_generation === 2),
    ).toHaveLength(1);
  });

  it('concurrent registrations of one generation create it once', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const answers = await Promise.all(Array.from({ length: 8 }, () => register(h, t, env, 1)));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
  });

  it('a plain fence racing a promotion never leaves a fenced generation leading', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (let round = 0; round < 6; round++) {
      const env = h.uniqueName();
      await handOver(h, t, env, 1);
      await register(h, t, env, 2);
      await ready(h, t, env, 2);
      const [promotion, fence] = await Promise.all([
        promote(h, t, env, 2),
        h.request('POST', `/v1/environments/${env}/fence`, {
          key: t.key,
          body: { deploy_generation: 3, holder: 'manual' },
        }),
      ]);
      expect(fence.status).toBe(200);
      const deployment = await get(h, t, env, 2);
      expect(deployment.state).toBe('fenced');
      if (promotion.status === 200) expect(deployment.token).toMatchObject({ deploy_generation: 2 });
      else
        await expectProblem(promotion, 409, 'fenced', {
          kind: 'deploy_generation',
          current_token: { deploy_generation: 3 },
        });
      expect(await fenceToken(h, t, env, 3)).toMatchObject({ deploy_generation: 3 });
    }
  });
});
