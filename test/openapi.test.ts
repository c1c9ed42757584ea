import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderOpenApiYaml } from '../src/api/spec.js';
import { httpBackend } from './support/database.js';
import { useHarness } from './support/harness.js';

const harness = useHarness(httpBackend);
const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
const spec = parse(committed) as {
  paths: Record<
    string,
    Record<string, { responses: Record<string, any>; requestBody?: unknown; security?: unknown[] }>
  >;
};

describe('openapi.yaml', () => {
  it('is what the route definitions generate (run `npm run openapi` after changing a route)', async () => {
    expect(committed).toBe(await renderOpenApiYaml());
  });

  it('lints clean with Redocly', async () => {
    const { stdout } = await promisify(execFile)('npx', ['redocly', 'lint', 'openapi.yaml', '--format=json'], {
      cwd: new URL('..', import.meta.url),
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('is served at /openapi.json, and /docs is a reference page whose assets the service serves itself', async () => {
    const h = harness();
    const served = await h.request('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(spec);
    const docs = await h.request('GET', '/docs');
    expect(docs.status).toBe(200);
    const page = await docs.text();
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((asset) => !asset.startsWith('/docs/assets/'))).toEqual([]);
    const bodies = await Promise.all(
      assets.map(async (asset) => {
        const res = await h.request('GET', asset);
        expect(res.status, asset).toBe(200);
        return res.text();
      }),
    );
    expect(bodies.join('\n')).toContain("url: '/openapi.json'");
  });

  it('every error response is problem+json, and every route declares 400, 500 and 503', () => {
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          if (path === '/readyz') continue;
          expect(Object.keys(operation.responses[status].content), `${method} ${path} ${status}`).toEqual([
            'application/problem+json',
          ]);
        }
        if (path.startsWith('/v1/')) {
          expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['400', '401', '403', '500', '503']));
        }
      }
    }
  });

  it('every error status a route answers to bad requests is declared for it', async () => {
    const h = harness();
    const t = await h.newTenant();
    const oversized = 'x'.repeat(h.maxBodyBytes + 1);
    const undeclared: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const admin = path.startsWith('/v1/api-keys');
        const rightKey = admin ? h.adminToken : t.key;
        const wrongKey = admin ? t.key : h.adminToken;
        const unknownPath = path.replace('{env}', h.uniqueName('missing')).replace('{id}', 'key_missing');
        const badPath = path.replace('{env}', 'Not_Valid').replace('{id}', 'key_missing');
        const body = operation.requestBody ? {} : undefined;
        const attempts = [
          h.request(method, unknownPath, { body }),
          h.request(method, unknownPath, { key: wrongKey, body }),
          h.request(method, badPath, { key: rightKey, body }),
          h.request(method, unknownPath, { key: rightKey, body }),
          h.request(method, `${unknownPath}?limit=0&from=-1`, { key: rightKey, body }),
        ];
        if (operation.requestBody) {
          attempts.push(
            h.request(method, unknownPath, {
              key: rightKey,
              rawBody: '{',
              headers: { 'content-type': 'application/json' },
            }),
          );
        }
        if (method !== 'get') {
          attempts.push(
            h.request(method, unknownPath, {
              key: rightKey,
              rawBody: oversized,
              headers: { 'content-type': 'application/json' },
            }),
          );
        }
        for (const res of await Promise.all(attempts)) {
          if (res.status >= 400 && !(String(res.status) in operation.responses)) {
            undeclared.push(`${method.toUpperCase()} ${path} answered ${res.status}`);
          }
        }
      }
    }
    expect(undeclared).toEqual([]);
  });
});
