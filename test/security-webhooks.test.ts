import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries, webhookEndpoints } from '../src/db/schema.js';
import { httpBackend } from './support/database.js';
import { feedShowing, json, useHarness, type Harness, type Tenant } from './support/harness.js';
import {
  addKey,
  type Call,
  expectNoSecrets,
  expectNotFound,
  expectUnauthorized,
  revoke,
  SECURITY_GROUPS,
  send,
  snapshot,
  specOperations,
  withoutRequestId,
} from './support/security.js';

// No dispatcher: deliveries stay as the tests leave them, so any change is the request's doing.
const harness = useHarness(httpBackend);

const OWNER_URL = 'http://127.0.0.1:9/owner';

/** A tenant with one webhook endpoint and one delivery to it (failed, so a redeliver would show). */
type Fixture = { owner: Tenant; id: string; secret: string; deliveryId: string; eventId: string };

async function createEndpoint(h: Harness, t: Tenant, url: string) {
  const res = await h.request('POST', '/v1/webhooks', { key: t.key, body: { url, events: ['generation.fenced'] } });
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

async function setup(h: Harness): Promise<Fixture> {
  const owner = await h.newTenant();
  const endpoint = await createEndpoint(h, owner, OWNER_URL);
  expect(endpoint.secret).toMatch(/^whsec_/);
  const sent = await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: owner.key });
  expect(sent.status).toBe(202);
  const eventId = (await json(sent)).event_id as string;
  const list = await json(await h.request('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key: owner.key }));
  expect(list.items).toHaveLength(1);
  const deliveryId = list.items[0].id as string;
  await h.scratch.handle.db.update(deliveries).set({ status: 'failed' }).where(eq(deliveries.id, deliveryId));
  return { owner, id: endpoint.id, secret: endpoint.secret, deliveryId, eventId };
}

/** The endpoint's row, its sealed secrets opened. */
async function endpointRow(h: Harness, id: string) {
  const [row] = await h.scratch.handle.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  if (!row) return row;
  const open = (sealed: string) => h.keyring.openWebhookSecret(id, sealed);
  return {
    ...row,
    secret: open(row.secret),
    previousSecret: row.previousSecret === null ? null : open(row.previousSecret),
  };
}

/** The owner, with its own key, still sees its endpoint exactly as `setup` left it, and its secret is unchanged. */
async function expectOwnerIntact(h: Harness, f: Fixture) {
  const endpoint = await json(await h.request('GET', `/v1/webhooks/${f.id}`, { key: f.owner.key }));
  expect(endpoint).toMatchObject({ id: f.id, url: OWNER_URL, events: ['generation.fenced'], enabled: true });
  const list = await json(await h.request('GET', `/v1/webhooks/${f.id}/deliveries`, { key: f.owner.key }));
  expect(list.items.map((d: { id: string; status: string }) => [d.id, d.status])).toEqual([[f.deliveryId, 'failed']]);
  expect(await endpointRow(h, f.id)).toMatchObject({ secret: f.secret, previousSecret: null, tenant: f.owner.tenant });
  const feed = await feedShowing(h, f.owner, 1);
  expect(feed.map((e) => [e.id, e.type])).toEqual([[f.eventId, 'webhook.test']]);
}

/**
 * One case per operation of openapi.yaml under /v1/webhooks. Another tenant's key gets 404 where
 * the path names this tenant's endpoint; creating and listing act on its own endpoints only.
 */
const cases: Record<string, { call: (f: Fixture) => Call; crossTenant: 'not_found' | 'own_namespace' }> = {
  'POST /v1/webhooks': {
    call: () => ({
      method: 'POST',
      path: '/v1/webhooks',
      body: { url: 'http://127.0.0.1:9/intruder', events: ['generation.fenced'] },
    }),
    crossTenant: 'own_namespace',
  },
  'GET /v1/webhooks': {
    call: () => ({ method: 'GET', path: '/v1/webhooks' }),
    crossTenant: 'own_namespace',
  },
  'GET /v1/webhooks/{id}': {
    call: (f) => ({ method: 'GET', path: `/v1/webhooks/${f.id}` }),
    crossTenant: 'not_found',
  },
  'PATCH /v1/webhooks/{id}': {
    call: (f) => ({
      method: 'PATCH',
      path: `/v1/webhooks/${f.id}`,
      body: { url: 'http://127.0.0.1:9/hijacked', enabled: false },
    }),
    crossTenant: 'not_found',
  },
  'DELETE /v1/webhooks/{id}': {
    call: (f) => ({ method: 'DELETE', path: `/v1/webhooks/${f.id}` }),
    crossTenant: 'not_found',
  },
  'POST /v1/webhooks/{id}/rotate-secret': {
    call: (f) => ({ method: 'POST', path: `/v1/webhooks/${f.id}/rotate-secret` }),
    crossTenant: 'not_found',
  },
  'POST /v1/webhooks/{id}/test': {
    call: (f) => ({ method: 'POST', path: `/v1/webhooks/${f.id}/test` }),
    crossTenant: 'not_found',
  },
  'GET /v1/webhooks/{id}/deliveries': {
    call: (f) => ({ method: 'GET', path: `/v1/webhooks/${f.id}/deliveries` }),
    crossTenant: 'not_found',
  },
  'POST /v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': {
    call: (f) => ({ method: 'POST', path: `/v1/webhooks/${f.id}/deliveries/${f.deliveryId}/redeliver` }),
    crossTenant: 'not_found',
  },
  // The tenant's event feed (the pull twin of webhooks): the owner's feed holds the test event.
  'GET /v1/events': {
    call: () => ({ method: 'GET', path: '/v1/events' }),
    crossTenant: 'own_namespace',
  },
};

const operations = Object.entries(cases);

describe('security — webhooks and the event feed: coverage', () => {
  it('exercises every operation of openapi.yaml under /v1/webhooks and /v1/events', () => {
    expect(Object.keys(cases).sort()).toEqual(specOperations(SECURITY_GROUPS.webhooks));
  });
});

describe('security — webhooks: revoked keys', () => {
  it('a key revoked after rotating the secret with an Idempotency-Key gets 401 on the retry, never the new secret', async () => {
    const h = harness();
    const f = await setup(h);
    // The retry must not replay the response, which carries the new secret.
    const writer = await addKey(h, f.owner.tenant, 'revoked after a write');
    const rotateCall: Call = {
      method: 'POST',
      path: `/v1/webhooks/${f.id}/rotate-secret`,
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    };
    const rotated = await send(h, rotateCall, writer.key);
    expect(rotated.status).toBe(200);
    const newSecret = (await json(rotated)).secret as string;
    await revoke(h, writer.keyId);

    const before = await snapshot(h);
    const retry = await expectUnauthorized(
      await send(h, rotateCall, writer.key),
      'idempotent retry with a revoked key',
      [writer.key, h.adminToken, newSecret, f.secret],
    );
    expect(retry).not.toHaveProperty('secret');
    expect(await snapshot(h)).toEqual(before);
    expect(await endpointRow(h, f.id)).toMatchObject({ secret: newSecret, previousSecret: f.secret });
  });
});

describe('security — webhooks: tenant isolation (404)', () => {
  it('another tenant’s 404 is indistinguishable from the 404 for an endpoint or delivery that exists nowhere', async () => {
    const h = harness();
    const f = await setup(h);
    const intruder = await h.newTenant();
    const ghost: Fixture = {
      ...f,
      id: f.id.replace(/.{6}$/, 'ffffff'),
      deliveryId: f.deliveryId.replace(/.{6}$/, 'ffffff'),
    };
    expect(ghost.id).not.toBe(f.id);
    for (const [op, { call }] of operations.filter(([, c]) => c.crossTenant === 'not_found')) {
      const existing = await send(h, call(f), intruder.key);
      const missing = await send(h, call(ghost), intruder.key);
      expect(existing.status, op).toBe(404);
      expect(missing.status, op).toBe(404);
      const a = JSON.stringify(withoutRequestId(await json(existing)));
      const b = JSON.stringify(withoutRequestId(await json(missing)))
        .replaceAll(ghost.id, f.id)
        .replaceAll(ghost.deliveryId, f.deliveryId);
      expect(a, op).toBe(b);
    }
  });

  it('another tenant cannot reach the owner’s delivery through an endpoint of its own', async () => {
    const h = harness();
    const f = await setup(h);
    const intruder = await h.newTenant();
    const own = await createEndpoint(h, intruder, 'http://127.0.0.1:9/intruder');
    const before = await snapshot(h);
    await expectNotFound(
      await h.request('POST', `/v1/webhooks/${own.id}/deliveries/${f.deliveryId}/redeliver`, { key: intruder.key }),
      'redeliver the owner’s delivery through the intruder’s endpoint',
      [intruder.key, f.owner.key, f.secret],
    );
    const ownDeliveries = await json(
      await h.request('GET', `/v1/webhooks/${own.id}/deliveries`, { key: intruder.key }),
    );
    expect(ownDeliveries).toEqual({ items: [], next_cursor: null });
    expect(await snapshot(h)).toEqual(before);
    await expectOwnerIntact(h, f);
  });

  it('creating, listing and the event feed of another tenant act on its own endpoints and events only', async () => {
    const h = harness();
    const f = await setup(h);
    const intruder = await h.newTenant();
    const own = operations.filter(([, c]) => c.crossTenant === 'own_namespace').map(([op]) => op);
    expect(own.sort()).toEqual(['GET /v1/events', 'GET /v1/webhooks', 'POST /v1/webhooks']);

    expect(await json(await send(h, cases['GET /v1/webhooks']!.call(f), intruder.key))).toEqual({
      items: [],
      next_cursor: null,
    });
    const feed = await send(h, cases['GET /v1/events']!.call(f), intruder.key);
    expect(feed.status).toBe(200);
    const feedText = await feed.text();
    expect(JSON.parse(feedText).items).toEqual([]);
    for (const owned of [f.eventId, f.id, f.deliveryId]) expect(feedText).not.toContain(owned);

    const created = await send(h, cases['POST /v1/webhooks']!.call(f), intruder.key);
    expect(created.status).toBe(201);
    const endpoint = await json(created);
    expect(endpoint.id).not.toBe(f.id);
    expect(endpoint.secret).not.toBe(f.secret);
    const listed = await json(await send(h, cases['GET /v1/webhooks']!.call(f), intruder.key));
    expect(listed.items.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);
    // The intruder's own test event shows in its own feed only.
    const ownEvent = await json(await h.request('POST', `/v1/webhooks/${endpoint.id}/test`, { key: intruder.key }));
    const ownFeed = await feedShowing(h, intruder, 1);
    expect(ownFeed.map((e) => e.id)).toEqual([ownEvent.event_id]);

    const ownerList = await json(await h.request('GET', '/v1/webhooks', { key: f.owner.key }));
    expect(ownerList.items.map((e: { id: string }) => e.id)).toEqual([f.id]);
    await expectOwnerIntact(h, f);
  });
});

describe('security — webhooks: secrets', () => {
  it('GET, list, PATCH, deliveries and the event feed never include `secret`, not even for the owner, before or after a rotation', async () => {
    const h = harness();
    const f = await setup(h);
    const check = async (secrets: string[]) => {
      for (const [label, res] of [
        ['GET', await h.request('GET', `/v1/webhooks/${f.id}`, { key: f.owner.key })],
        ['list', await h.request('GET', '/v1/webhooks', { key: f.owner.key })],
        [
          'PATCH',
          await h.request('PATCH', `/v1/webhooks/${f.id}`, { key: f.owner.key, body: { description: 'changed' } }),
        ],
        ['deliveries', await h.request('GET', `/v1/webhooks/${f.id}/deliveries`, { key: f.owner.key })],
        ['event feed', await h.request('GET', '/v1/events', { key: f.owner.key })],
      ] as const) {
        const text = await res.text();
        expect(res.status, `${label}: ${text}`).toBe(200);
        expect(text, label).not.toMatch(/"(previous_)?secret"/);
        expect(text, label).not.toContain('whsec_');
        expectNoSecrets(label, text, res.headers, secrets);
      }
    };
    await check([f.secret, f.owner.key]);
    const rotated = await h.request('POST', `/v1/webhooks/${f.id}/rotate-secret`, { key: f.owner.key });
    expect(rotated.status).toBe(200);
    const { secret: newSecret } = await json(rotated);
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(f.secret);
    await check([f.secret, newSecret, f.owner.key]);
  });

  it('another tenant’s key never reveals a webhook secret of this tenant', async () => {
    const h = harness();
    const f = await setup(h);
    const intruder = await h.newTenant();
    const ownEndpoint = await createEndpoint(h, intruder, 'http://127.0.0.1:9/intruder');
    for (const [op, { call }] of operations) {
      const res = await send(h, call(f), intruder.key);
      const text = await res.text();
      expectNoSecrets(op, text, res.headers, [f.secret, f.owner.key]);
      if (cases[op]!.crossTenant === 'not_found') expect(res.status, op).toBe(404);
      else expect(text, op).not.toContain(f.id);
    }
    const list = await json(await h.request('GET', '/v1/webhooks', { key: intruder.key }));
    expect(list.items.map((e: { id: string }) => e.id)).not.toContain(f.id);
    for (const item of list.items) expect(item).not.toHaveProperty('secret');
    expect(ownEndpoint.secret).not.toBe(f.secret);
    // The owner's secret did not move (the intruder's rotate-secret was a 404).
    expect(await endpointRow(h, f.id)).toMatchObject({ secret: f.secret, previousSecret: null });
  });
});

describe('security — webhooks: Idempotency-Key is scoped per tenant', () => {
  it('tenant B reusing tenant A’s Idempotency-Key on POST /v1/webhooks, same body, gets its own endpoint and secret', async () => {
    const h = harness();
    const a = await h.newTenant();
    const b = await h.newTenant();
    const call: Call = {
      method: 'POST',
      path: '/v1/webhooks',
      body: { url: 'http://127.0.0.1:9/same', events: ['generation.fenced'] },
      headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
    };
    const fromA = await send(h, call, a.key);
    expect(fromA.status).toBe(201);
    const aBody = await json(fromA);

    const fromB = await send(h, call, b.key);
    expect(fromB.status).toBe(201);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    const bText = await fromB.text();
    expect(bText).not.toContain(aBody.secret);
    expect(bText).not.toContain(aBody.id);
    const bBody = JSON.parse(bText);
    expect(bBody.secret).toMatch(/^whsec_/);

    const bList = await json(await h.request('GET', '/v1/webhooks', { key: b.key }));
    expect(bList.items.map((e: { id: string }) => e.id)).toEqual([bBody.id]);
    const aList = await json(await h.request('GET', '/v1/webhooks', { key: a.key }));
    expect(aList.items.map((e: { id: string }) => e.id)).toEqual([aBody.id]);
    const replayA = await send(h, call, a.key);
    expect(replayA.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(replayA)).toEqual(aBody);
  });

  it('tenant B replaying tenant A’s Idempotency-Key on A’s rotate-secret, test and redeliver gets 404, never A’s response', async () => {
    const h = harness();
    const f = await setup(h);
    const b = await h.newTenant();
    const calls: Call[] = [
      { method: 'POST', path: `/v1/webhooks/${f.id}/rotate-secret` },
      { method: 'POST', path: `/v1/webhooks/${f.id}/test` },
      { method: 'POST', path: `/v1/webhooks/${f.id}/deliveries/${f.deliveryId}/redeliver` },
    ].map((call) => ({ ...call, headers: { 'idempotency-key': `idem-${h.uniqueName()}` } }));

    const responses: string[] = [];
    for (const call of calls) {
      const res = await send(h, call, f.owner.key);
      expect(res.status, call.path).toBeLessThan(300);
      responses.push(await res.text());
    }
    const rotatedSecret = JSON.parse(responses[0]!).secret as string;
    const testEventId = JSON.parse(responses[1]!).event_id as string;

    const before = await snapshot(h);
    for (const call of calls) {
      const res = await send(h, call, b.key);
      expect(res.headers.get('idempotent-replayed'), call.path).toBeNull();
      const body = await expectNotFound(res, call.path, [rotatedSecret, f.secret, f.owner.key, b.key]);
      expect(JSON.stringify(body)).not.toContain(testEventId);
    }
    const after = await snapshot(h);
    // B's 404s may be remembered under B's own scope; nothing else moved.
    expect({ ...after, idempotencyKeys: [] }).toEqual({ ...before, idempotencyKeys: [] });
    expect(
      after.idempotencyKeys
        .filter((row) => !before.idempotencyKeys.includes(row))
        .every((row) => JSON.parse(row).scope === b.tenant),
    ).toBe(true);
    expect(await endpointRow(h, f.id)).toMatchObject({ secret: rotatedSecret, previousSecret: f.secret });
  });
});
