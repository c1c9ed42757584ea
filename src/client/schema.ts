// Generated from openapi.yaml by `npm run client` (openapi-typescript); do not edit.
// test/client.test.ts fails when this file is stale.

export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the process is up */
        get: operations["healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the database answers and every migration is applied
         * @description Answers within a second: a database that has not answered by then counts as unavailable. Also says whether commits wait for a synchronous standby; with PALISADE_REQUIRE_SYNC_REPLICATION=true the service is not ready without one.
         */
        get: operations["readyz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics
         * @description Request durations by route and status, fences by kind, 409s by code, 429s by resource, webhook attempts by outcome, outbox lag, requests in flight, and the process metrics (memory, CPU, event loop).
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create a tenant API key (admin) */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key at once (admin) */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/limits": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The limits in force for a tenant (admin) */
        get: operations["getTenantLimits"];
        /**
         * Replace a tenant’s limit overrides (admin)
         * @description Takes effect at once on this process and within ten seconds on the others.
         */
        put: operations["setTenantLimits"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get an environment and its current token */
        get: operations["getEnvironment"];
        /** Create an environment (idempotent) */
        put: operations["putEnvironment"];
        post?: never;
        /**
         * Delete an environment with its log and history
         * @description The name can be used again; its epochs continue from where they were, so no token issued before the delete is ever issued again.
         */
        delete: operations["deleteEnvironment"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List environments by name */
        get: operations["listEnvironments"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/fence": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue the next fence token
         * @description Creates the environment if absent. Issues epoch = previous + 1 with the requested generation, fencing out the previous holder: by deploy_generation when the generation rises, by epoch when it stays. A generation lower than the current one is refused with 409 fenced.
         */
        post: operations["fence"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/confirm": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Confirm that a token is still current */
        post: operations["confirm"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every token issued, newest first */
        get: operations["fenceHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/log": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read entries from an offset */
        get: operations["readLog"];
        put?: never;
        /**
         * Append entries, fenced by the writer’s token
         * @description Accepted only if token equals the environment’s current token; the token is checked before expected_upper, so a stale writer always learns it was fenced.
         */
        post: operations["appendLog"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/deployments/{generation}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a deployment; with wait, long-poll for a state change */
        get: operations["getDeployment"];
        /**
         * Register a candidate generation, or report its state
         * @description A new deploy generation registers read-only before it takes over; creates the environment if absent. Refused with 409 fenced (kind deploy_generation) when a newer generation already holds or held a token. Repeating the request changes nothing.
         */
        put: operations["registerDeployment"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/deployments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The environment’s deployments, newest generation first */
        get: operations["listDeployments"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/deployments/{generation}/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The candidate has caught up: ready_to_promote
         * @description Emits deployment.ready_to_promote. Saying it again changes nothing.
         */
        post: operations["markDeploymentReady"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/deployments/{generation}/promote": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Promote the candidate: fence the old generation and make this one lead, in one transaction
         * @description Issues the candidate’s token (epoch + 1, its generation), which fences the previous holder with generation.fenced (epoch.fenced for the same generation) and every deployment of an older generation, and emits deployment.promoted. The deployment is promoting until its process reports is_leader. Refused with 409 invalid_transition (action retry) before ready_to_promote unless skip_catchup. Promoting again changes nothing.
         */
        post: operations["promoteDeployment"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List webhook endpoints */
        get: operations["listWebhooks"];
        put?: never;
        /**
         * Register a webhook endpoint
         * @description The URL must resolve to a public address (unless the service allows private destinations). The response carries the signing secret, shown only here.
         */
        post: operations["createWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a webhook endpoint */
        get: operations["getWebhook"];
        put?: never;
        post?: never;
        /** Delete a webhook endpoint and its deliveries */
        delete: operations["deleteWebhook"];
        options?: never;
        head?: never;
        /** Change a webhook endpoint, or enable it again */
        patch: operations["updateWebhook"];
        trace?: never;
    };
    "/v1/webhooks/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Issue a new signing secret
         * @description For 24 hours deliveries carry two signatures, by the new secret and by the old one.
         */
        post: operations["rotateWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a webhook.test event to this endpoint */
        post: operations["testWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Deliveries to this endpoint with every attempt, newest first */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a delivery again now */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/environments/{env}/watch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Follow the environment’s token as Server-Sent Events
         * @description A fenced process learns it at once, not on its next write. Events:
         *
         *     - `snapshot` (first, on every connection): the environment as GET returns it;
         *     - `fenced`: a token was issued; data `{environment, token, holder, upper, fenced_at}`;
         *     - `deleted`: the environment was deleted; data `{environment}` (the stream stays open: the name may be used again);
         *     - `deployment.ready_to_promote`, `deployment.promoted`: the handover moved on; data as in the webhook event of that type (a promotion also sends the `fenced` of the token it issued, first).
         *
         *     Each event’s id is the newest epoch it reflects. Reconnect with `Last-Event-ID` to receive every token issued since, in order, before the snapshot (deployment events are not replayed: read the deployments after reconnecting). A comment line is sent as a heartbeat when nothing else is.
         */
        get: operations["watchEnvironment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The tenant’s event feed: the pull twin of webhooks
         * @description Every event webhooks carry, in the order their transactions committed, from an opaque cursor. An event shows only once every older transaction has ended, so resuming from `next_cursor` never misses one. `next_cursor` is never null: keep it and poll again, e.g. after downtime.
         */
        get: operations["listEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "generation.fenced": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A newer deploy generation took the environment over: the old generation must stop writing and exit.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onGenerationFenced"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "epoch.fenced": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The same generation was fenced again at a newer epoch: the old holder must halt.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onEpochFenced"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "environment.deleted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The environment was deleted: every token of it is fenced for good.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onEnvironmentDeleted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "deployment.ready_to_promote": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A candidate deployment caught up and can be promoted.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onDeploymentReadyToPromote"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "deployment.promoted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A deployment was promoted: its token fenced the previous generation.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onDeploymentPromoted"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "webhook.test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sent by POST /v1/webhooks/{id}/test to that endpoint alone.
         * @description POSTed to every enabled endpoint subscribed to this type (webhook.test: to the tested endpoint alone), signed per Standard Webhooks. At-least-once: retried until a 2xx, so deduplicate on webhook-id.
         */
        post: operations["onWebhookTest"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /** @description A newer deploy generation took the environment over: the old generation must stop writing and exit. */
        GenerationFencedPayload: {
            /** @enum {string} */
            type: "generation.fenced";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["FencedEventData"];
        };
        /** @description A token was issued over another: generation.fenced when its deploy generation is newer, epoch.fenced when the same generation was fenced again. `fenced` is the holder fenced out with the token it held, `by` the new holder with the token that fenced it. */
        FencedEventData: {
            /**
             * @description The environment the event is about.
             * @example orders-db
             */
            environment: string;
            fenced: components["schemas"]["TokenHolder"];
            by: components["schemas"]["TokenHolder"];
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            fenced_at: string;
        };
        /** @description A token and the holder it was issued to. */
        TokenHolder: {
            token: components["schemas"]["Token"];
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
        };
        /** @description A fence token. Ordered by deploy_generation, then epoch; epoch alone is strictly increasing per environment. */
        Token: {
            /**
             * @description Deploy generation, 0 .. 2^53-1.
             * @example 2
             */
            deploy_generation: number;
            /**
             * @description Epoch, 1 .. 2^53-1, strictly increasing per environment.
             * @example 7
             */
            epoch: number;
        };
        /** @description The same generation was fenced again at a newer epoch: the old holder must halt. */
        EpochFencedPayload: {
            /** @enum {string} */
            type: "epoch.fenced";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["FencedEventData"];
        };
        /** @description The environment was deleted: every token of it is fenced for good. */
        EnvironmentDeletedPayload: {
            /** @enum {string} */
            type: "environment.deleted";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["EnvironmentDeletedData"];
        };
        /** @description `last` is the token in force when the environment was deleted; null if none was ever issued. */
        EnvironmentDeletedData: {
            /**
             * @description The environment the event is about.
             * @example orders-db
             */
            environment: string;
            last: components["schemas"]["NullableTokenHolder"];
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            deleted_at: string;
        };
        NullableTokenHolder: components["schemas"]["TokenHolder"] | null;
        /** @description A candidate deployment caught up and can be promoted. */
        DeploymentReadyToPromotePayload: {
            /** @enum {string} */
            type: "deployment.ready_to_promote";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["DeploymentReadyData"];
        };
        DeploymentReadyData: {
            /**
             * @description The environment the event is about.
             * @example orders-db
             */
            environment: string;
            /**
             * @description Deploy generation, 0 .. 2^53-1.
             * @example 2
             */
            deploy_generation: number;
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            ready_at: string;
        };
        /** @description A deployment was promoted: its token fenced the previous generation. */
        DeploymentPromotedPayload: {
            /** @enum {string} */
            type: "deployment.promoted";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["DeploymentPromotedData"];
        };
        /** @description `previous` is the holder this promotion fenced out; null on the environment’s first token. */
        DeploymentPromotedData: {
            /**
             * @description The environment the event is about.
             * @example orders-db
             */
            environment: string;
            /**
             * @description Deploy generation, 0 .. 2^53-1.
             * @example 2
             */
            deploy_generation: number;
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
            token: components["schemas"]["Token"];
            previous: components["schemas"]["NullableTokenHolder"];
            /** @description Promoted with skip_catchup before it was ready_to_promote. */
            skipped_catchup: boolean;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            promoted_at: string;
        };
        /** @description Sent by POST /v1/webhooks/{id}/test to that endpoint alone. */
        WebhookTestPayload: {
            /** @enum {string} */
            type: "webhook.test";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["WebhookTestData"];
        };
        WebhookTestData: {
            /** @example wh_0193f0a1b2c3d4e5f6a7b8c9 */
            endpoint_id: string;
            message: string;
        };
        HealthStatus: {
            /** @enum {string} */
            status: "ok" | "unavailable";
            /** @enum {string} */
            database: "postgres" | "pglite";
        };
        ReadinessStatus: components["schemas"]["HealthStatus"] & {
            replication?: components["schemas"]["Replication"];
        };
        /** @description Absent when the database did not answer. */
        Replication: {
            /** @description Whether a commit is acknowledged only once a synchronous standby has it (synchronous_standby_names set, synchronous_commit on, remote_write or remote_apply, and a standby in sync). */
            synchronous: boolean;
            /** @description Standbys the primary reports in sync or quorum state. */
            sync_standbys: number;
        };
        CreatedApiKey: {
            /** @example key_5f1c0e2d9a7b3c4d5e6f7a8b */
            id: string;
            /** @description The key itself; shown only in this response. */
            key: string;
            /**
             * @description The tenant; it exists from the first key that names it.
             * @example acme
             */
            tenant: string;
            name: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            created_at: string;
        };
        /** @description Malformed JSON or a schema violation: each error names the path and what is wrong. */
        ValidationProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/invalid-request";
            /** @example Invalid request */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "invalid_request";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "fix_request";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            errors: {
                path: string;
                message: string;
            }[];
        };
        /** @description Missing, unknown or revoked credential. Sent with WWW-Authenticate: Bearer. */
        UnauthorizedProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/unauthorized";
            /** @example Unauthorized */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "unauthorized";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "authenticate";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        /** @description A credential that is not good on this route (a tenant key on an admin route, or the reverse). */
        ForbiddenProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/forbidden";
            /** @example Forbidden */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "forbidden";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "abort";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        /** @description The first request with this Idempotency-Key is still running; retry after Retry-After. */
        IdempotencyInFlightProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/idempotency-in-flight";
            /** @example Idempotent request in flight */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            code: "idempotency_in_flight";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "retry";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        PayloadTooLargeProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/payload-too-large";
            /** @example Payload too large */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "payload_too_large";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "fix_request";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            /** @description The limit in bytes. */
            limit: number;
            /** @description Which entry was too large. */
            entry_index?: number;
        };
        /** @description The Idempotency-Key was used with another request. */
        IdempotencyKeyReusedProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/idempotency-key-reused";
            /** @example Idempotency key reused */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "idempotency_key_reused";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "fix_request";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        /** @description Headers: RateLimit-Policy and RateLimit (IETF); Retry-After for the limits that pass with time (request_rate, in_flight, auth_failures, watch_streams, idempotency_keys; not the quotas environments, log_entries and webhooks). */
        ResourceExhaustedProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/resource-exhausted";
            /** @example Resource exhausted */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "resource_exhausted";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "backoff";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            /** @enum {string} */
            resource: "request_rate" | "environments" | "log_entries" | "webhooks" | "in_flight" | "watch_streams" | "idempotency_keys" | "auth_failures";
            limit: number;
        };
        /** @description A bug; logged with the request id. */
        InternalProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/internal";
            /** @example Internal error */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "internal";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "retry";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        /** @description The database cannot be reached, or the service is draining; retry after Retry-After, perhaps on another replica. */
        UnavailableProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/unavailable";
            /** @example Service unavailable */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "unavailable";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "retry";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        CreateApiKeyRequest: {
            /**
             * @description The tenant; it exists from the first key that names it.
             * @example acme
             */
            tenant: string;
            /** @example orders-db deployer */
            name: string;
        };
        /** @description No such resource for this tenant. */
        NotFoundProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/not-found";
            /** @example Not found */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /** @enum {string} */
            code: "not_found";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "fix_request";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
        };
        TenantLimits: {
            tenant: string;
            effective: {
                /** @description Requests per second per API key, per process. */
                request_rate: number;
                /** @description Requests a key may send at once before the rate applies. */
                request_burst: number;
                environments: number;
                /** @description Entries per environment log. */
                log_entries: number;
                /** @description Webhook endpoints. */
                webhooks: number;
            };
            overrides: {
                /** @description Requests per second per API key, per process. */
                request_rate: number | null;
                /** @description Requests a key may send at once before the rate applies. */
                request_burst: number | null;
                environments: number | null;
                /** @description Entries per environment log. */
                log_entries: number | null;
                /** @description Webhook endpoints. */
                webhooks: number | null;
            };
        };
        /** @description A missing or null limit uses the service’s configured default. */
        TenantLimitOverrides: {
            /** @description Requests per second per API key, per process. */
            request_rate?: number | null;
            /** @description Requests a key may send at once before the rate applies. */
            request_burst?: number | null;
            environments?: number | null;
            /** @description Entries per environment log. */
            log_entries?: number | null;
            /** @description Webhook endpoints. */
            webhooks?: number | null;
        };
        Environment: {
            /**
             * @description Environment name, unique per tenant.
             * @example orders-db
             */
            name: string;
            token: components["schemas"]["NullableToken"];
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string | null;
            /** @description The log’s next offset. */
            upper: number;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            fenced_at: string | null;
        };
        /** @description A token, or null where none is in force. */
        NullableToken: components["schemas"]["Token"] | null;
        EnvironmentList: {
            items: components["schemas"]["Environment"][];
            /** @description Cursor of the next page; null on the last page. */
            next_cursor: string | null;
        };
        FenceResult: {
            token: components["schemas"]["Token"];
            /** @description The holder this fence fenced out; null on the first fence. */
            previous: {
                token: components["schemas"]["Token"];
                /**
                 * @description Free-form label of the token holder (pod name, host:pid).
                 * @example coordinator-7f9c:4121
                 */
                holder: string;
            } | null;
        };
        FencedProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/fenced";
            /** @example Fenced by a newer token */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            code: "fenced";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "terminate" | "halt";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            /**
             * @description deploy_generation: a newer generation took over (action terminate, exit 0); epoch: the same generation was fenced again (action halt).
             * @enum {string}
             */
            kind: "deploy_generation" | "epoch";
            current_token: components["schemas"]["NullableToken"];
            your_token?: components["schemas"]["Token"];
            /**
             * @description Deploy generation, 0 .. 2^53-1.
             * @example 2
             */
            your_deploy_generation?: number;
        };
        FenceRequest: {
            /**
             * @description Deploy generation, 0 .. 2^53-1.
             * @example 2
             */
            deploy_generation: number;
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
        };
        ConfirmResult: {
            token: components["schemas"]["Token"];
            upper: number;
        };
        TokenFromFutureProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/token-from-future";
            /** @example Token was never issued */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            code: "token_from_future";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "abort";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            current_token: components["schemas"]["NullableToken"];
            your_token: components["schemas"]["Token"];
        };
        ConfirmRequest: {
            token: components["schemas"]["Token"];
        };
        FenceHistory: {
            items: components["schemas"]["FenceHistoryItem"][];
            /** @description Cursor of the next page; null on the last page. */
            next_cursor: string | null;
        };
        FenceHistoryItem: {
            token: components["schemas"]["Token"];
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
            /** @description The log’s upper when this token was issued: entries from here until the next fence’s upper were written with this token. */
            upper: number;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            fenced_at: string;
        };
        AppendResult: {
            /** @description Offset of the first appended entry. */
            offset: number;
            /** @description The log’s upper after the append. */
            upper: number;
        };
        UpperMismatchProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/upper-mismatch";
            /** @example Log upper does not match */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            code: "upper_mismatch";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "retry";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            expected_upper: number;
            current_upper: number;
        };
        AppendRequest: {
            token: components["schemas"]["Token"];
            /** @description Compare-and-append: refused with 409 upper_mismatch unless the log’s upper equals it. */
            expected_upper?: number;
            entries: unknown[];
        };
        LogPage: {
            entries: components["schemas"]["LogEntry"][];
            upper: number;
            /** @description Where the next page starts: the offset after the last entry of this one. A page ends at `limit` entries or before its entries pass the byte cap of a page (PALISADE_MAX_LOG_PAGE_BYTES, 1 MiB by default; an entry larger than the cap comes alone), whichever is first; the log is read to its end when next_from equals upper. */
            next_from: number;
        };
        LogEntry: {
            offset: number;
            /**
             * @description Any JSON value; at most 64 KiB serialized and 100 levels deep.
             * @example {
             *       "op": "set",
             *       "key": "k",
             *       "value": 1
             *     }
             */
            data?: unknown;
            token: components["schemas"]["Token"];
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            appended_at: string;
        };
        Deployment: {
            /**
             * @description Environment name, unique per tenant.
             * @example orders-db
             */
            environment: string;
            deploy_generation: number;
            state: components["schemas"]["DeploymentState"];
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
            token: components["schemas"]["NullableToken"] & unknown;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            updated_at: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            ready_at: string | null;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            promoted_at: string | null;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            fenced_at: string | null;
        };
        /**
         * @description initializing → catching_up → ready_to_promote → promoting → is_leader; fenced once a newer generation is issued a token.
         * @enum {string}
         */
        DeploymentState: "initializing" | "catching_up" | "ready_to_promote" | "promoting" | "is_leader" | "fenced";
        /** @description The deployment’s state does not allow the request. action retry: promote before the candidate is ready (wait for ready_to_promote, or promote with skip_catchup); abort: a transition the handover does not have. */
        InvalidTransitionProblem: {
            /**
             * Format: uri
             * @enum {string}
             */
            type: "https://palisade.dev/problems/invalid-transition";
            /** @example Deployment cannot make this transition */
            title: string;
            status: number;
            /** @description What happened to this request, in words. */
            detail: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            code: "invalid_transition";
            /**
             * @description What the client should do: terminate (exit 0), halt (exit non-zero, be restarted), retry, backoff, abort (a bug), fix_request, authenticate.
             * @enum {string}
             */
            action: "abort" | "retry";
            /** @description Quote it when reporting a problem. */
            request_id?: string;
            /**
             * @description The deployment’s state; null if the generation is not registered.
             * @enum {string|null}
             */
            deployment_state: "initializing" | "catching_up" | "ready_to_promote" | "promoting" | "is_leader" | "fenced" | null;
            /** @enum {string} */
            requested_state: "initializing" | "catching_up" | "ready_to_promote" | "promoting" | "is_leader" | "fenced";
            /** @description The states the requested one can be entered from. */
            allowed_from: ("initializing" | "catching_up" | "ready_to_promote" | "promoting" | "is_leader" | "fenced" | null)[];
        };
        RegisterDeploymentRequest: {
            /**
             * @description Free-form label of the token holder (pod name, host:pid).
             * @example coordinator-7f9c:4121
             */
            holder: string;
            /**
             * @description The candidate’s report of itself: initializing (booting) or catching_up (replaying, read-only) before promotion, is_leader once it runs as the leader after promotion. Absent: initializing for a new deployment, unchanged for an existing one.
             * @enum {string}
             */
            state?: "initializing" | "catching_up" | "is_leader";
        };
        DeploymentList: {
            items: components["schemas"]["Deployment"][];
            /** @description Cursor of the next page; null on the last page. */
            next_cursor: string | null;
        };
        PromoteRequest: {
            /**
             * @description Promote a candidate that has not said it is ready_to_promote (it may not have caught up).
             * @default false
             */
            skip_catchup: boolean;
        };
        WebhookEndpointWithSecret: components["schemas"]["WebhookEndpoint"] & {
            /**
             * @description The signing secret (Standard Webhooks); shown only in this response.
             * @example whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
             */
            secret: string;
        };
        /** @enum {string} */
        WebhookEventType: "generation.fenced" | "epoch.fenced" | "environment.deleted" | "deployment.ready_to_promote" | "deployment.promoted";
        WebhookEndpoint: {
            /** @example wh_0193f0a1b2c3d4e5f6a7b8c9 */
            id: string;
            url: string;
            events: components["schemas"]["WebhookEventType"][];
            environments: string[] | null;
            description: string;
            enabled: boolean;
            /** @description Why delivery stopped, when it was disabled by the service. */
            disabled_reason: string | null;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            created_at: string;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            updated_at: string;
        };
        CreateWebhookRequest: {
            /**
             * Format: uri
             * @example https://orchestrator.example.com/hooks/palisade
             */
            url: string;
            events: components["schemas"]["WebhookEventType"][];
            /** @description Deliver only events of these environments; null or absent: all. */
            environments?: string[] | null;
            description?: string;
        };
        WebhookEndpointList: {
            items: components["schemas"]["WebhookEndpoint"][];
            /** @description Cursor of the next page; null on the last page. */
            next_cursor: string | null;
        };
        UpdateWebhookRequest: {
            /**
             * Format: uri
             * @example https://orchestrator.example.com/hooks/palisade
             */
            url?: string;
            events?: components["schemas"]["WebhookEventType"][];
            /** @description Deliver only events of these environments; null or absent: all. */
            environments?: string[] | null;
            description?: string;
            enabled?: boolean;
        };
        TestEventAccepted: {
            event_id: string;
        };
        DeliveryList: {
            items: components["schemas"]["Delivery"][];
            /** @description Cursor of the next page; null on the last page. */
            next_cursor: string | null;
        };
        Delivery: {
            id: string;
            /** @description The webhook-id header of every attempt of this delivery. */
            event_id: string;
            event_type: string;
            /** @enum {string} */
            status: "pending" | "succeeded" | "failed";
            attempt_count: number;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            next_attempt_at: string | null;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            created_at: string;
            attempts: components["schemas"]["DeliveryAttempt"][];
        };
        DeliveryAttempt: {
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            attempted_at: string;
            status_code: number | null;
            duration_ms: number;
            error: string | null;
            /** @description The first KiB of the response body. */
            response_body: string | null;
            /**
             * Format: date-time
             * @description RFC 3339 UTC time.
             * @example 2026-11-26T02:30:00.000Z
             */
            next_retry_at: string | null;
        };
        EventFeed: {
            items: components["schemas"]["FeedEvent"][];
            next_cursor: string;
        };
        /** @description An event of the feed; `data` is the webhook payload’s data of its type. */
        FeedEvent: components["schemas"]["GenerationFencedFeedEvent"] | components["schemas"]["EpochFencedFeedEvent"] | components["schemas"]["EnvironmentDeletedFeedEvent"] | components["schemas"]["DeploymentReadyToPromoteFeedEvent"] | components["schemas"]["DeploymentPromotedFeedEvent"] | components["schemas"]["WebhookTestFeedEvent"];
        /** @description A newer deploy generation took the environment over: the old generation must stop writing and exit. */
        GenerationFencedFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "generation.fenced";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["FencedEventData"];
        };
        /** @description The same generation was fenced again at a newer epoch: the old holder must halt. */
        EpochFencedFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "epoch.fenced";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["FencedEventData"];
        };
        /** @description The environment was deleted: every token of it is fenced for good. */
        EnvironmentDeletedFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "environment.deleted";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["EnvironmentDeletedData"];
        };
        /** @description A candidate deployment caught up and can be promoted. */
        DeploymentReadyToPromoteFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "deployment.ready_to_promote";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["DeploymentReadyData"];
        };
        /** @description A deployment was promoted: its token fenced the previous generation. */
        DeploymentPromotedFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "deployment.promoted";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["DeploymentPromotedData"];
        };
        /** @description Sent by POST /v1/webhooks/{id}/test to that endpoint alone. */
        WebhookTestFeedEvent: {
            /**
             * @description The event id: the webhook-id of its deliveries.
             * @example evt_0193f0a1b2c3d4e5f6a7b8c9d0e1
             */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "webhook.test";
            /**
             * Format: date-time
             * @description When the event happened.
             * @example 2026-11-26T02:30:00.000Z
             */
            timestamp: string;
            data: components["schemas"]["WebhookTestData"];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: {
        /** @description The request’s id, also in the log line and in a problem’s request_id; quote it when reporting a problem. */
        "X-Request-Id": string;
        /** @description IETF RateLimit fields: the bucket’s remaining requests (r) and seconds until it is full again (t); on a 429, the exhausted limit. */
        RateLimit: string;
        /** @description IETF RateLimit policy: the quota (q) and its window in seconds (w). */
        "RateLimit-Policy": string;
        /** @description Seconds to wait before trying again. */
        "Retry-After": string;
        /** @description The scheme to authenticate with. */
        "WWW-Authenticate": string;
        /** @description true when this is the stored answer to an earlier request with the same Idempotency-Key, replayed without doing the work again. */
        "Idempotent-Replayed": string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is up. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthStatus"];
                };
            };
        };
    };
    readyz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready to serve. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessStatus"];
                };
            };
            /** @description Not ready: the database is unreachable, migrations are missing, the process is draining, or synchronous replication is required and missing. */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadinessStatus"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Prometheus text format. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKeyRequest"];
            };
        };
        responses: {
            /** @description The key; store it now, it is not shown again. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked (revoking twice is not an error). */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    getTenantLimits: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Effective limits and the overrides behind them. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantLimits"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    setTenantLimits: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TenantLimitOverrides"];
            };
        };
        responses: {
            /** @description The limits now in force. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantLimits"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    getEnvironment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The environment. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Environment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    putEnvironment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The environment already existed. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Environment"];
                };
            };
            /** @description The environment was created. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Environment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    deleteEnvironment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    listEnvironments: {
        parameters: {
            query?: {
                /** @description Page size, 1 .. 1000. */
                limit?: number;
                /** @description Opaque cursor from the previous page’s next_cursor. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of environments, ordered by name. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EnvironmentList"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    fence: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FenceRequest"];
            };
        };
        responses: {
            /** @description The new token, and the holder it fenced out. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FenceResult"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    confirm: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConfirmRequest"];
            };
        };
        responses: {
            /** @description The token is current. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConfirmResult"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["TokenFromFutureProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    fenceHistory: {
        parameters: {
            query?: {
                /** @description Page size, 1 .. 1000. */
                limit?: number;
                /** @description Opaque cursor from the previous page’s next_cursor. */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of the fence history. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FenceHistory"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    readLog: {
        parameters: {
            query?: {
                /** @description First offset to read. */
                from?: number;
                /** @description Page size, 1 .. 1000. */
                limit?: number;
            };
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Entries from offset `from`, in order, the log’s upper, and where the next page starts. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LogPage"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    appendLog: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AppendRequest"];
            };
        };
        responses: {
            /** @description Appended; entries are at offset .. upper-1. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AppendResult"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["UpperMismatchProblem"] | components["schemas"]["TokenFromFutureProblem"] | components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    getDeployment: {
        parameters: {
            query?: {
                /** @description Long-poll: answer as soon as the state differs from `state`, or after this long (at most 60s; 500ms, 30s; a bare number is seconds). */
                wait?: string;
                /** @description The state the caller last saw; with wait, the answer comes once the state is another. Default: the state when the request arrives. */
                state?: components["schemas"]["DeploymentState"] & unknown;
            };
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
                generation: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deployment: changed, or unchanged when the wait ran out. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    registerDeployment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
                generation: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterDeploymentRequest"];
            };
        };
        responses: {
            /** @description The deployment existed; its state after the report. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            /** @description The deployment was registered. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["InvalidTransitionProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    listDeployments: {
        parameters: {
            query?: {
                /** @description Page size, 1 .. 1000. */
                limit?: number;
                /** @description Opaque cursor from the previous page’s next_cursor. */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of deployments. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeploymentList"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    markDeploymentReady: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
                generation: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The deployment, ready_to_promote. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["InvalidTransitionProblem"] | components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    promoteDeployment: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
                generation: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["PromoteRequest"];
            };
        };
        responses: {
            /** @description The deployment, promoting (or as it was, if already promoted). */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deployment"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["FencedProblem"] | components["schemas"]["InvalidTransitionProblem"] | components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    listWebhooks: {
        parameters: {
            query?: {
                /** @description Page size, 1 .. 1000. */
                limit?: number;
                /** @description Opaque cursor from the previous page’s next_cursor. */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of endpoints. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointList"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    createWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateWebhookRequest"];
            };
        };
        responses: {
            /** @description Registered. */
            201: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointWithSecret"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    getWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    deleteWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted. */
            204: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    updateWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateWebhookRequest"];
            };
        };
        responses: {
            /** @description The changed endpoint. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpoint"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    rotateWebhookSecret: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The endpoint with its new secret. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookEndpointWithSecret"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    testWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Queued for delivery. */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TestEventAccepted"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                /** @description Page size, 1 .. 1000. */
                limit?: number;
                /** @description Opaque cursor from the previous page’s next_cursor. */
                cursor?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of deliveries. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeliveryList"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: {
                /** @description Makes a retry safe: the same key with the same body within 24 h replays the first response (header Idempotent-Replayed: true) without doing the work again. The replay is exactly the first response, a new API key or webhook secret included; the stored response is encrypted under a key derived from this Idempotency-Key and the server's secret key, so only a holder of this key gets it back. Use a random value, such as a UUID. */
                "Idempotency-Key"?: string;
            };
            path: {
                id: string;
                delivery_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Queued; the attempt appears in the delivery’s attempts. */
            202: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Conflict. */
            409: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    "Idempotent-Replayed": components["headers"]["Idempotent-Replayed"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyInFlightProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description Idempotency key reused with another request. */
            422: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["IdempotencyKeyReusedProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    watchEnvironment: {
        parameters: {
            query?: never;
            header?: {
                /** @description The id of the last event received. */
                "Last-Event-ID"?: string;
            };
            path: {
                /** @description Environment name, unique per tenant. */
                env: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An event stream. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description No such resource for this tenant (not_found). */
            404: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["NotFoundProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    listEvents: {
        parameters: {
            query?: {
                /** @description A next_cursor from an earlier page; absent: from the beginning. */
                after?: string;
                /** @description Page size, 1 .. 1000. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Events after the cursor, oldest first. */
            200: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventFeed"];
                };
            };
            /** @description Malformed JSON or a schema violation (invalid_request). */
            400: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Missing, unknown or revoked key (unauthorized). */
            401: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    "WWW-Authenticate": components["headers"]["WWW-Authenticate"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnauthorizedProblem"];
                };
            };
            /** @description A credential that is not good on this route (forbidden). */
            403: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ForbiddenProblem"];
                };
            };
            /** @description Body over the size limit, or a log entry over the entry limit (payload_too_large). */
            413: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["PayloadTooLargeProblem"];
                };
            };
            /** @description A rate, quota or capacity limit was hit (resource_exhausted). */
            429: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ResourceExhaustedProblem"];
                };
            };
            /** @description A bug; logged with the request id (internal). */
            500: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["InternalProblem"];
                };
            };
            /** @description The database cannot be reached, or the service is draining (unavailable). */
            503: {
                headers: {
                    "X-Request-Id": components["headers"]["X-Request-Id"];
                    RateLimit: components["headers"]["RateLimit"];
                    "RateLimit-Policy": components["headers"]["RateLimit-Policy"];
                    "Retry-After": components["headers"]["Retry-After"];
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["UnavailableProblem"];
                };
            };
        };
    };
    onGenerationFenced: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GenerationFencedPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onEpochFenced: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EpochFencedPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onEnvironmentDeleted: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EnvironmentDeletedPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onDeploymentReadyToPromote: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeploymentReadyToPromotePayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onDeploymentPromoted: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DeploymentPromotedPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onWebhookTest: {
        parameters: {
            query?: never;
            header: {
                /** @description The event id, the same on every attempt: deduplicate on it. */
                "webhook-id": string;
                /** @description Unix seconds of this attempt; refuse one too far from your clock to stop replays. */
                "webhook-timestamp": string;
                /** @description Space-separated `v1,<base64 HMAC-SHA256>` over `webhook-id.webhook-timestamp.body`, keyed by the base64 part of the endpoint secret (whsec_…); one signature per live secret while a rotation overlaps. */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookTestPayload"];
            };
        };
        responses: {
            /** @description Any 2xx acknowledges the delivery. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Gone: the endpoint is disabled and receives nothing more until re-enabled. */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Retried no sooner than the Retry-After asked for, as is 503; any other answer is retried on the schedule. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
