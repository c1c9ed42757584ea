import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';
import { WebhookReceiver, type Responder } from './support/receiver.js';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function startReceiver(respond?: Responder) {
  const receiver = await WebhookReceiver.start();
  if (respond) receiver.respond = respond;
  receivers.push(receiver);
  return receiver;
}

async function register(
  h: Harness,
  t: Tenant,
  receiver: WebhookReceiver,
  body: Record<string, unknown> = {},
): Promise<Record<string, any>> {
  const res = await h.request('POST', '/v1/webhooks', {
    key: t.key,
    body: { url: receiver.url, events: ['generation.fenced', 'epoch.fenced', 'environment.deleted'], ...body },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const endpoint = await json(res);
  receiver.secrets = [endpoint.secret];
  return endpoint;
}

async function deliveries(h: Harness, t: Tenant, endpointId: string) {
  return (await json(await h.request('GET', `/v1/webhooks/${endpointId}/deliveries`, { key: t.key }))).items as any[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('webhooks — delivery', () => {
  const harness = useHarness(httpBackend, { dispatcher: { timeoutMs: 300, retryScheduleMs: [50, 100, 200] } });

  it('a takeover delivers exactly one signed generation.fenced naming both tokens and holders', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'old-pod');
    const takeover = await h.fence(t, env, 2, 'new-pod');

    const [received] = await receiver.waitFor((r) => r.length >= 1);
    await sleep(300);
    expect(receiver.received).toHaveLength(1);
    expect(received!.verified).toBe(true);
    expect(received!.id).toMatch(/^evt_/);
    expect(Math.abs(Number(received!.timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(received!.headers['content-type']).toBe('application/json');
    expect(received!.payload).toEqual({
      type: 'generation.fenced',
      timestamp: expect.any(String),
      data: {
        environment: env,
        fenced: { token: { deploy_generation: 1, epoch: 1 }, holder: 'old-pod' },
        by: { token: takeover.token, holder: 'new-pod' },
        fenced_at: expect.stringMatching(/Z$/),
      },
    });
  });

  it('a same-generation fence delivers epoch.fenced; the first fence delivers nothing', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 3, 'a');
    await h.fence(t, env, 3, 'b');
    await receiver.waitFor((r) => r.length >= 1);
    await sleep(300);
    expect(receiver.received.map((r) => r.payload.type)).toEqual(['epoch.fenced']);
    expect(receiver.received[0]!.payload.data.fenced.token).toEqual({ deploy_generation: 3, epoch: 1 });
  });

  it('event-type and environment filters decide which endpoints get a delivery', async () => {
    const h = harness();
    const t = await h.newTenant();
    const [all, onlyA, onlyEpoch] = [await startReceiver(), await startReceiver(), await startReceiver()];
    await register(h, t, all);
    await register(h, t, onlyA, { environments: ['env-a'] });
    await register(h, t, onlyEpoch, { events: ['epoch.fenced'] });
    for (const env of ['env-a', 'env-b']) {
      await h.fence(t, env, 1, 'x');
      await h.fence(t, env, 2, 'y');
    }
    await all.waitFor((r) => r.length >= 2);
    await onlyA.waitFor((r) => r.length >= 1);
    await sleep(300);
    expect(all.received.map((r) => r.payload.data.environment).sort()).toEqual(['env-a', 'env-b']);
    expect(onlyA.received.map((r) => r.payload.data.environment)).toEqual(['env-a']);
    expect(onlyEpoch.received).toEqual([]);
  });

  it('another tenant’s fences never reach this tenant’s endpoint', async () => {
    const h = harness();
    const [owner, other] = [await h.newTenant(), await h.newTenant()];
    const receiver = await startReceiver();
    await register(h, owner, receiver);
    const env = h.uniqueName();
    await h.fence(other, env, 1, 'x');
    await h.fence(other, env, 2, 'y');
    await sleep(500);
    expect(receiver.received).toEqual([]);
  });

  it('deleting an environment delivers environment.deleted', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    await register(h, t, receiver);
    const env = h.uniqueName();
    const { token } = await h.fence(t, env, 4, 'holder-4');
    expect((await h.request('DELETE', `/v1/environments/${env}`, { key: t.key })).status).toBe(204);
    const [received] = await receiver.waitFor((r) => r.length >= 1);
    expect(received!.verified).toBe(true);
    expect(received!.payload).toMatchObject({
      type: 'environment.deleted',
      data: { environment: env, last: { token, holder: 'holder-4' } },
    });
  });

  it('500, 500, then 200: three attempts with one webhook-id, all recorded', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver((n) => (n < 2 ? 500 : 200));
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    await receiver.waitFor((r) => r.length >= 3);
    await sleep(300);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);

    const [delivery] = await deliveries(h, t, endpoint.id);
    expect(delivery).toMatchObject({
      event_id: receiver.received[0]!.id,
      event_type: 'generation.fenced',
      status: 'succeeded',
      attempt_count: 3,
      next_attempt_at: null,
    });
    expect(delivery.attempts.map((a: any) => a.status_code)).toEqual([500, 500, 200]);
    expect(delivery.attempts[0]).toMatchObject({ error: 'answered 500', response_body: 'answered 500' });
    expect(delivery.attempts[0].next_retry_at).not.toBeNull();
    expect(delivery.attempts[2]).toMatchObject({ error: null, next_retry_at: null });
    for (const attempt of delivery.attempts) expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
    const endpointAfter = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}`, { key: t.key }));
    expect(endpointAfter).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('a receiver that never answers is retried after the timeout, with the same webhook-id', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver((n) => (n === 0 ? 'hang' : 204));
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    const received = await receiver.waitFor((r) => r.length >= 2, 5_000);
    expect(received[1]!.id).toBe(received[0]!.id);
    expect(received[1]!.receivedAt - received[0]!.receivedAt).toBeGreaterThanOrEqual(300);
    await sleep(200);
    const [delivery] = await deliveries(h, t, endpoint.id);
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts[0]).toMatchObject({ status_code: null, error: 'no answer within 300 ms' });
  });

  it('410 disables the endpoint, which says so; enabling it again resumes delivery', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver((n) => (n === 0 ? 410 : 204));
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    await receiver.waitFor((r) => r.length >= 1);
    await sleep(300);
    const disabled = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}`, { key: t.key }));
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'the endpoint answered 410 Gone' });
    expect((await deliveries(h, t, endpoint.id))[0].status).toBe('failed');

    await h.fence(t, env, 3, 'c');
    await sleep(300);
    expect(receiver.received).toHaveLength(1);

    const enabled = await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, { key: t.key, body: { enabled: true } });
    expect(await json(enabled)).toMatchObject({ enabled: true, disabled_reason: null });
    await h.fence(t, env, 4, 'd');
    const received = await receiver.waitFor((r) => r.length >= 3);
    expect(
      received
        .slice(1)
        .map((r) => r.payload.data.by.token.deploy_generation)
        .sort(),
    ).toEqual([2, 4]);
  });

  it('a delivery that uses up the schedule is failed and disables the endpoint; enabling it delivers again', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver((n) => (n < 4 ? 503 : 204));
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    await receiver.waitFor((r) => r.length >= 4, 5_000);
    await sleep(500);
    expect(receiver.received).toHaveLength(4);
    const [delivery] = await deliveries(h, t, endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attempt_count: 4, next_attempt_at: null });
    expect(delivery.attempts.at(-1).next_retry_at).toBeNull();
    const disabled = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}`, { key: t.key }));
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: expect.stringMatching(/retry schedule/) });

    await h.request('PATCH', `/v1/webhooks/${endpoint.id}`, { key: t.key, body: { enabled: true } });
    const received = await receiver.waitFor((r) => r.length >= 5);
    expect(received[4]).toMatchObject({ id: received[0]!.id, answered: 204, verified: true });
  });

  it('Retry-After on 429 is honoured over a shorter schedule', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' } } : 204));
    await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    const received = await receiver.waitFor((r) => r.length >= 2, 5_000);
    expect(received[1]!.receivedAt - received[0]!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('after a secret rotation both signatures are sent and each verifies', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    const endpoint = await register(h, t, receiver);
    const rotated = await json(await h.request('POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, { key: t.key }));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    const [received] = await receiver.waitFor((r) => r.length >= 1);
    expect(received!.signatures).toHaveLength(2);
    for (const secret of [rotated.secret, endpoint.secret]) {
      expect(() =>
        new Webhook(secret).verify(received!.body, received!.headers as Record<string, string>),
      ).not.toThrow();
    }
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(
        received!.body,
        received!.headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it('redeliver sends a delivered event again with the same webhook-id; test sends webhook.test', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    await receiver.waitFor((r) => r.length >= 1);
    await sleep(100);
    const [delivery] = await deliveries(h, t, endpoint.id);
    const again = await h.request('POST', `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/redeliver`, {
      key: t.key,
    });
    expect(again.status).toBe(202);
    const received = await receiver.waitFor((r) => r.length >= 2);
    expect(received[1]!.id).toBe(received[0]!.id);

    const test = await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: t.key });
    expect(test.status).toBe(202);
    const { event_id } = await json(test);
    const all = await receiver.waitFor((r) => r.length >= 3);
    expect(all[2]).toMatchObject({ id: event_id, verified: true, payload: { type: 'webhook.test' } });
  });
});

describe('webhooks — an endpoint failing continuously is disabled', () => {
  const harness = useHarness(httpBackend, {
    dispatcher: { timeoutMs: 300, retryScheduleMs: [100, 100, 100, 100, 100, 100], disableAfterMs: 250 },
  });

  it('disables it once its failures span the configured time', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver(() => 500);
    const endpoint = await register(h, t, receiver);
    const env = h.uniqueName();
    await h.fence(t, env, 1, 'a');
    await h.fence(t, env, 2, 'b');
    await receiver.waitFor((r) => r.length >= 2);
    const deadline = Date.now() + 5_000;
    let state = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}`, { key: t.key }));
    while (state.enabled && Date.now() < deadline) {
      await sleep(50);
      state = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}`, { key: t.key }));
    }
    expect(state).toMatchObject({
      enabled: false,
      disabled_reason: expect.stringMatching(/^every attempt has failed since/),
    });
    const count = receiver.received.length;
    await sleep(400);
    expect(receiver.received.length).toBe(count);
  });
});

describe('webhooks — management', () => {
  const harness = useHarness(httpBackend);

  it('creates with a whsec_ secret shown once; get, list, patch and delete', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    const created = await register(h, t, receiver, { description: 'orchestrator', environments: ['orders-db'] });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^wh_/),
      url: receiver.url,
      environments: ['orders-db'],
      description: 'orchestrator',
      enabled: true,
      disabled_reason: null,
    });
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);

    const fetched = await json(await h.request('GET', `/v1/webhooks/${created.id}`, { key: t.key }));
    expect(fetched).not.toHaveProperty('secret');
    const { secret: _secret, ...withoutSecret } = created;
    expect(fetched).toEqual(withoutSecret);

    const second = await register(h, t, receiver);
    const page1 = await json(await h.request('GET', '/v1/webhooks?limit=1', { key: t.key }));
    const page2 = await json(
      await h.request('GET', `/v1/webhooks?limit=1&cursor=${page1.next_cursor}`, { key: t.key }),
    );
    expect([...page1.items, ...page2.items].map((w: any) => w.id)).toEqual([created.id, second.id]);
    expect(page2.next_cursor).toBeNull();
    expect(JSON.stringify(page1)).not.toContain('whsec_');

    const patched = await h.request('PATCH', `/v1/webhooks/${created.id}`, {
      key: t.key,
      body: { events: ['epoch.fenced'], environments: null, enabled: false },
    });
    expect(await json(patched)).toMatchObject({ events: ['epoch.fenced'], environments: null, enabled: false });

    expect((await h.request('DELETE', `/v1/webhooks/${created.id}`, { key: t.key })).status).toBe(204);
    await expectProblem(await h.request('GET', `/v1/webhooks/${created.id}`, { key: t.key }), 404, 'not_found');
    await expectProblem(await h.request('DELETE', `/v1/webhooks/${created.id}`, { key: t.key }), 404, 'not_found');
  });

  it.each([
    ['a non-URL', { url: 'not a url', events: ['generation.fenced'] }, 'body.url'],
    ['an ftp URL', { url: 'ftp://127.0.0.1/x', events: ['generation.fenced'] }, 'body.url'],
    ['no events', { url: 'http://127.0.0.1:9/x', events: [] }, 'body.events'],
    ['an unknown event', { url: 'http://127.0.0.1:9/x', events: ['token.stolen'] }, 'body.events.0'],
    ['a repeated event', { url: 'http://127.0.0.1:9/x', events: ['epoch.fenced', 'epoch.fenced'] }, 'body.events'],
    [
      'a bad environment name',
      { url: 'http://127.0.0.1:9/x', events: ['epoch.fenced'], environments: ['Bad'] },
      'body.environments.0',
    ],
    ['an unknown member', { url: 'http://127.0.0.1:9/x', events: ['epoch.fenced'], secret: 'mine' }, 'body'],
  ])('%s is 400 and registers nothing', async (_, body, path) => {
    const h = harness();
    const t = await h.newTenant();
    const problem = await expectProblem(
      await h.request('POST', '/v1/webhooks', { key: t.key, body }),
      400,
      'invalid_request',
    );
    expect(problem.errors.map((e: any) => e.path)).toContain(path);
    expect((await json(await h.request('GET', '/v1/webhooks', { key: t.key }))).items).toEqual([]);
  });

  it('an empty PATCH is 400; unknown ids are 404', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await startReceiver();
    const created = await register(h, t, receiver);
    await expectProblem(
      await h.request('PATCH', `/v1/webhooks/${created.id}`, { key: t.key, body: {} }),
      400,
      'invalid_request',
    );
    for (const [method, path] of [
      ['GET', '/v1/webhooks/wh_missing'],
      ['PATCH', '/v1/webhooks/wh_missing'],
      ['POST', '/v1/webhooks/wh_missing/rotate-secret'],
      ['POST', '/v1/webhooks/wh_missing/test'],
      ['GET', '/v1/webhooks/wh_missing/deliveries'],
      ['POST', `/v1/webhooks/${created.id}/deliveries/dlv_missing/redeliver`],
    ] as const) {
      const body = method === 'PATCH' ? { enabled: true } : undefined;
      await expectProblem(await h.request(method, path, { key: t.key, body }), 404, 'not_found');
    }
  });

  it('another tenant’s endpoint is 404 on every route and is left unchanged', async () => {
    const h = harness();
    const [owner, intruder] = [await h.newTenant(), await h.newTenant()];
    const receiver = await startReceiver();
    const created = await register(h, owner, receiver);
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${created.id}`],
      ['PATCH', `/v1/webhooks/${created.id}`, { url: 'http://127.0.0.1:9/stolen' }],
      ['DELETE', `/v1/webhooks/${created.id}`],
      ['POST', `/v1/webhooks/${created.id}/rotate-secret`],
      ['POST', `/v1/webhooks/${created.id}/test`],
      ['GET', `/v1/webhooks/${created.id}/deliveries`],
    ] as const) {
      await expectProblem(await h.request(method, path, { key: intruder.key, body }), 404, 'not_found');
    }
    expect((await json(await h.request('GET', '/v1/webhooks', { key: intruder.key }))).items).toEqual([]);
    const { secret: _secret, ...unchanged } = created;
    expect(await json(await h.request('GET', `/v1/webhooks/${created.id}`, { key: owner.key }))).toEqual(unchanged);
  });

  it('needs a tenant key', async () => {
    const h = harness();
    await expectProblem(await h.request('GET', '/v1/webhooks'), 401, 'unauthorized');
    await expectProblem(await h.request('GET', '/v1/webhooks', { key: h.adminToken }), 403, 'forbidden');
  });
});

describe('webhooks — destinations are checked (SSRF)', () => {
  const harness = useHarness(httpBackend, { allowPrivateWebhooks: false });

  it.each([
    'http://127.0.0.1:8080/x',
    'http://localhost/x',
    'http://10.1.2.3/x',
    'http://172.16.0.1/x',
    'http://192.168.1.1/x',
    'http://169.254.169.254/latest/meta-data',
    'http://100.64.0.1/x',
    'http://0.0.0.0/x',
    'http://224.0.0.1/x',
    'http://[::1]/x',
    'http://[fe80::1]/x',
    'http://[fd00::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[::169.254.169.254]/latest/meta-data',
    'http://[::127.0.0.1]/x',
    'http://[::10.0.0.1]/x',
    'http://[::ffff:0:10.0.0.1]/x',
    'http://[64:ff9b::169.254.169.254]/x',
    'http://[2002:a9fe:a9fe::1]/x',
    'http://[2001:0:5db8:d70e::f5ff:fffe]/x',
    'http://user:pass@93.184.215.14/x',
    'http://203.0.113.10/x',
  ])('refuses %s at registration', async (url) => {
    const h = harness();
    const t = await h.newTenant();
    const res = await h.request('POST', '/v1/webhooks', { key: t.key, body: { url, events: ['generation.fenced'] } });
    const problem = await expectProblem(res, 400, 'invalid_request');
    expect(problem.errors[0].path).toBe('body.url');
  });

  it('refuses a private URL in a PATCH too, and accepts a public address', async () => {
    const h = harness();
    const t = await h.newTenant();
    const created = await h.request('POST', '/v1/webhooks', {
      key: t.key,
      body: { url: 'https://93.184.215.14/hooks', events: ['generation.fenced'] },
    });
    expect(created.status).toBe(201);
    const { id } = await json(created);
    for (const url of [
      'http://127.0.0.1/x',
      'http://[::169.254.169.254]/x',
      'http://[64:ff9b::10.0.0.1]/x',
      'http://[2002:7f00:1::1]/x',
    ]) {
      const res = await h.request('PATCH', `/v1/webhooks/${id}`, { key: t.key, body: { url } });
      await expectProblem(res, 400, 'invalid_request');
    }
    const unchanged = await json(await h.request('GET', `/v1/webhooks/${id}`, { key: t.key }));
    expect(unchanged.url).toBe('https://93.184.215.14/hooks');
    const moved = await h.request('PATCH', `/v1/webhooks/${id}`, {
      key: t.key,
      body: { url: 'https://[64:ff9b::5db8:d70e]/hooks' },
    });
    expect(moved.status).toBe(200);
  });
});
