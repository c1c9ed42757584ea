import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deliveries } from '../src/db/schema.js';
import type { Token } from '../src/domain/token.js';
import { httpBackend } from './support/database.js';
import { json, useHarness, type Harness, type Tenant } from './support/harness.js';
import {
  addKey,
  type Call,
  expectForbidden,
  expectNotFound,
  expectUnauthorized,
  malformedAuthorizations,
  revoke,
  revokedKey,
  seedOwnerEnvironment,
  send,
  sendWithTwoAuthorizationHeaders,
  snapshot,
  UNKNOWN_KEY,
} from './support/security.js';

/**
 * Who may call what, for every operation of the OpenAPI document the app serves: each operation's
 * `security` says which credential it takes, and every other credential, or none, is refused the
 * same way everywhere, changing nothing and revealing nothing.
 */

// No dispatcher: deliveries stay as the seed leaves them, so any change is a request's doing.
const harness = useHarness(httpBackend);

/**
 * A tenant with an environment that has a history (two fences), a log (two entries) and a ready
 * candidate, and a webhook endpoint with one (failed) delivery; `revoked` are keys of the tenant
 * revoked before the requests, one of them right after it wrote with an Idempotency-Key.
 */
type Seed = {
  owner: Tenant;
  env: string;
  token: Token;
  webhookId: string;
  webhookSecret: string;
  deliveryId: string;
  revoked: Tenant[];
};

/** What the owner's data holds that no refusal may repeat. */
const OWNER_DATA = ['owner-data', 'owner-b', 'owner-candidate'];

async function seed(h: Harness): Promise<Seed> {
  const { owner, env, token } = await seedOwnerEnvironment(h);

  const endpoint = await h.request('POST', '/v1/webhooks', {
    key: owner.key,
    body: { url: 'http://127.0.0.1:9/owner', events: ['generation.fenced'] },
  });
  expect(endpoint.status).toBe(201);
  const { id: webhookId, secret: webhookSecret } = await json(endpoint);
  expect((await h.request('POST', `/v1/webhooks/${webhookId}/test`, { key: owner.key })).status).toBe(202);
  const sent = await json(await h.request('GET', `/v1/webhooks/${webhookId}/deliveries`, { key: owner.key }));
  const deliveryId = sent.items[0].id as string;
  await h.scratch.handle.db.update(deliveries).set({ status: 'failed' }).where(eq(deliveries.id, deliveryId));

  const writer = await addKey(h, owner.tenant, 'revoked after a write');
  const write = await h.request('POST', `/v1/environments/${h.uniqueName()}/fence`, {
    key: writer.key,
    body: { deploy_generation: 1, holder: 'before-revocation' },
    headers: { 'idempotency-key': `idem-${h.uniqueName()}` },
  });
  expect(write.status).toBe(200);
  await revoke(h, writer.keyId);
  const revoked = [await revokedKey(h, owner.tenant), writer];
  return { owner, env, token, webhookId, webhookSecret, deliveryId, revoked };
}

/** A value for each path parameter, naming the seed's resources; a new parameter needs one here. */
const PATH_VALUES: Record<string, (s: Seed, path: string) => string> = {
  env: (s) => s.env,
  generation: () => '4',
  tenant: (s) => s.owner.tenant,
  delivery_id: (s) => s.deliveryId,
  id: (s, path) => (path.startsWith('/v1/api-keys/') ? s.owner.keyId : s.webhookId),
};

/**
 * What an operation is sent besides its credential, by operationId: a request that would succeed,
 * and change something where the operation writes, were the credential accepted.
 */
const REQUESTS: Record<
  string,
  (s: Seed) => { body?: unknown; params?: Record<string, string>; headers?: Record<string, string> }
> = {
  createApiKey: (s) => ({ body: { tenant: s.owner.tenant, name: 'escalation' } }),
  setTenantLimits: () => ({
    body: { request_rate: 1_000_000, request_burst: 10_000_000, environments: 100_000_000, webhooks: 100_000 },
  }),
  fence: () => ({ body: { deploy_generation: 9, holder: 'intruder' } }),
  confirm: (s) => ({ body: { token: s.token } }),
  appendLog: (s) => ({ body: { token: s.token, expected_upper: 2, entries: ['intrusion'] } }),
  registerDeployment: () => ({ params: { generation: '10' }, body: { holder: 'intruder' } }),
  promoteDeployment: () => ({ body: { skip_catchup: true } }),
  // An event stream when allowed; every refusal is answered before the stream starts.
  watchEnvironment: () => ({ headers: { 'last-event-id': '0' } }),
  createWebhook: () => ({ body: { url: 'http://127.0.0.1:9/intruder', events: ['generation.fenced'] } }),
  updateWebhook: () => ({ body: { url: 'http://127.0.0.1:9/hijacked', enabled: false } }),
};

type Security = 'none' | 'apiKey' | 'adminToken';
type Operation = {
  name: string;
  operationId: string;
  security: Security;
  hasBody: boolean;
  /** Whether the operation declares 404: it addresses a resource of the caller's tenant. */
  addressesResource: boolean;
  call(s: Seed): Call;
};

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function securityOf(name: string, requirement: Record<string, unknown>[] | undefined): Security {
  const schemes = (requirement ?? []).flatMap((item) => Object.keys(item));
  if (schemes.length === 0) return 'none';
  if (schemes.length === 1 && (schemes[0] === 'apiKey' || schemes[0] === 'adminToken')) return schemes[0];
  throw new Error(`${name}: a security requirement the matrix does not know: ${JSON.stringify(requirement)}`);
}

/** Every operation of the document the app serves at /openapi.json. */
async function servedOperations(h: Harness): Promise<Operation[]> {
  const res = await h.request('GET', '/openapi.json');
  expect(res.status).toBe(200);
  const document = (await json(res)) as { paths: Record<string, Record<string, any>> };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const declared = item[method];
      if (!declared) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const operationId = declared.operationId as string;
      operations.push({
        name,
        operationId,
        security: securityOf(name, declared.security),
        hasBody: declared.requestBody !== undefined,
        addressesResource: '404' in declared.responses,
        call(s) {
          const request = REQUESTS[operationId]?.(s) ?? {};
          const filled = path.replace(/\{([^}]+)\}/g, (_, param: string) => {
            const value = request.params?.[param] ?? PATH_VALUES[param]?.(s, path);
            if (value === undefined) throw new Error(`${name}: no value for the path parameter ${param}`);
            return encodeURIComponent(value);
          });
          return { method: method.toUpperCase(), path: filled, body: request.body, headers: request.headers };
        },
      });
    }
  }
  return operations.sort((a, b) => a.name.localeCompare(b.name));
}

/** Every credential of the run, none of which any refusal may carry. */
function secretsOf(h: Harness, s: Seed, ...more: string[]): string[] {
  return [s.owner.key, h.adminToken, s.webhookSecret, ...s.revoked.map((key) => key.key), ...more];
}

/**
 * Sends each secured operation the requests `refuse` makes and checks each answer with it; after
 * every operation the database is exactly as before.
 */
async function eachSecured(
  security: Security[],
  refuse: (h: Harness, s: Seed, op: Operation) => Promise<void>,
  prepare?: (h: Harness) => Promise<void>,
) {
  const h = harness();
  const s = await seed(h);
  await prepare?.(h);
  const operations = (await servedOperations(h)).filter((op) => security.includes(op.security));
  expect(operations.length).toBeGreaterThan(0);
  const before = await snapshot(h);
  for (const op of operations) {
    await refuse(h, s, op);
    expect(await snapshot(h), `${op.name} changed state`).toEqual(before);
  }
}

/** The credential an operation takes, as the seed holds it. */
const rightCredential = (h: Harness, s: Seed, op: Operation) =>
  op.security === 'adminToken' ? h.adminToken : s.owner.key;

describe('the auth matrix: the document', () => {
  it('declares for every operation a credential the matrix knows, and the matrix can fill its path and body', async () => {
    const h = harness();
    const operations = await servedOperations(h);
    const s = {
      owner: { tenant: 't', key: 'k', keyId: 'i' },
      env: 'e',
      token: { deploy_generation: 1, epoch: 1 },
      webhookId: 'w',
      webhookSecret: 'x',
      deliveryId: 'd',
      revoked: [],
    };
    for (const op of operations) {
      expect(() => op.call(s), op.name).not.toThrow();
      if (op.hasBody) expect(op.call(s).body, `${op.name} needs a request body in REQUESTS`).toBeDefined();
    }
    const secured = operations.filter((op) => op.security !== 'none');
    expect(secured.map((op) => op.name)).toEqual(
      operations.filter((op) => op.name.includes(' /v1/')).map((op) => op.name),
    );
    expect(Object.keys(REQUESTS).filter((id) => !operations.some((op) => op.operationId === id))).toEqual([]);
  });

  it('answers an operation declared with `security: []` without credentials', async () => {
    const h = harness();
    const open = (await servedOperations(h)).filter((op) => op.security === 'none');
    expect(open.map((op) => op.name)).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz']);
    for (const op of open) {
      const res = await send(h, op.call({} as Seed), null);
      expect(res.status, `${op.name}: ${await res.text()}`).toBe(200);
    }
  });
});

describe('the auth matrix: no valid credential (401)', () => {
  it('no Authorization header is 401 with WWW-Authenticate: Bearer on every secured operation, and changes nothing', async () => {
    await eachSecured(['apiKey', 'adminToken'], async (h, s, op) => {
      await expectUnauthorized(await send(h, op.call(s), null), op.name, secretsOf(h, s));
    });
  });

  it('a malformed Authorization header around the right credential (Basic, Bearer without a token, two tokens, two headers) is 401', async () => {
    await eachSecured(['apiKey', 'adminToken'], async (h, s, op) => {
      const credential = rightCredential(h, s, op);
      for (const authorization of malformedAuthorizations(credential)) {
        await expectUnauthorized(
          await send(h, op.call(s), null, { authorization }),
          `${op.name} with "${authorization}"`,
          secretsOf(h, s),
        );
      }
      const twice = await sendWithTwoAuthorizationHeaders(h, op.call(s), credential, credential);
      await expectUnauthorized(twice, `${op.name} with two Authorization headers`, secretsOf(h, s));
    });
  });

  it('an unknown key, a near miss of a key or of the admin token, a key id or a webhook secret is 401', async () => {
    await eachSecured(['apiKey', 'adminToken'], async (h, s, op) => {
      const key = s.owner.key;
      const admin = h.adminToken;
      const wrong = [
        UNKNOWN_KEY,
        `${key}x`,
        key.slice(0, -1),
        s.owner.keyId,
        s.webhookSecret,
        `${admin}x`,
        admin.slice(0, -1),
        admin.toUpperCase(),
        ` ${admin}x`,
      ];
      for (const credential of wrong) {
        await expectUnauthorized(
          await send(h, op.call(s), credential),
          `${op.name} with ${credential}`,
          secretsOf(h, s, credential.trim()),
        );
      }
    });
  });

  it('a revoked key, also one revoked right after it wrote, is 401 (not 403) at once', async () => {
    await eachSecured(['apiKey', 'adminToken'], async (h, s, op) => {
      for (const revoked of s.revoked) {
        await expectUnauthorized(
          await send(h, op.call(s), revoked.key),
          `${op.name} with a revoked key`,
          secretsOf(h, s),
        );
      }
    });
  });
});

describe('the auth matrix: the wrong kind of credential (403)', () => {
  it('the admin token is 403 on every operation that takes a tenant key', async () => {
    await eachSecured(['apiKey'], async (h, s, op) => {
      await expectForbidden(await send(h, op.call(s), h.adminToken), op.name, secretsOf(h, s));
    });
  });

  it('a tenant key is 403 on every operation that takes the admin token, aimed at its own tenant or another, naming no other tenant', async () => {
    let intruder: Tenant | undefined;
    await eachSecured(
      ['adminToken'],
      async (h, s, op) => {
        await expectForbidden(
          await send(h, op.call(s), s.owner.key),
          `${op.name} with the tenant’s own key`,
          secretsOf(h, s),
        );
        const body = await expectForbidden(
          await send(h, op.call(s), intruder!.key),
          `${op.name} with another tenant’s key`,
          secretsOf(h, s, intruder!.key),
        );
        expect(JSON.stringify(body), op.name).not.toContain(s.owner.tenant);
      },
      async (h) => {
        intruder = await h.newTenant();
      },
    );
  });
});

describe('the auth matrix: tenant isolation (404)', () => {
  it('another tenant’s key gets 404 on every operation that addresses a resource of this tenant, revealing none of it', async () => {
    let intruder: Tenant | undefined;
    await eachSecured(
      ['apiKey'],
      async (h, s, op) => {
        if (!op.addressesResource) return;
        const body = await expectNotFound(
          await send(h, op.call(s), intruder!.key),
          op.name,
          secretsOf(h, s, intruder!.key),
        );
        for (const data of OWNER_DATA) expect(JSON.stringify(body), op.name).not.toContain(data);
      },
      async (h) => {
        intruder = await h.newTenant();
      },
    );
  });
});
