import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What one side did for one operation at one concurrency. */
export type Measurement = {
  /** Successful operations per second over the run. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  succeeded: number;
  /** Operations that did not do their work (a refused guard, an error), by outcome. */
  failures: Map<string, number>;
};

export function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Latencies of every operation, failed ones included: a refusal costs its caller the same wait. */
export function measurement(
  latenciesMs: number[],
  seconds: number,
  succeeded: number,
  failures: Map<string, number>,
): Measurement {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    rate: succeeded / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    succeeded,
    failures,
  };
}

/**
 * Runs `workers` closed loops for `seconds`; each loop calls `step(worker)`, which answers `ok` or
 * what went wrong instead.
 */
export async function closedLoop(
  seconds: number,
  workers: number,
  step: (worker: number) => Promise<string>,
): Promise<Measurement> {
  const latenciesMs: number[] = [];
  const failures = new Map<string, number>();
  let succeeded = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const outcome = await step(worker);
        latenciesMs.push(performance.now() - t0);
        if (outcome === 'ok') succeeded++;
        else failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
      }
    }),
  );
  return measurement(latenciesMs, (performance.now() - started) / 1000, succeeded, failures);
}

/** Worker w of `workers` owns items w, w + workers, w + 2·workers, … and cycles through them. */
export function ownedBy<T>(items: T[], workers: number, worker: number): () => T {
  const mine = items.filter((_, i) => i % workers === worker);
  let next = 0;
  return () => mine[next++ % mine.length]!;
}

/** A loopback port nothing listens on at the moment of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
