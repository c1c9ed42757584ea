import type { Database } from '../db/client.js';
import { appendIfCurrent, type LogEntry, readEntries as readLogPage } from '../db/log.js';
import { environmentMissing } from './environments.js';
import { assertRoomInLog } from './quotas.js';
import { Refusal } from './refusal.js';
import { assertCurrentToken, type Token } from './token.js';

/**
 * Appends `entries` (JSON texts) at the environment's upper, in one statement. A refusal is judged
 * from the row as the statement found it, the token before the upper, so a stale writer always
 * learns it was fenced.
 */
export async function appendEntries(
  db: Database,
  tenant: string,
  name: string,
  request: { token: Token; expectedUpper: number | null; entries: string[]; maxEntries: number },
): Promise<{ offset: number; upper: number }> {
  const outcome = await appendIfCurrent(db, tenant, name, request);
  if (outcome.kind === 'absent') throw environmentMissing(name);
  if (outcome.kind === 'appended') return { offset: outcome.offset, upper: outcome.upper };
  const { token, expectedUpper, entries, maxEntries } = request;
  const { upper } = outcome;
  assertCurrentToken(outcome.state, token);
  assertRoomInLog(upper, entries.length, maxEntries);
  if (expectedUpper === null) throw new Error('an append was refused for no reason its row shows');
  throw new Refusal('upper_mismatch', `The log's upper is ${upper}, not the expected ${expectedUpper}.`, {
    expected_upper: expectedUpper,
    current_upper: upper,
  });
}

/** A page of the log from `range.from`, with the upper of the same snapshot; `not_found` when the environment is not live. */
export async function readEntries(
  db: Database,
  tenant: string,
  name: string,
  range: { from: number; limit: number; maxBytes: number },
): Promise<{ entries: LogEntry[]; upper: number; nextFrom: number }> {
  const page = await readLogPage(db, tenant, name, range);
  if (!page) throw environmentMissing(name);
  return page;
}
