import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { httpBackend } from './support/database.js';
import { type Harness, useHarness } from './support/harness.js';
import { expectProblem } from './support/problems.js';

/**
 * The security each operation of openapi.yaml declares is the one enforced: the document and the
 * middleware read the same route declaration, and this holds them to it.
 */

const harness = useHarness(httpBackend);

type Operation = { security?: Record<string, string[]>[]; requestBody?: unknown };
const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
);

/** The one scheme an operation declares, or none for `security: []`. */
function declaredScheme(operation: Operation): 'apiKey' | 'adminToken' | 'none' {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  expect(operation.security, 'every operation declares its security').toBeDefined();
  expect(schemes.length).toBeLessThanOrEqual(1);
  return (schemes[0] as 'apiKey' | 'adminToken' | undefined) ?? 'none';
}

/** The path with each parameter filled in by a value of the right shape that names nothing. */
function concretePath(h: Harness, path: string): string {
  const values: Record<string, string> = {
    env: h.uniqueName(),
    generation: '1',
    id: 'missing',
    delivery_id: 'missing',
    tenant: h.uniqueName('tenant'),
  };
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    expect(values, `a value for {${name}}`).toHaveProperty(name);
    return values[name]!;
  });
}

describe('route declarations: the declared security is what is enforced', () => {
  for (const { method, path, operation } of operations) {
    it(`${method} ${path}`, async () => {
      const h = harness();
      const t = await h.newTenant();
      const send = (key: string | null) =>
        h.request(method, concretePath(h, path), { key, body: operation.requestBody ? {} : undefined });
      const scheme = declaredScheme(operation);

      if (scheme === 'none') {
        expect((await send(null)).status).toBeLessThan(400);
        return;
      }
      const [right, wrong] = scheme === 'apiKey' ? [t.key, h.adminToken] : [h.adminToken, t.key];
      await expectProblem(await send(null), 401, 'unauthorized');
      await expectProblem(await send(wrong), 403, 'forbidden');
      expect([401, 403]).not.toContain((await send(right)).status);
    });
  }

  it('a path no route declares answers as a tenant route: 401 without a key, 404 with one; outside /v1, 404', async () => {
    const h = harness();
    const t = await h.newTenant();
    await expectProblem(await h.request('GET', '/v1/nothing-here'), 401, 'unauthorized');
    await expectProblem(await h.request('GET', '/v1/nothing-here', { key: t.key }), 404, 'not_found');
    await expectProblem(await h.request('POST', '/v1/environments', { key: t.key }), 404, 'not_found');
    await expectProblem(await h.request('GET', '/nothing-here'), 404, 'not_found');
  });
});
