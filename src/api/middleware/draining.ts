import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../problems.js';
import type { AppEnv, Lifecycle } from '../types.js';
import { requestBodyUnread } from './incoming.js';

/** Closes the connection after this answer while draining, or when the request's body was left unread. */
export function closeConnectionWhenDone(lifecycle: Lifecycle): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    // A kept-alive connection would hold shutdown open until its idle timeout; close it after this answer.
    if (lifecycle.draining || requestBodyUnread(c)) c.header('connection', 'close');
  };
}

/** While the process shuts down, new requests are answered 503, to be retried on another replica. */
export function refuseWhileDraining(lifecycle: Lifecycle): MiddlewareHandler<AppEnv> {
  return async (_c, next) => {
    if (lifecycle.draining) {
      throw new ApiError(
        'unavailable',
        'The service is shutting down; retry on another replica.',
        {},
        {
          'retry-after': '1',
          connection: 'close',
        },
      );
    }
    await next();
  };
}
