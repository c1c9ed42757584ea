import { z } from '@hono/zod-openapi';
import { createApiKey, revokeApiKey } from '../db/apiKeys.js';
import { notFound } from '../domain/refusal.js';
import type { App } from './types.js';
import { defineRoute } from './route.js';
import type { WatchHub } from '../notify/watchHub.js';
import { jsonBody, jsonResponse, NAME_PATTERN, StorableText, Timestamp } from './schemas.js';

const tags = ['api-keys'];

const TenantName = z
  .string()
  .regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`)
  .openapi({ description: 'The tenant; it exists from the first key that names it.', example: 'acme' });

const CreateApiKeyRequest = z
  .strictObject({
    tenant: TenantName,
    name: StorableText.check(z.minLength(1), z.maxLength(128)).openapi({ example: 'orders-db deployer' }),
  })
  .openapi('CreateApiKeyRequest');

const CreatedApiKey = z
  .object({
    id: z.string().openapi({ example: 'key_5f1c0e2d9a7b3c4d5e6f7a8b' }),
    key: z.string().openapi({ description: 'The key itself; shown only in this response.' }),
    tenant: TenantName,
    name: z.string(),
    created_at: Timestamp,
  })
  .openapi('CreatedApiKey');

const KeyParams = z.object({
  id: StorableText.check(z.minLength(1), z.maxLength(64)).openapi({
    param: { name: 'id', in: 'path' },
    example: 'key_5f1c0e2d9a7b3c4d5e6f7a8b',
  }),
});

const createRouteDef = defineRoute({
  method: 'post',
  path: '/v1/api-keys',
  operationId: 'createApiKey',
  summary: 'Create a tenant API key (admin)',
  tags,
  auth: 'admin',
  idempotent: true,
  request: { body: jsonBody(CreateApiKeyRequest) },
  responses: {
    201: jsonResponse(CreatedApiKey, 'The key; store it now, it is not shown again.'),
  },
});

const revokeRoute = defineRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  operationId: 'revokeApiKey',
  summary: 'Revoke an API key at once (admin)',
  tags,
  auth: 'admin',
  notFound: true,
  request: { params: KeyParams },
  responses: {
    204: { description: 'Revoked (revoking twice is not an error).' },
  },
});

export function registerApiKeyRoutes(app: App, watchHub: WatchHub): void {
  app.openapi(createRouteDef, async (c) => {
    const { tenant, name } = c.req.valid('json');
    const created = await createApiKey(c.get('db'), tenant, name);
    return c.json(
      {
        id: created.id,
        key: created.key,
        tenant: created.tenant,
        name: created.name,
        created_at: created.createdAt.toISOString(),
      },
      201,
    );
  });

  app.openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await revokeApiKey(c.get('db'), id))) throw notFound(`API key '${id}' does not exist.`);
    await watchHub.revoked(id);
    return c.body(null, 204);
  });
}
