import type { MiddlewareHandler } from 'hono';
import { invalidRequest } from '../../domain/refusal.js';
import type { AppEnv } from '../types.js';
import { hasBody } from './incoming.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a request body once, as UTF-8 that must be valid: by default it would be decoded with
 * U+FFFD in place of each bad byte and stored so, altered without a word. Hono serves the body's
 * later reads (the validator's JSON, the idempotency fingerprint) from the text cached here.
 */
export const utf8Body: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (hasBody(c)) {
    const bytes = await c.req.arrayBuffer();
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw invalidRequest('The request body is not valid UTF-8.', [{ path: 'body', message: 'must be valid UTF-8' }]);
    }
    // Hono keeps promises in this cache, though its type names the resolved values.
    (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  }
  await next();
};
