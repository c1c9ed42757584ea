import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { openDatabase } from '../db/client.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { WatchHub } from '../notify/watchHub.js';
import { Metrics } from '../metrics.js';
import { Keyring } from '../secrets.js';
import { createApp, openApiDocument } from './app.js';

/** Renders the OpenAPI document as committed in openapi.yaml. */
export async function renderOpenApiYaml(): Promise<string> {
  const database = await openDatabase({ kind: 'pglite' });
  try {
    const app = createApp({
      database,
      config: loadConfig({}),
      logger: createLogger('silent'),
      lifecycle: { draining: false },
      watchHub: new WatchHub(database),
      metrics: new Metrics(async () => 0),
      keyring: new Keyring(randomBytes(32)),
    });
    return `# Generated from the route definitions by \`npm run openapi\`; do not edit.\n${stringify(openApiDocument(app), { lineWidth: 0, aliasDuplicateObjects: false })}`;
  } finally {
    await database.close();
  }
}
