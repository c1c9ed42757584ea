import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { lastIssuedToken, toState } from '../db/environments.js';
import { findEnvironment } from '../domain/environments.js';
import { type FeedPosition, isAfter } from '../db/events.js';
import { resourceExhausted } from '../domain/quotas.js';
import { type EnvironmentChanges, EnvironmentReads } from '../notify/environmentReads.js';
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
      content: {
        'text/event-stream': {
          schema: z.string().openapi({ example: 'event: fenced\nid: 2\ndata: {"environment":"orders-db",…}\n\n' }),
        },
      },
    },
  },
});

/** Each open stream holds buffers and a write per change, so one tenant's streams are capped per process. */
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

const encoder = new TextEncoder();

/** One Server-Sent Event, encoded: its data is one line of JSON. */
function sseEvent(event: string, id: number, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\nid: ${id}\n\n`);
}

/** The events built from one read, by key: every stream the read answers sends the same bytes. */
const builtEvents = new WeakMap<EnvironmentChanges, Map<string, Uint8Array>>();

function sharedEvent(changes: EnvironmentChanges, key: string, build: () => Uint8Array): Uint8Array {
  let built = builtEvents.get(changes);
  if (!built) builtEvents.set(changes, (built = new Map()));
  let event = built.get(key);
  if (!event) built.set(key, (event = build()));
  return event;
}

export function registerWatchRoutes(app: App, deps: AppDeps): void {
  const { watchHub } = deps;
  const heartbeatMs = deps.config.watchHeartbeatMs;
  const openStreams = new OpenStreams(deps.config.limits.watchStreams);
  const reads = new EnvironmentReads(deps.database.db, () => deps.metrics.watchReads.inc(), deps.logger);
  // On the clock's multiples of the heartbeat: every stream of the process beats at once, so the
  // re-reads of an environment's streams are one shared read.
  const untilNextBeat = () => heartbeatMs - (Date.now() % heartbeatMs);

  app.openapi(watchRoute, async (c) => {
    const { env } = c.req.valid('param');
    const tenant = c.get('tenant');
    const resumeFrom = c.req.valid('header')['Last-Event-ID'];
    await findEnvironment(c.get('db'), tenant, env);

    openStreams.take(tenant);
    return streamSSE(c, async (stream) => {
      const wakeup = new Wakeup(watchHub, tenant, env, c.get('keyId'));
      stream.onAbort(() => wakeup.signal());
      const shared = reads.join(tenant, env);
      let lastWriteAt = performance.now();
      const send = (text: string | Uint8Array) => {
        lastWriteAt = performance.now();
        return stream.write(text);
      };

      let sentEpoch = resumeFrom === undefined ? null : Number(resumeFrom);
      let sentDeleted = false;
      /** The feed position this stream has sent the deployment events up to; null until the first read. */
      let sentPosition: FeedPosition | null = null;
      /** Events committed before the stream opened that the feed shows only later: not sent. */
      let committedBeforeOpening = new Set<string>();
      const sendChanges = async (changes: EnvironmentChanges, withSnapshot: boolean) => {
        const { row, fences } = changes;
        if (!row) return;
        const newest = lastIssuedToken(row)?.epoch ?? 0;
        let reached = newest;
        if (!row.deletedAt && sentEpoch !== null && newest > sentEpoch) {
          for (const fence of fences) {
            if (fence.token.epoch <= sentEpoch) continue;
            reached = Math.max(reached, fence.token.epoch);
            await send(
              sharedEvent(changes, `fenced ${fence.token.epoch}`, () =>
                sseEvent('fenced', fence.token.epoch, {
                  environment: env,
                  token: fence.token,
                  holder: fence.holder,
                  upper: fence.upper,
                  fenced_at: fence.fencedAt.toISOString(),
                }),
              ),
            );
          }
        }
        if (row.deletedAt && !sentDeleted) {
          await send(
            sharedEvent(changes, `deleted ${newest}`, () => sseEvent('deleted', newest, { environment: env })),
          );
        } else if (withSnapshot) {
          await send(sseEvent('snapshot', newest, toEnvironment(toState(row))));
        }
        sentDeleted = row.deletedAt !== null;
        sentEpoch = reached;
      };
      const sendDeploymentEvents = async (changes: EnvironmentChanges) => {
        const { deployments } = changes;
        if (!deployments) return;
        const epoch = sentEpoch ?? 0;
        if (sentPosition === null) committedBeforeOpening = new Set(deployments.unsettled);
        for (const event of deployments.events) {
          // Events before the stream's first read had happened when it opened: not sent.
          if (sentPosition === null || !isAfter(event.position, sentPosition)) continue;
          sentPosition = event.position;
          if (committedBeforeOpening.delete(event.id)) continue;
          await send(
            sharedEvent(changes, `${event.id} ${epoch}`, () =>
              sseEvent(event.type, epoch, (JSON.parse(event.payload) as { data: unknown }).data),
            ),
          );
        }
        if (sentPosition === null || isAfter(deployments.horizon, sentPosition)) sentPosition = deployments.horizon;
      };

      try {
        let opened: EnvironmentChanges;
        try {
          opened = await shared.read({ tokensAfter: sentEpoch, deploymentsAfter: 'now' });
        } catch {
          // Logged by the shared read; the stream ends and its client reconnects.
          return;
        }
        await sendChanges(opened, true);
        await sendDeploymentEvents(opened);
        while (!stream.aborted && !stream.closed && !watchHub.closed && !deps.lifecycle.draining) {
          const woken = await wakeup.wait(untilNextBeat());
          if (stream.aborted || watchHub.closed || wakeup.revoked) break;
          // A wake-up is only a hint and may be lost, so the state is re-read at least once per
          // heartbeat; a heartbeat is sent only after a re-read that succeeded.
          let changes: EnvironmentChanges;
          try {
            changes = await shared.read({
              tokensAfter: sentEpoch,
              deploymentsAfter: !woken || wakeup.changed('deployments') ? sentPosition : null,
            });
          } catch {
            // Logged once for all the environment's streams by the shared read.
            continue;
          }
          await sendChanges(changes, false);
          await sendDeploymentEvents(changes);
          // Beats fall on the clock's multiples, so a stream that has just sent something (its
          // snapshot, an event) is not idle and skips this one: a heartbeat is for a silent stream.
          if (!woken && performance.now() - lastWriteAt >= heartbeatMs / 4) await send(': heartbeat\n\n');
        }
      } finally {
        reads.leave(tenant, env);
        wakeup.close();
        openStreams.release(tenant);
      }
    });
  });
}
