import { describe, expect, it } from 'vitest';
import { ALONE, batched } from '../src/db/batches.js';
import type { Database } from '../src/db/client.js';

type Call = { key: string; bytes: number };

/**
 * The batcher's queueing policy alone, over statements that only record what they were given and
 * return when told: which calls went together, in what order.
 */
function recordingBatcher(options: { maxCalls: number; maxWeight?: number; alone?: (call: Call) => boolean }) {
  const sent: string[][] = [];
  const pending: (() => void)[] = [];
  const hold = <T>(result: T) => new Promise<T>((resolve) => pending.push(() => resolve(result)));
  const send = batched<Call, string>({
    name: 'policy',
    maxCalls: options.maxCalls,
    maxInFlight: 2,
    key: (call) => call.key,
    weight: (call) => call.bytes,
    maxWeight: options.maxWeight,
    runOne: (_db, call) => {
      sent.push([call.key]);
      return hold(call.key);
    },
    runBatch: (_db, calls) => {
      sent.push(calls.map((call) => call.key));
      return hold(calls.map((call) => (options.alone?.(call) ? ALONE : call.key)));
    },
  });
  const db = {} as Database;
  const releaseAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { sent, send: (call: Call) => send(db, call), releaseAll };
}

describe('the batcher’s queue', () => {
  it('sends the first calls alone at once, then what queued meanwhile together, oldest first', async () => {
    const { sent, send, releaseAll } = recordingBatcher({ maxCalls: 3 });
    const answers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((key) => send({ key, bytes: 1 }));
    expect(sent).toEqual([['a'], ['b']]);
    await releaseAll();
    expect(sent).toEqual([['a'], ['b'], ['c', 'd', 'e'], ['f', 'g']]);
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('never puts two calls with one key in a statement: the later keeps its place for the next', async () => {
    const { sent, send, releaseAll } = recordingBatcher({ maxCalls: 10 });
    const answers = ['a', 'b', 'x', 'x', 'y', 'x'].map((key) => send({ key, bytes: 1 }));
    await releaseAll();
    expect(sent).toEqual([['a'], ['b'], ['x', 'y'], ['x'], ['x']]);
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'x', 'x', 'y', 'x']);
  });

  it('keeps a statement within maxWeight, and sends a call heavier than that alone', async () => {
    const { sent, send, releaseAll } = recordingBatcher({ maxCalls: 10, maxWeight: 1000 });
    const calls = [
      { key: 'a', bytes: 1 },
      { key: 'b', bytes: 1 },
      ...['c', 'd', 'e', 'f', 'g'].map((key) => ({ key, bytes: 400 })),
      { key: 'huge', bytes: 5000 },
      { key: 'h', bytes: 400 },
    ];
    const answers = calls.map(send);
    await releaseAll();
    expect(sent).toEqual([['a'], ['b'], ['c', 'd'], ['e', 'f'], ['g'], ['huge'], ['h']]);
    expect(await Promise.all(answers)).toEqual(calls.map((call) => call.key));
  });

  it('sends a call the statement answered ALONE by itself, and answers it from there', async () => {
    const { sent, send, releaseAll } = recordingBatcher({ maxCalls: 10, alone: (call) => call.key === 'held' });
    const answers = ['a', 'b', 'c', 'held', 'd'].map((key) => send({ key, bytes: 1 }));
    await releaseAll();
    expect(sent).toEqual([['a'], ['b'], ['c', 'held', 'd'], ['held']]);
    expect(await Promise.all(answers)).toEqual(['a', 'b', 'c', 'held', 'd']);
  });
});
