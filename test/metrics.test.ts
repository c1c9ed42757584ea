import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.js';
import { Metrics } from '../src/metrics.js';
import { createScratchPostgres, httpBackend, POSTGRES_URL } from './support/database.js';
import { json, useHarness } from './support/harness.js';
import { WebhookReceiver } from './support/receiver.js';

const harness = useHarness(httpBackend, { dispatcher: {}, limits: { environments: 1 } });

function sample(text: string, name: string, labels: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('/metrics', () => {
  it('counts requests by route and status, fences by kind, 409s by code, 429s by resource and webhook attempts', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await WebhookReceiver.start();
    try {
      const created = await json(
        await h.request('POST', '/v1/webhooks', {
          key: t.key,
          body: { url: receiver.url, events: ['generation.fenced'] },
        }),
      );
      receiver.secrets = [created.secret];
      const before = await (await h.request('GET', '/metrics')).text();
      const fence = (generation: number) =>
        h.request('POST', '/v1/environments/m/fence', {
          key: t.key,
          body: { deploy_generation: generation, holder: 'x' },
        });
      await fence(1);
      await fence(2);
      await fence(2);
      expect((await fence(1)).status).toBe(409);
      expect((await h.request('PUT', '/v1/environments/other', { key: t.key })).status).toBe(429);
      await receiver.waitFor((r) => r.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const res = await h.request('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const after = await res.text();
      const delta = (name: string, labels: string) => sample(after, name, labels) - sample(before, name, labels);
      expect(delta('palisade_fences_total', 'kind="first"')).toBe(1);
      expect(delta('palisade_fences_total', 'kind="deploy_generation"')).toBe(1);
      expect(delta('palisade_fences_total', 'kind="epoch"')).toBe(1);
      expect(delta('palisade_conflicts_total', 'code="fenced"')).toBe(1);
      expect(delta('palisade_resource_exhausted_total', 'resource="environments"')).toBe(1);
      expect(delta('palisade_webhook_attempts_total', 'outcome="succeeded"')).toBe(1);
      expect(
        delta(
          'palisade_http_request_duration_seconds_count',
          'method="POST",route="/v1/environments/:env/fence",status="200"',
        ),
      ).toBe(3);
      expect(after).toMatch(/^palisade_outbox_lag_seconds 0$/m);
      expect(after).toMatch(/^palisade_http_requests_in_flight 0$/m);
      // The process metrics under their standard names, so stock Node.js dashboards work.
      expect(after).toMatch(/^process_resident_memory_bytes \d+/m);
      expect(after).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
      expect(after).toMatch(/^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
      expect(after).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
      expect(after).not.toMatch(/^palisade_(process|nodejs)_/m);
      if (httpBackend === 'postgres') {
        expect(after).toMatch(/^palisade_db_pool_max 20$/m);
        expect(after).toMatch(/^palisade_db_pool_connections\{state="busy"\} \d+$/m);
        expect(after).toMatch(/^palisade_db_pool_connections\{state="idle"\} \d+$/m);
        expect(after).toMatch(/^palisade_db_pool_waiting \d+$/m);
      } else {
        expect(after).not.toMatch(/^palisade_db_pool/m);
      }
    } finally {
      await receiver.close();
    }
  });
});

describe.skipIf(!POSTGRES_URL)('/metrics — the PostgreSQL connection pool', () => {
  it('counts the connections transactions hold, as PostgreSQL sees them, and the work waiting beyond the pool', async () => {
    const scratch = await createScratchPostgres();
    const database = await openDatabase({ kind: 'postgres', url: scratch.url, poolSize: 3 });
    const observer = postgres(POSTGRES_URL!, { max: 1, onnotice: () => {} });
    const metrics = new Metrics(async () => 0, database.poolUsage);
    const pool = async () => {
      const text = await metrics.registry.metrics();
      return {
        max: sample(text, 'palisade_db_pool_max', ''),
        busy: sample(text, 'palisade_db_pool_connections', 'state="busy"'),
        idle: sample(text, 'palisade_db_pool_connections', 'state="idle"'),
        waiting: sample(text, 'palisade_db_pool_waiting', ''),
      };
    };
    const inTransaction = async () => {
      const [row] = await observer<{ count: number }[]>`
        select count(*)::int as count from pg_stat_activity
        where datname = ${new URL(scratch.url).pathname.slice(1)} and application_name = 'palisade' and state = 'idle in transaction'`;
      return row!.count;
    };
    try {
      await database.db.execute(sql`select 1`);
      expect(await pool()).toEqual({ max: 3, busy: 0, idle: 3, waiting: 0 });

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding = 0;
      const transactions = Array.from({ length: 3 }, () =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          holding++;
          await held;
        }),
      );
      await expect.poll(() => holding).toBe(3);
      expect(await pool()).toEqual({ max: 3, busy: 3, idle: 0, waiting: 0 });
      expect(await inTransaction()).toBe(3);
      let queuedDone = false;
      const queued = database.db.execute(sql`select 1`).then(() => (queuedDone = true));
      await expect.poll(pool).toEqual({ max: 3, busy: 3, idle: 0, waiting: 1 });
      expect(queuedDone).toBe(false);

      release();
      await Promise.all([...transactions, queued]);
      expect(await pool()).toEqual({ max: 3, busy: 0, idle: 3, waiting: 0 });
      expect(await inTransaction()).toBe(0);
    } finally {
      await observer.end({ timeout: 5 });
      await database.close();
      await scratch.drop();
    }
  });
});

const promtool = spawnSync('promtool', ['--version']).status === 0;

/** Every metric this process can export, as Prometheus names its series (histograms: _bucket, _sum, _count). */
async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = new Metrics(
    async () => 0,
    () => ({ busy: 0, max: 1, waiting: 0 }),
  );
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads: identifiers outside label matchers, groupings and ranges, and not functions. */
function metricNames(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  return [...stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map((match) => match[1]!)
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
}

describe('the metrics for Prometheus and Grafana', () => {
  it.skipIf(!promtool)(
    'promtool check metrics passes without a warning on a scrape that has every metric',
    async () => {
      const h = harness();
      const t = await h.newTenant();
      await h.request('POST', '/v1/environments/p/fence', { key: t.key, body: { deploy_generation: 2, holder: 'x' } });
      await h.request('POST', '/v1/environments/p/fence', { key: t.key, body: { deploy_generation: 1, holder: 'x' } });
      await h.request('PUT', '/v1/environments/other', { key: t.key });
      const metrics = new Metrics(
        async () => 0,
        () => ({ busy: 0, max: 1, waiting: 0 }),
      );
      metrics.deliveries.inc({ outcome: 'succeeded' });
      const scrapes = [await (await h.request('GET', '/metrics')).text(), await metrics.registry.metrics()];
      for (const scrape of scrapes) {
        const checked = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
        expect({ status: checked.status, output: `${checked.stdout}${checked.stderr}` }).toEqual({
          status: 0,
          output: '',
        });
      }
    },
  );

  it('every query of the Grafana dashboard reads metrics the service exports, and it covers the ones that matter', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../deploy/grafana/palisade.json', import.meta.url), 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exported = await exportedSeriesNames();
    const queries = dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
    );
    expect(queries.length).toBeGreaterThan(0);
    const used = new Set<string>();
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      expect(names, `${panel}: ${expr}`).not.toEqual([]);
      for (const name of names) {
        expect(exported.has(name), `${panel}: ${expr} reads ${name}, which the service does not export`).toBe(true);
        used.add(name);
      }
    }
    expect([...used].sort()).toEqual(
      expect.arrayContaining([
        'palisade_conflicts_total',
        'palisade_db_pool_connections',
        'palisade_db_pool_max',
        'palisade_fences_total',
        'palisade_http_request_duration_seconds_bucket',
        'palisade_outbox_lag_seconds',
        'palisade_resource_exhausted_total',
        'palisade_webhook_attempts_total',
      ]),
    );
  });

  it('the query parser of the dashboard test finds metric names and skips functions, labels and groupings', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(palisade_http_request_duration_seconds_bucket{route!="/metrics"}[$__rate_interval])))',
      ),
    ).toEqual(['palisade_http_request_duration_seconds_bucket']);
    expect(metricNames('sum(palisade_db_pool_connections{state="busy"}) / sum(palisade_db_pool_max)')).toEqual([
      'palisade_db_pool_connections',
      'palisade_db_pool_max',
    ]);
  });
});
