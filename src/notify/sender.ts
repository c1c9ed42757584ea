import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { guardedLookup, isPublicAddress } from './destination.js';

export type SendResult = {
  statusCode: number | null;
  durationMs: number;
  /** The first KiB of the response body. */
  responseBody: string | null;
  /** The receiver's Retry-After, when it asked for one. */
  retryAfterMs: number | null;
  error: string | null;
};

const RESPONSE_BODY_LIMIT = 1024;

function parseRetryAfter(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

async function readPrefix(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_BODY_LIMIT) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8');
}

/** POSTs webhooks: no redirects followed, a deadline on the whole exchange, destinations guarded. */
export class WebhookSender {
  /** One per destination rule: the rule is the endpoint's, recorded when its URL was registered. */
  private readonly agents: Record<'strict' | 'allowPrivate', Agent>;

  constructor(private readonly options: { timeoutMs: number }) {
    const agent = (allowPrivate: boolean) =>
      new Agent({
        connect: { lookup: guardedLookup(allowPrivate), timeout: options.timeoutMs },
        keepAliveTimeout: 4_000,
      });
    this.agents = { strict: agent(false), allowPrivate: agent(true) };
  }

  async send(url: string, allowPrivate: boolean, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    if (!allowPrivate && isIP(host) && !isPublicAddress(host)) {
      return {
        statusCode: null,
        durationMs: 0,
        responseBody: null,
        retryAfterMs: null,
        error: `${host} is not a public address`,
      };
    }
    try {
      const response = await request(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'user-agent': 'Palisade-Webhooks/1.0', ...headers },
        dispatcher: allowPrivate ? this.agents.allowPrivate : this.agents.strict,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      const responseBody = await readPrefix(response.body);
      return {
        statusCode: response.statusCode,
        durationMs: elapsed(),
        responseBody,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
        error: null,
      };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return {
        statusCode: null,
        durationMs: elapsed(),
        responseBody: null,
        retryAfterMs: null,
        error: timedOut ? `no answer within ${this.options.timeoutMs} ms` : describe(error),
      };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.agents.strict.close(), this.agents.allowPrivate.close()]);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'request failed';
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const detail = typeof code === 'string' ? code : typeof cause?.code === 'string' ? cause.code : error.message;
  return `request failed: ${detail}`.slice(0, 200);
}
