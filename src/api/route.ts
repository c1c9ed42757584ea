import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { adminSecurity, type ConflictSchema, errorResponses, IdempotencyHeaders, tenantSecurity } from './schemas.js';
import type { App, AppEnv } from './types.js';

/** Every route under this prefix authenticates; the operational routes (health, metrics) are outside it. */
export const API_PREFIX = '/v1';

export type AuthKind = 'tenant' | 'admin' | 'none';

/** What the middleware does for a route, as the route declares it. */
export type RouteBehaviour = {
  method: string;
  /** As the spec writes it: `/v1/environments/{env}/log`. */
  path: string;
  /** The credential the route takes: a tenant's API key, the admin token, or none. */
  auth: AuthKind;
  /** Takes Idempotency-Key. */
  idempotent: boolean;
  /** Whether the request waits for a change rather than working, and so holds no share of the in-flight limit. */
  waits: (c: Context<AppEnv>) => boolean;
};

export type RouteDeclaration = Omit<RouteConfig, 'security' | 'middleware'> & {
  auth: AuthKind;
  idempotent?: boolean;
  waits?: boolean | ((c: Context<AppEnv>) => boolean);
  /** Answers 404 for a resource it names. */
  notFound?: boolean;
  /** The 409 problems of the route's own work. */
  conflicts?: ConflictSchema[];
};

const DECLARATION_ONLY = new Set(['auth', 'idempotent', 'waits', 'notFound', 'conflicts']);

type DefinedRoute<D extends RouteDeclaration> = Omit<D, 'auth' | 'idempotent' | 'waits' | 'notFound' | 'conflicts'> & {
  middleware: MiddlewareHandler<AppEnv>;
};

const SECURITY = { tenant: tenantSecurity, admin: adminSecurity, none: [] };

/** The behaviour each route declares, by the route's own first handler, which carries it. */
const behaviours = new WeakMap<MiddlewareHandler<AppEnv>, RouteBehaviour>();

/**
 * A route whose declaration is what the middleware does: `auth` sets the OpenAPI security and the
 * credential authentication asks for, `idempotent` the Idempotency-Key header and its handling, `waits`
 * the in-flight exemption; the error responses follow from them and from `notFound` and `conflicts`.
 * Routes without credentials (auth 'none') are the operational ones outside the API, which answer no
 * problems of their own.
 */
export function defineRoute<const D extends RouteDeclaration>(declaration: D): DefinedRoute<D> {
  const { method, path, auth, idempotent = false, waits = false, notFound, conflicts } = declaration;
  if ((auth === 'none') === path.startsWith(`${API_PREFIX}/`)) {
    throw new Error(
      `${method.toUpperCase()} ${path}: routes under ${API_PREFIX} take a credential, and no other route does.`,
    );
  }
  // Security is written where auth is declared, so the document keeps the declaration's order.
  const config = Object.fromEntries(
    Object.entries(declaration).flatMap(([key, value]) =>
      key === 'auth' ? [['security', SECURITY[auth]]] : DECLARATION_ONLY.has(key) ? [] : [[key, value]],
    ),
  ) as RouteConfig;
  if (idempotent) {
    const headers = config.request?.headers;
    if (headers !== undefined)
      throw new Error(`${method.toUpperCase()} ${path}: an idempotent route declares no headers of its own.`);
    config.request = { ...config.request, headers: IdempotencyHeaders };
  }
  if (auth !== 'none')
    config.responses = { ...config.responses, ...errorResponses({ auth, notFound, conflicts, idempotent }) };

  const carrier: MiddlewareHandler<AppEnv> = (_c, next) => next();
  behaviours.set(carrier, { method, path, auth, idempotent, waits: typeof waits === 'function' ? waits : () => waits });
  return createRoute({ ...config, middleware: carrier }) as unknown as DefinedRoute<D>;
}

/**
 * Sets `route` to what the matched route declares, for the middleware that runs before the route's
 * own handlers: its first handler carries the declaration. A path no route matches leaves it unset.
 */
export const findDeclaredRoute: MiddlewareHandler<AppEnv> = async (c, next) => {
  for (const { handler } of matchedRoutes(c)) {
    const behaviour = behaviours.get(handler as MiddlewareHandler<AppEnv>);
    if (behaviour) {
      c.set('route', behaviour);
      break;
    }
  }
  await next();
};

/** What every route registered on the app declares. */
export function declaredRoutes(app: App): RouteBehaviour[] {
  return app.routes.flatMap(({ handler }) => {
    const behaviour = behaviours.get(handler as MiddlewareHandler<AppEnv>);
    return behaviour ? [behaviour] : [];
  });
}
