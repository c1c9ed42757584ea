import { z } from '@hono/zod-openapi';
import { type EnvironmentState, listEnvironments } from '../db/environments.js';
import { deleteEnvironment, getEnvironment, putEnvironment } from '../domain/environments.js';
import type { App } from './types.js';
import { decodeCursor, listPage } from './cursor.js';
import { defineRoute } from './route.js';
import {
  Cursor,
  EnvironmentName,
  EnvironmentParams,
  Holder,
  jsonResponse,
  Limit,
  NextCursor,
  Timestamp,
  NullableToken,
} from './schemas.js';

export const Environment = z
  .object({
    name: EnvironmentName,
    token: NullableToken,
    holder: Holder.nullable(),
    upper: z.number().int().openapi({ description: 'The log’s next offset.' }),
    created_at: Timestamp,
    fenced_at: Timestamp.nullable(),
  })
  .openapi('Environment');
export type Environment = z.infer<typeof Environment>;

export function toEnvironment(state: EnvironmentState): Environment {
  return {
    name: state.name,
    token: state.token,
    holder: state.holder,
    upper: state.upper,
    created_at: state.createdAt.toISOString(),
    fenced_at: state.fencedAt?.toISOString() ?? null,
  };
}

const tags = ['environments'];

const putRoute = defineRoute({
  method: 'put',
  path: '/v1/environments/{env}',
  operationId: 'putEnvironment',
  summary: 'Create an environment (idempotent)',
  tags,
  auth: 'tenant',
  request: { params: EnvironmentParams },
  responses: {
    200: jsonResponse(Environment, 'The environment already existed.'),
    201: jsonResponse(Environment, 'The environment was created.'),
  },
});

const getRoute = defineRoute({
  method: 'get',
  path: '/v1/environments/{env}',
  operationId: 'getEnvironment',
  summary: 'Get an environment and its current token',
  tags,
  auth: 'tenant',
  notFound: true,
  request: { params: EnvironmentParams },
  responses: {
    200: jsonResponse(Environment, 'The environment.'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/environments',
  operationId: 'listEnvironments',
  summary: 'List environments by name',
  tags,
  auth: 'tenant',
  request: { query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(Environment), next_cursor: NextCursor }).openapi('EnvironmentList'),
      'A page of environments, ordered by name.',
    ),
  },
});

const deleteRoute = defineRoute({
  method: 'delete',
  path: '/v1/environments/{env}',
  operationId: 'deleteEnvironment',
  summary: 'Delete an environment with its log and history',
  description:
    'The name can be used again; its epochs continue from where they were, so no token issued before the delete is ever issued again.',
  tags,
  auth: 'tenant',
  notFound: true,
  request: { params: EnvironmentParams },
  responses: {
    204: { description: 'Deleted.' },
  },
});

export function registerEnvironmentRoutes(app: App): void {
  app.openapi(putRoute, async (c) => {
    const { env } = c.req.valid('param');
    const { environment, created } = await putEnvironment(
      c.get('db'),
      c.get('tenant'),
      env,
      c.get('limits').environments,
    );
    return c.json(toEnvironment(environment), created ? 201 : 200);
  });

  app.openapi(getRoute, async (c) => {
    const { env } = c.req.valid('param');
    return c.json(toEnvironment(await getEnvironment(c.get('db'), c.get('tenant'), env)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listEnvironments(c.get('db'), c.get('tenant'), {
      limit,
      afterName: decodeCursor(cursor, 'string'),
    });
    return c.json(
      listPage(page, toEnvironment, (environment) => environment.name),
      200,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const { env } = c.req.valid('param');
    await deleteEnvironment(c.get('db'), c.get('tenant'), env, c.get('wakeups'));
    return c.body(null, 204);
  });
}
