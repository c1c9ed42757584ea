import { z } from '@hono/zod-openapi';
import type { FenceOutcome, FenceRecord } from '../db/environments.js';
import { confirmToken, fenceEnvironment, fenceHistory } from '../domain/fencing.js';
import type { Metrics } from '../metrics.js';
import type { App, AppDeps } from './types.js';
import { decodeCursor, listPage } from './cursor.js';
import { defineRoute } from './route.js';
import {
  Cursor,
  DeployGeneration,
  EnvironmentParams,
  FencedProblem,
  Holder,
  jsonBody,
  jsonResponse,
  Limit,
  NextCursor,
  Timestamp,
  Token,
  TokenFromFutureProblem,
} from './schemas.js';

const tags = ['fencing'];

const FenceRequest = z.strictObject({ deploy_generation: DeployGeneration, holder: Holder }).openapi('FenceRequest');

const FenceResult = z
  .object({
    token: Token,
    previous: z
      .object({ token: Token, holder: Holder })
      .nullable()
      .openapi({ description: 'The holder this fence fenced out; null on the first fence.' }),
  })
  .openapi('FenceResult');

const ConfirmRequest = z.strictObject({ token: Token }).openapi('ConfirmRequest');

const ConfirmResult = z.object({ token: Token, upper: z.number().int() }).openapi('ConfirmResult');

const HistoryItem = z
  .object({
    token: Token,
    holder: Holder,
    upper: z.number().int().openapi({
      description:
        'The log’s upper when this token was issued: entries from here until the next fence’s upper were written with this token.',
    }),
    fenced_at: Timestamp,
  })
  .openapi('FenceHistoryItem');

const fenceRoute = defineRoute({
  method: 'post',
  path: '/v1/environments/{env}/fence',
  operationId: 'fence',
  summary: 'Issue the next fence token',
  description:
    'Creates the environment if absent. Issues epoch = previous + 1 with the requested generation, fencing out the previous holder: by deploy_generation when the generation rises, by epoch when it stays. A generation lower than the current one is refused with 409 fenced.',
  tags,
  auth: 'tenant',
  idempotent: true,
  conflicts: [FencedProblem],
  request: { params: EnvironmentParams, body: jsonBody(FenceRequest) },
  responses: {
    200: jsonResponse(FenceResult, 'The new token, and the holder it fenced out.'),
  },
});

const confirmRoute = defineRoute({
  method: 'post',
  path: '/v1/environments/{env}/confirm',
  operationId: 'confirm',
  summary: 'Confirm that a token is still current',
  tags,
  auth: 'tenant',
  notFound: true,
  conflicts: [FencedProblem, TokenFromFutureProblem],
  request: { params: EnvironmentParams, body: jsonBody(ConfirmRequest) },
  responses: {
    200: jsonResponse(ConfirmResult, 'The token is current.'),
  },
});

const historyRoute = defineRoute({
  method: 'get',
  path: '/v1/environments/{env}/history',
  operationId: 'fenceHistory',
  summary: 'Every token issued, newest first',
  tags,
  auth: 'tenant',
  notFound: true,
  request: { params: EnvironmentParams, query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(HistoryItem), next_cursor: NextCursor }).openapi('FenceHistory'),
      'A page of the fence history.',
    ),
  },
});

/** Counts a token issued, by whom it fenced out: nobody (first), another generation, or an older epoch. */
export function countFence(metrics: Metrics, outcome: FenceOutcome): void {
  const kind = !outcome.previous
    ? 'first'
    : outcome.token.deploy_generation > outcome.previous.token.deploy_generation
      ? 'deploy_generation'
      : 'epoch';
  metrics.fences.inc({ kind });
}

export function registerFencingRoutes(app: App, deps: AppDeps): void {
  app.openapi(fenceRoute, async (c) => {
    const { env } = c.req.valid('param');
    const body = c.req.valid('json');
    const outcome = await fenceEnvironment(
      c.get('db'),
      c.get('tenant'),
      env,
      {
        deployGeneration: body.deploy_generation,
        holder: body.holder,
        maxEnvironments: c.get('limits').environments,
      },
      c.get('wakeups'),
    );
    countFence(deps.metrics, outcome);
    return c.json({ token: outcome.token, previous: outcome.previous }, 200);
  });

  app.openapi(confirmRoute, async (c) => {
    const { env } = c.req.valid('param');
    const { token } = c.req.valid('json');
    return c.json(await confirmToken(c.get('db'), c.get('tenant'), env, token), 200);
  });

  app.openapi(historyRoute, async (c) => {
    const { env } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const page = await fenceHistory(c.get('db'), c.get('tenant'), env, {
      limit,
      beforeEpoch: decodeCursor(cursor, 'number'),
    });
    const toItem = (item: FenceRecord) => ({
      token: item.token,
      holder: item.holder,
      upper: item.upper,
      fenced_at: item.fencedAt.toISOString(),
    });
    return c.json(
      listPage(page, toItem, (item) => item.token.epoch),
      200,
    );
  });
}
