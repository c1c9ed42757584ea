import { type FenceKind, Refusal } from './refusal.js';

/** A fence token: generations never decrease, epochs strictly increase, per environment. */
export type Token = { deploy_generation: number; epoch: number };

/**
 * What a writer's token is checked against. `lastIssued` is the newest token ever issued for the
 * environment's name, kept when the environment is deleted; `current` is that token while it is
 * in force, and null before the first fence and after a delete.
 */
export type TokenState = { current: Token | null; lastIssued: Token | null };

const show = (token: Token) => `{deploy_generation: ${token.deploy_generation}, epoch: ${token.epoch}}`;

/**
 * Only the current token may write. A token that was issued here and is no longer current is
 * fenced: by `deploy_generation` whenever a higher generation has been issued since, by `epoch`
 * only within the same generation. Epochs are issued strictly increasing and generations never
 * decrease, so a token beyond the last one issued was never issued here (forged, or from another
 * environment).
 */
export function assertCurrentToken(state: TokenState, yours: Token): void {
  const { current, lastIssued } = state;
  const neverIssued =
    lastIssued === null ||
    yours.epoch > lastIssued.epoch ||
    yours.deploy_generation > lastIssued.deploy_generation ||
    (yours.epoch === lastIssued.epoch && yours.deploy_generation !== lastIssued.deploy_generation);
  if (neverIssued) {
    throw new Refusal(
      'token_from_future',
      lastIssued === null
        ? 'No token has been issued for this environment yet, so this token was never issued here.'
        : `Token ${show(yours)} was never issued for this environment; the newest issued is ${show(lastIssued)}.`,
      { current_token: current, your_token: yours },
    );
  }
  if (current && current.epoch === yours.epoch) return;
  const newest = current ?? lastIssued!;
  throw fenced(newest.deploy_generation > yours.deploy_generation ? 'deploy_generation' : 'epoch', current, {
    your_token: yours,
  });
}

/** Refused with `fenced` when a generation newer than `deployGeneration` has been issued a token here. */
export function assertGenerationCurrent(state: TokenState, deployGeneration: number): void {
  if (state.lastIssued && deployGeneration < state.lastIssued.deploy_generation) {
    throw fenced('deploy_generation', state.current, { your_deploy_generation: deployGeneration });
  }
}

export function fenced(
  kind: FenceKind,
  current: Token | null,
  yours: { your_token: Token } | { your_deploy_generation: number },
): Refusal {
  let detail: string;
  if (current === null) {
    detail = 'The environment was deleted after this token was issued; the token can never write again.';
  } else if (kind === 'deploy_generation') {
    detail = `Deploy generation ${current.deploy_generation} has taken over this environment; a process of an older generation must stop writing and exit.`;
  } else {
    detail = `Generation ${current.deploy_generation} was fenced again at epoch ${current.epoch}; this process holds an older epoch and must halt.`;
  }
  return new Refusal(
    'fenced',
    detail,
    { kind, current_token: current, ...yours },
    { action: kind === 'deploy_generation' ? 'terminate' : 'halt' },
  );
}
