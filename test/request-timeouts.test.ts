import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startService, stopAllServices } from './support/processes.js';

const ADMIN = 'admin-token-for-timeouts';
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-timeouts-'));
afterAll(async () => {
  await stopAllServices();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Sends `head` and then nothing more; resolves with what the server answered and when it closed. */
function sendAndStall(port: number, head: string): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve({ answer, closedAfterMs: performance.now() - started }));
    socket.on('error', () => {});
  });
}

describe('request and header timeouts', () => {
  it('a client trickling its headers or its body is cut off with 408 after the configured timeouts', async () => {
    const service = await startService({
      PALISADE_DATA_DIR: dataDir,
      PALISADE_REQUEST_TIMEOUT: '2s',
      PALISADE_HEADERS_TIMEOUT: '1s',
      PALISADE_ADMIN_TOKEN: ADMIN,
    });
    const [headers, body] = await Promise.all([
      sendAndStall(service.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'),
      sendAndStall(
        service.port,
        `POST /v1/api-keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tenant"`,
      ),
    ]);
    expect(headers.answer).toMatch(/^HTTP\/1.1 408/);
    expect(headers.closedAfterMs).toBeLessThan(3_000);
    expect(body.answer).toMatch(/^HTTP\/1.1 408/);
    expect(body.closedAfterMs).toBeLessThan(4_500);
    expect(body.closedAfterMs).toBeGreaterThan(1_500);
  });
});
