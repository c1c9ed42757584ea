import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../problems.js';
import type { AppEnv } from '../types.js';
import { hasBody, incomingMessage } from './incoming.js';

/** Refuses a request body over `maxBodyBytes` with 413. */
export function limitBody(maxBodyBytes: number): MiddlewareHandler<AppEnv> {
  const bodyTooLarge = () => {
    throw new ApiError('payload_too_large', `The request body is over the limit of ${maxBodyBytes} bytes.`, {
      limit: maxBodyBytes,
    });
  };
  const countedBodyLimit = bodyLimit({ maxSize: maxBodyBytes, onError: bodyTooLarge });
  return async (c, next) => {
    // hono's bodyLimit would ask `c.req.raw.body`, which on @hono/node-server builds a whole web
    // Request (see hasBody) only to find a GET has no body.
    if (!hasBody(c)) return next();
    // A declared length is judged from the header alone (hono's bodyLimit would first look at the body stream, see hasBody).
    const length = c.req.header('content-length');
    if (incomingMessage(c) && length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxBodyBytes ? bodyTooLarge() : next();
    }
    return countedBodyLimit(c, next);
  };
}
