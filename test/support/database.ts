import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type DatabaseHandle, openDatabase } from '../../src/db/client.js';

export type Backend = 'postgres' | 'pglite';

export const POSTGRES_URL = process.env.DATABASE_URL || undefined;

/** HTTP-surface tests run on PostgreSQL when DATABASE_URL is set, else on the embedded database. */
export const httpBackend: Backend = POSTGRES_URL ? 'postgres' : 'pglite';

/** Storage tests run on both databases when PostgreSQL is configured. */
export const storageBackends: Backend[] = POSTGRES_URL ? ['pglite', 'postgres'] : ['pglite'];

export type ScratchDatabase = {
  handle: DatabaseHandle;
  /** The scratch database's URL (PostgreSQL only), for service processes started by a test. */
  url: string | undefined;
  drop(): Promise<void>;
};

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A new, empty PostgreSQL database; dropped (with its connections) by `drop`. */
export async function createScratchPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('DATABASE_URL is not set');
  const name = `palisade_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  return {
    url: withDatabaseName(POSTGRES_URL, name),
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

/** A migrated scratch database on `backend`: its own PostgreSQL database, or an in-memory PGlite. */
export async function createScratchDatabase(backend: Backend): Promise<ScratchDatabase> {
  if (backend === 'pglite') {
    const handle = await openDatabase({ kind: 'pglite' });
    return { handle, url: undefined, drop: () => handle.close() };
  }
  const scratch = await createScratchPostgres();
  const handle = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 20 });
  return {
    handle,
    url: scratch.url,
    drop: async () => {
      await handle.close();
      await scratch.drop();
    },
  };
}
