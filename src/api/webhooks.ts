import { z } from '@hono/zod-openapi';
import { type DeliveryView, type EndpointRow, listEndpoints } from '../db/webhooks.js';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listDeliveries,
  redeliver,
  rotateSecret,
  sendTestEvent,
  updateEndpoint,
} from '../domain/webhooks.js';
import { assertRegistrableUrl } from '../notify/destination.js';
import type { App, AppDeps } from './types.js';
import { defineRoute, type RouteDeclaration } from './route.js';
import { webhookPayloads } from './eventSchemas.js';
import { decodeCursor, listPage } from './cursor.js';
import {
  Cursor,
  EnvironmentName,
  jsonBody,
  jsonResponse,
  Limit,
  isStorableText,
  NextCursor,
  StorableText,
  Timestamp,
} from './schemas.js';

const tags = ['webhooks'];

/** How long the secret before a rotation keeps signing beside the new one. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3_600_000;

const SubscribableEvent = z
  .enum([
    'generation.fenced',
    'epoch.fenced',
    'environment.deleted',
    'deployment.ready_to_promote',
    'deployment.promoted',
  ])
  .openapi('WebhookEventType');

const WebhookUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
  .max(2048)
  .refine(isStorableText, 'must not contain NUL characters or unpaired surrogates')
  .openapi({ example: 'https://orchestrator.example.com/hooks/palisade' });

const EventList = z
  .array(SubscribableEvent)
  .min(1)
  .refine((list) => new Set(list).size === list.length, 'must not repeat an event type');

const EnvironmentFilter = z
  .array(EnvironmentName)
  .min(1)
  .max(100)
  .nullable()
  .openapi({ description: 'Deliver only events of these environments; null or absent: all.' });

const Description = StorableText.check(z.maxLength(512));

const WebhookEndpoint = z
  .object({
    id: z.string().openapi({ example: 'wh_0193f0a1b2c3d4e5f6a7b8c9' }),
    url: z.string(),
    events: z.array(SubscribableEvent),
    environments: z.array(EnvironmentName).nullable(),
    description: z.string(),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why delivery stopped, when it was disabled by the service.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('WebhookEndpoint');

const Secret = z.string().openapi({
  description: 'The signing secret (Standard Webhooks); shown only in this response.',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});

const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: Secret }).openapi('WebhookEndpointWithSecret');

const CreateWebhookRequest = z
  .strictObject({
    url: WebhookUrl,
    events: EventList,
    environments: EnvironmentFilter.optional(),
    description: Description.optional(),
  })
  .openapi('CreateWebhookRequest');

const UpdateWebhookRequest = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: EventList.optional(),
    environments: EnvironmentFilter.optional(),
    description: Description.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'must change at least one field')
  .openapi('UpdateWebhookRequest');

const Attempt = z
  .object({
    attempted_at: Timestamp,
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
    response_body: z.string().nullable().openapi({ description: 'The first KiB of the response body.' }),
    next_retry_at: Timestamp.nullable(),
  })
  .openapi('DeliveryAttempt');

const Delivery = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: 'The webhook-id header of every attempt of this delivery.' }),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempt_count: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    attempts: z.array(Attempt),
  })
  .openapi('Delivery');

const WebhookParams = z.object({
  id: StorableText.check(z.minLength(1), z.maxLength(64)).openapi({
    param: { name: 'id', in: 'path' },
    example: 'wh_0193f0a1b2c3d4e5f6a7b8c9',
  }),
});

const DeliveryParams = WebhookParams.extend({
  delivery_id: StorableText.check(z.minLength(1), z.maxLength(64)).openapi({
    param: { name: 'delivery_id', in: 'path' },
    example: 'dlv_0193f0a1b2c3d4e5f6a7b8c9',
  }),
});

function toEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events as z.infer<typeof SubscribableEvent>[],
    environments: row.environments,
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function toDelivery(view: DeliveryView): z.infer<typeof Delivery> {
  return {
    id: view.id,
    event_id: view.eventId,
    event_type: view.eventType,
    status: view.status,
    attempt_count: view.attempts,
    next_attempt_at: view.status === 'pending' ? view.nextAttemptAt.toISOString() : null,
    created_at: view.createdAt.toISOString(),
    attempts: view.attemptList.map((a) => ({
      attempted_at: a.attemptedAt.toISOString(),
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
      response_body: a.responseBody,
      next_retry_at: a.nextRetryAt?.toISOString() ?? null,
    })),
  };
}

const route = <const T extends Omit<RouteDeclaration, 'tags' | 'auth'>>(definition: T) =>
  defineRoute({ tags, auth: 'tenant', ...definition });

const createWebhookRoute = route({
  method: 'post',
  path: '/v1/webhooks',
  operationId: 'createWebhook',
  summary: 'Register a webhook endpoint',
  description:
    'The URL must resolve to a public address (unless the service allows private destinations). The response carries the signing secret, shown only here.',
  idempotent: true,
  request: { body: jsonBody(CreateWebhookRequest) },
  responses: {
    201: jsonResponse(WebhookEndpointWithSecret, 'Registered.'),
  },
});

const listWebhooksRoute = route({
  method: 'get',
  path: '/v1/webhooks',
  operationId: 'listWebhooks',
  summary: 'List webhook endpoints',
  request: { query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(WebhookEndpoint), next_cursor: NextCursor }).openapi('WebhookEndpointList'),
      'A page of endpoints.',
    ),
  },
});

const getWebhookRoute = route({
  method: 'get',
  path: '/v1/webhooks/{id}',
  operationId: 'getWebhook',
  summary: 'Get a webhook endpoint',
  notFound: true,
  request: { params: WebhookParams },
  responses: {
    200: jsonResponse(WebhookEndpoint, 'The endpoint.'),
  },
});

const updateWebhookRoute = route({
  method: 'patch',
  path: '/v1/webhooks/{id}',
  operationId: 'updateWebhook',
  summary: 'Change a webhook endpoint, or enable it again',
  notFound: true,
  request: { params: WebhookParams, body: jsonBody(UpdateWebhookRequest) },
  responses: {
    200: jsonResponse(WebhookEndpoint, 'The changed endpoint.'),
  },
});

const deleteWebhookRoute = route({
  method: 'delete',
  path: '/v1/webhooks/{id}',
  operationId: 'deleteWebhook',
  summary: 'Delete a webhook endpoint and its deliveries',
  notFound: true,
  request: { params: WebhookParams },
  responses: {
    204: { description: 'Deleted.' },
  },
});

const rotateSecretRoute = route({
  method: 'post',
  path: '/v1/webhooks/{id}/rotate-secret',
  operationId: 'rotateWebhookSecret',
  summary: 'Issue a new signing secret',
  description: 'For 24 hours deliveries carry two signatures, by the new secret and by the old one.',
  idempotent: true,
  notFound: true,
  request: { params: WebhookParams },
  responses: {
    200: jsonResponse(WebhookEndpointWithSecret, 'The endpoint with its new secret.'),
  },
});

const testWebhookRoute = route({
  method: 'post',
  path: '/v1/webhooks/{id}/test',
  operationId: 'testWebhook',
  summary: 'Send a webhook.test event to this endpoint',
  idempotent: true,
  notFound: true,
  request: { params: WebhookParams },
  responses: {
    202: jsonResponse(z.object({ event_id: z.string() }).openapi('TestEventAccepted'), 'Queued for delivery.'),
  },
});

const listDeliveriesRoute = route({
  method: 'get',
  path: '/v1/webhooks/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  summary: 'Deliveries to this endpoint with every attempt, newest first',
  notFound: true,
  request: { params: WebhookParams, query: z.object({ limit: Limit, cursor: Cursor }) },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(Delivery), next_cursor: NextCursor }).openapi('DeliveryList'),
      'A page of deliveries.',
    ),
  },
});

const redeliverRoute = route({
  method: 'post',
  path: '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver',
  operationId: 'redeliverWebhook',
  summary: 'Send a delivery again now',
  idempotent: true,
  notFound: true,
  request: { params: DeliveryParams },
  responses: {
    202: { description: 'Queued; the attempt appears in the delivery’s attempts.' },
  },
});

/** The Standard Webhooks headers every delivery carries. */
const DeliveryHeaders = z.object({
  'webhook-id': z.string().openapi({
    param: { name: 'webhook-id', in: 'header' },
    description: 'The event id, the same on every attempt: deduplicate on it.',
    example: 'evt_0193f0a1b2c3d4e5f6a7b8c9d0e1',
  }),
  'webhook-timestamp': z.string().openapi({
    param: { name: 'webhook-timestamp', in: 'header' },
    description: 'Unix seconds of this attempt; refuse one too far from your clock to stop replays.',
    example: '1795055400',
  }),
  'webhook-signature': z.string().openapi({
    param: { name: 'webhook-signature', in: 'header' },
    description:
      'Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps.',
    example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  }),
});

/** Declares each event type a registered endpoint receives, in the spec's webhooks section. */
function declareWebhooks(app: App): void {
  for (const { type, name, summary, payload } of webhookPayloads) {
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      operationId: `on${name}`,
      summary,
      description:
        'POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.',
      tags,
      // The receiver authenticates a delivery by its webhook-signature, not by a credential of this API.
      security: [],
      request: { headers: DeliveryHeaders, body: jsonBody(payload) },
      responses: {
        200: { description: 'Any 2xx acknowledges the delivery.' },
        410: { description: 'Gone: the endpoint is disabled and receives nothing more until re-enabled.' },
        429: {
          description:
            'Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule.',
        },
      },
    });
  }
}

export function registerWebhookRoutes(app: App, deps: AppDeps): void {
  const { allowPrivate } = deps.config.webhooks;
  declareWebhooks(app);

  app.openapi(createWebhookRoute, async (c) => {
    const body = c.req.valid('json');
    await assertRegistrableUrl(body.url, allowPrivate);
    const { endpoint, secret } = await createEndpoint(
      c.get('db'),
      deps.keyring,
      c.get('tenant'),
      {
        url: body.url,
        allowPrivate,
        events: body.events,
        environments: body.environments ?? null,
        description: body.description ?? '',
      },
      c.get('limits').webhooks,
    );
    return c.json({ ...toEndpoint(endpoint), secret }, 201);
  });

  app.openapi(listWebhooksRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listEndpoints(c.get('db'), c.get('tenant'), { limit, afterId: decodeCursor(cursor, 'string') });
    return c.json(
      listPage(page, toEndpoint, (endpoint) => endpoint.id),
      200,
    );
  });

  app.openapi(getWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(toEndpoint(await getEndpoint(c.get('db'), c.get('tenant'), id)), 200);
  });

  app.openapi(updateWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { url, ...patch } = c.req.valid('json');
    if (url !== undefined) await assertRegistrableUrl(url, allowPrivate);
    const destination = url === undefined ? {} : { destination: { url, allowPrivate } };
    return c.json(
      toEndpoint(
        await updateEndpoint(c.get('db'), c.get('tenant'), id, { ...patch, ...destination }, c.get('wakeups')),
      ),
      200,
    );
  });

  app.openapi(deleteWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    await deleteEndpoint(c.get('db'), c.get('tenant'), id);
    return c.body(null, 204);
  });

  app.openapi(rotateSecretRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { endpoint, secret } = await rotateSecret(
      c.get('db'),
      deps.keyring,
      c.get('tenant'),
      id,
      SECRET_ROTATION_OVERLAP_MS,
    );
    return c.json({ ...toEndpoint(endpoint), secret }, 200);
  });

  app.openapi(testWebhookRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json({ event_id: await sendTestEvent(c.get('db'), c.get('tenant'), id, c.get('wakeups')) }, 202);
  });

  app.openapi(listDeliveriesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const page = await listDeliveries(c.get('db'), c.get('tenant'), id, {
      limit,
      beforeId: decodeCursor(cursor, 'string'),
    });
    return c.json(
      listPage(page, toDelivery, (delivery) => delivery.id),
      200,
    );
  });

  app.openapi(redeliverRoute, async (c) => {
    const { id, delivery_id } = c.req.valid('param');
    await redeliver(c.get('db'), c.get('tenant'), id, delivery_id, c.get('wakeups'));
    return c.body(null, 202);
  });
}
