import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { type App, createApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { type Backend, createScratchDatabase, type ScratchDatabase } from './database.js';

export type Tenant = { tenant: string; key: string; keyId: string };

export type RequestOptions = {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
};

export type Harness = {
  app: App;
  scratch: ScratchDatabase;
  adminToken: string;
  maxBodyBytes: number;
  maxEntryBytes: number;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** A fresh tenant with its own key, so no two tests share data. */
  newTenant(): Promise<Tenant>;
  /** A name no other test uses. */
  uniqueName(prefix?: string): string;
};

export async function createHarness(backend: Backend): Promise<Harness> {
  const scratch = await createScratchDatabase(backend);
  const adminToken = `admin-${randomBytes(16).toString('hex')}`;
  const maxBodyBytes = 1024 * 1024;
  const maxEntryBytes = 64 * 1024;
  const app = createApp({
    database: scratch.handle,
    config: { adminToken, maxBodyBytes, maxEntryBytes },
    logger: createLogger('silent'),
    lifecycle: { draining: false },
  });

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

  return { app, scratch, adminToken, maxBodyBytes, maxEntryBytes, request, newTenant, uniqueName };
}

/** One scratch database per test file, dropped after it; each test seeds its own tenant. */
export function useHarness(backend: Backend): () => Harness {
  let harness: Harness | undefined;
  beforeAll(async () => {
    harness = await createHarness(backend);
  });
  afterAll(async () => {
    await harness?.scratch.drop();
  });
  return () => {
    if (!harness) throw new Error('the harness is set up in beforeAll');
    return harness;
  };
}

export async function json<T = Record<string, any>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
