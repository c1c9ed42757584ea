import { readFileSync } from 'node:fs';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { expect } from 'vitest';
import { parse } from 'yaml';
import * as schema from '../../src/db/schema.js';
import type { Token } from '../../src/domain/token.js';
import { json, type Harness, type Tenant } from './harness.js';
import { expectProblem } from './problems.js';

/**
 * The path prefixes of the three security suites; every `/v1` operation belongs to exactly one. The
 * event feed (`/v1/events`, the pull twin of webhooks) goes with the webhooks.
 */
export const SECURITY_GROUPS = {
  environments: ['/v1/environments'],
  webhooks: ['/v1/webhooks', '/v1/events'],
  admin: ['/v1/api-keys', '/v1/tenants'],
} as const;

const spec = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

const underPrefix = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Every operation of openapi.yaml under one of `prefixes`, as `METHOD /path/{template}`, sorted. */
export function specOperations(prefixes: readonly string[]): string[] {
  const operations: string[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    if (!prefixes.some((prefix) => underPrefix(path, prefix))) continue;
    for (const method of Object.keys(item)) {
      if (HTTP_METHODS.has(method)) operations.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations.sort();
}

/** A request one case of a suite sends. */
export type Call = { method: string; path: string; body?: unknown; headers?: Record<string, string> };

export function send(h: Harness, call: Call, key?: string | null, headers: Record<string, string> = {}) {
  return h.request(call.method, call.path, { key, body: call.body, headers: { ...call.headers, ...headers } });
}

/** Authorization headers that are not one well-formed bearer credential, each built around a valid one. */
export function malformedAuthorizations(credential: string): string[] {
  return [
    `Basic ${Buffer.from(`${credential}:`).toString('base64')}`,
    `Basic ${credential}`,
    'Bearer',
    'Bearer ',
    `Bearer${credential}`,
    `Bearer ${credential} ${credential}`,
    `Bearer ${credential} extra`,
    `Bearer ${credential}, Bearer ${credential}`,
    `Token ${credential}`,
    credential,
  ];
}

/** Fails if a response's body or headers carry any of `secrets` (keys, the admin token, webhook secrets). */
export function expectNoSecrets(where: string, text: string, headers: Headers, secrets: readonly string[]) {
  const headerText = [...headers.entries()].map(([name, value]) => `${name}: ${value}`).join('\n');
  for (const secret of secrets) {
    expect(text.includes(secret), `${where}: the body carries a secret`).toBe(false);
    expect(headerText.includes(secret), `${where}: a header carries a secret`).toBe(false);
  }
}

async function expectRefusal(
  res: Response,
  status: number,
  code: string,
  where: string,
  secrets: readonly string[],
  action: string,
): Promise<Record<string, any>> {
  const headers = res.headers;
  const body = await expectProblem(res, status, code, { action });
  expectNoSecrets(where, JSON.stringify(body), headers, secrets);
  return body;
}

/** 401 unauthorized, with `WWW-Authenticate: Bearer …`, carrying none of `secrets`. */
export async function expectUnauthorized(res: Response, where: string, secrets: readonly string[]) {
  expect(res.status, where).toBe(401);
  expect(res.headers.get('www-authenticate'), where).toMatch(/^Bearer\b/);
  return expectRefusal(res, 401, 'unauthorized', where, secrets, 'authenticate');
}

export async function expectForbidden(res: Response, where: string, secrets: readonly string[]) {
  expect(res.status, where).toBe(403);
  return expectRefusal(res, 403, 'forbidden', where, secrets, 'abort');
}

export async function expectNotFound(res: Response, where: string, secrets: readonly string[]) {
  expect(res.status, where).toBe(404);
  return expectRefusal(res, 404, 'not_found', where, secrets, 'fix_request');
}

type SchemaTableName = {
  [K in keyof typeof schema]: (typeof schema)[K] extends PgTable ? K : never;
}[keyof typeof schema];

/** Every table the schema declares, by its export name: a table added to the schema is covered unedited. */
export const schemaTables = new Map(
  Object.entries(schema).flatMap(([name, value]) =>
    is(value, PgTable) ? [[name as SchemaTableName, value as PgTable] as const] : [],
  ),
);

/** Every row of every table, serialized and sorted: equal snapshots mean nothing at all changed. */
export async function snapshot(h: Harness): Promise<Record<SchemaTableName, string[]>> {
  const result = {} as Record<SchemaTableName, string[]>;
  for (const [name, table] of schemaTables) {
    const rows = await h.scratch.handle.db.select().from(table);
    result[name] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

/** A second key for `tenant`, created with the admin token. */
export async function addKey(h: Harness, tenant: string, name = 'second key'): Promise<Tenant> {
  const res = await h.request('POST', '/v1/api-keys', { key: h.adminToken, body: { tenant, name } });
  expect(res.status, await res.clone().text()).toBe(201);
  const created = await json(res);
  return { tenant, key: created.key, keyId: created.id };
}

/** Revokes a key with the admin token. */
export async function revoke(h: Harness, keyId: string): Promise<void> {
  const res = await h.request('DELETE', `/v1/api-keys/${keyId}`, { key: h.adminToken });
  expect(res.status, await res.clone().text()).toBe(204);
}

/** A key of `tenant` that worked a moment ago and has just been revoked. */
export async function revokedKey(h: Harness, tenant: string): Promise<Tenant> {
  const extra = await addKey(h, tenant, 'to be revoked');
  expect((await h.request('GET', '/v1/environments', { key: extra.key })).status).toBe(200);
  await revoke(h, extra.keyId);
  return extra;
}

/** A key no tenant has: the right shape, never issued. */
export const UNKNOWN_KEY = 'pal_thisKeyWasNeverIssuedByPalisade0000000000000';

/** The problem body without its per-request member, for comparing two 404s. */
export function withoutRequestId(body: Record<string, any>): Record<string, any> {
  const { request_id: _requestId, ...rest } = body;
  return rest;
}

/** Sends `call` with two Authorization headers, each a valid bearer credential on its own. */
export function sendWithTwoAuthorizationHeaders(h: Harness, call: Call, first: string, second: string) {
  const headers = new Headers(call.headers);
  headers.append('authorization', `Bearer ${first}`);
  headers.append('authorization', `Bearer ${second}`);
  let body: string | undefined;
  if (call.body !== undefined) {
    body = JSON.stringify(call.body);
    headers.set('content-type', 'application/json');
  }
  return Promise.resolve(h.app.request(call.path, { method: call.method, headers, body }));
}

/**
 * A tenant with one environment that has a history (two fences of generation 3), a log (two entries,
 * one of them `owner-data`) and a ready candidate of generation 4: data a refusal must never show.
 */
export async function seedOwnerEnvironment(h: Harness): Promise<{ owner: Tenant; env: string; token: Token }> {
  const owner = await h.newTenant();
  const env = h.uniqueName();
  let token: Token | undefined;
  for (const holder of ['owner-a', 'owner-b']) {
    token = (await h.fence(owner, env, 3, holder)).token;
  }
  const append = await h.request('POST', `/v1/environments/${env}/log`, {
    key: owner.key,
    body: { token, entries: [{ secret: 'owner-data' }, 'more'] },
  });
  expect(append.status).toBe(201);
  const candidate = await h.request('PUT', `/v1/environments/${env}/deployments/4`, {
    key: owner.key,
    body: { holder: 'owner-candidate' },
  });
  expect(candidate.status).toBe(201);
  expect((await h.request('POST', `/v1/environments/${env}/deployments/4/ready`, { key: owner.key })).status).toBe(200);
  return { owner, env, token: token! };
}
