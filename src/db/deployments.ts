import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { assertTransition, type DeploymentState, isPromoted, type ReportedState } from '../deployments.js';
import { notFound } from '../errors.js';
import type { Token } from '../domain/token.js';
import type { Database, Transaction } from './client.js';
import {
  assertGenerationCurrent,
  type EnvironmentRow,
  type FenceOutcome,
  findEnvironment,
  issueToken,
  lockEnvironment,
  lockOrCreateEnvironment,
} from './environments.js';
import { recordEvent, watchersWakeup } from './events.js';
import { deployments } from './schema.js';
import type { Wakeup } from './wakeups.js';

type DeploymentRow = typeof deployments.$inferSelect;

export type Deployment = {
  environment: string;
  deployGeneration: number;
  state: DeploymentState;
  holder: string;
  /** The token its promotion issued; null before promotion. */
  token: Token | null;
  createdAt: Date;
  updatedAt: Date;
  readyAt: Date | null;
  promotedAt: Date | null;
  fencedAt: Date | null;
};

function toDeployment(environment: string, row: DeploymentRow): Deployment {
  return {
    environment,
    deployGeneration: row.deployGeneration,
    state: row.state,
    holder: row.holder,
    token: row.epoch === null ? null : { deploy_generation: row.deployGeneration, epoch: row.epoch },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    readyAt: row.readyAt,
    promotedAt: row.promotedAt,
    fencedAt: row.fencedAt,
  };
}

function deploymentMissing(name: string, generation: number) {
  return notFound(`Environment '${name}' has no deployment of generation ${generation}.`);
}

function byGeneration(environmentId: string, generation: number) {
  return and(eq(deployments.environmentId, environmentId), eq(deployments.deployGeneration, generation));
}

async function findDeploymentRow(db: Database | Transaction, env: EnvironmentRow, generation: number): Promise<DeploymentRow> {
  const [row] = await db.select().from(deployments).where(byGeneration(env.id, generation));
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
  const existing = await findDeploymentRow(tx, env, generation);
  assertGenerationCurrent(env, generation);
  assertTransition(generation, existing.state, to, options);
  return { env, existing };
}

/** Writes the deployment's new columns; its watchers are woken once the transaction has committed. */
async function updateDeployment(
  tx: Transaction,
  tenant: string,
  env: EnvironmentRow,
  generation: number,
  changes: PgUpdateSetSource<typeof deployments>,
  wakeups: Wakeup[],
): Promise<DeploymentRow> {
  const [row] = await tx
    .update(deployments)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(byGeneration(env.id, generation))
    .returning();
  wakeups.push(watchersWakeup(tenant, env.name, 'deployments'));
  return row!;
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
    assertGenerationCurrent(env, generation);
    const [existing] = await tx.select().from(deployments).where(byGeneration(env.id, generation));
    if (!existing) {
      const state = request.state ?? 'initializing';
      assertTransition(generation, null, state);
      const [inserted] = await tx
        .insert(deployments)
        .values({ environmentId: env.id, deployGeneration: generation, state, holder: request.holder })
        .returning();
      wakeups.push(watchersWakeup(tenant, name, 'deployments'));
      return { deployment: toDeployment(name, inserted!), created: true };
    }
    const state = request.state ?? existing.state;
    assertTransition(generation, existing.state, state);
    // The holder is the token's once promoted; before that a restarted candidate may bring a new label.
    const holder = isPromoted(existing.state) ? existing.holder : request.holder;
    if (state === existing.state && holder === existing.holder) return { deployment: toDeployment(name, existing), created: false };
    const updated = await updateDeployment(tx, tenant, env, generation, {
      state,
      holder,
      ...(state === 'initializing' || state === 'catching_up' ? { readyAt: null } : {}),
    }, wakeups);
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
    const updated = await updateDeployment(tx, tenant, env, generation, { state: 'ready_to_promote', readyAt: sql`now()` }, wakeups);
    await recordEvent(tx, {
      tenant,
      type: 'deployment.ready_to_promote',
      environment: name,
      data: {
        environment: name,
        deploy_generation: generation,
        holder: updated.holder,
        ready_at: updated.readyAt!.toISOString(),
      },
    }, wakeups);
    return toDeployment(name, updated);
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
    const updated = await updateDeployment(tx, tenant, env, generation, {
      state: 'promoting',
      epoch: fence.token.epoch,
      promotedAt: fence.fencedAt,
    }, wakeups);
    await recordEvent(tx, {
      tenant,
      type: 'deployment.promoted',
      environment: name,
      data: {
        environment: name,
        deploy_generation: generation,
        holder: updated.holder,
        token: fence.token,
        previous: fence.previous,
        skipped_catchup: existing.state !== 'ready_to_promote',
        promoted_at: fence.fencedAt.toISOString(),
      },
    }, wakeups);
    return { deployment: toDeployment(name, updated), fence };
  });
}

export async function getDeployment(db: Database, tenant: string, name: string, generation: number): Promise<Deployment> {
  const env = await findEnvironment(db, tenant, name);
  return toDeployment(name, await findDeploymentRow(db, env, generation));
}

/** The environment's deployments, newest generation first. */
export async function listDeployments(
  db: Database,
  tenant: string,
  name: string,
  page: { limit: number; beforeGeneration: number | null },
): Promise<{ items: Deployment[]; hasMore: boolean }> {
  const env = await findEnvironment(db, tenant, name);
  const rows = await db
    .select()
    .from(deployments)
    .where(
      and(
        eq(deployments.environmentId, env.id),
        page.beforeGeneration === null ? undefined : lt(deployments.deployGeneration, page.beforeGeneration),
      ),
    )
    .orderBy(desc(deployments.deployGeneration))
    .limit(page.limit + 1);
  return {
    items: rows.slice(0, page.limit).map((row) => toDeployment(name, row)),
    hasMore: rows.length > page.limit,
  };
}
