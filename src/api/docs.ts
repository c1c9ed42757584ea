import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { App } from './types.js';

/**
 * The API reference at /docs: Swagger UI from the swagger-ui-dist package, at the version the lock
 * file pins, served by the service itself so the page works without internet and loads nothing
 * from a third party.
 */

const distDirectory = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const { version } = JSON.parse(readFileSync(join(distDirectory, 'package.json'), 'utf8')) as { version: string };

/** Versioned, so a browser may keep them for good: an upgrade changes the path. */
const ASSET_BASE = `/docs/assets/${version}`;

const INITIALIZER = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Palisade API</title>
<link rel="icon" type="image/png" href="${ASSET_BASE}/favicon-32x32.png">
<link rel="stylesheet" href="${ASSET_BASE}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSET_BASE}/swagger-ui-bundle.js"></script>
<script src="${ASSET_BASE}/initializer.js"></script>
</body>
</html>
`;

const ASSETS: Record<string, { contentType: string; read: () => string | Buffer }> = {
  'swagger-ui.css': {
    contentType: 'text/css; charset=utf-8',
    read: () => readFileSync(join(distDirectory, 'swagger-ui.css'), 'utf8'),
  },
  'swagger-ui-bundle.js': {
    contentType: 'text/javascript; charset=utf-8',
    read: () => readFileSync(join(distDirectory, 'swagger-ui-bundle.js'), 'utf8'),
  },
  'favicon-32x32.png': { contentType: 'image/png', read: () => readFileSync(join(distDirectory, 'favicon-32x32.png')) },
  'initializer.js': { contentType: 'text/javascript; charset=utf-8', read: () => INITIALIZER },
};

export function registerDocsRoutes(app: App): void {
  const loaded = new Map<string, string | Buffer>();
  app.get('/docs', (c) => c.html(PAGE));
  app.get(`${ASSET_BASE}/:file`, (c) => {
    const file = c.req.param('file');
    const asset = ASSETS[file];
    if (asset === undefined) return c.notFound();
    let body = loaded.get(file);
    if (body === undefined) {
      body = asset.read();
      loaded.set(file, body);
    }
    return c.body(typeof body === 'string' ? body : new Uint8Array(body), 200, {
      'content-type': asset.contentType,
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
}
