import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { fencesAfter, findEnvironment, findEnvironmentOrTombstone, lastIssuedToken, toState } from '../db/environments.js';
import { toEnvironment } from './environments.js';
import type { App, AppDeps } from './app.js';
import { EnvironmentParams, errorResponses, tenantSecurity } from './schemas.js';

const watchRoute = createRoute({
  method: 'get',
  path: '/v1/environments/{env}/watch',
  operationId: 'watchEnvironment',
  summary: 'Follow the environment’s token as Server-Sent Events',
  description: [
    'A fenced process learns it at once, not on its next write. Events:',
    '',
    '- `snapshot` (first, on every connection): the environment as GET returns it;',
    '- `fenced`: a token was issued; data `{environment, token, holder, upper, fenced_at}`;',
    '- `deleted`: the environment was deleted; data `{environment}` (the stream stays open: the name may be used again).',
    '',
    'Each event’s id is the newest epoch it reflects. Reconnect with `Last-Event-ID` to receive every token issued since, in order, before the snapshot. A comment line is sent as a heartbeat when nothing else is.',
  ].join('\n'),
  tags: ['environments'],
  security: tenantSecurity,
  request: {
    params: EnvironmentParams,
    headers: z.object({
      'Last-Event-ID': z
        .string()
        .regex(/^\d{1,16}$/)
        .optional()
        .openapi({ param: { name: 'Last-Event-ID', in: 'header' }, description: 'The id of the last event received.' }),
    }),
  },
  responses: {
    200: {
      description: 'An event stream.',
      content: { 'text/event-stream': { schema: z.string().openapi({ example: 'event: fenced\nid: 2\ndata: {"environment":"orders-db",…}\n\n' }) } },
    },
    ...errorResponses({ auth: 'tenant', notFound: true }),
  },
});

export function registerWatchRoutes(app: App, deps: AppDeps): void {
  const { watchHub } = deps;
  const heartbeatMs = deps.config.watchHeartbeatMs;

  app.openapi(watchRoute, async (c) => {
    const { env } = c.req.valid('param');
    const tenant = c.get('tenant');
    const db = c.get('db');
    const resumeFrom = c.req.valid('header')['Last-Event-ID'];
    await findEnvironment(db, tenant, env);

    return streamSSE(c, async (stream) => {
      let wake: (() => void) | null = null;
      let pending = false;
      const signal = () => {
        pending = true;
        wake?.();
      };
      const unsubscribe = watchHub.subscribe(tenant, env, signal);
      stream.onAbort(signal);

      let sentEpoch = resumeFrom === undefined ? null : Number(resumeFrom);
      let sentDeleted = false;
      const sendChanges = async (withSnapshot: boolean) => {
        const row = await findEnvironmentOrTombstone(db, tenant, env);
        if (!row) return;
        const newest = lastIssuedToken(row)?.epoch ?? 0;
        let reached = newest;
        if (!row.deletedAt && sentEpoch !== null && newest > sentEpoch) {
          for (const fence of await fencesAfter(db, row.id, sentEpoch)) {
            reached = Math.max(reached, fence.token.epoch);
            await stream.writeSSE({
              event: 'fenced',
              id: String(fence.token.epoch),
              data: JSON.stringify({
                environment: env,
                token: fence.token,
                holder: fence.holder,
                upper: fence.upper,
                fenced_at: fence.fencedAt.toISOString(),
              }),
            });
          }
        }
        if (row.deletedAt && !sentDeleted) {
          await stream.writeSSE({ event: 'deleted', id: String(newest), data: JSON.stringify({ environment: env }) });
        } else if (withSnapshot) {
          await stream.writeSSE({ event: 'snapshot', id: String(newest), data: JSON.stringify(toEnvironment(toState(row))) });
        }
        sentDeleted = row.deletedAt !== null;
        sentEpoch = reached;
      };

      try {
        await sendChanges(true);
        while (!stream.aborted && !stream.closed && !watchHub.closed && !deps.lifecycle.draining) {
          const woken = await new Promise<boolean>((resolve) => {
            if (pending) return resolve(true);
            const timer = setTimeout(() => resolve(false), heartbeatMs);
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wake = null;
          if (stream.aborted || watchHub.closed) break;
          pending = false;
          if (woken) await sendChanges(false);
          else await stream.write(': heartbeat\n\n');
        }
      } finally {
        unsubscribe();
      }
    });
  });
}
