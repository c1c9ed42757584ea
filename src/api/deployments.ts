import { z } from '@hono/zod-openapi';
import type { Deployment as DeploymentRecord } from '../db/deployments.js';
import {
  getDeployment,
  listDeployments,
  markDeploymentReady,
  promoteDeployment,
  putDeployment,
} from '../domain/deployments.js';
import { DEPLOYMENT_STATES, type DeploymentState, REPORTED_STATES } from '../domain/deploymentStates.js';
import { Wakeup } from '../notify/watchHub.js';
import type { App, AppDeps } from './types.js';
import { defineRoute } from './route.js';
import { unauthorized } from './auth.js';
import { countFence } from './fencing.js';
import { decodeCursor, listPage } from './cursor.js';
import {
  Cursor,
  EnvironmentName,
  FencedProblem,
  Holder,
  InvalidTransitionProblem,
  jsonBody,
  jsonResponse,
  Limit,
  MAX_INT53,
  NextCursor,
  NullableToken,
  Timestamp,
} from './schemas.js';

const tags = ['deployments'];

/** The longest a GET may wait for a change; past it clients poll again. */
export const MAX_WAIT_MS = 60_000;

const DeploymentStateSchema = z.enum(DEPLOYMENT_STATES).openapi('DeploymentState', {
  description:
    'initializing → catching_up → ready_to_promote → promoting → is_leader; fenced once a newer generation is issued a token.',
});

const Deployment = z
  .object({
    environment: EnvironmentName,
    deploy_generation: z.number().int(),
    state: DeploymentStateSchema,
    holder: Holder,
    token: NullableToken.openapi({ description: 'The token the promotion issued; null before promotion.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    ready_at: Timestamp.nullable(),
    promoted_at: Timestamp.nullable(),
    fenced_at: Timestamp.nullable(),
  })
  .openapi('Deployment');

function toDeployment(deployment: DeploymentRecord): z.infer<typeof Deployment> {
  return {
    environment: deployment.environment,
    deploy_generation: deployment.deployGeneration,
    state: deployment.state,
    holder: deployment.holder,
    token: deployment.token,
    created_at: deployment.createdAt.toISOString(),
    updated_at: deployment.updatedAt.toISOString(),
    ready_at: deployment.readyAt?.toISOString() ?? null,
    promoted_at: deployment.promotedAt?.toISOString() ?? null,
    fenced_at: deployment.fencedAt?.toISOString() ?? null,
  };
}

const DeploymentParams = z.object({
  env: EnvironmentName,
  generation: z
    .string()
    .regex(/^\d{1,16}$/, 'must be a deploy generation in plain digits')
    .transform(Number)
    .pipe(z.number().max(MAX_INT53))
    .openapi({
      param: { name: 'generation', in: 'path' },
      type: 'integer',
      minimum: 0,
      maximum: MAX_INT53,
      example: 3,
    }),
});

const RegisterRequest = z
  .strictObject({
    holder: Holder,
    state: z.enum(REPORTED_STATES).optional().openapi({
      description:
        'The candidate’s report of itself: initializing (booting) or catching_up (replaying, read-only) before promotion, is_leader once it runs as the leader after promotion. Absent: initializing for a new deployment, unchanged for an existing one.',
    }),
  })
  .openapi('RegisterDeploymentRequest');

const PromoteRequest = z
  .strictObject({
    skip_catchup: z.boolean().default(false).openapi({
      description: 'Promote a candidate that has not said it is ready_to_promote (it may not have caught up).',
    }),
  })
  .openapi('PromoteRequest');

const WAIT_PATTERN = /^(\d{1,6})(ms|s)?$/;

const WaitQuery = z.object({
  wait: z
    .string()
    .regex(WAIT_PATTERN, 'must be a duration such as 30s or 500ms')
    .transform((text) => {
      const [, amount, unit] = WAIT_PATTERN.exec(text)!;
      return Number(amount) * (unit === 'ms' ? 1 : 1_000);
    })
    .pipe(z.number().max(MAX_WAIT_MS, `must be at most ${MAX_WAIT_MS / 1000}s`))
    .optional()
    .openapi({
      param: { name: 'wait', in: 'query' },
      type: 'string',
      example: '30s',
      description: `Long-poll: answer as soon as the state differs from \`state\`, or after this long (at most ${MAX_WAIT_MS / 1000}s; 500ms, 30s; a bare number is seconds).`,
    }),
  state: DeploymentStateSchema.optional().openapi({
    param: { name: 'state', in: 'query' },
    description:
      'The state the caller last saw; with wait, the answer comes once the state is another. Default: the state when the request arrives.',
  }),
});

const DeploymentList = z.object({ items: z.array(Deployment), next_cursor: NextCursor }).openapi('DeploymentList');

const deploymentPath = '/v1/environments/{env}/deployments/{generation}';

const registerRoute = defineRoute({
  method: 'put',
  path: deploymentPath,
  operationId: 'registerDeployment',
  summary: 'Register a candidate generation, or report its state',
  description:
    'A new deploy generation registers read-only before it takes over; creates the environment if absent. Refused with 409 fenced (kind deploy_generation) when a newer generation already holds or held a token. Repeating the request changes nothing.',
  tags,
  auth: 'tenant',
  conflicts: [FencedProblem, InvalidTransitionProblem],
  request: { params: DeploymentParams, body: jsonBody(RegisterRequest) },
  responses: {
    200: jsonResponse(Deployment, 'The deployment existed; its state after the report.'),
    201: jsonResponse(Deployment, 'The deployment was registered.'),
  },
});

const getRoute = defineRoute({
  method: 'get',
  path: deploymentPath,
  operationId: 'getDeployment',
  summary: 'Get a deployment; with wait, long-poll for a state change',
  tags,
  auth: 'tenant',
  notFound: true,
  waits: (c) => (WaitQuery.shape.wait.safeParse(c.req.query('wait')).data ?? 0) > 0,
  request: { params: DeploymentParams, query: WaitQuery },
  responses: {
    200: jsonResponse(Deployment, 'The deployment: changed, or unchanged when the wait ran out.'),
  },
});

const listRoute = defineRoute({
  method: 'get',
  path: '/v1/environments/{env}/deployments',
  operationId: 'listDeployments',
  summary: 'The environment’s deployments, newest generation first',
  tags,
  auth: 'tenant',
  notFound: true,
  request: { params: z.object({ env: EnvironmentName }), query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: {
    200: jsonResponse(DeploymentList, 'A page of deployments.'),
  },
});

const readyRoute = defineRoute({
  method: 'post',
  path: `${deploymentPath}/ready`,
  operationId: 'markDeploymentReady',
  summary: 'The candidate has caught up: ready_to_promote',
  description: 'Emits deployment.ready_to_promote. Saying it again changes nothing.',
  tags,
  auth: 'tenant',
  idempotent: true,
  notFound: true,
  conflicts: [FencedProblem, InvalidTransitionProblem],
  request: { params: DeploymentParams },
  responses: {
    200: jsonResponse(Deployment, 'The deployment, ready_to_promote.'),
  },
});

const promoteRoute = defineRoute({
  method: 'post',
  path: `${deploymentPath}/promote`,
  operationId: 'promoteDeployment',
  summary: 'Promote the candidate: fence the old generation and make this one lead, in one transaction',
  description:
    'Issues the candidate’s token (epoch + 1, its generation), which fences the previous holder with generation.fenced (epoch.fenced for the same generation) and every deployment of an older generation, and emits deployment.promoted. The deployment is promoting until its process reports is_leader. Refused with 409 invalid_transition (action retry) before ready_to_promote unless skip_catchup. Promoting again changes nothing.',
  tags,
  auth: 'tenant',
  idempotent: true,
  notFound: true,
  conflicts: [FencedProblem, InvalidTransitionProblem],
  request: {
    params: DeploymentParams,
    body: { ...jsonBody(PromoteRequest), required: false },
  },
  responses: {
    200: jsonResponse(Deployment, 'The deployment, promoting (or as it was, if already promoted).'),
  },
});

export function registerDeploymentRoutes(app: App, deps: AppDeps): void {
  const { watchHub, lifecycle } = deps;
  const heartbeatMs = deps.config.watchHeartbeatMs;

  /** The deployment once its state is not `seen`, or as it is when `waitMs` has passed. */
  async function waitForChange(
    tenant: string,
    env: string,
    read: () => Promise<DeploymentRecord>,
    seen: DeploymentState | undefined,
    waitMs: number,
    aborted: AbortSignal,
    keyId: string,
  ): Promise<DeploymentRecord> {
    // Subscribed before the first read, so a change committed in between still wakes us.
    const wakeup = new Wakeup(watchHub, tenant, env, keyId);
    const onAbort = () => wakeup.signal();
    aborted.addEventListener('abort', onAbort);
    const deadline = Date.now() + waitMs;
    try {
      let deployment = await read();
      let readFailed = false;
      const from = seen ?? deployment.state;
      while (deployment.state === from && !aborted.aborted && !watchHub.closed && !lifecycle.draining) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        // A wake-up is only a hint and may be lost, so the state is re-read at least once per heartbeat.
        await wakeup.wait(Math.min(remaining, heartbeatMs));
        if (wakeup.revoked) throw unauthorized('The API key was revoked.');
        try {
          deployment = await read();
          readFailed = false;
        } catch (error) {
          // The database may be back before the wait runs out; past it, the failure is the answer.
          if (Date.now() >= deadline) throw error;
          readFailed = true;
        }
      }
      return readFailed ? await read() : deployment;
    } finally {
      aborted.removeEventListener('abort', onAbort);
      wakeup.close();
    }
  }

  app.openapi(registerRoute, async (c) => {
    const { env, generation } = c.req.valid('param');
    const body = c.req.valid('json');
    const { deployment, created } = await putDeployment(
      c.get('db'),
      c.get('tenant'),
      env,
      generation,
      {
        holder: body.holder,
        state: body.state,
        maxEnvironments: c.get('limits').environments,
      },
      c.get('wakeups'),
    );
    return c.json(toDeployment(deployment), created ? 201 : 200);
  });

  app.openapi(getRoute, async (c) => {
    const { env, generation } = c.req.valid('param');
    const { wait, state } = c.req.valid('query');
    const db = c.get('db');
    const tenant = c.get('tenant');
    const read = () => getDeployment(db, tenant, env, generation);
    const deployment =
      wait === undefined || wait === 0
        ? await read()
        : await waitForChange(tenant, env, read, state, wait, c.req.raw.signal, c.get('keyId'));
    return c.json(toDeployment(deployment), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { env } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const page = await listDeployments(c.get('db'), c.get('tenant'), env, {
      limit,
      beforeGeneration: decodeCursor(cursor, 'number'),
    });
    return c.json(
      listPage(page, toDeployment, (deployment) => deployment.deployGeneration),
      200,
    );
  });

  app.openapi(readyRoute, async (c) => {
    const { env, generation } = c.req.valid('param');
    return c.json(
      toDeployment(await markDeploymentReady(c.get('db'), c.get('tenant'), env, generation, c.get('wakeups'))),
      200,
    );
  });

  app.openapi(promoteRoute, async (c) => {
    const { env, generation } = c.req.valid('param');
    const body = c.req.valid('json') as z.infer<typeof PromoteRequest> | undefined;
    const { deployment, fence } = await promoteDeployment(
      c.get('db'),
      c.get('tenant'),
      env,
      generation,
      {
        skipCatchup: body?.skip_catchup ?? false,
      },
      c.get('wakeups'),
    );
    if (fence) countFence(deps.metrics, fence);
    return c.json(toDeployment(deployment), 200);
  });
}
