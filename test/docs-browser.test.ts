/**
 * /docs renders the API reference in a real browser with no network beyond loopback: every asset
 * comes from the service itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackend } from './support/database.js';
import { useHarness } from './support/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { operationId: string }>>;
};

const harness = useHarness(httpBackend);
let server: ServerType;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  await new Promise<void>((resolve) => {
    server = serve({ fetch: harness().app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Playwright launches it with a fresh profile of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Every name but loopback fails to resolve: the page gets no network beyond this machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('/docs', () => {
  it('renders every operation with the network cut to loopback, loading nothing from elsewhere', async () => {
    const context = await browser.newContext();
    const offLoopback: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' || url.protocol === 'data:') return route.continue();
      offLoopback.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(request.url()));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    const operations = Object.values(spec.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    const rendered = await page.locator('.opblock').evaluateAll((blocks) => blocks.map((block) => block.id));
    expect(operations.filter((id) => !rendered.some((blockId) => blockId.endsWith(`-${id}`)))).toEqual([]);
    expect(await page.locator('.info .title').textContent()).toContain('Palisade');
    expect(offLoopback).toEqual([]);
    expect(failed).toEqual([]);
    await context.close();
  }, 60_000);
});
