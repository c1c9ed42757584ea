import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { DeploymentState } from '../domain/deploymentStates.js';
import type { Token } from '../domain/token.js';
import type { Database, Transaction } from './client.js';
import type { EnvironmentRow, FenceOutcome } from './environments.js';
import { recordEvent, watchersWakeup } from './events.js';
import { keysetPage, type Page } from './pages.js';
import { deployments } from './schema.js';
import type { Wakeup } from './wakeups.js';

export type DeploymentRow = typeof deployments.$inferSelect;

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

export function toDeployment(environment: string, row: DeploymentRow): Deployment {
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

function byGeneration(environmentId: string, generation: number) {
  return and(eq(deployments.environmentId, environmentId), eq(deployments.deployGeneration, generation));
}

export async function findDeploymentRow(
  db: Database | Transaction,
  env: EnvironmentRow,
  generation: number,
): Promise<DeploymentRow | null> {
  const [row] = await db.select().from(deployments).where(byGeneration(env.id, generation));
  return row ?? null;
}

export async function insertDeployment(
  tx: Transaction,
  tenant: string,
  env: EnvironmentRow,
  generation: number,
  columns: { state: DeploymentState; holder: string },
  wakeups: Wakeup[],
): Promise<DeploymentRow> {
  const [inserted] = await tx
    .insert(deployments)
    .values({ environmentId: env.id, deployGeneration: generation, ...columns })
    .returning();
  wakeups.push(watchersWakeup(tenant, env.name, 'deployments'));
  return inserted!;
}

/** Writes the deployment's new columns; its watchers are woken once the transaction has committed. */
export async function updateDeployment(
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

/** Writes `ready_to_promote`, announced by `deployment.ready_to_promote`, in the caller's transaction. */
export async function writeReady(
  tx: Transaction,
  tenant: string,
  env: EnvironmentRow,
  generation: number,
  wakeups: Wakeup[],
): Promise<DeploymentRow> {
  const updated = await updateDeployment(
    tx,
    tenant,
    env,
    generation,
    { state: 'ready_to_promote', readyAt: sql`now()` },
    wakeups,
  );
  await recordEvent(
    tx,
    {
      tenant,
      type: 'deployment.ready_to_promote',
      environment: env.name,
      data: {
        environment: env.name,
        deploy_generation: generation,
        holder: updated.holder,
        ready_at: updated.readyAt!.toISOString(),
      },
    },
    wakeups,
  );
  return updated;
}

/** Writes `promoting` with the token `fence` issued, announced by `deployment.promoted`, in the caller's transaction. */
export async function writePromotion(
  tx: Transaction,
  tenant: string,
  env: EnvironmentRow,
  generation: number,
  promotion: { fence: FenceOutcome; skippedCatchup: boolean },
  wakeups: Wakeup[],
): Promise<DeploymentRow> {
  const { fence } = promotion;
  const updated = await updateDeployment(
    tx,
    tenant,
    env,
    generation,
    {
      state: 'promoting',
      epoch: fence.token.epoch,
      promotedAt: fence.fencedAt,
    },
    wakeups,
  );
  await recordEvent(
    tx,
    {
      tenant,
      type: 'deployment.promoted',
      environment: env.name,
      data: {
        environment: env.name,
        deploy_generation: generation,
        holder: updated.holder,
        token: fence.token,
        previous: fence.previous,
        skipped_catchup: promotion.skippedCatchup,
        promoted_at: fence.fencedAt.toISOString(),
      },
    },
    wakeups,
  );
  return updated;
}

/** The environment's deployments, newest generation first. */
export async function listDeployments(
  db: Database,
  env: EnvironmentRow,
  page: { limit: number; beforeGeneration: number | null },
): Promise<Page<Deployment>> {
  return keysetPage(
    page.limit,
    (rowsWanted) =>
      db
        .select()
        .from(deployments)
        .where(
          and(
            eq(deployments.environmentId, env.id),
            page.beforeGeneration === null ? undefined : lt(deployments.deployGeneration, page.beforeGeneration),
          ),
        )
        .orderBy(desc(deployments.deployGeneration))
        .limit(rowsWanted),
    (row) => toDeployment(env.name, row),
  );
}
