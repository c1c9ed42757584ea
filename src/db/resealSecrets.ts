import { and, asc, eq, gt, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import { type Keyring, sealedKeyId } from '../secrets.js';
import type { Database } from './client.js';
import { responseBinding, sweepExpiredKeys } from './idempotency.js';
import { idempotencyKeys, webhookEndpoints } from './schema.js';

const BATCH_SIZE = 200;

export type ResealReport = {
  /** Endpoints whose current or previous signing secret was sealed again under the current key. */
  webhookSecrets: number;
  /** Stored idempotent responses sealed again under the current key. */
  responses: number;
  /** Stored responses left as they are: sealed under a key this process does not have. */
  unreadableResponses: number;
};

/** Signing secrets sealed under keys this process does not have: it cannot sign for these endpoints. */
export class UnreadableSecretsError extends Error {
  constructor(
    readonly endpoints: number,
    readonly keyIds: string[],
  ) {
    super(
      `${endpoints} webhook endpoint(s) have signing secrets sealed under key id(s) ${keyIds.join(', ')}, ` +
        'which is neither PALISADE_SECRET_KEY nor in PALISADE_SECRET_KEY_PREVIOUS; start with that key in PALISADE_SECRET_KEY_PREVIOUS',
    );
  }
}

const notUnder = (keyring: Keyring, column: PgColumn): SQL => sql`not starts_with(${column}, ${keyring.currentPrefix})`;

/**
 * Seals again, under the current key, every secret at rest that is not yet under it: values an
 * earlier version stored in clear, and values sealed under a key now in PALISADE_SECRET_KEY_PREVIOUS.
 * One transaction per batch, each row locked while it is rewritten, so replicas starting together
 * may both run it; running it again finds nothing to do. Expired responses are deleted rather than
 * sealed. Throws `UnreadableSecretsError` (after sealing what it can) when signing secrets are
 * sealed under an unknown key, which means this process was given the wrong keys.
 */
export async function resealSecretsAtRest(db: Database, keyring: Keyring): Promise<ResealReport> {
  const webhooks = await resealWebhookSecrets(db, keyring);
  await sweepExpiredKeys(db);
  const responses = await resealResponses(db, keyring);
  if (webhooks.unreadable.size > 0) {
    throw new UnreadableSecretsError(webhooks.unreadable.size, [...new Set(webhooks.unreadable.values())]);
  }
  return {
    webhookSecrets: webhooks.resealed,
    responses: responses.resealed,
    unreadableResponses: responses.unreadable,
  };
}

/** The start-up pass: reseals, and logs how many rows it sealed again (0 once all are under the current key). */
export async function resealAtStartUp(db: Database, keyring: Keyring, logger: Logger): Promise<void> {
  const report = await resealSecretsAtRest(db, keyring);
  logger.info(
    { key_id: keyring.currentKeyId, webhook_secrets: report.webhookSecrets, responses: report.responses },
    'secrets at rest re-encrypted under the current key',
  );
  if (report.unreadableResponses > 0) {
    logger.warn(
      { responses: report.unreadableResponses },
      'stored idempotent responses are sealed under a key this process does not have; their replays fail until they expire',
    );
  }
}

async function resealWebhookSecrets(db: Database, keyring: Keyring) {
  let resealed = 0;
  /** Endpoint id → a key id it cannot be opened with. */
  const unreadable = new Map<string, string>();
  let afterId = '';
  for (;;) {
    const batch = await db.transaction(async (tx) => {
      const rows = await tx
        .select({
          id: webhookEndpoints.id,
          secret: webhookEndpoints.secret,
          previousSecret: webhookEndpoints.previousSecret,
        })
        .from(webhookEndpoints)
        .where(
          and(
            gt(webhookEndpoints.id, afterId),
            or(
              notUnder(keyring, webhookEndpoints.secret),
              and(isNotNull(webhookEndpoints.previousSecret), notUnder(keyring, webhookEndpoints.previousSecret)),
            ),
          ),
        )
        .orderBy(asc(webhookEndpoints.id))
        .limit(BATCH_SIZE)
        .for('update');
      for (const row of rows) {
        const stored = [row.secret, row.previousSecret].filter((value): value is string => value !== null);
        const unknown = stored.find((value) => !keyring.canOpen(value));
        if (unknown !== undefined) {
          unreadable.set(row.id, sealedKeyId(unknown)!);
          continue;
        }
        const reseal = (value: string) => keyring.sealWebhookSecret(row.id, keyring.openWebhookSecret(row.id, value));
        await tx
          .update(webhookEndpoints)
          .set({
            secret: reseal(row.secret),
            previousSecret: row.previousSecret === null ? null : reseal(row.previousSecret),
          })
          .where(eq(webhookEndpoints.id, row.id));
        resealed++;
      }
      return rows;
    });
    if (batch.length < BATCH_SIZE) return { resealed, unreadable };
    afterId = batch.at(-1)!.id;
  }
}

async function resealResponses(db: Database, keyring: Keyring) {
  let resealed = 0;
  let unreadable = 0;
  let after: { scope: string; key: string } | null = null;
  for (;;) {
    const position: { scope: string; key: string } | null = after;
    const batch: { scope: string; key: string }[] = await db.transaction(async (tx) => {
      const rows = await tx
        .select({
          scope: idempotencyKeys.scope,
          key: idempotencyKeys.key,
          fingerprint: idempotencyKeys.fingerprint,
          body: idempotencyKeys.body,
        })
        .from(idempotencyKeys)
        .where(
          and(
            position === null
              ? undefined
              : sql`(${idempotencyKeys.scope}, ${idempotencyKeys.key}) > (${position.scope}, ${position.key})`,
            notUnder(keyring, idempotencyKeys.body),
          ),
        )
        .orderBy(asc(idempotencyKeys.scope), asc(idempotencyKeys.key))
        .limit(BATCH_SIZE)
        .for('update');
      const readable = rows.filter((row) => keyring.canOpen(row.body));
      unreadable += rows.length - readable.length;
      if (readable.length > 0) {
        const bodies = readable.map((row) => {
          const binding = responseBinding(row.scope, row.fingerprint);
          return keyring.sealResponse(row.key, binding, keyring.openResponse(row.key, binding, row.body));
        });
        // One statement for the batch, its rows as arrays: one round trip, one statement text.
        await tx.execute(sql`
          update ${idempotencyKeys} set body = resealed.body
          from unnest(${sql.param(readable.map((row) => row.scope))}::text[], ${sql.param(readable.map((row) => row.key))}::text[],
                      ${sql.param(bodies)}::text[]) as resealed(scope, key, body)
          where ${idempotencyKeys.scope} = resealed.scope and ${idempotencyKeys.key} = resealed.key`);
        resealed += readable.length;
      }
      return rows;
    });
    if (batch.length < BATCH_SIZE) return { resealed, unreadable };
    after = batch.at(-1)!;
  }
}
