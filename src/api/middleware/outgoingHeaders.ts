import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { secureHeaders as honoSecureHeaders } from 'hono/secure-headers';
import type { AppEnv } from '../types.js';

/**
 * The Node response behind the context: set by @hono/node-server, absent when the app is called
 * in-process. A header the middleware sets on it is sent with whatever response the app returns
 * (the response's own header of the same name wins), and leaves that response's headers a plain
 * object: @hono/node-server then writes it without building a web Headers, which setting a header
 * through hono (`c.header`, `c.res.headers`) does, at a few per cent of a small request's CPU.
 */
export function serverResponse(c: Context): ServerResponse | undefined {
  return (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
}

const REQUEST_ID_MAX_LENGTH = 255;
const REQUEST_ID_REFUSED = /[^\w\-=]/;

/** hono/request-id's: the caller's X-Request-Id when it is short and plain, else a new UUID; `requestId` and the header. */
export const requestId: MiddlewareHandler<AppEnv> = (c, next) => {
  let id = c.req.header('x-request-id');
  if (!id || id.length > REQUEST_ID_MAX_LENGTH || REQUEST_ID_REFUSED.test(id)) id = randomUUID();
  c.set('requestId', id);
  const outgoing = serverResponse(c);
  if (outgoing) outgoing.setHeader('x-request-id', id);
  else c.header('X-Request-Id', id);
  return next();
};

/**
 * hono/secure-headers' defaults, set on the Node response; in-process, hono/secure-headers itself
 * (test/cpu-headers.test.ts compares the two). No response of the app sets one of these itself,
 * so theirs winning over the middleware's, as they would not with hono's, makes no difference.
 */
const SECURE_HEADERS: readonly (readonly [string, string])[] = [
  ['cross-origin-resource-policy', 'same-origin'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['origin-agent-cluster', '?1'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=15552000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-dns-prefetch-control', 'off'],
  ['x-download-options', 'noopen'],
  ['x-frame-options', 'SAMEORIGIN'],
  ['x-permitted-cross-domain-policies', 'none'],
  ['x-xss-protection', '0'],
];

export function secureHeaders(): MiddlewareHandler<AppEnv> {
  const inProcess = honoSecureHeaders();
  return (c, next) => {
    const outgoing = serverResponse(c);
    if (!outgoing) return inProcess(c, next);
    for (const [name, value] of SECURE_HEADERS) outgoing.setHeader(name, value);
    return next();
  };
}
