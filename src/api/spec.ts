import { stringify } from 'yaml';
import { openDatabase } from '../db/client.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createApp, openApiDocument } from './app.js';

/** Renders the OpenAPI document as committed in openapi.yaml. */
export async function renderOpenApiYaml(): Promise<string> {
  const database = await openDatabase({ kind: 'pglite' });
  try {
    const app = createApp({
      database,
      config: {
        adminToken: undefined,
        maxBodyBytes: 1024 * 1024,
        maxEntryBytes: 64 * 1024,
        webhooks: { allowPrivate: false },
        limits: loadConfig({}).limits,
      },
      logger: createLogger('silent'),
      lifecycle: { draining: false },
    });
    return `# Generated from the route definitions by \`npm run openapi\`; do not edit.\n${stringify(openApiDocument(app), { lineWidth: 0, aliasDuplicateObjects: false })}`;
  } finally {
    await database.close();
  }
}
