import type { Database, Transaction } from '../db/client.js';
import {
  type Deployment,
  type DeploymentRow,
  findDeploymentRow,
  insertDeployment,
  listDeployments as readDeployments,
  toDeployment,
  updateDeployment,
  writePromotion,
  writeReady,
} from '../db/deployments.js';
import { type EnvironmentRow, type FenceOutcome, tokenState } from '../db/environments.js';
import type { Page } from '../db/pages.js';
import type { Wakeup } from '../db/wakeups.js';
import { assertTransition, type DeploymentState, isPromoted, type ReportedState } from './deploymentStates.js';
import { findEnvironment, lockEnvironment, lockOrCreateEnvironment } from './environments.js';
import { issueToken } from './fencing.js';
import { notFound } from './refusal.js';
import { assertGenerationCurrent } from './token.js';

function deploymentMissing(name: string, generation: number) {
  return notFound(`Environment '${name}' has no deployment of generation ${generation}.`);
}

async function findDeployment(
  db: Database | Transaction,
  env: EnvironmentRow,
  generation: number,
): Promise<DeploymentRow> {
  const row = await findDeploymentRow(db, env, generation);
  if (!row) throw deploymentMissing(env.name, generation);
  return row;
}

/**
 * Locks the environment (every change of its deployments takes that lock) and finds the deployment,
 * refused once a newer generation has been issued a token, or when it cannot enter `to` from its state.
 */
async function lockForTransition(
  tx: Transaction,
  tenant: string,
  name: string,
  generation: number,
  to: DeploymentState,
  options: { skipCatchup?: boolean } = {},
): Promise<{ env: EnvironmentRow; existing: DeploymentRow }> {
  const env = await lockEnvironment(tx, tenant, name);
  const existing = await findDeployment(tx, env, generation);
  assertGenerationCurrent(tokenState(env), generation);
  assertTransition(generation, existing.state, to, options);
  return { env, existing };
}

/**
 * Registers generation `generation` as a candidate for the environment (creating the environment
 * within the tenant's quota), or takes the candidate's report of its state. Refused with `fenced`
 * once a newer generation has been issued a token. Without `state` a new candidate is
 * `initializing` and an existing one keeps its state, so a retried registration changes nothing.
 */
export async function putDeployment(
  db: Database,
  tenant: string,
  name: string,
  generation: number,
  request: { holder: string; state: ReportedState | undefined; maxEnvironments: number },
  wakeups: Wakeup[],
): Promise<{ deployment: Deployment; created: boolean }> {
  return db.transaction(async (tx) => {
    const { row: env } = await lockOrCreateEnvironment(tx, tenant, name, request.maxEnvironments);
    assertGenerationCurrent(tokenState(env), generation);
    const existing = await findDeploymentRow(tx, env, generation);
    if (!existing) {
      const state = request.state ?? 'initializing';
      assertTransition(generation, null, state);
      const inserted = await insertDeployment(tx, tenant, env, generation, { state, holder: request.holder }, wakeups);
      return { deployment: toDeployment(name, inserted), created: true };
    }
    const state = request.state ?? existing.state;
    assertTransition(generation, existing.state, state);
    // The holder is the token's once promoted; before that a restarted candidate may bring a new label.
    const holder = isPromoted(existing.state) ? existing.holder : request.holder;
    if (state === existing.state && holder === existing.holder)
      return { deployment: toDeployment(name, existing), created: false };
    const updated = await updateDeployment(
      tx,
      tenant,
      env,
      generation,
      {
        state,
        holder,
        ...(state === 'initializing' || state === 'catching_up' ? { readyAt: null } : {}),
      },
      wakeups,
    );
    return { deployment: toDeployment(name, updated), created: false };
  });
}

/** The candidate is caught up: `ready_to_promote`, announced by `deployment.ready_to_promote`. */
export async function markDeploymentReady(
  db: Database,
  tenant: string,
  name: string,
  generation: number,
  wakeups: Wakeup[],
): Promise<Deployment> {
  return db.transaction(async (tx) => {
    const { env, existing } = await lockForTransition(tx, tenant, name, generation, 'ready_to_promote');
    if (existing.state === 'ready_to_promote') return toDeployment(name, existing);
    return toDeployment(name, await writeReady(tx, tenant, env, generation, wakeups));
  });
}

/**
 * Promotes the candidate: issues its token, which fences the previous holder (and every deployment
 * of an older generation) in this same transaction, so the old generation is fenced exactly when
 * the new one leads. Promoting a deployment already promoted changes nothing.
 */
export async function promoteDeployment(
  db: Database,
  tenant: string,
  name: string,
  generation: number,
  options: { skipCatchup: boolean },
  wakeups: Wakeup[],
): Promise<{ deployment: Deployment; fence: FenceOutcome | null }> {
  return db.transaction(async (tx) => {
    const { env, existing } = await lockForTransition(tx, tenant, name, generation, 'promoting', options);
    if (isPromoted(existing.state)) return { deployment: toDeployment(name, existing), fence: null };
    const fence = await issueToken(tx, tenant, env, { deployGeneration: generation, holder: existing.holder }, wakeups);
    const updated = await writePromotion(
      tx,
      tenant,
      env,
      generation,
      {
        fence,
        skippedCatchup: existing.state !== 'ready_to_promote',
      },
      wakeups,
    );
    return { deployment: toDeployment(name, updated), fence };
  });
}

export async function getDeployment(
  db: Database,
  tenant: string,
  name: string,
  generation: number,
): Promise<Deployment> {
  const env = await findEnvironment(db, tenant, name);
  return toDeployment(name, await findDeployment(db, env, generation));
}

/** The environment's deployments, newest generation first. */
export async function listDeployments(
  db: Database,
  tenant: string,
  name: string,
  page: { limit: number; beforeGeneration: number | null },
): Promise<Page<Deployment>> {
  return readDeployments(db, await findEnvironment(db, tenant, name), page);
}
