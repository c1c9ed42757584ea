import { describe, expect, it } from 'vitest';
import {
  type AppendOp,
  checkAll,
  checkAnswers,
  type ConfirmOp,
  type DeployOp,
  type FenceOp,
  type FencingOp,
  type FinalState,
  type HttpResult,
  indeterminate,
  type Operation,
  outcomeOf,
} from '../chaos/checker.js';
import type { Token } from '../src/domain/token.js';

/**
 * The chaos checker fed doctored histories: a clean run passes, and each invariant violation a
 * faulty service could produce is reported.
 */

const ENV = 'e';
const t = (deploy_generation: number, epoch: number): Token => ({ deploy_generation, epoch });

function answer(status: number, body: Record<string, unknown> | null): HttpResult {
  const contentType = status === 409 ? 'application/problem+json' : 'application/json';
  return { status, body, text: body ? JSON.stringify(body) : 'fetch failed', contentType };
}
const fenced = (kind: 'deploy_generation' | 'epoch', current: Token, extra: Record<string, unknown>) =>
  answer(409, {
    type: 'https://palisade.dev/problems/fenced',
    title: 'Fenced',
    status: 409,
    detail: 'A newer token is in force.',
    code: 'fenced',
    kind,
    action: kind === 'deploy_generation' ? 'terminate' : 'halt',
    current_token: current,
    ...extra,
  });
const noAnswer = answer(0, null);

function fence(client: number, at: number, generation: number, holder: string, response: HttpResult): FenceOp {
  return {
    kind: 'fence',
    env: ENV,
    client,
    service: 0,
    invokedAt: at,
    completedAt: at + 1,
    outcome: outcomeOf(response.status),
    request: { deploy_generation: generation, holder },
    response,
  };
}
function append(client: number, at: number, token: Token, seq: number, parts: number, response: HttpResult): AppendOp {
  const entries = Array.from({ length: parts }, (_, part) => ({ client, seq, part }));
  return {
    kind: 'append',
    env: ENV,
    client,
    service: 1,
    invokedAt: at,
    completedAt: at + 1,
    outcome: outcomeOf(response.status),
    request: { token, entries },
    response,
  };
}
function confirm(client: number, at: number, token: Token, response: HttpResult): ConfirmOp {
  return {
    kind: 'confirm',
    env: ENV,
    client,
    service: 2,
    invokedAt: at,
    completedAt: at + 1,
    outcome: outcomeOf(response.status),
    request: { token },
    response,
  };
}
const entry = (offset: number, client: number, seq: number, part: number, token: Token) => ({
  offset,
  data: { client, seq, part },
  token,
  appended_at: '2026-01-01T00:00:00Z',
});

const GENERATION_EVENT = {
  id: 'evt_1',
  type: 'generation.fenced',
  timestamp: '2026-01-01T00:00:05Z',
  data: {
    environment: ENV,
    fenced: { token: t(1, 1), holder: 'h1' },
    by: { token: t(2, 2), holder: 'h2' },
    fenced_at: '2026-01-01T00:00:05Z',
  },
};

/** A run that keeps every invariant: a generation takeover, a stale append, an unknown fence and append. */
function cleanRun(): { ops: Operation[]; state: FinalState } {
  const ops: Operation[] = [
    fence(1, 0, 1, 'h1', answer(200, { token: t(1, 1), previous: null })),
    append(1, 2, t(1, 1), 1, 1, answer(201, { offset: 0, upper: 1 })),
    confirm(1, 3.5, t(1, 1), answer(200, { token: t(1, 1), upper: 1 })),
    fence(2, 5, 2, 'h2', answer(200, { token: t(2, 2), previous: { token: t(1, 1), holder: 'h1' } })),
    append(1, 7, t(1, 1), 2, 1, fenced('deploy_generation', t(2, 2), { your_token: t(1, 1) })),
    append(2, 9, t(2, 2), 1, 2, answer(201, { offset: 1, upper: 3 })),
    fence(3, 11, 2, 'h3', noAnswer), // committed: {2,3} is in the history
    append(2, 13, t(2, 2), 2, 2, noAnswer), // not committed
    append(2, 15, t(2, 2), 3, 1, fenced('epoch', t(2, 3), { your_token: t(2, 2) })),
    fence(4, 17, 1, 'h4', fenced('deploy_generation', t(2, 3), { your_deploy_generation: 1 })),
    confirm(1, 19, t(1, 1), fenced('deploy_generation', t(2, 3), { your_token: t(1, 1) })),
    fence(4, 21, 3, 'h5', answer(503, { code: 'unavailable' })), // not committed
  ];
  const state: FinalState = {
    environments: {
      [ENV]: {
        history: [
          { token: t(1, 1), holder: 'h1', upper: 0, fenced_at: '2026-01-01T00:00:00Z' },
          { token: t(2, 2), holder: 'h2', upper: 1, fenced_at: '2026-01-01T00:00:05Z' },
          { token: t(2, 3), holder: 'h3', upper: 3, fenced_at: '2026-01-01T00:00:11Z' },
        ],
        log: {
          upper: 3,
          entries: [entry(0, 1, 1, 0, t(1, 1)), entry(1, 2, 1, 0, t(2, 2)), entry(2, 2, 1, 1, t(2, 2))],
        },
      },
    },
    feed: [
      GENERATION_EVENT,
      {
        ...GENERATION_EVENT,
        id: 'evt_2',
        type: 'epoch.fenced',
        data: {
          ...GENERATION_EVENT.data,
          fenced: { token: t(2, 2), holder: 'h2' },
          by: { token: t(2, 3), holder: 'h3' },
        },
      },
    ],
    receptions: [
      {
        id: 'evt_1',
        verified: true,
        payload: { type: 'generation.fenced', data: GENERATION_EVENT.data },
        answered: 500,
      },
      {
        id: 'evt_1',
        verified: true,
        payload: { type: 'generation.fenced', data: GENERATION_EVENT.data },
        answered: 204,
      },
    ],
  };
  return { ops, state };
}

function doctored(change: (run: { ops: Operation[]; state: FinalState }) => void): string[] {
  const run = structuredClone(cleanRun());
  change(run);
  return checkAll(run.ops, run.state);
}

const history = (run: { state: FinalState }) => run.state.environments[ENV]!.history;
const logOf = (run: { state: FinalState }) => run.state.environments[ENV]!.log;

describe('the chaos checker', () => {
  it('passes a clean history with unknown outcomes, refusals and a retried webhook', () => {
    const { ops, state } = cleanRun();
    expect(checkAll(ops, state)).toEqual([]);
  });

  it('passes an unknown-outcome append that did land, whole and at one place', () => {
    expect(
      doctored((run) => {
        const log = logOf(run);
        log.entries.push(entry(3, 2, 2, 0, t(2, 2)), entry(4, 2, 2, 1, t(2, 2)));
        log.upper = 5;
        history(run)[2]!.upper = 5;
      }),
    ).toEqual([]);
  });

  it('catches a duplicated epoch', () => {
    const violations = doctored((run) => {
      const op = run.ops[6] as FenceOp;
      op.response = answer(200, { token: t(2, 2), previous: null });
      op.outcome = 'ok';
    });
    expect(violations.join('\n')).toMatch(/epoch 2 issued twice/);
  });

  it('catches a history whose epochs repeat', () => {
    const violations = doctored((run) => {
      history(run)[2]!.token = t(2, 2);
    });
    expect(violations.join('\n')).toMatch(/history item 2 has epoch 2, expected 3/);
  });

  it('catches an ok fence missing from the history, and a history item no fence explains', () => {
    const missing = doctored((run) => {
      history(run).splice(2, 1);
      const op = run.ops[6] as FenceOp;
      op.response = answer(200, { token: t(2, 3), previous: null });
      op.outcome = 'ok';
    });
    expect(missing.join('\n')).toMatch(/ok fence's token is missing from the history/);
    const ghost = doctored((run) => {
      history(run)[2]!.holder = 'ghost';
    });
    expect(ghost.join('\n')).toMatch(/holder ghost\) that neither an ok nor an unknown-outcome fence/);
  });

  it('catches an accepted append with a stale token', () => {
    const violations = doctored((run) => {
      const op = run.ops[4] as AppendOp;
      op.response = answer(201, { offset: 3, upper: 4 });
      op.outcome = 'ok';
      logOf(run).entries.push(entry(3, 1, 2, 0, t(1, 1)));
      logOf(run).upper = 4;
    });
    const text = violations.join('\n');
    expect(text).toMatch(/offset 3 accepted with \{g1 e1\} while \{g2 e3\} was current/);
    expect(text).toMatch(/append accepted with a token older than \{g2 e2\}/);
  });

  it('catches an accepted confirm with a stale token', () => {
    const violations = doctored((run) => {
      const op = run.ops[10] as ConfirmOp;
      op.response = answer(200, { token: t(1, 1), upper: 3 });
      op.outcome = 'ok';
    });
    expect(violations.join('\n')).toMatch(/confirm accepted with a token older than/);
  });

  it('catches a lost acknowledged append', () => {
    const violations = doctored((run) => {
      logOf(run).entries.pop();
      logOf(run).upper = 2;
    });
    expect(violations.join('\n')).toMatch(/acknowledged entry .* missing at offset 2/);
  });

  it('catches non-dense offsets', () => {
    const violations = doctored((run) => {
      logOf(run).entries[2]!.offset = 3;
      logOf(run).upper = 4;
    });
    expect(violations.join('\n')).toMatch(/offsets are not dense: position 2 holds offset 3/);
  });

  it('catches an unknown-outcome append that landed only in part, or twice', () => {
    const partial = doctored((run) => {
      logOf(run).entries.push(entry(3, 2, 2, 0, t(2, 2)));
      logOf(run).upper = 4;
      history(run)[2]!.upper = 4;
    });
    expect(partial.join('\n')).toMatch(/unknown-outcome append is partly present/);
    const twice = doctored((run) => {
      logOf(run).entries.push(entry(3, 2, 1, 1, t(2, 2)));
      logOf(run).upper = 4;
      history(run)[2]!.upper = 4;
    });
    expect(twice.join('\n')).toMatch(/appears at 2 offsets: 2, 3/);
  });

  it('catches entries from a definitely refused append', () => {
    const violations = doctored((run) => {
      logOf(run).entries.push(entry(3, 2, 3, 0, t(2, 2)));
      logOf(run).upper = 4;
      history(run)[2]!.upper = 4;
    });
    expect(violations.join('\n')).toMatch(/no ok or unknown-outcome append wrote/);
  });

  it('catches an epoch-kind refusal after a generation passed', () => {
    const violations = doctored((run) => {
      run.ops[4]!.response = fenced('epoch', t(1, 2), { your_token: t(1, 1) });
    });
    expect(violations.join('\n')).toMatch(/epoch refusal although generation 2 had taken over/);
    const wrongKind = doctored((run) => {
      run.ops[4]!.response = fenced('epoch', t(2, 2), { your_token: t(1, 1) });
    });
    expect(wrongKind.join('\n')).toMatch(/fenced should be kind deploy_generation/);
  });

  it('catches an ok fence that names another previous than the history', () => {
    const violations = doctored((run) => {
      (run.ops[3] as FenceOp).response = answer(200, { token: t(2, 2), previous: null });
    });
    expect(violations.join('\n')).toMatch(
      /fence names previous null, the history says \{"token":\{"deploy_generation":1,"epoch":1\},"holder":"h1"\}/,
    );
  });

  it('catches a refusal naming a current token never issued, or not newer than the writer’s', () => {
    const neverIssued = doctored((run) => {
      run.ops[4]!.response = fenced('deploy_generation', t(2, 9), { your_token: t(1, 1) });
    });
    expect(neverIssued.join('\n')).toMatch(/fenced names a current_token that was never issued/);
    const notNewer = doctored((run) => {
      run.ops[8]!.response = fenced('epoch', t(2, 2), { your_token: t(2, 2) });
    });
    expect(notNewer.join('\n')).toMatch(/fenced names a current_token that is not newer than the writer's/);
    const none = doctored((run) => {
      run.ops[4]!.response = fenced('deploy_generation', t(2, 2), { your_token: t(1, 1), current_token: undefined });
    });
    expect(none.join('\n')).toMatch(/fenced names no current_token/);
  });

  it('catches a refusal naming a current token older than a fence completed before, or issued after the answer', () => {
    const older = doctored((run) => {
      const op = run.ops[6] as FenceOp;
      op.response = answer(200, { token: t(2, 3), previous: { token: t(2, 2), holder: 'h2' } });
      op.outcome = 'ok';
      run.ops[10]!.response = fenced('deploy_generation', t(2, 2), { your_token: t(1, 1) });
    });
    expect(older.join('\n')).toMatch(/fenced names current epoch 2, older than epoch 3 completed before the request/);
    const fromTheFuture = doctored((run) => {
      run.ops[1]!.response = fenced('deploy_generation', t(2, 2), { your_token: t(1, 1) });
      run.ops[1]!.outcome = 'fail';
    });
    expect(fromTheFuture.join('\n')).toMatch(/fenced names a token whose fence was invoked only after the answer/);
  });

  it('catches a generation.fenced event never received', () => {
    const violations = doctored((run) => {
      run.state.receptions = [];
    });
    expect(violations.join('\n')).toMatch(/generation.fenced evt_1 .* was never received with a valid signature/);
  });

  it('catches a generation.fenced event received under another webhook-id', () => {
    const violations = doctored((run) => {
      run.state.receptions.push({
        id: 'evt_other',
        verified: true,
        payload: { type: 'generation.fenced', data: GENERATION_EVENT.data },
        answered: 204,
      });
    });
    expect(violations.join('\n')).toMatch(/also received under webhook-id\(s\) evt_other/);
  });

  it('catches a bad signature', () => {
    const violations = doctored((run) => {
      for (const reception of run.state.receptions) reception.verified = false;
    });
    const text = violations.join('\n');
    expect(text).toMatch(/webhook-id evt_1 did not verify/);
    expect(text).toMatch(/never received with a valid signature/);
  });

  it('catches a generation raise without its event in the feed', () => {
    const violations = doctored((run) => {
      run.state.feed = run.state.feed.filter((event) => event.type !== 'generation.fenced');
      run.state.receptions = [];
    });
    expect(violations.join('\n')).toMatch(/the raise to \{g2 e2\} has no generation.fenced event/);
  });
});

function deploymentOp(
  kind: DeployOp['kind'],
  at: number,
  generation: number,
  holder: string,
  response: HttpResult,
): DeployOp {
  return {
    kind,
    env: ENV,
    client: 100,
    service: 0,
    invokedAt: at,
    completedAt: at + 1,
    outcome: outcomeOf(response.status),
    request: { deploy_generation: generation, holder },
    response,
  };
}
const deploymentBody = (generation: number, holder: string, state: string, token: Token | null) => ({
  environment: ENV,
  deploy_generation: generation,
  state,
  holder,
  token,
});
const PROMOTED_EVENT = {
  id: 'evt_p2',
  type: 'deployment.promoted',
  timestamp: '2026-01-01T00:00:05Z',
  data: {
    environment: ENV,
    deploy_generation: 2,
    holder: 'd2',
    token: t(2, 2),
    previous: { token: t(1, 1), holder: 'h1' },
  },
};

/** Generation 1 fences; generation 2 registers, says it is ready and is promoted; generation 3's promotion has no answer and did not commit. */
function handoverRun(): { ops: Operation[]; state: FinalState } {
  const fencedEvent = { ...GENERATION_EVENT, data: { ...GENERATION_EVENT.data, by: { token: t(2, 2), holder: 'd2' } } };
  const ops: Operation[] = [
    fence(1, 0, 1, 'h1', answer(200, { token: t(1, 1), previous: null })),
    deploymentOp('register', 1, 2, 'd2', answer(201, deploymentBody(2, 'd2', 'initializing', null))),
    deploymentOp('ready', 2, 2, 'd2', answer(200, deploymentBody(2, 'd2', 'ready_to_promote', null))),
    deploymentOp('promote', 4, 2, 'd2', answer(200, deploymentBody(2, 'd2', 'promoting', t(2, 2)))),
    append(1, 7, t(1, 1), 2, 1, fenced('deploy_generation', t(2, 2), { your_token: t(1, 1) })),
    deploymentOp('register', 8, 3, 'd3', answer(201, deploymentBody(3, 'd3', 'initializing', null))),
    deploymentOp('ready', 9, 3, 'd3', answer(200, deploymentBody(3, 'd3', 'ready_to_promote', null))),
    deploymentOp('promote', 10, 3, 'd3', noAnswer),
    deploymentOp('register', 12, 1, 'late', fenced('deploy_generation', t(2, 2), { your_deploy_generation: 1 })),
  ];
  const state: FinalState = {
    environments: {
      [ENV]: {
        history: [
          { token: t(1, 1), holder: 'h1', upper: 0, fenced_at: '2026-01-01T00:00:00Z' },
          { token: t(2, 2), holder: 'd2', upper: 0, fenced_at: '2026-01-01T00:00:05Z' },
        ],
        log: { upper: 0, entries: [] },
        deployments: [deploymentBody(3, 'd3', 'ready_to_promote', null), deploymentBody(2, 'd2', 'promoting', t(2, 2))],
      },
    },
    feed: [fencedEvent, PROMOTED_EVENT],
    receptions: [
      { id: 'evt_1', verified: true, payload: { type: 'generation.fenced', data: fencedEvent.data }, answered: 204 },
    ],
  };
  return { ops, state };
}

function doctoredHandover(change: (run: { ops: Operation[]; state: FinalState }) => void): string {
  const run = structuredClone(handoverRun());
  change(run);
  return checkAll(run.ops, run.state).join('\n');
}

describe('the chaos checker on the deployment handover', () => {
  it('passes promotions that took effect whole, and one without an answer that took no effect', () => {
    const { ops, state } = handoverRun();
    expect(checkAll(ops, state)).toEqual([]);
  });

  it('passes a promotion without an answer that took effect whole', () => {
    expect(
      doctoredHandover((run) => {
        const environment = run.state.environments[ENV]!;
        environment.history.push({ token: t(3, 3), holder: 'd3', upper: 0, fenced_at: '2026-01-01T00:00:10Z' });
        environment.deployments = [
          deploymentBody(3, 'd3', 'promoting', t(3, 3)),
          deploymentBody(2, 'd2', 'fenced', t(2, 2)),
        ];
        const raise = {
          environment: ENV,
          fenced: { token: t(2, 2), holder: 'd2' },
          by: { token: t(3, 3), holder: 'd3' },
        };
        run.state.feed.push(
          { id: 'evt_3', type: 'generation.fenced', timestamp: '2026-01-01T00:00:10Z', data: raise },
          {
            ...PROMOTED_EVENT,
            id: 'evt_p3',
            data: { ...PROMOTED_EVENT.data, deploy_generation: 3, holder: 'd3', token: t(3, 3) },
          },
        );
        run.state.receptions.push({
          id: 'evt_3',
          verified: true,
          payload: { type: 'generation.fenced', data: raise },
          answered: 204,
        });
      }),
    ).toBe('');
  });

  it('catches a promoted deployment whose token is not in the history', () => {
    const violations = doctoredHandover((run) => {
      run.state.environments[ENV]!.history.pop();
    });
    expect(violations).toMatch(
      /promotion of generation 2 is partial: the deployment holds \{g2 e2\} but the history does not/,
    );
  });

  it('catches a token issued to a deployment that does not hold it', () => {
    const violations = doctoredHandover((run) => {
      run.state.environments[ENV]!.deployments![1] = deploymentBody(2, 'd2', 'ready_to_promote', null);
    });
    expect(violations).toMatch(
      /promotion of generation 2 is partial: the history holds \{g2 e2\} for d2 but the deployment has no token/,
    );
  });

  it('catches a promotion without its deployment.promoted event', () => {
    const violations = doctoredHandover((run) => {
      run.state.feed = run.state.feed.filter((event) => event.type !== 'deployment.promoted');
    });
    expect(violations).toMatch(/promotion of generation 2 is partial: no deployment.promoted event/);
  });

  it('catches an older generation left unfenced by a promotion', () => {
    const violations = doctoredHandover((run) => {
      run.state.environments[ENV]!.deployments!.push(deploymentBody(1, 'h1', 'is_leader', t(1, 1)));
    });
    expect(violations).toMatch(/generation 1 is is_leader although generation 2 was promoted/);
  });

  it('catches an acknowledged promotion whose token the deployment does not hold', () => {
    const violations = doctoredHandover((run) => {
      (run.ops[3] as DeployOp).response = answer(200, deploymentBody(2, 'd2', 'promoting', t(2, 5)));
    });
    expect(violations).toMatch(/acknowledged promotion of generation 2 returned \{g2 e5\}/);
  });
});

/** The clean run without its operations that got no answer or a 5xx: what a run without faults records. */
function answeredRun(): FencingOp[] {
  return cleanRun()
    .ops.filter((op): op is FencingOp => op.kind === 'fence' || op.kind === 'append' || op.kind === 'confirm')
    .filter((op) => !indeterminate(op));
}

function doctoredAnswers(change: (ops: FencingOp[]) => void): string {
  const ops = structuredClone(answeredRun());
  change(ops);
  return checkAnswers(ops).join('\n');
}

describe('the checker of a run without faults', () => {
  it('passes answers the contract allows', () => {
    expect(checkAnswers(answeredRun())).toEqual([]);
  });

  it('catches operations without an answer, with a 5xx or a status the operation cannot answer', () => {
    const ops = cleanRun().ops.filter(
      (op): op is FencingOp => op.kind !== 'register' && op.kind !== 'ready' && op.kind !== 'promote',
    );
    expect(checkAnswers(ops).filter((v) => v.startsWith('unexpected response'))).toHaveLength(3);
    expect(doctoredAnswers((run) => (run[1]!.response = answer(200, { offset: 0, upper: 1 })))).toMatch(
      /unexpected response: append/,
    );
  });

  it('catches malformed fence, append and confirm results', () => {
    expect(doctoredAnswers((run) => (run[0]!.response = answer(200, { token: t(2, 1), previous: null })))).toMatch(
      /malformed fence result/,
    );
    expect(doctoredAnswers((run) => (run[1]!.response = answer(201, { offset: 0, upper: 2 })))).toMatch(
      /malformed append result/,
    );
    expect(doctoredAnswers((run) => (run[2]!.response = answer(200, { token: t(1, 2), upper: 1 })))).toMatch(
      /malformed confirm result/,
    );
  });

  it('catches a 409 that is not the problem document its code lists', () => {
    const notProblem = doctoredAnswers((run) => {
      run[4]!.response.contentType = 'application/json';
    });
    expect(notProblem).toMatch(/409 has content type application\/json/);
    const wrongType = doctoredAnswers((run) => {
      run[4]!.response.body!.type = 'about:blank';
    });
    expect(wrongType).toMatch(/409 has a type that does not match its code/);
    const noEcho = doctoredAnswers((run) => {
      run[4]!.response.body!.your_token = t(2, 2);
    });
    expect(noEcho).toMatch(/409 fenced does not echo your_token/);
    const impossible = doctoredAnswers((run) => {
      run[4]!.response = answer(409, {
        ...run[4]!.response.body,
        type: 'https://palisade.dev/problems/token-from-future',
        code: 'token_from_future',
      });
    });
    expect(impossible).toMatch(/409 with code token_from_future is not a possible answer/);
  });

  it('catches a stale write refused otherwise than as fenced', () => {
    const violations = doctoredAnswers((run) => {
      const op = run[4] as AppendOp;
      op.request.expected_upper = 0;
      op.response = answer(409, {
        type: 'https://palisade.dev/problems/upper-mismatch',
        title: 'Upper mismatch',
        status: 409,
        detail: 'The log has moved on.',
        code: 'upper_mismatch',
        action: 'retry',
        expected_upper: 0,
        current_upper: 3,
      });
    });
    expect(violations).toMatch(
      /append with a token older than \{g2 e2\}, issued before it was invoked, was not refused as fenced/,
    );
  });

  it('catches a fence below a generation the client had seen that was not refused', () => {
    const violations = doctoredAnswers((run) => {
      (run[0] as FenceOp).knownGeneration = 2;
    });
    expect(violations).toMatch(
      /fence with generation below 2, current before it was invoked, was not refused as fenced/,
    );
  });
});
