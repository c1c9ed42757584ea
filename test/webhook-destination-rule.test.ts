import { afterEach, describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { json, useHarness } from './support/harness.js';
import { WebhookReceiver } from './support/receiver.js';

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('webhooks — the destination rule is decided at registration', () => {
  // The API allows private destinations; the dispatcher beside it was configured strict, as a
  // replica with another PALISADE_WEBHOOK_ALLOW_PRIVATE would be.
  const harness = useHarness(httpBackend, {
    allowPrivateWebhooks: true,
    dispatcher: { allowPrivate: false, retryScheduleMs: [50] },
  });

  it('a loopback endpoint registered where private destinations are allowed is delivered by a strict dispatcher', async () => {
    const h = harness();
    const t = await h.newTenant();
    const receiver = await WebhookReceiver.start();
    receivers.push(receiver);
    const res = await h.request('POST', '/v1/webhooks', {
      key: t.key,
      body: { url: receiver.url, events: ['generation.fenced'] },
    });
    expect(res.status).toBe(201);
    const endpoint = await json(res);
    receiver.secrets = [endpoint.secret];
    const env = h.uniqueName();
    await h.fence(t, env, 1);
    await h.fence(t, env, 2);
    const [received] = await receiver.waitFor((r) => r.length >= 1);
    expect(received!.verified).toBe(true);
    // The receiver answers before the dispatcher records the attempt.
    let status = 'pending';
    for (let i = 0; i < 50 && status === 'pending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      [{ status }] = (
        await json(await h.request('GET', `/v1/webhooks/${endpoint.id}/deliveries`, { key: t.key }))
      ).items;
    }
    expect(status).toBe('succeeded');
  });
});
