import { declareResponseHeaders } from './responseHeaders.js';
import { declaredRoutes } from './route.js';
import type { App } from './types.js';

export const openApiInfo = {
  openapi: '3.1.0',
  info: {
    title: 'Palisade',
    version: '1.0.0',
    description:
      'Fencing tokens as a service: monotonic fence tokens per environment, a fenced append-only log that refuses stale writers with typed 409 problems, for zero-downtime takeovers of stateful processes.',
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [
    {
      url: '{scheme}://{host}',
      description: 'A Palisade service',
      variables: {
        scheme: { default: 'http', enum: ['http', 'https'] },
        host: { default: 'localhost:8080', description: 'Host and port of the service.' },
      },
    },
  ],
  tags: [
    { name: 'environments', description: 'Environments and their current token.' },
    { name: 'fencing', description: 'Issue and check fence tokens.' },
    { name: 'log', description: 'The fenced append-only log.' },
    {
      name: 'deployments',
      description:
        'The zero-downtime handover: a candidate generation registers read-only, is promoted, and its promotion fences the old generation.',
    },
    { name: 'webhooks', description: 'Signed notifications when a generation is fenced out.' },
    { name: 'api-keys', description: 'Tenant keys, managed with the admin token.' },
    { name: 'tenants', description: 'Per-tenant limits, managed with the admin token.' },
    { name: 'health', description: 'Liveness and readiness.' },
  ],
};

export function registerSecuritySchemes(app: App): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (pal_…), created with POST /v1/api-keys.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The admin token from PALISADE_ADMIN_TOKEN; good only on /v1/api-keys and /v1/tenants.',
  });
}

/** The OpenAPI document of the app's routes, with the response headers each sends. */
export function openApiDocument(app: App) {
  return declareResponseHeaders(app.getOpenAPI31Document(openApiInfo), declaredRoutes(app));
}
