import type { OpenAPIHono } from '@hono/zod-openapi';
import { isReplayable } from './idempotency.js';
import type { RouteBehaviour } from './route.js';

type Document = ReturnType<OpenAPIHono['getOpenAPI31Document']>;
type HeaderObject = { description: string; schema: { type: 'string'; example?: string } };

/** The response headers the middleware sends, declared once as components and referenced per response. */
const HEADERS = {
  'X-Request-Id': {
    description:
      'The request’s id, also in the log line and in a problem’s request_id; quote it when reporting a problem.',
    schema: { type: 'string', example: '0b3c9a4e-5d1f-4c2a-9e7b-1f2d3c4b5a69' },
  },
  RateLimit: {
    description:
      'IETF RateLimit fields: the bucket’s remaining requests (r) and seconds until it is full again (t); on a 429, the exhausted limit.',
    schema: { type: 'string', example: '"request_rate";r=99;t=1' },
  },
  'RateLimit-Policy': {
    description: 'IETF RateLimit policy: the quota (q) and its window in seconds (w).',
    schema: { type: 'string', example: '"request_rate";q=200;w=2' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'string', example: '1' },
  },
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with.',
    schema: { type: 'string', example: 'Bearer realm="palisade"' },
  },
  'Idempotent-Replayed': {
    description:
      'true when this is the stored answer to an earlier request with the same Idempotency-Key, replayed without doing the work again.',
    schema: { type: 'string', example: 'true' },
  },
} satisfies Record<string, HeaderObject>;

type HeaderName = keyof typeof HEADERS;

/**
 * The headers a response of this operation and status carries:
 * - X-Request-Id on every answer;
 * - RateLimit and RateLimit-Policy on every answer to a tenant key once it is authenticated (not
 *   on a 401, 403 or 413, which come before), and on every 429, which carries its own limit;
 * - Retry-After on a 429 and a 503, and on the in-flight 409 of an operation taking Idempotency-Key;
 * - WWW-Authenticate on a 401;
 * - Idempotent-Replayed on the replayable answers of an operation taking Idempotency-Key.
 */
function headersOf(status: number, operation: { tenant: boolean; idempotent: boolean }): HeaderName[] {
  const names: HeaderName[] = ['X-Request-Id'];
  if (status === 429 || (operation.tenant && ![401, 403, 413].includes(status)))
    names.push('RateLimit', 'RateLimit-Policy');
  if (status === 429 || status === 503 || (operation.idempotent && status === 409)) names.push('Retry-After');
  if (status === 401) names.push('WWW-Authenticate');
  if (operation.idempotent && isReplayable(status)) names.push('Idempotent-Replayed');
  return names;
}

/** Adds the response headers to every operation of the document, as its route declares it, and their components. */
export function declareResponseHeaders(document: Document, routes: readonly RouteBehaviour[]): Document {
  const declared = new Map(routes.map((route) => [`${route.method} ${route.path}`, route]));
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([method, operation]) => {
          if (typeof operation !== 'object' || operation === null || !('responses' in operation))
            return [method, operation];
          const route = declared.get(`${method} ${path}`);
          const kind = { tenant: route?.auth === 'tenant', idempotent: route?.idempotent ?? false };
          const responses = Object.fromEntries(
            Object.entries(operation.responses as Record<string, Record<string, unknown>>).map(([status, response]) => [
              status,
              {
                ...response,
                headers: Object.fromEntries(
                  headersOf(Number(status), kind).map((name) => [name, { $ref: `#/components/headers/${name}` }]),
                ),
              },
            ]),
          );
          return [method, { ...operation, responses }];
        }),
      ),
    ]),
  );
  return { ...document, paths, components: { ...document.components, headers: HEADERS } };
}
