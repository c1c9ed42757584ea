import { ApiError } from './errors.js';

export type Token = { deploy_generation: number; epoch: number };

export type FenceKind = 'deploy_generation' | 'epoch';

/**
 * Decides whether a writer holding `yours` may write while `current` is the environment's token.
 * Only the current token may write. An older token is fenced, by `deploy_generation` whenever the
 * current generation is higher, by `epoch` only within the same generation. Epochs are issued
 * strictly increasing, so a token whose epoch was never reached, or whose epoch is current but
 * generation is not, was never issued here: it is forged or from another environment.
 */
export function assertCurrentToken(current: Token | null, yours: Token): void {
  if (current === null) {
    throw new ApiError(
      'token_from_future',
      'No token has been issued for this environment yet, so this token was never issued here.',
      { current_token: null, your_token: yours },
    );
  }
  if (yours.epoch === current.epoch && yours.deploy_generation === current.deploy_generation) {
    return;
  }
  const neverIssued =
    yours.epoch >= current.epoch || yours.deploy_generation > current.deploy_generation;
  if (neverIssued) {
    throw new ApiError(
      'token_from_future',
      `Token {deploy_generation: ${yours.deploy_generation}, epoch: ${yours.epoch}} was never issued for this environment; the current token is {deploy_generation: ${current.deploy_generation}, epoch: ${current.epoch}}.`,
      { current_token: current, your_token: yours },
    );
  }
  const kind: FenceKind =
    current.deploy_generation > yours.deploy_generation ? 'deploy_generation' : 'epoch';
  throw fencedError(kind, current, { your_token: yours });
}

export function fencedError(
  kind: FenceKind,
  current: Token,
  yours: { your_token: Token } | { your_deploy_generation: number },
): ApiError {
  const detail =
    kind === 'deploy_generation'
      ? `Deploy generation ${current.deploy_generation} has taken over this environment; a process of an older generation must stop writing and exit.`
      : `Generation ${current.deploy_generation} was fenced again at epoch ${current.epoch}; this process holds an older epoch and must halt.`;
  return new ApiError(
    'fenced',
    detail,
    { kind, current_token: current, ...yours },
    {},
    kind === 'deploy_generation' ? 'terminate' : 'halt',
  );
}
