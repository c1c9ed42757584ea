import { z } from '@hono/zod-openapi';
import { listEvents } from '../db/events.js';
import type { App } from './types.js';
import { decodeFeedCursor, encodeFeedCursor } from './cursor.js';
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
        .openapi({
          param: { name: 'after', in: 'query' },
          description: 'A next_cursor from an earlier page; absent: from the beginning.',
        }),
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

export function registerEventRoutes(app: App): void {
  app.openapi(eventsRoute, async (c) => {
    const { after, limit } = c.req.valid('query');
    const from = decodeFeedCursor(after);
    const page = await listEvents(c.get('db'), c.get('tenant'), { after: from, limit });
    const last = page.at(-1)?.position ?? from;
    return c.json(
      {
        items: page.map((event) => ({
          id: event.id,
          ...(JSON.parse(event.payload) as Omit<z.infer<typeof FeedEvent>, 'id'>),
        })),
        next_cursor: encodeFeedCursor(last),
      },
      200,
    );
  });
}
