import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';

/** PALISADE_SECRET_KEY is this many random bytes, base64. */
export const SECRET_KEY_BYTES = 32;

/** Where the embedded database keeps the key it generated, beside its files. */
export const KEY_FILE_NAME = 'secret.key';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A sealed value is `enc1:<key id>:<base64url of iv, ciphertext and tag>`. No plaintext stored by
 * an earlier version starts so: signing secrets start `whsec_`, response bodies are JSON or empty.
 */
const SEALED = /^enc1:([0-9a-f]{8}):([A-Za-z0-9_-]+)$/;

const derive = (material: Buffer, purpose: string, length = 32) =>
  Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), `palisade ${purpose}`, length));

/** The id a sealed value names its key by: derived, so it tells nothing about the key. */
export function keyId(key: Buffer): string {
  return derive(key, 'key id', 4).toString('hex');
}

/** The key id a stored value was sealed under; null for a value stored in clear by an earlier version. */
export function sealedKeyId(stored: string): string | null {
  return SEALED.exec(stored)?.[1] ?? null;
}

/** The stored value cannot be opened with the keys this process has. */
export class UnknownKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`sealed under key id ${keyId}, which is neither PALISADE_SECRET_KEY nor in PALISADE_SECRET_KEY_PREVIOUS`);
  }
}

function seal(key: Buffer, id: string, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `enc1:${id}:${Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url')}`;
}

function open(key: Buffer, sealed: Buffer, associatedData: string): string {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(associatedData)).setAuthTag(tag);
  return Buffer.concat([
    decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}

/**
 * The keys secrets are sealed with at rest (AES-256-GCM): the current key seals, the previous
 * ones only open, so a key can be rotated without losing what the old one sealed. Each purpose
 * gets its own key derived with HKDF-SHA256, and the associated data ties a sealed value to its
 * row, so a ciphertext moved to another row does not open.
 */
export class Keyring {
  readonly currentKeyId: string;
  private readonly masters = new Map<string, Buffer>();
  private readonly webhookKeys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== SECRET_KEY_BYTES) throw new Error(`a secret key must be ${SECRET_KEY_BYTES} bytes`);
    }
    this.currentKeyId = keyId(current);
    // The current key first: should a previous key share its id, the current one wins.
    for (const key of [current, ...previous]) {
      const id = keyId(key);
      if (this.masters.has(id)) continue;
      this.masters.set(id, key);
      this.webhookKeys.set(id, derive(key, 'webhook signing secret'));
    }
  }

  /** How every value sealed under the current key starts; anything else is in clear or under an older key. */
  get currentPrefix(): string {
    return `enc1:${this.currentKeyId}:`;
  }

  /** Whether this keyring can read a stored value: in clear, or sealed under a key it has. */
  canOpen(stored: string): boolean {
    const id = sealedKeyId(stored);
    return id === null || this.masters.has(id);
  }

  sealWebhookSecret(endpointId: string, secret: string): string {
    return seal(this.webhookKeys.get(this.currentKeyId)!, this.currentKeyId, secret, endpointId);
  }

  /** The signing secret; a value an earlier version stored in clear is returned as it is. */
  openWebhookSecret(endpointId: string, stored: string): string {
    return this.openWith(stored, (id, sealed) => open(this.webhookKeys.get(id)!, sealed, endpointId));
  }

  /**
   * Seals an idempotent response under a key derived from both the server's key and the
   * Idempotency-Key, so neither a copy of the database nor a guessed Idempotency-Key opens it.
   * `binding` (the scope and the request's fingerprint) is the associated data.
   */
  sealResponse(idempotencyKey: string, binding: string, body: string): string {
    return seal(this.responseKey(this.currentKeyId, idempotencyKey), this.currentKeyId, body, binding);
  }

  openResponse(idempotencyKey: string, binding: string, stored: string): string {
    return this.openWith(stored, (id, sealed) => open(this.responseKey(id, idempotencyKey), sealed, binding));
  }

  private responseKey(id: string, idempotencyKey: string): Buffer {
    // The master key has a fixed length, so the concatenation is unambiguous.
    return derive(Buffer.concat([this.masters.get(id)!, Buffer.from(idempotencyKey, 'utf8')]), 'idempotent response');
  }

  private openWith(stored: string, opener: (id: string, sealed: Buffer) => string): string {
    const match = SEALED.exec(stored);
    if (!match) return stored;
    const [, id, sealed] = match as unknown as [string, string, string];
    if (!this.masters.has(id)) throw new UnknownKeyError(id);
    return opener(id, Buffer.from(sealed, 'base64url'));
  }
}

/** Decodes a base64 key, or says what is wrong with it (never echoing it). */
export function parseSecretKey(text: string): Buffer | string {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) {
    return `must be base64 (make one with: openssl rand -base64 ${SECRET_KEY_BYTES})`;
  }
  const key = Buffer.from(trimmed, 'base64');
  if (key.length !== SECRET_KEY_BYTES) {
    return `must be ${SECRET_KEY_BYTES} bytes, base64 (${key.length} given; make one with: openssl rand -base64 ${SECRET_KEY_BYTES})`;
  }
  return key;
}

/**
 * The embedded database's key: read from `dataDir`, or generated there (mode 0600) on first start.
 * Beside the data it protects nothing from a copy of the directory, but the embedded database is
 * for one machine; with PostgreSQL the key must come from the environment.
 */
export function loadOrCreateKeyFile(dataDir: string): Buffer {
  const path = join(dataDir, KEY_FILE_NAME);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true });
    // Written whole under a name of its own, then linked into place: a process starting at the
    // same moment sees either no key file or a complete one, never one still being written.
    const draft = join(dataDir, `${KEY_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}`);
    writeFileSync(draft, `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(draft, path);
    } catch (error) {
      // Another process linked its key first: use theirs.
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  const key = parseSecretKey(readFileSync(path, 'utf8'));
  if (typeof key === 'string') throw new Error(`${path}: ${key}`);
  return key;
}

/** The keyring of a service: PALISADE_SECRET_KEY, else (the embedded database only) the key kept in its data directory. */
export function keyringFor(config: Pick<Config, 'secretKey' | 'previousSecretKeys' | 'dataDir'>): Keyring {
  return new Keyring(config.secretKey ?? loadOrCreateKeyFile(config.dataDir), config.previousSecretKeys);
}
