import { z } from '@hono/zod-openapi';
import { listEvents } from '../db/events.js';
import { invalidRequest } from '../domain/refusal.js';
import type { App } from './types.js';
import { defineRoute } from './route.js';
import { FeedEvent } from './eventSchemas.js';
import { jsonResponse, Limit } from './schemas.js';

const eventsRoute = defineRoute({
  method: 'get',
  path: '/v1/events',
  operationId: 'listEvents',
  summary: 'The tenant’s event feed: the pull twin of webhooks',
  description:
    'Every event webhooks carry, in the order their transactions committed, from an opaque cursor. An event shows only once every older transaction has ended, so resuming from `next_cursor` never misses one. `next_cursor` is never null: keep it and poll again, e.g. after downtime.',
  tags: ['events'],
  auth: 'tenant',
  request: {
    query: z.object({
      after: z
        .string()
        .max(512)
        .optional()
        .openapi({ param: { name: 'after', in: 'query' }, description: 'A next_cursor from an earlier page; absent: from the beginning.' }),
      limit: Limit,
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(FeedEvent), next_cursor: z.string() }).openapi('EventFeed'),
      'Events after the cursor, oldest first.',
    ),
  },
});

type Position = { txid: number; id: string };

function encodePosition(position: Position): string {
  return Buffer.from(JSON.stringify([position.txid, position.id])).toString('base64url');
}

function decodePosition(cursor: string | undefined): Position | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const [txid, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(txid) && typeof id === 'string' && /^(evt_[0-9a-f]{28})?$/.test(id)) {
      return { txid: txid as number, id };
    }
  } catch {
    // Answered below: the client sent something no page returned.
  }
  throw invalidRequest('The cursor is not one this API returned.', [{ path: 'query.after', message: 'invalid cursor' }]);
}

/** Where a reader that has seen nothing is: before every event. */
const START: Position = { txid: 0, id: '' };

export function registerEventRoutes(app: App): void {
  app.openapi(eventsRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    const from = decodePosition(after);
    const page = await listEvents(c.get('db'), c.get('tenant'), { after: from, limit });
    const last = page.at(-1)?.position ?? from ?? START;
    return c.json(
      {
        items: page.map((event) => ({ id: event.id, ...(JSON.parse(event.payload) as Omit<z.infer<typeof FeedEvent>, 'id'>) })),
        next_cursor: encodePosition(last),
      },
      200,
    );
  });
}
