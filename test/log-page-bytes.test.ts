import { describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { fenceToken, json, useHarness } from './support/harness.js';

const PAGE_BYTES = 25_000;

const harness = useHarness(httpBackend, { limits: { logPageBytes: PAGE_BYTES } });

describe('log reads — bytes per page', () => {
  it('a page ends before it passes the byte cap, says where to continue, and the pages together hold every entry', async () => {
    const h = harness();
    const t = await h.newTenant();
    const token = await fenceToken(h, t, 'big', 1);
    // Each entry is 10 002 bytes serialized: two fit in a page, a third would pass the cap.
    const entries = Array.from({ length: 7 }, (_, i) => String(i).repeat(10_000));
    expect((await h.request('POST', '/v1/environments/big/log', { key: t.key, body: { token, entries } })).status).toBe(
      201,
    );

    const first = await json(await h.request('GET', '/v1/environments/big/log?limit=1000', { key: t.key }));
    expect(first.entries.map((e: any) => e.offset)).toEqual([0, 1]);
    expect(first.next_from).toBe(2);
    expect(first.upper).toBe(7);

    const read: string[] = [];
    for (let from = 0; from < 7; ) {
      const page = await json(
        await h.request('GET', `/v1/environments/big/log?from=${from}&limit=1000`, { key: t.key }),
      );
      expect(page.entries.length).toBeGreaterThan(0);
      expect(page.entries.reduce((sum: number, e: any) => sum + JSON.stringify(e.data).length, 0)).toBeLessThanOrEqual(
        PAGE_BYTES,
      );
      read.push(...page.entries.map((e: any) => e.data));
      from = page.next_from;
    }
    expect(read).toEqual(entries);

    const caughtUp = await json(await h.request('GET', '/v1/environments/big/log?from=7', { key: t.key }));
    expect(caughtUp.entries).toEqual([]);
    expect(caughtUp.next_from).toBe(7);
  });

  it('an entry larger than the cap comes alone, so a reader always makes progress', async () => {
    const h = harness();
    const t = await h.newTenant();
    const token = await fenceToken(h, t, 'huge', 1);
    const entries = ['x'.repeat(40_000), 'small'];
    expect(
      (await h.request('POST', '/v1/environments/huge/log', { key: t.key, body: { token, entries } })).status,
    ).toBe(201);
    const page = await json(await h.request('GET', '/v1/environments/huge/log', { key: t.key }));
    expect(page.entries.map((e: any) => e.data)).toEqual([entries[0]]);
    expect(page.next_from).toBe(1);
  });

  it('the limit still ends a page of small entries', async () => {
    const h = harness();
    const t = await h.newTenant();
    const token = await fenceToken(h, t, 'small', 1);
    await h.request('POST', '/v1/environments/small/log', { key: t.key, body: { token, entries: ['a', 'b', 'c'] } });
    const page = await json(await h.request('GET', '/v1/environments/small/log?limit=2', { key: t.key }));
    expect(page.entries.map((e: any) => e.data)).toEqual(['a', 'b']);
    expect(page.next_from).toBe(2);
  });
});
