import { and, asc, eq, gte, sql } from 'drizzle-orm';
import { ApiError } from '../errors.js';
import { resourceExhausted } from '../limits.js';
import { assertCurrentToken, type Token } from '../fencing.js';
import type { Database } from './client.js';
import { findEnvironment, lockEnvironment, tokenState } from './environments.js';
import { environments, logEntries } from './schema.js';

export type LogEntry = { offset: number; data: string; token: Token; appendedAt: Date };

/**
 * Appends `entries` (JSON texts) at the environment's upper, under its row lock. The token is
 * checked before the upper, so a stale writer always learns it was fenced.
 */
export async function appendEntries(
  db: Database,
  tenant: string,
  name: string,
  request: { token: Token; expectedUpper: number | null; entries: string[]; maxEntries: number },
): Promise<{ offset: number; upper: number }> {
  return db.transaction(async (tx) => {
    const row = await lockEnvironment(tx, tenant, name);
    assertCurrentToken(tokenState(row), request.token);
    if (row.upper + request.entries.length > request.maxEntries) {
      throw resourceExhausted(
        'log_entries',
        request.maxEntries,
        `The log holds ${row.upper} entries; ${request.entries.length} more would pass its limit of ${request.maxEntries}.`,
      );
    }
    if (request.expectedUpper !== null && request.expectedUpper !== row.upper) {
      throw new ApiError(
        'upper_mismatch',
        `The log's upper is ${row.upper}, not the expected ${request.expectedUpper}.`,
        { expected_upper: request.expectedUpper, current_upper: row.upper },
      );
    }
    const offset = row.upper;
    const upper = offset + request.entries.length;
    // The entries and the new upper in one statement (a data-modifying WITH runs unread). The
    // entries travel as one array parameter, so every append, whatever its size, is the same
    // statement text: one prepared statement per connection, not one per batch size.
    await tx.execute(sql`
      with raise_upper as (update ${environments} set upper = ${upper} where id = ${row.id})
      insert into ${logEntries} (environment_id, "offset", data, deploy_generation, epoch)
      select ${row.id}::uuid, ${offset}::bigint + entry.position - 1, entry.data,
             ${request.token.deploy_generation}::bigint, ${request.token.epoch}::bigint
      from unnest(${sql.param(request.entries)}::text[]) with ordinality as entry(data, position)`);
    return { offset, upper };
  });
}

/**
 * Reads entries from `range.from`, with the upper, from one snapshot: entries and upper always
 * belong to the same state of the log, even while appends, deletes and re-creations commit.
 */
export async function readEntries(
  db: Database,
  tenant: string,
  name: string,
  range: { from: number; limit: number },
): Promise<{ entries: LogEntry[]; upper: number }> {
  return db.transaction(
    async (tx) => {
      const env = await findEnvironment(tx, tenant, name);
      const rows = await tx
        .select()
        .from(logEntries)
        .where(and(eq(logEntries.environmentId, env.id), gte(logEntries.offset, range.from)))
        .orderBy(asc(logEntries.offset))
        .limit(range.limit);
      return {
        entries: rows.map((r) => ({
          offset: r.offset,
          data: r.data,
          token: { deploy_generation: r.deployGeneration, epoch: r.epoch },
          appendedAt: r.appendedAt,
        })),
        upper: env.upper,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
