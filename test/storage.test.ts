import { describe, expect, it } from 'vitest';
import { appendEntries } from '../src/domain/log.js';
import { putEnvironment } from '../src/domain/environments.js';
import { fenceEnvironment, fenceHistory } from '../src/domain/fencing.js';
import { readEntries } from '../src/domain/log.js';
import { Refusal as ApiError } from '../src/domain/refusal.js';
import type { Token } from '../src/domain/token.js';
import { storageBackends } from './support/database.js';
import { useHarness } from './support/harness.js';

/**
 * The invariants at the storage layer, on every database the service runs on: the same schema,
 * migrations and transactions must hold them on the embedded database and on PostgreSQL.
 */
describe.each(storageBackends)('storage invariants on %s', (backend) => {
  const harness = useHarness(backend);
  const db = () => harness().scratch.handle.db;

  async function allHistory(tenant: string, env: string) {
    const page = await fenceHistory(db(), tenant, env, { limit: 1000, beforeEpoch: null });
    return page.items.reverse();
  }

  it('concurrent fences issue each epoch once, in commit order, with generation never decreasing', async () => {
    const tenant = harness().uniqueName('tenant');
    const env = harness().uniqueName();
    const generations = Array.from({ length: 40 }, (_, i) => Math.floor(i / 4));
    const outcomes = await Promise.allSettled(
      generations.map((deployGeneration, i) =>
        fenceEnvironment(db(), tenant, env, { deployGeneration, holder: `p${i}`, maxEnvironments: 100 }, []),
      ),
    );
    const issued = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.token] : []));
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(ApiError);
        expect((o.reason as ApiError).members.kind).toBe('deploy_generation');
      }
    }
    const epochs = issued.map((t) => t.epoch).sort((a, b) => a - b);
    expect(epochs).toEqual(Array.from({ length: issued.length }, (_, i) => i + 1));

    const history = await allHistory(tenant, env);
    expect(history.map((h) => h.token)).toEqual([...issued].sort((a, b) => a.epoch - b.epoch));
    for (let i = 1; i < history.length; i++) {
      expect(history[i]!.token.deploy_generation).toBeGreaterThanOrEqual(history[i - 1]!.token.deploy_generation);
    }
    // Each fence names the holder it fenced out: the chain of previous tokens is the history itself.
    const previousOf = new Map(
      outcomes.flatMap((o) =>
        o.status === 'fulfilled' ? [[o.value.token.epoch, o.value.previous?.token.epoch ?? 0]] : [],
      ),
    );
    for (const [epoch, previous] of previousOf) expect(previous).toBe(epoch - 1);
  });

  it('appends racing fences: every entry carries the token current at its offset, offsets dense', async () => {
    const tenant = harness().uniqueName('tenant');
    const env = harness().uniqueName();
    let token: Token = (
      await fenceEnvironment(db(), tenant, env, { deployGeneration: 0, holder: 'start', maxEnvironments: 100 }, [])
    ).token;
    const accepted: { offset: number; upper: number; token: Token }[] = [];
    const refusals: ApiError[] = [];

    const writers = Array.from({ length: 12 }, async (_, writer) => {
      for (let i = 0; i < 8; i++) {
        const mine = token;
        try {
          const result = await appendEntries(db(), tenant, env, {
            token: mine,
            expectedUpper: null,
            entries: [JSON.stringify({ writer, i })],
            maxEntries: 1_000_000,
          });
          accepted.push({ ...result, token: mine });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          refusals.push(error);
        }
      }
    });
    const fencer = (async () => {
      for (let generation = 1; generation <= 6; generation++) {
        token = (
          await fenceEnvironment(
            db(),
            tenant,
            env,
            { deployGeneration: generation, holder: `g${generation}`, maxEnvironments: 100 },
            [],
          )
        ).token;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await Promise.all([...writers, fencer]);

    const log = await readEntries(db(), tenant, env, { from: 0, limit: 1000, maxBytes: 1024 * 1024 });
    expect(log.entries.map((e) => e.offset)).toEqual(Array.from({ length: log.upper }, (_, i) => i));
    expect(log.upper).toBe(accepted.length);
    for (const a of accepted) expect(log.entries[a.offset]!.token).toEqual(a.token);

    const history = await allHistory(tenant, env);
    for (const entry of log.entries) {
      const issuer = history.filter((h) => h.upper <= entry.offset).at(-1)!;
      expect(entry.token, `entry at offset ${entry.offset}`).toEqual(issuer.token);
    }
    for (const refusal of refusals) {
      expect(refusal.code).toBe('fenced');
      expect(refusal.members.kind).toBe('deploy_generation');
    }
    expect(accepted.length).toBeGreaterThan(0);
  });

  it('a refused write changes nothing', async () => {
    const tenant = harness().uniqueName('tenant');
    const env = harness().uniqueName();
    await putEnvironment(db(), tenant, env, 100);
    const { token } = await fenceEnvironment(
      db(),
      tenant,
      env,
      { deployGeneration: 3, holder: 'a', maxEnvironments: 100 },
      [],
    );
    await appendEntries(db(), tenant, env, { token, expectedUpper: 0, entries: ['1'], maxEntries: 100 });
    await expect(
      appendEntries(db(), tenant, env, { token, expectedUpper: 0, entries: ['2', '3'], maxEntries: 100 }),
    ).rejects.toMatchObject({ code: 'upper_mismatch' });
    await expect(
      fenceEnvironment(db(), tenant, env, { deployGeneration: 2, holder: 'b', maxEnvironments: 100 }, []),
    ).rejects.toMatchObject({ code: 'fenced' });
    const log = await readEntries(db(), tenant, env, { from: 0, limit: 10, maxBytes: 1024 * 1024 });
    expect(log.entries.map((e) => e.data)).toEqual(['1']);
    expect((await allHistory(tenant, env)).map((h) => h.token)).toEqual([token]);
  });
});
