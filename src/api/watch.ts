import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { fencesAfter, findEnvironmentOrTombstone, lastIssuedToken, toState } from '../db/environments.js';
import { findEnvironment } from '../domain/environments.js';
import { type DeploymentEvent, deploymentEventsSince } from '../db/deployments.js';
import { resourceExhausted } from '../domain/quotas.js';
import { Wakeup } from '../notify/watchHub.js';
import { toEnvironment } from './environments.js';
import type { App, AppDeps } from './types.js';
import { defineRoute } from './route.js';
import { EnvironmentParams } from './schemas.js';

const watchRoute = defineRoute({
  method: 'get',
  path: '/v1/environments/{env}/watch',
  operationId: 'watchEnvironment',
  summary: 'Follow the environment’s token as Server-Sent Events',
  description: [
    'A fenced process learns it at once, not on its next write. Events:',
    '',
    '- `snapshot` (first, on every connection): the environment as GET returns it;',
    '- `fenced`: a token was issued; data `{environment, token, holder, upper, fenced_at}`;',
    '- `deleted`: the environment was deleted; data `{environment}` (the stream stays open: the name may be used again);',
    '- `deployment.ready_to_promote`, `deployment.promoted`: the handover moved on; data as in the webhook event of that type (a promotion also sends the `fenced` of the token it issued, first).',
    '',
    'Each event’s id is the newest epoch it reflects. Reconnect with `Last-Event-ID` to receive every token issued since, in order, before the snapshot (deployment events are not replayed: read the deployments after reconnecting). A comment line is sent as a heartbeat when nothing else is.',
  ].join('\n'),
  tags: ['environments'],
  auth: 'tenant',
  notFound: true,
  waits: true,
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
  },
});

/** How far the clocks of replicas sharing the database may disagree. */
const CLOCK_SKEW_MARGIN_MS = 60_000;

/** Each open stream holds buffers and a re-read per wake-up, so one tenant's streams are capped per process. */
class OpenStreams {
  private readonly byTenant = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Counts a new stream of `tenant`, or throws 429 watch_streams; the caller must `release` it. */
  take(tenant: string): void {
    const open = this.byTenant.get(tenant) ?? 0;
    if (open >= this.cap) {
      throw resourceExhausted(
        'watch_streams',
        this.cap,
        `This tenant has ${open} watch streams open on this process, its limit; close one, or watch from another replica.`,
        { retryAfterSeconds: 5, windowSeconds: 5 },
      );
    }
    this.byTenant.set(tenant, open + 1);
  }

  release(tenant: string): void {
    const open = (this.byTenant.get(tenant) ?? 1) - 1;
    if (open === 0) this.byTenant.delete(tenant);
    else this.byTenant.set(tenant, open);
  }
}

export function registerWatchRoutes(app: App, deps: AppDeps): void {
  const { watchHub } = deps;
  const heartbeatMs = deps.config.watchHeartbeatMs;
  const openStreams = new OpenStreams(deps.config.limits.watchStreams);

  app.openapi(watchRoute, async (c) => {
    const { env } = c.req.valid('param');
    const tenant = c.get('tenant');
    const db = c.get('db');
    const resumeFrom = c.req.valid('header')['Last-Event-ID'];
    await findEnvironment(db, tenant, env);

    openStreams.take(tenant);
    return streamSSE(c, async (stream) => {
      const wakeup = new Wakeup(watchHub, tenant, env, c.get('keyId'));
      stream.onAbort(() => wakeup.signal());

      // Deployment events are read from the outbox. Clocks of replicas differ, so the window opens a
      // little before the stream did, and the events already in it when the stream opened are skipped.
      const deploymentEventsFrom = new Date(Date.now() - CLOCK_SKEW_MARGIN_MS);
      const sentDeploymentEvents = new Set<string>();

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
      const sendDeploymentEvents = async (events: DeploymentEvent[]) => {
        for (const event of events) {
          if (sentDeploymentEvents.has(event.id)) continue;
          sentDeploymentEvents.add(event.id);
          const { data } = JSON.parse(event.payload) as { data: unknown };
          await stream.writeSSE({ event: event.type, id: String(sentEpoch ?? 0), data: JSON.stringify(data) });
        }
      };

      try {
        for (const event of await deploymentEventsSince(db, tenant, env, deploymentEventsFrom)) sentDeploymentEvents.add(event.id);
        await sendChanges(true);
        while (!stream.aborted && !stream.closed && !watchHub.closed && !deps.lifecycle.draining) {
          const woken = await wakeup.wait(heartbeatMs);
          if (stream.aborted || watchHub.closed || wakeup.revoked) break;
          // A wake-up is only a hint and may be lost, so the state is re-read at least once per
          // heartbeat; a heartbeat is sent only after a re-read that succeeded.
          try {
            // Read before the token, so a promotion's fence, committed with its event, is sent first.
            const deploymentEvents =
              !woken || wakeup.changed('deployments') ? await deploymentEventsSince(db, tenant, env, deploymentEventsFrom) : [];
            await sendChanges(false);
            await sendDeploymentEvents(deploymentEvents);
          } catch (error) {
            // The query builder's message carries the statement and its parameters; log the database's own.
            const cause = (error as { cause?: { message?: unknown } }).cause;
            const message = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
            deps.logger.warn({ environment: env, error: message }, 'watch stream could not re-read; retrying');
            continue;
          }
          if (!woken) await stream.write(': heartbeat\n\n');
        }
      } finally {
        wakeup.close();
        openStreams.release(tenant);
      }
    });
  });
}
