import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = {
  id: string;
  timestamp: string;
  signatures: string[];
  body: string;
  payload: { type: string; timestamp: string; data: any };
  headers: IncomingHttpHeaders;
  receivedAt: number;
  /** Whether the body verified with the reference library, against any of the receiver's secrets. */
  verified: boolean;
  /** The status this receiver answered. */
  answered: number | 'no answer';
};

/** What to answer to the n-th request (0-based): a status, a status with headers, or never. */
export type Responder = (
  n: number,
  request: { body: string },
) => number | { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A webhook receiver on loopback that verifies every request with the `standardwebhooks` reference
 * library (not with the service's own signer) and answers as `respond` says.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  respond: Responder = () => 204;
  private readonly server: Server;
  private readonly hanging = new Set<() => void>();
  private waiters: (() => void)[] = [];

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = req.headers;
        const answer = this.respond(this.received.length, { body });
        const verified = this.secrets.some((secret) => {
          try {
            new Webhook(secret).verify(body, headers as Record<string, string>);
            return true;
          } catch {
            return false;
          }
        });
        let payload: Received['payload'];
        try {
          payload = JSON.parse(body);
        } catch {
          payload = { type: 'unparseable', timestamp: '', data: body };
        }
        this.received.push({
          id: String(headers['webhook-id']),
          timestamp: String(headers['webhook-timestamp']),
          signatures: String(headers['webhook-signature'] ?? '')
            .split(' ')
            .filter(Boolean),
          body,
          payload,
          headers,
          receivedAt: performance.now(),
          verified,
          answered: answer === 'hang' ? 'no answer' : typeof answer === 'number' ? answer : answer.status,
        });
        for (const wake of this.waiters.splice(0)) wake();
        if (answer === 'hang') {
          const release = () => res.destroy();
          this.hanging.add(release);
          res.on('close', () => this.hanging.delete(release));
          return;
        }
        const { status, headers: extra } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        res.writeHead(status, { 'content-type': 'text/plain', ...extra });
        res.end(`answered ${status}`);
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Resolves once `predicate` holds over what was received, or rejects after `timeoutMs`. */
  async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 10_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `timed out; received: ${JSON.stringify(this.received.map((r) => [r.id, r.payload.type, r.answered]))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received;
  }

  async close(): Promise<void> {
    for (const release of this.hanging) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
