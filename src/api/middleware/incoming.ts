import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** The Node request behind the context: set by @hono/node-server, absent when the app is called in-process. */
export function incomingMessage(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * True when the answer goes out before the request's body was received whole (a 413, an early 401).
 * Node would have to drain the rest before the connection could carry another request, and gives
 * up on a slow or large one by closing the socket under a client that expects to reuse it.
 */
export function requestBodyUnread(c: Context): boolean {
  const incoming = incomingMessage(c);
  return incoming !== undefined && !incoming.complete;
}

/**
 * Whether the request has a body, without touching `c.req.raw.body`: on @hono/node-server that
 * builds a whole web Request with a stream over the socket, which cost more CPU than the rest of a
 * small JSON request's handling. Node gives every request but GET and HEAD a body, maybe empty.
 */
export function hasBody(c: Context): boolean {
  if (!incomingMessage(c)) return c.req.raw.body !== null;
  return c.req.method !== 'GET' && c.req.method !== 'HEAD';
}
