import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import type { Database, DatabaseHandle } from '../db/client.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { Keyring } from '../secrets.js';
import { createApp } from './app.js';
import { buildDeps } from './deps.js';
import { openApiDocument } from './document.js';

/** The document comes from the route definitions alone: no request is served, so none may reach a database. */
function noDatabase(): DatabaseHandle {
  const refuse = (): never => {
    throw new Error('The OpenAPI document is rendered without a database.');
  };
  return {
    db: new Proxy({}, { get: refuse }) as Database,
    kind: 'pglite',
    replication: refuse,
    ready: refuse,
    listen: refuse,
    wake: refuse,
    close: async () => {},
  };
}

/** Renders the OpenAPI document as committed in openapi.yaml. */
export function renderOpenApiYaml(): string {
  const app = createApp(
    buildDeps(loadConfig({}), {
      database: noDatabase(),
      logger: createLogger('silent'),
      keyring: new Keyring(randomBytes(32)),
    }),
  );
  return `# Generated from the route definitions by \`npm run openapi\`; do not edit.\n${stringify(openApiDocument(app), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
