/**
 * Generates `src/client/schema.ts`, the TypeScript types of the API, from the committed
 * `openapi.yaml` with openapi-typescript. Run `npm run client` after `npm run openapi`;
 * test/client.test.ts fails while the committed file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

export const SPEC_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL('../src/client/schema.ts', import.meta.url));

const HEADER = [
  '// Generated from openapi.yaml by `npm run client` (openapi-typescript); do not edit.',
  '// test/client.test.ts fails when this file is stale.',
  '',
  '',
].join('\n');

/** The generated module's text for the given spec (YAML text). */
export async function renderClientSchema(specYaml: string = readFileSync(SPEC_PATH, 'utf8')): Promise<string> {
  const ast = await openapiTS(specYaml, { silent: true });
  return HEADER + astToString(ast);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(SCHEMA_PATH, await renderClientSchema());
  process.stdout.write('wrote src/client/schema.ts\n');
}
