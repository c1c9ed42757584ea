import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { json, useHarness } from './support/harness.js';
import { WebhookReceiver } from './support/receiver.js';

const harness = useHarness(httpBackend, { dispatcher: {}, limits: { environments: 1 } });

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('/metrics', () => {
  it('counts requests by route and status, fences by kind, 409s by code, 429s by resource and webhook attempts', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await WebhookReceiver.start();
    try {
      const created = await json(await h.request('POST', '/v1/webhooks', { key: t.key, body: { url: receiver.url, events: ['generation.fenced'] } }));
      receiver.secrets = [created.secret];
      const before = await (await h.request('GET', '/metrics')).text();
      const fence = (generation: number) =>
        h.request('POST', '/v1/environments/m/fence', { key: t.key, body: { deploy_generation: generation, holder: 'x' } });
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
        delta('palisade_http_request_duration_seconds_count', 'method="POST",route="/v1/environments/:env/fence",status="200"'),
      ).toBe(3);
      expect(after).toMatch(/^palisade_outbox_lag_seconds 0$/m);
      expect(after).toMatch(/^palisade_http_requests_in_flight 0$/m);
      expect(after).toMatch(/^palisade_process_resident_memory_bytes \d+/m);
    } finally {
      await receiver.close();
    }
  });
});
