import type { Database, Transaction } from '../db/client.js';
import {
  type EnvironmentRow,
  type FenceOutcome,
  type FenceRecord,
  fenceHistory as readFenceHistory,
  takeOverLiveEnvironment,
  tokenState,
  writeNextToken,
} from '../db/environments.js';
import type { Page } from '../db/pages.js';
import type { Wakeup } from '../db/wakeups.js';
import { findEnvironment, lockOrCreateEnvironment } from './environments.js';
import { assertCurrentToken, assertGenerationCurrent, type Token } from './token.js';

/**
 * Issues the next token on the environment's locked row, refused when the generation is lower than
 * the last one issued. All of it in the caller's transaction.
 */
export async function issueToken(
  tx: Transaction,
  tenant: string,
  row: EnvironmentRow,
  request: { deployGeneration: number; holder: string },
  wakeups: Wakeup[],
): Promise<FenceOutcome> {
  assertGenerationCurrent(tokenState(row), request.deployGeneration);
  return writeNextToken(tx, tenant, row, request, wakeups);
}

/**
 * Issues the next token. Runs under the environment's row lock, so tokens are issued one at a time
 * in commit order across every replica sharing the database; the events go to the outbox in the
 * same transaction. A takeover of a live environment is one statement; creating the environment
 * (within the tenant's quota) or bringing a deleted one back takes a transaction of several.
 */
export async function fenceEnvironment(
  db: Database,
  tenant: string,
  name: string,
  request: { deployGeneration: number; holder: string; maxEnvironments: number },
  wakeups: Wakeup[],
): Promise<FenceOutcome> {
  const takeover = await takeOverLiveEnvironment(db, tenant, name, request, wakeups);
  if (takeover.kind === 'issued') return takeover.fence;
  if (takeover.kind === 'refused') {
    assertGenerationCurrent(takeover.state, request.deployGeneration);
    throw new Error('a takeover was refused for no reason its row shows');
  }
  return db.transaction(async (tx) => {
    const { row } = await lockOrCreateEnvironment(tx, tenant, name, request.maxEnvironments);
    return issueToken(tx, tenant, row, request, wakeups);
  });
}

/** Succeeds only while `token` is the environment's current token. */
export async function confirmToken(
  db: Database,
  tenant: string,
  name: string,
  token: Token,
): Promise<{ token: Token; upper: number }> {
  const row = await findEnvironment(db, tenant, name);
  assertCurrentToken(tokenState(row), token);
  return { token, upper: row.upper };
}

export async function fenceHistory(
  db: Database,
  tenant: string,
  name: string,
  page: { limit: number; beforeEpoch: number | null },
): Promise<Page<FenceRecord>> {
  const env = await findEnvironment(db, tenant, name);
  return readFenceHistory(db, env.id, page);
}
