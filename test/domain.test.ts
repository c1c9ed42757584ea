import { describe, expect, it } from 'vitest';
import { fromRefusal } from '../src/api/problems.js';
import { assertTransition } from '../src/domain/deploymentStates.js';
import { assertRoomInLog, resourceExhausted } from '../src/domain/quotas.js';
import { Refusal } from '../src/domain/refusal.js';
import { assertCurrentToken, assertGenerationCurrent, type TokenState } from '../src/domain/token.js';

function refusalOf(rule: () => void): Refusal {
  try {
    rule();
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  throw new Error('the rule let it pass');
}

const issued: TokenState = {
  current: { deploy_generation: 2, epoch: 5 },
  lastIssued: { deploy_generation: 2, epoch: 5 },
};

describe('token rules', () => {
  it('the current token passes; an older epoch of its generation halts, an older generation terminates', () => {
    expect(() => assertCurrentToken(issued, { deploy_generation: 2, epoch: 5 })).not.toThrow();
    const epoch = refusalOf(() => assertCurrentToken(issued, { deploy_generation: 2, epoch: 4 }));
    expect(epoch).toMatchObject({ code: 'fenced', action: 'halt', members: { kind: 'epoch' } });
    const generation = refusalOf(() => assertCurrentToken(issued, { deploy_generation: 1, epoch: 3 }));
    expect(generation).toMatchObject({ code: 'fenced', action: 'terminate', members: { kind: 'deploy_generation' } });
  });

  it('a token beyond the last one issued was never issued here', () => {
    expect(refusalOf(() => assertCurrentToken(issued, { deploy_generation: 2, epoch: 6 })).code).toBe(
      'token_from_future',
    );
    expect(
      refusalOf(() => assertCurrentToken({ current: null, lastIssued: null }, { deploy_generation: 0, epoch: 1 })).code,
    ).toBe('token_from_future');
  });

  it('after a delete every token issued before is fenced, with no current token', () => {
    const deleted = { current: null, lastIssued: issued.lastIssued };
    expect(refusalOf(() => assertCurrentToken(deleted, { deploy_generation: 2, epoch: 5 })).members).toMatchObject({
      kind: 'epoch',
      current_token: null,
    });
  });

  it('a generation lower than the last one issued is fenced; an equal or higher one is not', () => {
    expect(() => assertGenerationCurrent(issued, 2)).not.toThrow();
    expect(() => assertGenerationCurrent(issued, 3)).not.toThrow();
    expect(refusalOf(() => assertGenerationCurrent(issued, 1)).members).toEqual({
      kind: 'deploy_generation',
      current_token: issued.current,
      your_deploy_generation: 1,
    });
  });
});

describe('deployment transitions', () => {
  it('a candidate not ready yet is told to retry, unless it skips the catch-up', () => {
    expect(refusalOf(() => assertTransition(3, 'catching_up', 'promoting'))).toMatchObject({
      code: 'invalid_transition',
      action: 'retry',
    });
    expect(() => assertTransition(3, 'catching_up', 'promoting', { skipCatchup: true })).not.toThrow();
  });

  it('a fenced deployment goes nowhere', () => {
    expect(refusalOf(() => assertTransition(3, 'fenced', 'is_leader'))).toMatchObject({ action: 'abort' });
  });
});

describe('quotas and their problems', () => {
  it('a full log refuses with its limit and no timing', () => {
    const refusal = refusalOf(() => assertRoomInLog(9, 2, 10));
    expect(refusal.members).toEqual({ resource: 'log_entries', limit: 10 });
    expect(fromRefusal(refusal).headers).toEqual({
      'ratelimit-policy': '"log_entries";q=10',
      ratelimit: '"log_entries";r=0',
    });
  });

  it('a rate says when to retry, with the bucket burst as its quota', () => {
    const refusal = resourceExhausted('request_rate', 5, 'slow down', {
      retryAfterSeconds: 2,
      windowSeconds: 4,
      quota: 20,
    });
    const problem = fromRefusal(refusal);
    expect(problem.status).toBe(429);
    expect(problem.headers).toEqual({
      'ratelimit-policy': '"request_rate";q=20;w=4',
      ratelimit: '"request_rate";r=0;t=2',
      'retry-after': '2',
    });
  });
});
