import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../types.js';

/**
 * Runs middleware in order as one hop of hono's compose, which costs an async frame and promises
 * of its own per middleware. Equivalent for middleware that returns no response of its own: an
 * error one throws goes up through those before it in the group (none catches it) to the group's
 * hop, where hono hands it to onError as it would have at the thrower's.
 */
export function inOne(...handlers: MiddlewareHandler<AppEnv>[]): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const run = (i: number): Promise<unknown> => {
      const handler = handlers[i];
      return handler ? handler(c, () => run(i + 1) as Promise<void>) : next();
    };
    return run(0) as Promise<void>;
  };
}
