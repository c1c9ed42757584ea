/**
 * What the service sends is what openapi.yaml declares: the response headers of each operation and
 * status, the webhooks of each event type (body and Standard Webhooks headers), and the event feed's
 * items, each checked against its declared JSON Schema.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { feedShowing, json, useHarness } from './support/harness.js';
import { WebhookReceiver } from './support/receiver.js';

type Schema = Record<string, any>;

const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as Schema;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ ...spec, $id: 'openapi.yaml' });

/** Checks `value` against a schema of the spec (a `$ref` into it, or an inline schema with such refs). */
function violations(schema: Schema, value: unknown): string[] {
  const validate = ajv.compile({ $ref: `openapi.yaml#${pointerOf(schema)}` });
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The JSON pointer of a schema inside the spec; `schema` must be an object of the parsed spec. */
function pointerOf(schema: Schema): string {
  const walk = (node: unknown, path: string): string | null => {
    if (node === schema) return path;
    if (node === null || typeof node !== 'object') return null;
    for (const [key, child] of Object.entries(node)) {
      const found = walk(child, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      if (found !== null) return found;
    }
    return null;
  };
  const pointer = walk(spec, '');
  if (pointer === null) throw new Error('not a schema of the spec');
  return pointer;
}

const NAMED_HEADERS = [
  'x-request-id',
  'ratelimit',
  'ratelimit-policy',
  'retry-after',
  'www-authenticate',
  'idempotent-replayed',
];

/** The named headers a response carries that the spec does not declare for its operation and status. */
function undeclaredHeaders(method: string, path: string, res: Response): string[] {
  const response = spec.paths[path]?.[method]?.responses?.[String(res.status)];
  if (!response) return [`${method.toUpperCase()} ${path} ${res.status} is not declared at all`];
  const declared = Object.keys(response.headers ?? {}).map((name) => name.toLowerCase());
  return NAMED_HEADERS.filter((name) => res.headers.has(name) && !declared.includes(name)).map(
    (name) => `${method.toUpperCase()} ${path} ${res.status} sends ${name}`,
  );
}

describe('response headers', () => {
  const harness = useHarness(httpBackend);

  it('every header the service sends (request id, rate limits, Retry-After, WWW-Authenticate, Idempotent-Replayed) is declared on its response', async () => {
    const h = harness();
    const t = await h.newTenant();
    const env = h.uniqueName();
    const fencePath = '/v1/environments/{env}/fence';
    const sent: [string, string, Response][] = [];
    const send = async (method: string, path: string, url: string, options: Parameters<typeof h.request>[2]) => {
      const res = await h.request(method.toUpperCase(), url, options);
      sent.push([method, path, res]);
      return res;
    };

    await send('get', '/v1/environments', '/v1/environments', { key: t.key });
    await send('get', '/v1/environments', '/v1/environments', { key: null });
    await send('get', '/v1/environments', '/v1/environments', { key: h.adminToken });
    await send('get', '/v1/environments/{env}', `/v1/environments/${h.uniqueName('missing')}`, { key: t.key });
    await send('get', '/healthz', '/healthz', {});
    const fence = {
      key: t.key,
      body: { deploy_generation: 2, holder: 'pod' },
      headers: { 'idempotency-key': `fence-${env}` },
    };
    expect((await send('post', fencePath, `/v1/environments/${env}/fence`, fence)).status).toBe(200);
    const replay = await send('post', fencePath, `/v1/environments/${env}/fence`, fence);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const stale = {
      key: t.key,
      body: { deploy_generation: 1, holder: 'old' },
      headers: { 'idempotency-key': `stale-${env}` },
    };
    expect((await send('post', fencePath, `/v1/environments/${env}/fence`, stale)).status).toBe(409);
    expect(
      (await send('post', fencePath, `/v1/environments/${env}/fence`, stale)).headers.get('idempotent-replayed'),
    ).toBe('true');

    const limited = await h.newTenant();
    const limits = await h.request('PUT', `/v1/tenants/${limited.tenant}/limits`, {
      key: h.adminToken,
      body: { request_rate: 1, request_burst: 1 },
    });
    expect(limits.status).toBe(200);
    let exhausted: Response | undefined;
    for (let i = 0; i < 5 && exhausted === undefined; i++) {
      const res = await send('get', '/v1/environments', '/v1/environments', { key: limited.key });
      if (res.status === 429) exhausted = res;
    }
    expect(exhausted?.headers.get('retry-after')).toMatch(/^\d+$/);

    const seen = new Set(sent.flatMap(([, , res]) => NAMED_HEADERS.filter((name) => res.headers.has(name))));
    expect([...seen].sort()).toEqual([...NAMED_HEADERS].sort());
    expect(sent.flatMap(([method, path, res]) => undeclaredHeaders(method, path, res))).toEqual([]);
  });
});

describe('webhooks and the event feed', () => {
  const harness = useHarness(httpBackend, { dispatcher: { timeoutMs: 1_000, retryScheduleMs: [50, 100, 200] } });
  const receivers: WebhookReceiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('every event type is declared in webhooks, and each delivery and feed item fits its declared schema', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await WebhookReceiver.start();
    receivers.push(receiver);
    const subscribable = spec.components.schemas.WebhookEventType.enum as string[];
    const created = await h.request('POST', '/v1/webhooks', {
      key: t.key,
      body: { url: receiver.url, events: subscribable },
    });
    expect(created.status).toBe(201);
    const endpoint = await json(created);
    receiver.secrets = [endpoint.secret];

    const env = h.uniqueName();
    await h.fence(t, env, 1, 'first');
    await h.fence(t, env, 1, 'again');
    await h.fence(t, env, 2, 'takeover');
    const deployment = `/v1/environments/${env}/deployments/3`;
    expect((await h.request('PUT', deployment, { key: t.key, body: { holder: 'candidate' } })).status).toBe(201);
    expect((await h.request('POST', `${deployment}/ready`, { key: t.key })).status).toBe(200);
    expect((await h.request('POST', `${deployment}/promote`, { key: t.key })).status).toBe(200);
    expect((await h.request('DELETE', `/v1/environments/${env}`, { key: t.key })).status).toBe(204);
    expect((await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: t.key })).status).toBe(202);

    const types = [
      'epoch.fenced',
      'generation.fenced',
      'deployment.ready_to_promote',
      'deployment.promoted',
      'environment.deleted',
      'webhook.test',
    ];
    expect(Object.keys(spec.webhooks).sort()).toEqual([...types].sort());

    // The promotion fences generation 2 as well: a second generation.fenced.
    const eventCount = types.length + 1;
    await receiver.waitFor((r) => r.length >= eventCount);
    expect(new Set(receiver.received.map((r) => r.payload.type))).toEqual(new Set(types));
    for (const delivery of receiver.received) {
      const declared = spec.webhooks[delivery.payload.type].post;
      expect(
        violations(declared.requestBody.content['application/json'].schema, JSON.parse(delivery.body)),
        delivery.body,
      ).toEqual([]);
      const headers = (declared.parameters as Schema[])
        .filter((p) => p.in === 'header' && p.required)
        .map((p) => p.name);
      expect(
        headers.filter((name) => delivery.headers[name] === undefined),
        delivery.payload.type,
      ).toEqual([]);
    }

    const feed = await feedShowing(h, t, eventCount);
    expect(new Set(feed.map((item) => item.type))).toEqual(new Set(types));
    const feedSchema = spec.paths['/v1/events'].get.responses['200'].content['application/json'].schema;
    expect(violations(feedSchema, { items: feed, next_cursor: 'x' })).toEqual([]);
    for (const item of feed) {
      const payload = spec.webhooks[item.type].post.requestBody.content['application/json'].schema;
      const { id: _id, ...body } = item as Record<string, unknown>;
      expect(violations(payload, body), item.type).toEqual([]);
    }
  });

  it('a feed item whose data does not fit its type is refused by the declared schema', () => {
    const feedSchema = spec.paths['/v1/events'].get.responses['200'].content['application/json'].schema;
    const item = {
      id: 'evt_0',
      type: 'generation.fenced',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { environment: 'e', deploy_generation: 1, holder: 'h', ready_at: '2026-01-01T00:00:00.000Z' },
    };
    expect(violations(feedSchema, { items: [item], next_cursor: 'x' })).not.toEqual([]);
  });
});
