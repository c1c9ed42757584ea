import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { buildDeps } from '../../src/api/deps.js';
import type { App } from '../../src/api/types.js';
import { type LimitsConfig, loadConfig, type WebhookConfig } from '../../src/config.js';
import type { Token } from '../../src/domain/token.js';
import { createLogger } from '../../src/logger.js';
import { WebhookDispatcher } from '../../src/notify/dispatcher.js';
import { Keyring } from '../../src/secrets.js';
import { type Backend, createScratchDatabase, type ScratchDatabase } from './database.js';

export type Tenant = { tenant: string; key: string; keyId: string };

export type FenceBody = { token: Token; previous: { token: Token; holder: string } | null };

export type RequestOptions = {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
};

export type Harness = {
  app: App;
  scratch: ScratchDatabase;
  /** The app's keys for secrets at rest (a random one per harness). */
  keyring: Keyring;
  adminToken: string;
  maxBodyBytes: number;
  maxEntryBytes: number;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** A fresh tenant with its own key, so no two tests share data. */
  newTenant(): Promise<Tenant>;
  /** A name no other test uses. */
  uniqueName(prefix?: string): string;
  /** Fences `env` for tenant `t` and returns the 200 body; any other answer fails the test. */
  fence(t: Tenant, env: string, deployGeneration: number, holder?: string): Promise<FenceBody>;
  /** Stops the dispatcher, if any, and drops the scratch database. */
  close(): Promise<void>;
};

export type HarnessOptions = {
  /** Runs a webhook dispatcher beside the app, with these settings over fast test defaults. */
  dispatcher?: Partial<WebhookConfig>;
  /** Whether webhook URLs may point at private and loopback addresses (default true, for loopback receivers). */
  allowPrivateWebhooks?: boolean;
  /** Limits over the configured defaults. */
  limits?: Partial<LimitsConfig>;
  /** How often an idle watch stream sends a heartbeat (default 15 s). */
  watchHeartbeatMs?: number;
  /** Whether the app hears notifications (default true); without them, watchers rely on re-reading alone. */
  listen?: boolean;
};

/** Webhook settings for tests: loopback receivers allowed, retries and timeouts in milliseconds. */
export const testWebhookConfig: WebhookConfig = {
  allowPrivate: true,
  timeoutMs: 1_000,
  retryScheduleMs: [50, 100, 200],
  disableAfterMs: 60_000,
  pollIntervalMs: 200,
  concurrency: 8,
};

/** Limits for tests: the configured defaults, which no ordinary test comes near. */
export const testLimits: LimitsConfig = loadConfig({}).limits;

export async function createHarness(backend: Backend, options: HarnessOptions = {}): Promise<Harness> {
  const scratch = await createScratchDatabase(backend);
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const maxBodyBytes = 1024 * 1024;
  const maxEntryBytes = 64 * 1024;
  const keyring = new Keyring(randomBytes(32));
  const deps = buildDeps(
    {
      adminToken,
      maxBodyBytes,
      maxEntryBytes,
      webhooks: { allowPrivate: options.allowPrivateWebhooks ?? true },
      limits: { ...testLimits, ...options.limits },
      watchHeartbeatMs: options.watchHeartbeatMs ?? 15_000,
    },
    { database: scratch.handle, logger: createLogger('silent'), keyring },
  );
  const { watchHub, metrics } = deps;
  if (options.listen ?? true) await watchHub.start();
  const app = createApp(deps);
  const dispatcher = options.dispatcher
    ? new WebhookDispatcher(
        scratch.handle,
        { ...testWebhookConfig, ...options.dispatcher },
        createLogger('silent'),
        metrics,
        keyring,
      )
    : null;
  await dispatcher?.start();

  const request: Harness['request'] = (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(app.request(path, { method, headers, body }));
  };

  const uniqueName = (prefix = 'env') => `${prefix}-${randomBytes(5).toString('hex')}`;

  const newTenant = async (): Promise<Tenant> => {
    const tenant = uniqueName('tenant');
    const res = await request('POST', '/v1/api-keys', {
      key: adminToken,
      body: { tenant, name: 'test key' },
    });
    if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
    const created = (await res.json()) as { id: string; key: string };
    return { tenant, key: created.key, keyId: created.id };
  };

  const fence: Harness['fence'] = async (t, env, deployGeneration, holder = 'pod') => {
    const res = await request('POST', `/v1/environments/${env}/fence`, {
      key: t.key,
      body: { deploy_generation: deployGeneration, holder },
    });
    if (res.status !== 200) throw new Error(`fencing ${env} failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as FenceBody;
  };

  const close = async () => {
    await watchHub.stop();
    await dispatcher?.stop();
    await scratch.drop();
  };

  return {
    app,
    scratch,
    keyring,
    adminToken,
    maxBodyBytes,
    maxEntryBytes,
    request,
    newTenant,
    uniqueName,
    fence,
    close,
  };
}

/** One scratch database per test file, dropped after it; each test seeds its own tenant. */
export function useHarness(backend: Backend, options: HarnessOptions = {}): () => Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await createHarness(backend, options);
  });
  afterAll(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error('the harness is set up in beforeAll');
    return harness;
  };
}

/** Fences and returns just the new token. */
export async function fenceToken(
  h: Harness,
  t: Tenant,
  env: string,
  deployGeneration: number,
  holder?: string,
): Promise<Token> {
  return (await h.fence(t, env, deployGeneration, holder)).token;
}

export async function json<T = Record<string, any>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export type FeedItem = { id: string; type: string; data: Record<string, any> };
export type FeedPage = { items: FeedItem[]; next_cursor: string };

/**
 * A page of the tenant's event feed (`query` as in `?after=…&limit=…`) once it shows at least
 * `count` events, or after 10 s, for the caller's assertion to fail on. The feed shows an event only
 * once every transaction older than it has ended, anywhere on the PostgreSQL server, so a busy
 * server can hold a fresh event back briefly.
 */
export async function feedPageShowing(h: Harness, t: Tenant, count: number, query = ''): Promise<FeedPage> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await h.request('GET', `/v1/events${query}`, { key: t.key });
    const page = await json<FeedPage>(res);
    if (page.items.length >= count || Date.now() > deadline) return page;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The items of the whole feed once it shows at least `count` events (see feedPageShowing). */
export async function feedShowing(h: Harness, t: Tenant, count: number): Promise<FeedItem[]> {
  return (await feedPageShowing(h, t, count, '?limit=1000')).items;
}

/**
 * Serves the harness's app on a real socket on loopback for the test file, for what `app.request()`
 * cannot show (connections, client addresses); returns the origin, known once `beforeAll` ran.
 */
export function useServedApp(harness: () => Harness): () => string {
  let server: ServerType | undefined;
  let origin: string | undefined;
  beforeAll(async () => {
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: harness().app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });
  return () => {
    if (!origin) throw new Error('the app is served in beforeAll');
    return origin;
  };
}
