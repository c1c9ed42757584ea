/**
 * Clients generated from openapi.yaml by third-party generators narrow the error of a call on its
 * `code` and an event of the feed on its `type`: each generator's output is compiled, with a
 * snippet that uses the narrowed members, under `tsc --strict`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient as generateHeyApiClient } from '@hey-api/openapi-ts';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SPEC = join(ROOT, 'openapi.yaml');
// Inside node_modules, so the snippets resolve openapi-fetch from the project's own packages.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const WORK = mkdtempSync(join(ROOT, 'node_modules/.cache/generated-clients-'));

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** Type-checks the files of `dir` under --strict; resolves with tsc's diagnostics, '' when clean. */
async function typecheck(dir: string, files: string[]): Promise<string> {
  const tsc = join(ROOT, 'node_modules/.bin/tsc');
  const args = [
    '--strict',
    '--noEmit',
    '--skipLibCheck',
    '--target',
    'ES2022',
    '--module',
    'ESNext',
    '--moduleResolution',
    'Bundler',
    '--lib',
    'ES2022,DOM,DOM.Iterable',
    '--types',
    'node',
    ...files.map((file) => join(dir, file)),
  ];
  return promisify(execFile)(tsc, args, { cwd: dir }).then(
    () => '',
    (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
  );
}

/** What a caller does with each error of an append, reaching for the members only its code has. */
const appendErrorHandling = (error: string) => `
  switch (${error}.code) {
    case 'fenced': {
      const kind: 'deploy_generation' | 'epoch' = ${error}.kind;
      const action: 'terminate' | 'halt' = ${error}.action;
      return \`\${kind} \${action} \${${error}.current_token?.epoch}\`;
    }
    case 'upper_mismatch':
      return String(${error}.current_upper - ${error}.expected_upper);
    case 'token_from_future':
      return String(${error}.your_token.epoch);
    case 'invalid_request':
      return ${error}.errors.map((issue) => issue.path + issue.message).join();
    case 'payload_too_large':
      return String(${error}.limit);
    case 'resource_exhausted':
      return ${error}.resource + String(${error}.limit);
    default:
      return ${error}.detail;
  }`;

/** What a reader of the feed does with each event, reaching for the data only its type has. */
const feedHandling = (item: string) => `
  switch (${item}.type) {
    case 'generation.fenced':
    case 'epoch.fenced':
      return String(${item}.data.fenced.token.epoch) + ${item}.data.by.holder;
    case 'environment.deleted':
      return ${item}.data.environment + String(${item}.data.last?.token.epoch);
    case 'deployment.ready_to_promote':
      return ${item}.data.holder + ${item}.data.ready_at;
    case 'deployment.promoted':
      return String(${item}.data.skipped_catchup) + String(${item}.data.previous?.token.epoch);
    case 'webhook.test':
      return ${item}.data.endpoint_id;
  }`;

describe('clients generated from openapi.yaml', () => {
  it('openapi-typescript with openapi-fetch: `error.code` narrows the error, `type` the event', async () => {
    const dir = join(WORK, 'openapi-typescript');
    mkdirSync(dir);
    writeFileSync(join(dir, 'schema.ts'), astToString(await openapiTS(new URL(`file://${SPEC}`), { silent: true })));
    writeFileSync(
      join(dir, 'usage.ts'),
      `
import createClient from 'openapi-fetch';
import type { paths, webhooks } from './schema';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8080' });

export async function append(): Promise<string> {
  const { error } = await client.POST('/v1/environments/{env}/log', {
    params: { path: { env: 'orders-db' } },
    body: { token: { deploy_generation: 1, epoch: 1 }, entries: [] },
  });
  if (error === undefined) return 'appended';
  ${appendErrorHandling('error')}
}

export async function fencedBy(): Promise<string | undefined> {
  const { error } = await client.POST('/v1/environments/{env}/log', {
    params: { path: { env: 'orders-db' } },
    body: { token: { deploy_generation: 1, epoch: 1 }, entries: [] },
  });
  if (error?.code === 'fenced') return error.kind;
  return error?.detail;
}

export async function fence(): Promise<string> {
  const { error } = await client.POST('/v1/environments/{env}/fence', {
    params: { path: { env: 'orders-db' } },
    body: { deploy_generation: 1, holder: 'worker-1' },
  });
  if (error?.code === 'fenced') return String(error.your_deploy_generation);
  if (error?.code === 'idempotency_key_reused') return error.detail;
  return 'fenced';
}

export async function feed(): Promise<string[]> {
  const { data } = await client.GET('/v1/events', {});
  return (data?.items ?? []).map((item) => {
    ${feedHandling('item')}
  });
}

type Delivered = NonNullable<webhooks['generation.fenced']['post']['requestBody']>['content']['application/json'];
export const previousHolder = (payload: Delivered): string => payload.data.fenced.holder;
`,
    );
    expect(await typecheck(dir, ['usage.ts'])).toBe('');
  }, 120_000);

  it('@hey-api/openapi-ts with its fetch client: `error.code` narrows the error, `type` the event', async () => {
    const dir = join(WORK, 'hey-api');
    await generateHeyApiClient({
      input: SPEC,
      output: { path: join(dir, 'client'), postProcess: [] },
      plugins: ['@hey-api/typescript', '@hey-api/sdk', '@hey-api/client-fetch'],
      logs: { level: 'silent' },
    });
    writeFileSync(
      join(dir, 'usage.ts'),
      `
import { appendLog, listEvents } from './client/sdk.gen';
import type { GenerationFencedPayload } from './client/types.gen';

export async function append(): Promise<string> {
  const { error } = await appendLog({
    path: { env: 'orders-db' },
    body: { token: { deploy_generation: 1, epoch: 1 }, entries: [] },
  });
  if (error === undefined) return 'appended';
  ${appendErrorHandling('error')}
}

export async function fencedBy(): Promise<string | undefined> {
  const { error } = await appendLog({
    path: { env: 'orders-db' },
    body: { token: { deploy_generation: 1, epoch: 1 }, entries: [] },
  });
  if (error?.code === 'fenced') return error.kind;
  return error?.detail;
}

export async function feed(): Promise<string[]> {
  const { data } = await listEvents();
  return (data?.items ?? []).map((item) => {
    ${feedHandling('item')}
  });
}

export const previousHolder = (payload: GenerationFencedPayload): string => payload.data.fenced.holder;
`,
    );
    expect(await typecheck(dir, ['usage.ts'])).toBe('');
  }, 120_000);
});
