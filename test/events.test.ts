import { describe, expect, it } from 'vitest';
import { recordEvent } from '../src/db/events.js';
import { httpBackend } from './support/database.js';
import { feedPageShowing, json, useHarness, type Harness, type Tenant } from './support/harness.js';
import { expectProblem } from './support/problems.js';

const harness = useHarness(httpBackend);

async function feed(h: Harness, t: Tenant, query = '') {
  const res = await h.request('GET', `/v1/events${query}`, { key: t.key });
  expect(res.status).toBe(200);
  return json(res);
}

describe('event feed', () => {
  it('lists every event in commit order, and a cursor resumes exactly after the last one seen', async () => {
    const h = harness();
    const t = await h.newTenant();
    await h.fence(t, 'a', 1);
    await h.fence(t, 'a', 2);
    await h.fence(t, 'b', 1);
    await h.fence(t, 'b', 1);
    await h.request('DELETE', '/v1/environments/a', { key: t.key });

    const all = await feedPageShowing(h, t, 3);
    expect(all.items.map((e: any) => [e.type, e.data.environment])).toEqual([
      ['generation.fenced', 'a'],
      ['epoch.fenced', 'b'],
      ['environment.deleted', 'a'],
    ]);
    expect(all.items[0]).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      timestamp: expect.any(String),
      data: {
        fenced: { token: { deploy_generation: 1, epoch: 1 } },
        by: { token: { deploy_generation: 2, epoch: 2 } },
      },
    });

    // One at a time, following next_cursor, gives the same sequence; the last cursor sees nothing new.
    const ids: string[] = [];
    let cursor = '';
    for (let i = 0; i < 4; i++) {
      const page = await feed(h, t, `?limit=1${cursor ? `&after=${cursor}` : ''}`);
      ids.push(...page.items.map((e: any) => e.id));
      cursor = page.next_cursor;
    }
    expect(ids).toEqual(all.items.map((e: any) => e.id));
    expect((await feed(h, t, `?after=${cursor}`)).items).toEqual([]);

    await h.fence(t, 'b', 5);
    const newer = await feedPageShowing(h, t, 1, `?after=${cursor}`);
    expect(newer.items.map((e: any) => e.type)).toEqual(['generation.fenced']);
    expect(newer.next_cursor).not.toBe(cursor);
  });

  it('never shows another tenant’s events', async () => {
    const h = harness();
    const [mine, theirs] = [await h.newTenant(), await h.newTenant()];
    await h.fence(theirs, 'shared-name', 1);
    await h.fence(theirs, 'shared-name', 2);
    expect((await feed(h, mine)).items).toEqual([]);
    expect((await feedPageShowing(h, theirs, 1)).items).toHaveLength(1);
  });

  it('a bad cursor or limit is 400', async () => {
    const h = harness();
    const t = await h.newTenant();
    for (const query of [
      '?after=nonsense',
      `?after=${Buffer.from('[1,"x"]').toString('base64url')}`,
      '?limit=0',
      '?limit=5000',
    ]) {
      await expectProblem(await h.request('GET', `/v1/events${query}`, { key: t.key }), 400, 'invalid_request');
    }
  });

  it.skipIf(httpBackend !== 'postgres')(
    'an event committed late by an older transaction is not skipped by a reader that already moved on',
    async () => {
      const h = harness();
      const t = await h.newTenant();
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const isWritten = new Promise<void>((resolve) => (written = resolve));
      const slow = h.scratch.handle.db.transaction(async (tx) => {
        await recordEvent(tx, { tenant: t.tenant, type: 'webhook.test', environment: null, data: { slow: true } }, []);
        written();
        await released;
      });
      await isWritten;
      await h.fence(t, 'fast', 1);
      await h.fence(t, 'fast', 2);

      // The newer event has committed, but an older transaction is still open: neither shows yet.
      const early = await feed(h, t);
      expect(early.items).toEqual([]);
      release();
      await slow;
      const late = await feedPageShowing(h, t, 2, `?after=${early.next_cursor}`);
      expect(late.items.map((e: any) => e.type)).toEqual(['webhook.test', 'generation.fenced']);
    },
  );
});
