import { Refusal } from './refusal.js';

/**
 * The handover of an environment to a new deploy generation. A candidate registers read-only
 * (`initializing`), reports `catching_up` while it replays, says it is `ready_to_promote`; a
 * promotion issues its token, fencing the previous generation in the same transaction
 * (`promoting`), and the candidate reports `is_leader` once it runs as the leader. A deployment
 * of a generation older than a token issued since is `fenced`.
 */
export const DEPLOYMENT_STATES = [
  'initializing',
  'catching_up',
  'ready_to_promote',
  'promoting',
  'is_leader',
  'fenced',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** The states a candidate reports itself with `PUT`; the others are reached through `ready` and `promote`. */
export const REPORTED_STATES = ['initializing', 'catching_up', 'is_leader'] as const;
export type ReportedState = (typeof REPORTED_STATES)[number];

const BEFORE_PROMOTION: DeploymentState[] = ['initializing', 'catching_up', 'ready_to_promote'];

/**
 * The states each state may be entered from; null is a generation not registered yet. Entering
 * the state a deployment is in changes nothing. Only a token issued to a newer generation fences.
 */
const ENTERED_FROM: Record<DeploymentState, (DeploymentState | null)[]> = {
  // A candidate that restarts, or falls behind again, reports so until it is promoted.
  initializing: [null, ...BEFORE_PROMOTION],
  catching_up: [null, ...BEFORE_PROMOTION],
  ready_to_promote: BEFORE_PROMOTION,
  promoting: ['ready_to_promote', 'promoting', 'is_leader'],
  is_leader: ['promoting', 'is_leader'],
  fenced: [],
};

export function isPromoted(state: DeploymentState): boolean {
  return state === 'promoting' || state === 'is_leader';
}

/**
 * Refuses a transition the state machine does not have, with `invalid_transition`. `skipCatchup` lets a
 * promotion start from a candidate that has not said it is ready.
 */
export function assertTransition(
  generation: number,
  from: DeploymentState | null,
  to: DeploymentState,
  options: { skipCatchup?: boolean } = {},
): void {
  const allowed: (DeploymentState | null)[] =
    to === 'promoting' && options.skipCatchup ? [...BEFORE_PROMOTION, 'promoting', 'is_leader'] : ENTERED_FROM[to];
  if (allowed.includes(from)) return;
  const notReadyYet = to === 'promoting' && from !== null && BEFORE_PROMOTION.includes(from);
  throw new Refusal(
    'invalid_transition',
    notReadyYet
      ? `Deployment ${generation} is ${from}; it can be promoted once it is ready_to_promote (wait for it, or promote with skip_catchup).`
      : from === null
        ? `Generation ${generation} is not registered; a new deployment starts initializing or catching_up.`
        : `Deployment ${generation} is ${from}; it cannot become ${to} from there.`,
    { deployment_state: from, requested_state: to, allowed_from: allowed },
    { action: notReadyYet ? 'retry' : 'abort' },
  );
}
