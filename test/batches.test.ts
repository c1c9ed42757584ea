import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statementBatches } from '../src/db/batches.js';
import type { Token } from '../src/domain/token.js';
import { storageBackends } from './support/database.js';
import { createHarness, feedShowing, fenceToken, json, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const LOG_LIMIT = 40;

function append(h: Harness, t: Tenant, env: string, body: unknown) {
  return h.request('POST', `/v1/environments/${env}/log`, { key: t.key, body });
}

async function entriesOf(h: Harness, t: Tenant, env: string) {
  const page = await json(await h.request('GET', `/v1/environments/${env}/log?limit=1000`, { key: t.key }));
  return page.entries.map((entry: any) => ({ offset: entry.offset, data: entry.data, token: entry.token }));
}

function batchCounts(h: Harness, kind: 'append' | 'find_live_environment' | 'take_over') {
  return statementBatches(h.scratch.handle.db)[kind] ?? { statements: 0, calls: 0 };
}

const batchedAppends = (h: Harness) => batchCounts(h, 'append');

function withoutRequestId({ request_id: _, ...body }: Record<string, unknown>) {
  return body;
}

/** Fences `count` environments and returns their names and tokens. */
async function fencedEnvironments(h: Harness, t: Tenant, count: number) {
  const names = Array.from({ length: count }, () => h.uniqueName('batch'));
  const tokens = await Promise.all(names.map((name) => fenceToken(h, t, name, 1)));
  return names.map((name, index) => ({ name, token: tokens[index]! }));
}

describe.each(storageBackends)('appends sent together (%s)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend, { limits: { logEntries: LOG_LIMIT, maxInFlight: 1000 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('concurrent appends to many environments share statements, and each gets its own offsets and entries', async () => {
    const t = await h.newTenant();
    const envs = await fencedEnvironments(h, t, 48);
    const before = batchedAppends(h);

    const answers = await Promise.all(
      envs.map(({ name, token }, index) =>
        append(h, t, name, { token, entries: Array.from({ length: (index % 4) + 1 }, (_, i) => `${name}#${i}`) }),
      ),
    );

    const after = batchedAppends(h);
    expect(after.calls - before.calls).toBe(envs.length);
    // Fewer statements than calls: some statement carried several appends.
    expect(after.statements - before.statements).toBeLessThan(envs.length);
    const scraped = await (await h.request('GET', '/metrics')).text();
    expect(scraped).toContain(`palisade_db_batched_statements_total{statement="append"} ${after.statements}\n`);
    expect(scraped).toContain(`palisade_db_batched_calls_total{statement="append"} ${after.calls}\n`);
    for (const [index, res] of answers.entries()) {
      expect(res.status).toBe(201);
      const count = (index % 4) + 1;
      expect(await res.json()).toEqual({ offset: 0, upper: count });
      const { name, token } = envs[index]!;
      expect(await entriesOf(h, t, name)).toEqual(
        Array.from({ length: count }, (_, i) => ({ offset: i, data: `${name}#${i}`, token })),
      );
    }
  });

  it('in one burst, each refused append is refused for its own reason and writes nothing, and the others are written', async () => {
    const t = await h.newTenant();
    const envs = await fencedEnvironments(h, t, 40);
    // Give every environment one entry, so expected_upper 1 holds and 0 does not.
    for (const { name, token } of envs)
      expect((await append(h, t, name, { token, entries: ['first'] })).status).toBe(201);
    const stale = envs.slice(0, 8);
    const newTokens = new Map<string, Token>();
    for (const { name } of stale) newTokens.set(name, await fenceToken(h, t, name, 2));
    const before = batchedAppends(h);

    const kinds = ['stale', 'mismatch', 'full', 'missing', 'ok'] as const;
    const plan = envs.map(({ name, token }, index) => {
      const kind = index < stale.length ? 'stale' : kinds[1 + (index % 4)]!;
      const body =
        kind === 'mismatch'
          ? { token, expected_upper: 0, entries: ['no'] }
          : kind === 'full'
            ? { token, entries: Array.from({ length: LOG_LIMIT }, () => 'no') }
            : kind === 'missing'
              ? { token, entries: ['no'] }
              : { token, expected_upper: kind === 'ok' ? 1 : undefined, entries: ['no'] };
      if (kind === 'ok') body.entries = ['second'];
      return { name: kind === 'missing' ? `${name}-absent` : name, kind, body, token };
    });
    const answers = await Promise.all(plan.map(({ name, body }) => append(h, t, name, body)));

    expect(batchedAppends(h).statements - before.statements).toBeLessThan(plan.length);
    for (const [index, res] of answers.entries()) {
      const { name, kind, token } = plan[index]!;
      if (kind === 'stale') {
        await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation', current_token: newTokens.get(name) });
      } else if (kind === 'mismatch') {
        await expectProblem(res, 409, 'upper_mismatch', { expected_upper: 0, current_upper: 1 });
      } else if (kind === 'full') {
        await expectProblem(res, 429, 'resource_exhausted', { resource: 'log_entries' });
      } else if (kind === 'missing') {
        await expectProblem(res, 404, 'not_found');
        continue;
      } else {
        expect(res.status).toBe(201);
        expect(await res.json()).toEqual({ offset: 1, upper: 2 });
      }
      const written = await entriesOf(h, t, name);
      expect(written.map((entry: any) => entry.data)).toEqual(kind === 'ok' ? ['first', 'second'] : ['first']);
      expect(written[0].token).toEqual(token);
    }
  });

  it('concurrent appends to one environment never share a statement: dense offsets, and one compare-and-append wins', async () => {
    const t = await h.newTenant();
    const [env] = await fencedEnvironments(h, t, 1);
    const { name, token } = env!;
    const plain = await Promise.all(Array.from({ length: 12 }, (_, i) => append(h, t, name, { token, entries: [i] })));
    const offsets = await Promise.all(plain.map(async (res) => (await json(res)).offset as number));
    expect(plain.every((res) => res.status === 201)).toBe(true);
    expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const written = await entriesOf(h, t, name);
    for (const [index, offset] of offsets.entries()) expect(written[offset].data).toBe(index);

    const guarded = await Promise.all(
      Array.from({ length: 12 }, (_, i) => append(h, t, name, { token, expected_upper: 12, entries: [`cas ${i}`] })),
    );
    expect(guarded.filter((res) => res.status === 201)).toHaveLength(1);
    for (const res of guarded.filter((r) => r.status !== 201)) {
      await expectProblem(res, 409, 'upper_mismatch', { expected_upper: 12, current_upper: 13 });
    }
    expect(await entriesOf(h, t, name)).toHaveLength(13);
  });

  it('appends with an Idempotency-Key run in their own transaction, alone, and replay as before', async () => {
    const t = await h.newTenant();
    const envs = await fencedEnvironments(h, t, 6);
    const before = batchedAppends(h);
    const send = () =>
      Promise.all(
        envs.map(({ name, token }) =>
          h.request('POST', `/v1/environments/${name}/log`, {
            key: t.key,
            body: { token, entries: [name] },
            headers: { 'Idempotency-Key': `append-${name}` },
          }),
        ),
      );
    const first = await send();
    const replay = await send();
    expect(batchedAppends(h)).toEqual(before);
    for (const [index, res] of first.entries()) {
      expect(res.status).toBe(201);
      expect(replay[index]!.status).toBe(201);
      expect(await replay[index]!.json()).toEqual(await res.json());
      expect(await entriesOf(h, t, envs[index]!.name)).toHaveLength(1);
    }
  });
});

describe.each(storageBackends)('takeovers sent together (%s)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend, { limits: { maxInFlight: 1000, environments: 1000 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('concurrent fences share statements, each with its own token, history, deployments, event and deliveries', async () => {
    const t = await h.newTenant();
    const endpoint = await json(
      await h.request('POST', '/v1/webhooks', {
        key: t.key,
        body: { url: 'http://127.0.0.1:9/hook', events: ['generation.fenced', 'epoch.fenced'] },
      }),
    );
    const envs = await fencedEnvironments(h, t, 36);
    for (const { name } of envs.slice(0, 12)) {
      const res = await h.request('PUT', `/v1/environments/${name}/deployments/1`, {
        key: t.key,
        body: { holder: 'old' },
      });
      expect(res.status).toBe(201);
    }
    const plan = envs.map(({ name, token }, index) => {
      const kind = (['generation', 'epoch', 'stale'] as const)[index % 3]!;
      return { name, token, kind, generation: kind === 'generation' ? 2 : kind === 'epoch' ? 1 : 0 };
    });
    const created = Array.from({ length: 6 }, () => h.uniqueName('batch-new'));
    const before = batchCounts(h, 'take_over');

    const [answers, createdAnswers] = await Promise.all([
      Promise.all(
        plan.map(({ name, generation }) =>
          h.request('POST', `/v1/environments/${name}/fence`, {
            key: t.key,
            body: { deploy_generation: generation, holder: `${name}-by-${generation}` },
          }),
        ),
      ),
      Promise.all(
        created.map((name) =>
          h.request('POST', `/v1/environments/${name}/fence`, {
            key: t.key,
            body: { deploy_generation: 1, holder: name },
          }),
        ),
      ),
    ]);

    const after = batchCounts(h, 'take_over');
    expect(after.calls - before.calls).toBe(plan.length + created.length);
    expect(after.statements - before.statements).toBeLessThan(after.calls - before.calls);
    for (const [index, res] of createdAnswers.entries()) {
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ token: { deploy_generation: 1, epoch: 1 }, previous: null });
      expect(created[index]).toBeDefined();
    }
    const takenOver = plan.filter(({ kind }) => kind !== 'stale');
    for (const [index, res] of answers.entries()) {
      const { name, token, kind, generation } = plan[index]!;
      if (kind === 'stale') {
        await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation', current_token: token });
        continue;
      }
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        token: { deploy_generation: generation, epoch: 2 },
        previous: { token, holder: expect.any(String) },
      });
      const history = await json(await h.request('GET', `/v1/environments/${name}/history`, { key: t.key }));
      expect(history.items.map((item: any) => item.token)).toEqual([
        { deploy_generation: generation, epoch: 2 },
        token,
      ]);
      if (index < 12) {
        const deployment = await json(await h.request('GET', `/v1/environments/${name}/deployments/1`, { key: t.key }));
        expect(deployment.state).toBe(kind === 'generation' ? 'fenced' : 'initializing');
      }
    }

    // One event per takeover, about its own environment, and one delivery of each to the endpoint.
    const feed = (await feedShowing(h, t, takenOver.length)).filter((item) =>
      takenOver.some(({ name }) => item.data.environment === name),
    );
    expect(feed).toHaveLength(takenOver.length);
    for (const { name, token, kind, generation } of takenOver) {
      const [event] = feed.filter((item) => item.data.environment === name);
      expect(event).toMatchObject({
        type: `${kind}.fenced`,
        data: {
          environment: name,
          fenced: { token },
          by: { token: { deploy_generation: generation, epoch: 2 }, holder: `${name}-by-${generation}` },
        },
      });
    }
    const deliveries = await json(
      await h.request('GET', `/v1/webhooks/${endpoint.id}/deliveries?limit=100`, { key: t.key }),
    );
    const delivered = deliveries.items.map((item: any) => item.event_id).sort();
    expect(delivered).toEqual(feed.map((item) => item.id).sort());
  });
});

describe.each(storageBackends)('reads of environments sent together (%s)', (backend) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(backend, { limits: { maxInFlight: 1000 } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('concurrent confirms and reads share statements, and each is answered from its own row', async () => {
    const t = await h.newTenant();
    const envs = await fencedEnvironments(h, t, 30);
    await append(h, t, envs[1]!.name, { token: envs[1]!.token, entries: [1, 2, 3] });
    const refenced = envs.slice(10, 15);
    for (const { name } of refenced) await fenceToken(h, t, name, 2);
    const deleted = envs.slice(15, 20);
    for (const { name } of deleted)
      expect((await h.request('DELETE', `/v1/environments/${name}`, { key: t.key })).status).toBe(204);
    const alone = await Promise.all(
      envs.map(async ({ name }) => {
        const res = await h.request('GET', `/v1/environments/${name}`, { key: t.key });
        return { status: res.status, body: withoutRequestId(await json(res)) };
      }),
    );
    const before = batchCounts(h, 'find_live_environment');

    const confirms = envs.map(({ name, token }) =>
      h.request('POST', `/v1/environments/${name}/confirm`, { key: t.key, body: { token } }),
    );
    const missing = h.request('POST', `/v1/environments/${envs[0]!.name}-absent/confirm`, {
      key: t.key,
      body: { token: envs[0]!.token },
    });
    const reads = envs.map(({ name }) => h.request('GET', `/v1/environments/${name}`, { key: t.key }));
    const [confirmed, absent, read] = await Promise.all([Promise.all(confirms), missing, Promise.all(reads)]);

    const after = batchCounts(h, 'find_live_environment');
    expect(after.calls - before.calls).toBeGreaterThanOrEqual(2 * envs.length + 1);
    expect(after.statements - before.statements).toBeLessThan(after.calls - before.calls);
    await expectProblem(absent, 404, 'not_found');
    for (const [index, res] of confirmed.entries()) {
      const { name, token } = envs[index]!;
      if (refenced.some((env) => env.name === name)) {
        await expectProblem(res, 409, 'fenced', { kind: 'deploy_generation' });
      } else if (deleted.some((env) => env.name === name)) {
        await expectProblem(res, 404, 'not_found');
      } else {
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ token, upper: index === 1 ? 3 : 0 });
      }
    }
    // Every member of a read, its timestamps included, is what the same read returned alone.
    for (const [index, res] of read.entries()) {
      expect({ status: res.status, body: withoutRequestId(await json(res)) }).toEqual(alone[index]);
    }
  });
});

describe.runIf(storageBackends.includes('postgres'))(
  'a statement of several appends meeting a row another transaction holds',
  () => {
    let h: Harness;
    let other: postgres.Sql;
    beforeAll(async () => {
      h = await createHarness('postgres', { limits: { maxInFlight: 1000 } });
      other = postgres(h.scratch.url!, { max: 2, onnotice: () => {} });
    });
    afterAll(async () => {
      await other.end({ timeout: 5 });
      await h.close();
    });

    /** Locks the rows of `names` in a transaction of another session until the returned function is called. */
    async function holdRows(names: string[]): Promise<() => Promise<void>> {
      let release!: () => void;
      let ended!: Promise<unknown>;
      await new Promise<void>((held) => {
        ended = other.begin(async (tx) => {
          await tx`select 1 from environments where name in ${tx(names)} for update`;
          held();
          await new Promise<void>((resolve) => (release = resolve));
        });
      });
      return async () => {
        release();
        await ended;
      };
    }

    /**
     * Sends one call to each of three environments: the first goes alone and waits for a row another
     * session holds; the next two queue into one statement, and the third's row is held too. The
     * second is answered while that row is still held, the third only once it is released. Returns
     * the answers, in order.
     */
    async function sendPastAHeldRow(
      kind: 'append' | 'take_over',
      envs: { name: string; token: Token }[],
      send: (env: { name: string; token: Token }) => Promise<Response>,
      okStatus: number,
    ): Promise<Response[]> {
      const [blocker, , held] = envs;
      const releaseBlocker = await holdRows([blocker!.name]);
      const releaseHeld = await holdRows([held!.name]);
      const before = batchCounts(h, kind);
      const answers = envs.map(send);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await releaseBlocker();
      expect((await answers[1]!).status).toBe(okStatus);
      const waiting = new Promise((resolve) => setTimeout(() => resolve('waiting'), 300));
      expect(await Promise.race([answers[2]!, waiting])).toBe('waiting');
      await releaseHeld();
      const results = await Promise.all(answers);
      const after = batchCounts(h, kind);
      expect(after.calls - before.calls).toBe(3);
      // One alone, one carrying both queued calls, and the held one sent again alone.
      expect(after.statements - before.statements).toBe(3);
      return results;
    }

    it('answers the others at once, and sends that append alone to wait for its row', async () => {
      const t = await h.newTenant();
      const envs = await fencedEnvironments(h, t, 3);
      const results = await sendPastAHeldRow(
        'append',
        envs,
        ({ name, token }) => append(h, t, name, { token, entries: [name] }),
        201,
      );
      for (const [index, res] of results.entries()) {
        expect(res.status, await res.clone().text()).toBe(201);
        const env = envs[index]!;
        expect(await entriesOf(h, t, env.name)).toEqual([{ offset: 0, data: env.name, token: env.token }]);
      }
    });

    it('of takeovers, answers the others at once, and sends that takeover alone to wait for its row', async () => {
      const t = await h.newTenant();
      const envs = await fencedEnvironments(h, t, 3);
      const results = await sendPastAHeldRow(
        'take_over',
        envs,
        ({ name }) =>
          h.request('POST', `/v1/environments/${name}/fence`, {
            key: t.key,
            body: { deploy_generation: 2, holder: name },
          }),
        200,
      );
      for (const res of results) {
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ token: { deploy_generation: 2, epoch: 2 } });
      }
      const feed = (await feedShowing(h, t, 3)).filter((item) => item.type === 'generation.fenced');
      expect(feed.map((item) => item.data.environment).sort()).toEqual(envs.map(({ name }) => name).sort());
    });
  },
);
