import { z } from '@hono/zod-openapi';
import type { EventType } from '../db/events.js';
import { DeployGeneration, Holder, Timestamp, Token } from './schemas.js';

/**
 * The events of webhooks and of the event feed, one schema per type. A webhook's body is
 * `{type, timestamp, data}`; a feed item is the same with the event's `id` (the deliveries'
 * `webhook-id`) added.
 */

const EventEnvironment = z
  .string()
  .openapi({ description: 'The environment the event is about.', example: 'orders-db' });

const TokenHolder = z.object({ token: Token, holder: Holder }).openapi('TokenHolder', {
  description: 'A token and the holder it was issued to.',
});

/** A TokenHolder or null, named apart so the shared TokenHolder component stays non-nullable. */
const NullableTokenHolder = z.union([TokenHolder, z.null()]).openapi('NullableTokenHolder');

const FencedEventData = z
  .object({
    environment: EventEnvironment,
    fenced: TokenHolder,
    by: TokenHolder,
    fenced_at: Timestamp,
  })
  .openapi('FencedEventData', {
    description:
      'A token was issued over another: generation.fenced when its deploy generation is newer, epoch.fenced when the same generation was fenced again. `fenced` is the holder fenced out with the token it held, `by` the new holder with the token that fenced it.',
  });

const EnvironmentDeletedData = z
  .object({
    environment: EventEnvironment,
    last: NullableTokenHolder,
    deleted_at: Timestamp,
  })
  .openapi('EnvironmentDeletedData', {
    description: '`last` is the token in force when the environment was deleted; null if none was ever issued.',
  });

const DeploymentReadyData = z
  .object({
    environment: EventEnvironment,
    deploy_generation: DeployGeneration,
    holder: Holder,
    ready_at: Timestamp,
  })
  .openapi('DeploymentReadyData');

const DeploymentPromotedData = z
  .object({
    environment: EventEnvironment,
    deploy_generation: DeployGeneration,
    holder: Holder,
    token: Token,
    previous: NullableTokenHolder,
    skipped_catchup: z.boolean().openapi({ description: 'Promoted with skip_catchup before it was ready_to_promote.' }),
    promoted_at: Timestamp,
  })
  .openapi('DeploymentPromotedData', {
    description: '`previous` is the holder this promotion fenced out; null on the environment’s first token.',
  });

const WebhookTestData = z
  .object({
    endpoint_id: z.string().openapi({ example: 'wh_0193f0a1b2c3d4e5f6a7b8c9' }),
    message: z.string(),
  })
  .openapi('WebhookTestData');

type EventDefinition = { type: EventType; name: string; summary: string; data: z.ZodObject };

export const EVENT_DEFINITIONS = [
  {
    type: 'generation.fenced',
    name: 'GenerationFenced',
    summary: 'A newer deploy generation took the environment over: the old generation must stop writing and exit.',
    data: FencedEventData,
  },
  {
    type: 'epoch.fenced',
    name: 'EpochFenced',
    summary: 'The same generation was fenced again at a newer epoch: the old holder must halt.',
    data: FencedEventData,
  },
  {
    type: 'environment.deleted',
    name: 'EnvironmentDeleted',
    summary: 'The environment was deleted: every token of it is fenced for good.',
    data: EnvironmentDeletedData,
  },
  {
    type: 'deployment.ready_to_promote',
    name: 'DeploymentReadyToPromote',
    summary: 'A candidate deployment caught up and can be promoted.',
    data: DeploymentReadyData,
  },
  {
    type: 'deployment.promoted',
    name: 'DeploymentPromoted',
    summary: 'A deployment was promoted: its token fenced the previous generation.',
    data: DeploymentPromotedData,
  },
  {
    type: 'webhook.test',
    name: 'WebhookTest',
    summary: 'Sent by POST /v1/webhooks/{id}/test to that endpoint alone.',
    data: WebhookTestData,
  },
] as const satisfies readonly EventDefinition[];

function envelope(definition: EventDefinition) {
  return {
    type: z.literal(definition.type),
    timestamp: Timestamp.openapi({ description: 'When the event happened.' }),
    data: definition.data,
  };
}

/** The body of a webhook of each type, by type. */
export const webhookPayloads = EVENT_DEFINITIONS.map((definition) => ({
  ...definition,
  payload: z.object(envelope(definition)).openapi(`${definition.name}Payload`, { description: definition.summary }),
}));

const feedEvents = EVENT_DEFINITIONS.map((definition) =>
  z
    .object({
      id: z.string().openapi({
        description: 'The event id: the webhook-id of its deliveries.',
        example: 'evt_0193f0a1b2c3d4e5f6a7b8c9d0e1',
      }),
      ...envelope(definition),
    })
    .openapi(`${definition.name}FeedEvent`, { description: definition.summary }),
);

export const FeedEvent = z
  .discriminatedUnion('type', feedEvents as unknown as [(typeof feedEvents)[number], ...(typeof feedEvents)[number][]])
  .openapi('FeedEvent', { description: 'An event of the feed; `data` is the webhook payload’s data of its type.' });
