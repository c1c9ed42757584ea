import type { MiddlewareHandler } from 'hono';
import type { DatabaseHandle } from '../../db/client.js';
import type { Wakeup } from '../../db/wakeups.js';
import type { AppEnv } from '../types.js';

/** Collects the request's wake-ups and sends them once it is done. */
export function sendWakeups(database: DatabaseHandle): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Sent from outside the idempotency middleware: after its transaction has committed.
    const wakeups: Wakeup[] = [];
    c.set('wakeups', wakeups);
    try {
      await next();
    } finally {
      database.wake(wakeups);
    }
  };
}
