/**
 * Property-based fuzzing of every /v1 operation in openapi.yaml.
 *
 * For each operation the file derives request generators from the spec (path and query parameters,
 * the request body schema) with a small schema → fast-check walker, mixes them with mutations of
 * valid bodies (a field dropped, a field added, one field replaced by a value that breaks its
 * schema), raw JSON text that JSON.stringify cannot produce (1e400, 2^53+1, lone surrogates),
 * malformed JSON, wrong content types, percent-encoded junk in paths and queries, other tenants'
 * names and ids, missing and wrong credentials, and Idempotency-Key headers, and asserts on every
 * response:
 *
 *   - never a 5xx, and the status is one the operation declares;
 *   - a 4xx is application/problem+json with type/title/detail/code/action strings, a numeric status
 *     equal to the HTTP status, a code (and action) from CONTRACT.md's error table, and the members
 *     its declared schema requires;
 *   - a 2xx has the required top-level members of its declared schema (and no body when none is
 *     declared);
 *   - no credential (or the wrong kind) never gets a 2xx;
 *   - bad input never changes state: the tenant's observable state (environments, each one's GET,
 *     log and history, webhooks and their deliveries, and the api_keys and tenant_limits rows) is
 *     snapshot before and after each batch of requests, and compared whenever every response of the
 *     batch was a 4xx (or a 2xx to a GET);
 *   - another tenant's state never changes, whatever ids of it are used with the first tenant's key.
 *
 * A second block sends bad input (400 invalid_request, 413) with a fresh Idempotency-Key to every
 * operation that takes one and asserts that no record of the key is left, so the corrected request
 * can reuse it (invariant 6; Stripe, too, saves nothing when validation fails).
 *
 * Requests are built valid in every part but one or a few ("dimensions": credentials, path,
 * query, headers, body), so the broken part reaches the code behind the others; references to live
 * state (the addressed environment's current token, upper and generation, this tenant's webhooks and
 * deliveries, the other tenant's names and ids) are resolved when a request is sent. One batch in
 * five is sent concurrently.
 *
 * Knobs: FUZZ_SEED (a fixed fast-check seed; fast-check prints the seed and path of a failure),
 * FUZZ_RUNS (batches per operation, default 50; a batch is 1 to 4 requests), FUZZ_VERBOSE (an
 * operationId, or "all", whose requests and responses are printed).
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { apiKeys, idempotencyKeys, tenantLimits } from '../src/db/schema.js';
import type { Token } from '../src/domain/token.js';
import { httpBackend } from './support/database.js';
import { useHarness, type Harness } from './support/harness.js';
import { SseReader } from './support/sse.js';

const harness = useHarness(httpBackend);

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 50;
const MAX_BATCH = 4;
/** An operationId (or "all") whose every request and response is printed, to see what the generators make. */
const VERBOSE = process.env.FUZZ_VERBOSE;
const TEST_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------
// The spec

type Schema = Record<string, any>;

type Operation = {
  method: string;
  path: string;
  operationId: string;
  admin: boolean;
  parameters: Schema[];
  body: Schema | null;
  responses: Record<string, Schema>;
};

const spec = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')) as Schema;

const operations: Operation[] = Object.entries(spec.paths as Record<string, Schema>)
  .filter(([path]) => path.startsWith('/v1/'))
  .flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'put', 'post', 'patch', 'delete'].includes(method))
      .map(([method, op]: [string, Schema]) => ({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId as string,
        admin: (op.security ?? []).some((s: Schema) => 'adminToken' in s),
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        responses: op.responses ?? {},
      })),
  );

function lookup(ref: string): Schema {
  const parts = ref.replace(/^#\//, '').split('/');
  let node: any = spec;
  for (const part of parts) node = node?.[part];
  if (!node) throw new Error(`unresolvable $ref ${ref}`);
  return node as Schema;
}

/** Follows $ref and merges allOf, so the walker sees one plain schema. */
function deref(schema: Schema): Schema {
  let s = schema;
  while (s.$ref) s = { ...lookup(s.$ref), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as Schema[]).map(deref);
    const merged: Schema = { ...s };
    delete merged.allOf;
    for (const part of parts) {
      merged.type ??= part.type;
      merged.properties = { ...merged.properties, ...part.properties };
      merged.required = [...new Set([...(merged.required ?? []), ...(part.required ?? [])])];
      if (part.additionalProperties === false) merged.additionalProperties = false;
      for (const key of ['minimum', 'maximum', 'pattern', 'minLength', 'maxLength', 'enum', 'items', 'format']) {
        if (part[key] !== undefined && merged[key] === undefined) merged[key] = part[key];
      }
    }
    return merged;
  }
  return s;
}

function typesOf(schema: Schema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

// ---------------------------------------------------------------------------------------------
// The contract's error table (CONTRACT.md, "Errors")

const ERRORS: Record<string, { status: number; actions: string[] }> = {
  fenced: { status: 409, actions: ['terminate', 'halt'] },
  upper_mismatch: { status: 409, actions: ['retry'] },
  token_from_future: { status: 409, actions: ['abort'] },
  resource_exhausted: { status: 429, actions: ['backoff'] },
  invalid_request: { status: 400, actions: ['fix_request'] },
  unauthorized: { status: 401, actions: ['authenticate'] },
  forbidden: { status: 403, actions: ['abort'] },
  not_found: { status: 404, actions: ['fix_request'] },
  payload_too_large: { status: 413, actions: ['fix_request'] },
  idempotency_in_flight: { status: 409, actions: ['retry'] },
  idempotency_key_reused: { status: 422, actions: ['fix_request'] },
  unavailable: { status: 503, actions: ['retry'] },
  internal: { status: 500, actions: ['retry'] },
  // The deployment handover's refused transitions.
  invalid_transition: { status: 409, actions: ['retry', 'abort'] },
};

// ---------------------------------------------------------------------------------------------
// Generated values that are resolved only when the request is sent

/** Raw JSON text, spliced into a body as is: what JSON.stringify cannot produce (1e400, "\ud800"). */
class Raw {
  constructor(readonly text: string) {}
  [fc.toStringMethod](): string {
    return `raw(${JSON.stringify(this.text.length > 80 ? `${this.text.slice(0, 80)}…(${this.text.length})` : this.text)})`;
  }
}

type RefKind =
  | 'token.current'
  | 'upper.current'
  | 'generation.current'
  | 'generation.next'
  | 'env.own'
  | 'env.fresh'
  | 'env.other'
  | 'token.own'
  | 'token.other'
  | 'upper'
  | 'webhook.own'
  | 'webhook.other'
  | 'delivery.own'
  | 'delivery.other'
  | 'apikey.victim'
  | 'tenant.victim'
  | 'tenant.other'
  | 'idem';

/** A reference to live state (an existing environment, a token once issued, …), picked by index at send time. */
class Ref {
  constructor(
    readonly kind: RefKind,
    readonly index: number,
  ) {}
  [fc.toStringMethod](): string {
    return `ref(${this.kind}#${this.index})`;
  }
}

const ref = (kind: RefKind) => fc.nat(1000).map((i) => new Ref(kind, i));

// ---------------------------------------------------------------------------------------------
// Primitive arbitraries

/** A private-use character that a 'bytes' body replaces, in its UTF-8 form, with invalid UTF-8. */
const MARKER = '\ue000';

const specialChars = [
  '\u0000', // NUL
  '\ud800', // a lone high surrogate
  '\udfff', // a lone low surrogate
  '😀', // a surrogate pair
  '👩‍👩‍👧', // a ZWJ sequence
  '\u202e', // RIGHT-TO-LEFT OVERRIDE
  'مرحبا', // Arabic, right to left
  'שלום', // Hebrew
  '漢字',
  '\u200b', // zero width space
  'e\u0301', // a combining accent
  '\ufeff', // BOM
  '\u2028', // LINE SEPARATOR
  'é',
  '"',
  '\\',
  '\n',
  '\t',
  '%',
  '/',
  '\u007f',
  '\uffff',
  MARKER,
];

const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...specialChars) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

/** Unicode without NUL and unpaired surrogates, which PostgreSQL text cannot hold (and the service refuses). */
const cleanUnit = unit.filter((u) => !u.includes('\u0000') && u.isWellFormed());

function text(options: { minLength?: number; maxLength?: number; clean?: boolean } = {}): fc.Arbitrary<string> {
  return fc.string({
    unit: options.clean ? cleanUnit : unit,
    minLength: options.minLength ?? 0,
    maxLength: options.maxLength ?? 40,
  });
}

/** Numbers beyond double range: JSON carries them, JavaScript parses them to ±Infinity. */
const rawInfinite = fc.constantFrom('1e400', '-1e400', `1${'0'.repeat(400)}`).map((t) => new Raw(t));

/** Numbers JSON.stringify never writes (past 2^53, long, exponents, -0), as raw text. */
const rawFinite = fc
  .constantFrom(
    '9007199254740992',
    '9007199254740993',
    '-9007199254740993',
    '18446744073709551616',
    '1e308',
    '1.0',
    '-0',
    '0.1e1',
    '1E2',
    '123456789012345678901234567890',
    '5e-324',
  )
  .map((t) => new Raw(t));

const rawStrings = fc
  .constantFrom('"\\ud800"', '"\\udfff\\ud800"', '"a\\u0000b"', '"\\u0000"', '"\\ud83d"')
  .map((t) => new Raw(t));

/** Strings that serialize to just under, at, and just over the 64 KiB entry limit, and far over. */
const hugeOk = fc.constantFrom(65_533, 65_534).map((n) => 'x'.repeat(n));
const hugeBad = fc.constantFrom(65_535, 100_000).map((n) => 'x'.repeat(n));

const nested = (depths: number[]) =>
  fc
    .constantFrom(...depths)
    .chain((depth) =>
      fc.constantFrom(
        new Raw('['.repeat(depth) + ']'.repeat(depth)),
        new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
      ),
    );
/** Nesting at the entry depth limit (100), and past it, far past it. */
const deepOk = nested([99, 100]);
const deepBad = nested([101, 5_000, 100_000]);
const deepRaw = fc.oneof(deepOk, deepBad);

/** Any JSON value, with unicode strings, numbers beyond double and int53, and deep nesting. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    {
      weight: 4,
      arbitrary: fc.oneof(
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      ),
    },
    { weight: 4, arbitrary: text() },
    { weight: 1, arbitrary: fc.oneof(rawFinite, rawStrings) },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(text({ maxLength: 8 }), tie('value'), { maxKeys: 4 }) },
  ),
})).value;

/** Any JSON value a log entry may be: storable, at most 64 KiB serialized, at most 100 deep. */
const anyJsonOrBig = fc.oneof(
  { weight: 20, arbitrary: anyJson },
  { weight: 1, arbitrary: hugeOk },
  { weight: 1, arbitrary: deepOk },
);

const junkValues: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  '',
  'x',
  '1',
  [],
  {},
  [1],
  { a: 1 },
  new Raw('1e400'),
  new Raw('9007199254740993'),
  new Raw('"\\ud800"'),
];

function jsonType(value: unknown): string {
  if (value instanceof Raw) {
    const parsed = JSON.parse(value.text) as unknown;
    return jsonType(parsed);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Values of a JSON type the schema does not allow. */
function wrongType(schema: Schema): fc.Arbitrary<unknown> {
  const types = typesOf(schema);
  const allowed = (t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));
  const wrong = junkValues.filter((v) => {
    const t = jsonType(v);
    // 1e400 parses to Infinity: not an integer, so wrong for integer fields too.
    if (v instanceof Raw && v.text === '1e400') return true;
    return !allowed(t);
  });
  return fc.constantFrom(...wrong);
}

// ---------------------------------------------------------------------------------------------
// The schema walker

/** Values that fit a property better than the walker can guess: live ids, tokens, names. */
const propertyHints: Record<string, fc.Arbitrary<unknown>> = {
  token: fc.oneof(
    { weight: 6, arbitrary: ref('token.current') },
    { weight: 3, arbitrary: ref('token.own') },
    { weight: 1, arbitrary: ref('token.other') },
  ),
  expected_upper: fc.oneof({ weight: 3, arbitrary: ref('upper.current') }, { weight: 1, arbitrary: ref('upper') }),
  deploy_generation: fc.oneof(ref('generation.current'), ref('generation.next')),
  tenant: fc.oneof(ref('tenant.victim'), ref('tenant.other')),
  url: fc.oneof(
    fc.constantFrom(
      'http://127.0.0.1:9/hook',
      'https://example.com/hooks/palisade',
      'http://[::1]:9/x',
      'http://localhost:8080/',
    ),
    fc
      .tuple(
        fc.constantFrom('http', 'https'),
        fc.constantFrom('example.com', '127.0.0.1:9', 'hooks.example.org', '例え.jp'),
        fc.stringMatching(/^[a-z0-9/_-]{0,20}$/),
      )
      .map(([scheme, host, path]) => `${scheme}://${host}/${path}`),
  ),
};
const itemHints: Record<string, fc.Arbitrary<unknown>> = {
  environments: fc.oneof(ref('env.own'), ref('env.other')),
};

const invalidUrls = [
  'not a url',
  'ftp://example.com/',
  'javascript:alert(1)',
  'http://user:pw@example.com/',
  'http://',
  '//example.com/x',
  'http://exa mple.com/',
  'http://[::1',
  'http://example.com:99999/',
  `http://example.com/${'a'.repeat(2048)}`,
  'file:///etc/passwd',
  'http://example.com/\u0000',
  'http://example.com/\ud800',
];

function integerArb(min: number | undefined, max: number | undefined): fc.Arbitrary<number> {
  const lo = min ?? -(2 ** 31);
  const hi = max ?? 2 ** 31 - 1;
  const inRange = fc.bigInt({ min: BigInt(lo), max: BigInt(hi) }).map(Number);
  return fc.oneof(
    inRange,
    fc.constantFrom(lo, hi, Math.min(hi, lo + 1)),
    fc.integer({ min: lo, max: Math.min(hi, lo + 10) }),
  );
}

function stringArb(schema: Schema): fc.Arbitrary<string> {
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern as string);
    return fc.stringMatching(pattern).filter((s) => s.length <= (schema.maxLength ?? Infinity));
  }
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? 64;
  return fc.oneof(
    { weight: 8, arbitrary: text({ minLength: min, maxLength: Math.min(max, min + 40), clean: true }) },
    { weight: 1, arbitrary: fc.constant('x'.repeat(max)) },
    { weight: 1, arbitrary: fc.constant('😀'.repeat(Math.floor(max / 2))) },
  );
}

/** Values the schema accepts (as far as the spec says; the service may still refuse some). */
function valid(schema: Schema, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema);
  const hint = name !== undefined ? propertyHints[name] : undefined;
  const own = validOwn(s, name, depth);
  return hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: own }) : own;
}

function validOwn(s: Schema, name: string | undefined, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const alternatives = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valid(a, name, depth + 1)));
  const types = typesOf(s);
  if (types.length === 0) return anyJsonOrBig;
  return fc.oneof(
    ...types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'null':
          return fc.constant(null);
        case 'boolean':
          return fc.boolean();
        case 'integer':
          return integerArb(s.minimum, s.maximum);
        case 'number':
          return fc.double({ noNaN: true, noDefaultInfinity: true });
        case 'string':
          if (s.format === 'uri') return propertyHints.url!;
          return stringArb(s);
        case 'array': {
          const itemSchema = (s.items ?? {}) as Schema;
          const hint = name !== undefined ? itemHints[name] : undefined;
          const item = hint
            ? fc.oneof(hint, valid(itemSchema, undefined, depth + 1))
            : valid(itemSchema, undefined, depth + 1);
          const min = s.minItems ?? 0;
          const max = s.maxItems ?? min + 4;
          const arrays: fc.WeightedArbitrary<unknown>[] = [
            { weight: 10, arbitrary: fc.array(item, { minLength: min, maxLength: Math.min(max, min + 4) }) },
          ];
          if (s.maxItems !== undefined && s.maxItems > min + 4) {
            arrays.push({
              weight: 1,
              arbitrary: item.map((v) => Array.from({ length: s.maxItems as number }, () => v)),
            });
          }
          return fc.oneof(...arrays);
        }
        case 'object': {
          const properties = (s.properties ?? {}) as Record<string, Schema>;
          const model = Object.fromEntries(
            Object.entries(properties).map(([key, sub]) => [key, valid(sub, key, depth + 1)]),
          );
          return fc.record(model, { requiredKeys: (s.required ?? []) as string[] });
        }
        default:
          throw new Error(`the walker does not know type ${type}`);
      }
    }),
  );
}

/** Values that break the schema somewhere: at the top, or in one member of an otherwise valid value. */
function invalid(schema: Schema, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = deref(schema);
  const types = typesOf(s);
  const options: fc.WeightedArbitrary<unknown>[] = [];
  if (types.length > 0) options.push({ weight: 3, arbitrary: wrongType(s) });
  if (Array.isArray(s.enum)) {
    options.push({ weight: 2, arbitrary: text({ maxLength: 20 }).filter((v) => !(s.enum as unknown[]).includes(v)) });
    options.push({
      weight: 1,
      arbitrary: fc.constantFrom(...(s.enum as string[]).map((v) => (typeof v === 'string' ? v.toUpperCase() : v))),
    });
  }
  if (types.includes('integer') || types.includes('number')) {
    const min = s.minimum as number | undefined;
    const max = s.maximum as number | undefined;
    const out: unknown[] = [
      1.5,
      -0.5,
      2 ** 53,
      -(2 ** 53),
      1e21,
      new Raw('1e400'),
      new Raw('-1e400'),
      new Raw('9007199254740993'),
      '1',
      '0x10',
    ];
    if (min !== undefined) out.push(min - 1, min - 0.5, -(2 ** 31) - 1);
    if (max !== undefined) out.push(max + 1, max + 0.5, max * 2);
    options.push({
      weight: 4,
      arbitrary: fc
        .constantFrom(...out)
        .filter(
          (v) =>
            !(
              typeof v === 'number' &&
              Number.isInteger(v) &&
              (min ?? -Infinity) <= v &&
              v <= (max ?? Infinity) &&
              types.includes('integer')
            ),
        ),
    });
  }
  if (types.includes('string') && !Array.isArray(s.enum)) {
    const max = s.maxLength as number | undefined;
    const min = s.minLength as number | undefined;
    if (max !== undefined)
      options.push({
        weight: 2,
        arbitrary: fc.constantFrom(max + 1, max + 7, max * 4 + 100).map((n) => 'y'.repeat(n)),
      });
    if (min !== undefined && min > 0) options.push({ weight: 1, arbitrary: fc.constant('') });
    if (s.pattern) {
      const pattern = new RegExp(s.pattern as string);
      options.push({
        weight: 3,
        arbitrary: fc
          .oneof(
            text({ maxLength: 70 }),
            fc.constantFrom('UPPER', '-dash', '.dot', 'a'.repeat(64), 'a b', 'ä', 'a/b', 'a\u0000', ' a', 'a\n'),
          )
          .filter((v) => !pattern.test(v)),
      });
    }
    if (s.format === 'uri') options.push({ weight: 3, arbitrary: fc.constantFrom(...invalidUrls) });
    // The spec does not say so, but text with NUL or unpaired surrogates cannot be stored: refused.
    options.push({ weight: 2, arbitrary: fc.oneof(rawStrings, fc.constantFrom('a\u0000b', '\ud800', 'x\udfff')) });
  }
  if (types.includes('array')) {
    const itemSchema = (s.items ?? {}) as Schema;
    const min = s.minItems as number | undefined;
    const max = s.maxItems as number | undefined;
    if (min !== undefined && min > 0) options.push({ weight: 2, arbitrary: fc.constant([]) });
    if (max !== undefined) {
      options.push({
        weight: 1,
        arbitrary: valid(itemSchema, undefined, depth + 1).map((v) => Array.from({ length: max + 1 }, () => v)),
      });
    }
    if (typesOf(deref(itemSchema)).length > 0 && depth < 3) {
      options.push({
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.array(valid(itemSchema, undefined, depth + 1), { maxLength: 2 }),
            invalid(itemSchema, undefined, depth + 1),
          )
          .map(([good, bad]) => [...good, bad]),
      });
    }
    if (typesOf(deref(itemSchema)).length === 0) {
      // Entries of any JSON: only what cannot be stored breaks them.
      options.push({ weight: 2, arbitrary: fc.oneof(deepBad, rawInfinite, hugeBad).map((v) => [v]) });
    }
  }
  if (types.includes('object')) {
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    const required = (s.required ?? []) as string[];
    // Only the object variant of a nullable object can lose or gain a member.
    const base = validOwn({ ...s, type: 'object' }, name, depth + 1) as fc.Arbitrary<Record<string, unknown>>;
    if (required.length > 0) {
      options.push({
        weight: 3,
        arbitrary: fc.tuple(base, fc.constantFrom(...required)).map(([value, drop]) => {
          const copy = { ...value };
          delete copy[drop];
          return copy;
        }),
      });
    }
    options.push({
      weight: 2,
      arbitrary: fc
        .tuple(
          base,
          fc.oneof(
            text({ maxLength: 12 }),
            fc.constantFrom('__proto__', 'constructor', 'extra', 'Token', 'deploy_generation '),
          ),
          anyJson,
        )
        .filter(([value, key]) => !(key in properties) && !(key in value))
        .map(([value, key, extra]) => ({ ...value, [key]: extra })),
    });
    const names = Object.keys(properties);
    if (names.length > 0 && depth < 3) {
      options.push({
        weight: 6,
        arbitrary: fc
          .tuple(base, fc.constantFrom(...names))
          .chain(([value, key]) => invalid(properties[key]!, key, depth + 1).map((bad) => ({ ...value, [key]: bad }))),
      });
    }
  }
  if (options.length === 0) return fc.constantFrom(...junkValues);
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Requests

type AuthKind = 'key' | 'admin' | 'tenant-on-admin' | 'none' | 'revoked' | 'unknown' | 'lowercase-bearer' | 'padded';

/** A credential kind, or an Authorization header that is not one at all. */
type Auth = AuthKind | { malformed: string };

type Segment = { value: string | Ref } | { raw: string };
type QueryPart = { name: string; value: string | Ref } | { raw: string };
type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown }
  | { kind: 'raw'; text: string }
  /** The JSON text with every MARKER (or, without one, its end) replaced by bytes that are not UTF-8. */
  | { kind: 'bytes'; value: unknown; bad: number[] };

const invalidUtf8 = fc.constantFrom<number[]>(
  [0xff],
  [0xfe, 0xff],
  [0xc0, 0x80], // an overlong NUL
  [0xed, 0xa0, 0x80], // a UTF-8 encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // truncated
  [0x80],
);

/** The parts of a request a generated request breaks; the others are generated valid. */
type Dimension = 'auth' | 'params' | 'query' | 'headers' | 'body';

type RequestGen = {
  fuzzed: Dimension[];
  auth: Auth;
  params: Record<string, Segment>;
  /** Header parameters the spec declares besides Idempotency-Key (Last-Event-ID). */
  headers: Record<string, string | undefined>;
  query: QueryPart[];
  idempotencyKey?: string | Ref;
  contentType?: string | null;
  body: Body;
};

const rawSegments = [
  '%',
  '%ZZ',
  '%00',
  'a%00',
  '%ED%A0%80',
  '%C0%80',
  '%FF%FE',
  '%2F',
  'a%2Fb',
  '%3F',
  '%23',
  '%25',
  '%2525',
  '%20',
  'a%20b',
  '%u0041',
  '%%',
  '%2',
  '%F0%9F%98%80',
  '%E2%80%AE',
  '%61lpha',
  'ALPHA',
  ';x=1',
  'alpha;x=1',
  ':env',
  '{env}',
  '*',
  '~',
  "'",
  '%0A',
  '%0D%0A',
  '%09',
  '%7F',
  '%2e%2e%2f',
  '..%2F',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(5000),
];

function percentEncode(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A segment the URL parser would turn into another path (empty, . or ..) addresses no operation at all. */
function routable(encoded: string): boolean {
  const dots = encoded.replace(/%2e/gi, '.');
  return encoded !== '' && dots !== '.' && dots !== '..';
}

/** Live values for a path parameter: this tenant's own (valid) and another tenant's (a 404 at best). */
const paramRefs: Record<string, { own: fc.Arbitrary<Ref>; foreign?: fc.Arbitrary<Ref> }> = {
  env: {
    own: fc.oneof({ weight: 5, arbitrary: ref('env.own') }, { weight: 2, arbitrary: ref('env.fresh') }),
    foreign: ref('env.other'),
  },
  webhook: { own: ref('webhook.own'), foreign: ref('webhook.other') },
  delivery_id: { own: ref('delivery.own'), foreign: ref('delivery.other') },
  apikey: { own: ref('apikey.victim') },
  // Not the other tenant: its limits lowered, its own snapshots would be throttled.
  tenant: { own: ref('tenant.victim') },
};

const asText = (v: unknown) => (typeof v === 'string' ? v : v instanceof Raw ? v.text : JSON.stringify(v));

function paramRefsFor(op: Operation, param: Schema) {
  const key =
    param.name === 'id' ? (op.path.startsWith('/v1/api-keys') ? 'apikey' : 'webhook') : (param.name as string);
  return paramRefs[key];
}

function paramValid(op: Operation, param: Schema): fc.Arbitrary<Segment> {
  const refs = paramRefsFor(op, param);
  const generated = valid(param.schema as Schema).map((v) => ({ value: asText(v) }));
  if (!refs) return generated;
  return fc.oneof({ weight: 6, arbitrary: refs.own.map((value) => ({ value })) }, { weight: 1, arbitrary: generated });
}

function paramFuzzy(op: Operation, param: Schema): fc.Arbitrary<Segment> {
  const refs = paramRefsFor(op, param);
  const options: fc.WeightedArbitrary<Segment>[] = [
    { weight: 4, arbitrary: invalid(param.schema as Schema).map((v) => ({ value: asText(v) })) },
    { weight: 3, arbitrary: fc.constantFrom(...rawSegments).map((raw) => ({ raw })) },
    { weight: 1, arbitrary: text({ minLength: 1, maxLength: 30 }).map((value) => ({ value })) },
  ];
  if (refs?.foreign) options.push({ weight: 4, arbitrary: refs.foreign.map((value) => ({ value })) });
  return fc.oneof(...options);
}

const cursorJunk = fc.oneof(
  fc.constantFrom(
    'garbage',
    '',
    '====',
    'e30',
    'bnVsbA',
    'W10',
    'x'.repeat(512),
    'x'.repeat(513),
    '%00',
    '%ZZ',
    'eyJ2IjpudWxsfQ',
  ),
  // Well-formed base64url JSON {"v": …} with values no page ever returned.
  fc
    .oneof(
      fc.constantFrom<unknown>(
        -1,
        0,
        2 ** 53,
        1e300,
        'a\u0000',
        '\ud800',
        '',
        null,
        [],
        {},
        'zzzz',
        'wh_',
        'dlv_ffffffffffff',
      ),
      text({ maxLength: 20 }),
      fc.integer(),
    )
    .map((v) => Buffer.from(JSON.stringify({ v })).toString('base64url')),
  // Well-formed base64url JSON arrays, the shape of a position cursor, with values out of range.
  fc
    .tuple(
      fc.constantFrom<unknown>(-1, 0, 1, 2 ** 53, 2 ** 63, 1e300, -(2 ** 53), '1', null, 1.5),
      fc.constantFrom<unknown>(
        '',
        'evt_',
        `evt_${'f'.repeat(28)}`,
        `evt_${'0'.repeat(27)}`,
        '\u0000',
        '\ud800',
        1,
        null,
      ),
    )
    .map((pair) => Buffer.from(JSON.stringify(pair)).toString('base64url')),
);

const isCursor = (param: Schema) => param.name === 'cursor' || param.name === 'after';

const queryJunk = fc.constantFrom(
  '0',
  '-1',
  'abc',
  '1.5',
  '1e3',
  '',
  ' 1',
  '1 ',
  '+1',
  '0x10',
  '１',
  '01',
  '1000',
  '1001',
  '9007199254740991',
  '9007199254740992',
  '99999999999999999999',
  'null',
  'true',
  '[]',
  '%00',
  '\u0000',
  '\ud800',
  'NaN',
  'Infinity',
);

/** A long-poll's valid waits reach a minute; the run keeps them short, or it would mostly wait. */
const shortWait = fc.constantFrom('0', '0s', '10ms', '100ms');

function validQueryValue(p: Schema): fc.Arbitrary<unknown> {
  return p.name === 'wait' ? shortWait : valid(p.schema as Schema);
}

function queryValid(op: Operation): fc.Arbitrary<QueryPart[]> {
  const declared = op.parameters.filter((p) => p.in === 'query' && !isCursor(p));
  const perParam = declared.map((p) =>
    fc.option(
      validQueryValue(p).map((v): QueryPart => ({ name: p.name as string, value: asText(v) })),
      { nil: undefined },
    ),
  );
  return fc.tuple(...perParam).map((parts) => parts.filter((p): p is QueryPart => p !== undefined));
}

function queryFuzzy(op: Operation): fc.Arbitrary<QueryPart[]> {
  const declared = op.parameters.filter((p) => p.in === 'query');
  const perParam = declared.map((p) => {
    const schema = p.schema as Schema;
    const values: fc.WeightedArbitrary<QueryPart[]>[] = [
      { weight: 3, arbitrary: fc.constant([]) },
      { weight: 2, arbitrary: validQueryValue(p).map((v) => [{ name: p.name as string, value: asText(v) }]) },
      { weight: 4, arbitrary: queryJunk.map((value) => [{ name: p.name as string, value }]) },
      { weight: 2, arbitrary: invalid(schema).map((v) => [{ name: p.name as string, value: asText(v) }]) },
      {
        weight: 1,
        arbitrary: fc.tuple(queryJunk, queryJunk).map(([a, b]) => [
          { name: p.name as string, value: a },
          { name: p.name as string, value: b },
        ]),
      },
    ];
    if (isCursor(p))
      values.push({ weight: 4, arbitrary: cursorJunk.map((value) => [{ name: p.name as string, value }]) });
    return fc.oneof(...values);
  });
  const extras = fc.oneof(
    { weight: 3, arbitrary: fc.constant<QueryPart[]>([]) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('limit', 'cursor', 'after', 'from', 'foo', 'LIMIT', 'limit[]', ''), queryJunk)
        .map(([name, value]) => [{ name, value }]),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '&&',
          '=',
          'limit',
          'limit=',
          '%ZZ=1',
          'limit=%ZZ',
          'limit=1&&limit',
          '==1',
          'a=%00',
          '%00=%00',
          'cursor=%FF',
          'after=%FF',
        )
        .map((raw) => [{ raw }]),
    },
  );
  return fc.tuple(fc.tuple(...perParam), extras).map(([parts, extra]) => [...parts.flat(), ...extra]);
}

const json = (arb: fc.Arbitrary<unknown>) => arb.map((value): Body => ({ kind: 'json', value }));

function bodyValid(op: Operation): fc.Arbitrary<Body> {
  return op.body ? json(valid(op.body)) : fc.constant<Body>({ kind: 'none' });
}

function bodyFuzzy(op: Operation): fc.Arbitrary<Body> {
  const none: Body = { kind: 'none' };
  const raw = fc
    .oneof(
      fc.constantFrom(
        '',
        '{',
        '{"a":',
        "{'a':1}",
        'nul',
        '[',
        '{}x',
        '{}{}',
        '\ufeff{}',
        '{"a":1,}',
        '[1,]',
        'undefined',
        'NaN',
        '{"a":NaN}',
        '"unterminated',
        '\u0000',
        '{"deploy_generation":1,"holder":"a"',
        '1e400',
        '"\\ud800"',
        '{"a":"\\u00"}',
        '{"a":1}\u0000',
        'deploy_generation=1&holder=a',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      ),
      text({ maxLength: 60 }),
    )
    .map((t): Body => ({ kind: 'raw', text: t }));
  const huge = fc.constant<Body>({
    kind: 'raw',
    text: `{"deploy_generation":1,"holder":"${'x'.repeat(1024 * 1024)}"}`,
  });
  if (op.body) {
    return fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({ kind: fc.constant<'bytes'>('bytes'), value: valid(op.body), bad: invalidUtf8 }),
      },
      { weight: 50, arbitrary: json(invalid(op.body)) },
      { weight: 10, arbitrary: json(anyJson) },
      { weight: 15, arbitrary: raw },
      { weight: 5, arbitrary: fc.constant(none) },
      { weight: 5, arbitrary: json(deepRaw) },
      { weight: 1, arbitrary: huge },
    );
  }
  // A body where none is expected: ignored, or too large.
  return fc.oneof(
    { weight: 10, arbitrary: json(anyJson) },
    { weight: 5, arbitrary: raw },
    { weight: 1, arbitrary: huge },
  );
}

const contentTypeValid = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant('application/json; charset=utf-8') },
);

const contentTypeFuzzy = fc.constantFrom<string | null>(
  null,
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/merge-patch+json',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json; charset=latin1',
  '',
  '*/*',
  'application/json, text/plain',
);

const idempotencyKeyValid = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: ref('idem') },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,255}$/) },
);

const idempotencyKeyFuzzy = fc.oneof(
  { weight: 1, arbitrary: ref('idem') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'k'.repeat(255),
      'k'.repeat(256),
      'k'.repeat(5000),
      'with space',
      'tab\there',
      '',
      'é',
      '\u00ff\u00fe',
      'a,b',
      'ok"quote',
    ),
  },
);

/** What a header can carry at all: visible Latin-1, no control characters. */
const headerSafe = (value: string) => /^[\x20-\x7e\xa0-\xff]*$/.test(value);

function headerParamValid(param: Schema): fc.Arbitrary<string | undefined> {
  return fc.option(
    valid(param.schema as Schema)
      .map(asText)
      .filter(headerSafe),
    { nil: undefined },
  );
}

function headerParamFuzzy(param: Schema): fc.Arbitrary<string | undefined> {
  const schema = param.schema as Schema;
  return fc.oneof(
    { weight: 3, arbitrary: valid(schema).map(asText).filter(headerSafe) },
    { weight: 3, arbitrary: invalid(schema).map(asText).filter(headerSafe) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '',
        '-1',
        '0',
        '1.5',
        'abc',
        '9007199254740991',
        '9999999999999999',
        '99999999999999999',
        ' 1',
        '\u00e9',
      ),
    },
  );
}

const malformedAuth = fc.constantFrom(
  'Bearer',
  'Bearer ',
  'Basic dXNlcjpwYXNz',
  'pal_nope',
  'Bearer pal_',
  'Bearer \u00e9\u00e8',
  'Bearer a b',
  'Token abc',
  'Bearer\tabc',
);

/**
 * A request valid in every part but the fuzzed ones: most requests break one part (so the others
 * reach the code behind it), some break none (to change state, so later bad requests meet a
 * variety of states), some break several.
 */
function requestArb(op: Operation): fc.Arbitrary<RequestGen> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const headerParams = op.parameters.filter(
    (p) => p.in === 'header' && !/^(idempotency-key|authorization)$/i.test(p.name as string),
  );
  const dimensions: Dimension[] = ['auth', 'query', 'headers'];
  if (pathParams.length > 0) dimensions.push('params');
  if (op.method !== 'GET') dimensions.push('body');
  const fuzzed = fc.oneof(
    { weight: 2, arbitrary: fc.constant<Dimension[]>([]) },
    // Credentials are checked first, and there are few ways to get them wrong: break them less often.
    { weight: 1, arbitrary: fc.constant<Dimension[]>(['auth']) },
    { weight: 6, arbitrary: fc.constantFrom(...dimensions.filter((d) => d !== 'auth')).map((d): Dimension[] => [d]) },
    { weight: 2, arbitrary: fc.subarray(dimensions, { minLength: 2 }) },
  );
  const authValid = fc.oneof(
    { weight: 10, arbitrary: fc.constant<Auth>(op.admin ? 'admin' : 'key') },
    { weight: 1, arbitrary: fc.constantFrom<Auth>('lowercase-bearer', 'padded') },
  );
  const authFuzzy = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom<Auth>(op.admin ? 'tenant-on-admin' : 'admin', 'none', 'unknown', 'revoked'),
    },
    { weight: 1, arbitrary: malformedAuth.map((malformed): Auth => ({ malformed })) },
  );
  return fuzzed.chain((dims) => {
    const fuzz = (d: Dimension) => dims.includes(d);
    // Within a fuzzed part, each element may still be valid, as long as one is not.
    const either = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>, on: boolean) =>
      on ? fc.oneof({ weight: 1, arbitrary: good }, { weight: 2, arbitrary: bad }) : good;
    return fc.record(
      {
        fuzzed: fc.constant(dims),
        auth: fuzz('auth') ? authFuzzy : authValid,
        params: fc.record(
          Object.fromEntries(
            pathParams.map((p) => [p.name as string, either(paramValid(op, p), paramFuzzy(op, p), fuzz('params'))]),
          ) as Record<string, fc.Arbitrary<Segment>>,
        ),
        headers: fc.record(
          Object.fromEntries(
            headerParams.map((p) => [
              p.name as string,
              either(headerParamValid(p), headerParamFuzzy(p), fuzz('headers')),
            ]),
          ) as Record<string, fc.Arbitrary<string | undefined>>,
        ),
        query: fuzz('query') ? queryFuzzy(op) : queryValid(op),
        idempotencyKey: either(idempotencyKeyValid, idempotencyKeyFuzzy, fuzz('headers')),
        contentType: either(contentTypeValid, contentTypeFuzzy, fuzz('headers')),
        body: fuzz('body') ? bodyFuzzy(op) : bodyValid(op),
      },
      { requiredKeys: ['fuzzed', 'auth', 'params', 'headers', 'query', 'body'] },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Live state: the scope a request runs in, and its snapshot

type Scope = {
  tenant: string;
  key: string;
  keyId: string;
  observerKey: string;
  revokedKey: string;
  victimKeyIds: string[];
  webhookIds: string[];
  deliveryIds: string[];
  idemPrefix: string;
};

type Other = {
  tenant: string;
  key: string;
  envs: string[];
  tokens: Token[];
  webhookIds: string[];
  deliveryIds: string[];
};

type Snapshot = {
  http: {
    environments: Record<string, any>[];
    details: Record<string, { environment: unknown; log: unknown[]; upper: unknown; history: Record<string, any>[] }>;
    webhooks: Record<string, any>[];
    deliveries: Record<string, unknown[]>;
  } | null;
  db: { apiKeys: unknown[]; tenantLimits: unknown[] };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson(h: Harness, key: string, path: string): Promise<any> {
  for (let attempt = 0; ; attempt++) {
    const res = await h.request('GET', path, { key });
    if (res.status === 429 && attempt < 20) {
      await sleep(1000 * Number(res.headers.get('retry-after') ?? 1));
      continue;
    }
    const body = await res.text();
    if (res.status !== 200) throw new Error(`snapshot GET ${path}: ${res.status} ${body}`);
    return JSON.parse(body);
  }
}

async function pages(h: Harness, key: string, path: string): Promise<Record<string, any>[]> {
  const items: Record<string, any>[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: any = await getJson(
      h,
      key,
      `${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** How many webhooks' deliveries a snapshot reads (the oldest first: the fixtures' own). */
const SNAPSHOT_DELIVERY_ENDPOINTS = 5;

async function httpSnapshot(h: Harness, key: string): Promise<NonNullable<Snapshot['http']>> {
  const [environments, webhooks] = await Promise.all([
    pages(h, key, '/v1/environments'),
    pages(h, key, '/v1/webhooks'),
  ]);
  const details = Object.fromEntries(
    await Promise.all(
      environments.map(async (env) => {
        const name = env.name as string;
        const [environment, history] = await Promise.all([
          getJson(h, key, `/v1/environments/${name}`),
          pages(h, key, `/v1/environments/${name}/history`),
        ]);
        const log: unknown[] = [];
        let upper: unknown;
        for (let from = 0; ; ) {
          const page = await getJson(h, key, `/v1/environments/${name}/log?limit=1000&from=${from}`);
          log.push(...page.entries);
          upper = page.upper;
          if (page.entries.length < 1000) break;
          from = page.entries.at(-1).offset + 1;
        }
        return [name, { environment, log, upper, history }] as const;
      }),
    ),
  );
  const deliveries = Object.fromEntries(
    await Promise.all(
      webhooks
        .slice(0, SNAPSHOT_DELIVERY_ENDPOINTS)
        .map(async (w) => [w.id as string, await pages(h, key, `/v1/webhooks/${w.id}/deliveries`)] as const),
    ),
  );
  return { environments, details, webhooks, deliveries };
}

async function dbSnapshot(h: Harness) {
  const db = h.scratch.handle.db;
  const keys = await db.select().from(apiKeys).orderBy(apiKeys.id);
  const limits = await db.select().from(tenantLimits).orderBy(tenantLimits.tenant);
  return {
    apiKeys: keys.map((k) => ({
      id: k.id,
      tenant: k.tenant,
      name: k.name,
      keyHash: k.keyHash,
      revokedAt: k.revokedAt?.toISOString() ?? null,
    })),
    tenantLimits: limits.map((l) => ({ ...l, updatedAt: l.updatedAt.toISOString() })),
  };
}

/** Resolves references against the latest snapshot. */
class Context {
  private envs: string[] = [];
  private tokens: Token[] = [];
  private uppers: number[] = [0];
  private webhooks: string[] = [];
  private deliveries: string[] = [];
  private current = new Map<string, { token: Token | null; upper: number }>();
  private deliveriesOf = new Map<string, string[]>();
  /** The environment and webhook the request being built addresses, for references to their state. */
  currentEnv: string | undefined;
  currentWebhook: string | undefined;

  constructor(
    readonly scope: Scope,
    readonly other: Other,
  ) {}

  refresh(snapshot: Snapshot): void {
    const http = snapshot.http;
    const envs = http?.environments.map((e) => e.name as string) ?? [];
    this.envs = [...new Set([...envs, 'alpha', 'beta'])];
    const tokens = new Map<string, Token>();
    for (const detail of Object.values(http?.details ?? {})) {
      for (const item of detail.history) tokens.set(JSON.stringify(item.token), item.token as Token);
    }
    this.tokens = tokens.size > 0 ? [...tokens.values()] : [{ deploy_generation: 1, epoch: 1 }];
    this.uppers = [...new Set([0, ...(http?.environments.map((e) => e.upper as number) ?? [])])];
    this.webhooks = [...new Set([...(http?.webhooks.map((w) => w.id as string) ?? []), ...this.scope.webhookIds])];
    const deliveries = Object.values(http?.deliveries ?? {}).flatMap((list) => list.map((d: any) => d.id as string));
    this.deliveries = [...new Set([...deliveries, ...this.scope.deliveryIds])];
    this.current = new Map(
      http?.environments.map((e) => [e.name as string, { token: e.token as Token | null, upper: e.upper as number }]),
    );
    this.deliveriesOf = new Map(
      Object.entries(http?.deliveries ?? {}).map(([id, list]) => [id, list.map((d: any) => d.id as string)]),
    );
  }

  resolve(r: Ref): unknown {
    const pick = <T>(list: T[]): T => list[r.index % list.length]!;
    const env = this.currentEnv === undefined ? undefined : this.current.get(this.currentEnv);
    switch (r.kind) {
      case 'token.current':
        return env?.token ? { ...env.token } : { ...pick(this.tokens) };
      case 'upper.current':
        return env?.upper ?? 0;
      case 'generation.current':
        return env?.token?.deploy_generation ?? r.index % 3;
      case 'generation.next':
        return (env?.token?.deploy_generation ?? 0) + 1 + (r.index % 2);
      case 'env.own':
        return pick(this.envs);
      case 'env.fresh':
        return `fresh-${r.index % 3}`;
      case 'env.other':
        return pick(this.other.envs);
      case 'token.own':
        return { ...pick(this.tokens) };
      case 'token.other':
        return { ...pick(this.other.tokens) };
      case 'upper':
        return pick(this.uppers);
      case 'webhook.own':
        return pick(this.webhooks);
      case 'webhook.other':
        return pick(this.other.webhookIds);
      case 'delivery.own': {
        const ofWebhook = this.currentWebhook === undefined ? undefined : this.deliveriesOf.get(this.currentWebhook);
        return ofWebhook && ofWebhook.length > 0 && r.index % 4 !== 0 ? pick(ofWebhook) : pick(this.deliveries);
      }
      case 'delivery.other':
        return pick(this.other.deliveryIds);
      case 'apikey.victim':
        return pick(this.scope.victimKeyIds);
      case 'tenant.victim':
        return this.scope.tenant;
      case 'tenant.other':
        return this.other.tenant;
      case 'idem':
        return `${this.scope.idemPrefix}-${r.index % 4}`;
    }
  }

  /** JSON text of a generated value: Raw spliced verbatim, Ref resolved. */
  serialize(value: unknown): string {
    if (value instanceof Raw) return value.text;
    if (value instanceof Ref) return JSON.stringify(this.resolve(value));
    if (Array.isArray(value)) return `[${value.map((v) => this.serialize(v)).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      return `{${Object.entries(value)
        .map(([k, v]) => `${JSON.stringify(k)}:${this.serialize(v)}`)
        .join(',')}}`;
    }
    return JSON.stringify(value);
  }

  text(value: string | Ref): string {
    return value instanceof Ref ? String(this.resolve(value)) : value;
  }
}

type Sent = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  bytes?: Uint8Array;
};

function withInvalidUtf8(text: string, bad: number[]): Uint8Array {
  const encoded = [...new TextEncoder().encode(text)];
  const marker = [...new TextEncoder().encode(MARKER)];
  const out: number[] = [];
  let replaced = false;
  for (let i = 0; i < encoded.length; i++) {
    if (marker.every((b, j) => encoded[i + j] === b)) {
      out.push(...bad);
      i += marker.length - 1;
      replaced = true;
    } else out.push(encoded[i]!);
  }
  if (!replaced) out.push(...bad);
  return Uint8Array.from(out);
}

/** Sends as the harness does, with a body of bytes where one was generated. */
function send(h: Harness, sent: Sent): Promise<Response> {
  if (!sent.bytes) return h.request(sent.method, sent.path, { headers: sent.headers, rawBody: sent.body });
  return Promise.resolve(h.app.request(sent.path, { method: sent.method, headers: sent.headers, body: sent.bytes }));
}

function buildRequest(h: Harness, op: Operation, ctx: Context, gen: RequestGen): Sent | null {
  let path = op.path;
  ctx.currentEnv = undefined;
  ctx.currentWebhook = undefined;
  // Resolved in the order of the path, so a delivery can be one of the webhook's own.
  const ordered = Object.entries(gen.params).sort(([a], [b]) => op.path.indexOf(`{${a}}`) - op.path.indexOf(`{${b}}`));
  for (const [name, segment] of ordered) {
    const resolved = 'raw' in segment ? undefined : ctx.text(segment.value);
    if (name === 'env') ctx.currentEnv = resolved;
    if (name === 'id') ctx.currentWebhook = resolved;
    const encoded = 'raw' in segment ? segment.raw : percentEncode(resolved!);
    if (!routable(encoded)) return null;
    path = path.replace(`{${name}}`, encoded);
  }
  const query = gen.query
    .map((part) => ('raw' in part ? part.raw : `${percentEncode(part.name)}=${percentEncode(ctx.text(part.value))}`))
    .join('&');
  if (query) path += `?${query}`;

  const headers: Record<string, string> = {};
  const scope = ctx.scope;
  if (typeof gen.auth === 'object') headers.authorization = gen.auth.malformed;
  else
    switch (gen.auth) {
      case 'key':
        headers.authorization = `Bearer ${scope.key}`;
        break;
      case 'admin':
        headers.authorization = `Bearer ${h.adminToken}`;
        break;
      case 'tenant-on-admin':
        headers.authorization = `Bearer ${scope.key}`;
        break;
      case 'none':
        break;
      case 'revoked':
        headers.authorization = `Bearer ${scope.revokedKey}`;
        break;
      case 'unknown':
        headers.authorization = `Bearer pal_${'A'.repeat(43)}`;
        break;
      case 'lowercase-bearer':
        headers.authorization = `bearer ${op.admin ? h.adminToken : scope.key}`;
        break;
      case 'padded':
        headers.authorization = `Bearer   ${op.admin ? h.adminToken : scope.key}  `;
        break;
    }
  if (gen.idempotencyKey !== undefined) headers['idempotency-key'] = ctx.text(gen.idempotencyKey);
  for (const [name, value] of Object.entries(gen.headers)) if (value !== undefined) headers[name.toLowerCase()] = value;

  let body: string | undefined;
  let bytes: Uint8Array | undefined;
  if (gen.body.kind !== 'none' && op.method !== 'GET') {
    body = gen.body.kind === 'raw' ? gen.body.text : ctx.serialize(gen.body.value);
    if (gen.body.kind === 'bytes') bytes = withInvalidUtf8(body, gen.body.bad);
    const contentType = gen.contentType === undefined ? 'application/json' : gen.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
  } else if (gen.contentType && gen.fuzzed.includes('headers')) {
    headers['content-type'] = gen.contentType;
  }
  return { method: op.method, path, headers, body, ...(bytes ? { bytes } : {}) };
}

/** Which credentials may ever see a 2xx on this operation. */
function credentialGood(op: Operation, auth: Auth): boolean {
  if (typeof auth === 'object') return false;
  if (op.admin) return auth === 'admin' || auth === 'lowercase-bearer' || auth === 'padded';
  return auth === 'key' || auth === 'lowercase-bearer' || auth === 'padded';
}

function describeSent(sent: Sent, status: number, responseText: string): string {
  const body =
    sent.bytes !== undefined
      ? `bytes ${Buffer.from(sent.bytes).toString('hex')} (${JSON.stringify(Buffer.from(sent.bytes).toString('latin1'))} in Latin-1)`
      : sent.body === undefined
        ? ''
        : sent.body.length > 600
          ? `${sent.body.slice(0, 600)}…(${sent.body.length} chars)`
          : sent.body;
  const headers = Object.fromEntries(
    Object.entries(sent.headers).map(([k, v]) => [
      k,
      k === 'authorization'
        ? v.replace(/(pal_|admin-)[A-Za-z0-9_-]+/, '$1…')
        : v.length > 80
          ? `${v.slice(0, 80)}…(${v.length})`
          : v,
    ]),
  );
  const shown = responseText.length > 600 ? `${responseText.slice(0, 600)}…` : responseText;
  return `${sent.method} ${sent.path.length > 300 ? `${sent.path.slice(0, 300)}…` : sent.path}\n  headers: ${JSON.stringify(headers)}\n  body: ${JSON.stringify(body)}\n  → ${status} ${shown}`;
}

function responseSchema(
  op: Operation,
  status: number,
): { declared: boolean; schema: Schema | null; contentType: string | null } {
  const response = op.responses[String(status)];
  if (!response) return { declared: false, schema: null, contentType: null };
  const content = response.content as Record<string, Schema> | undefined;
  if (!content) return { declared: true, schema: null, contentType: null };
  const [contentType, media] = Object.entries(content)[0]!;
  return { declared: true, schema: (media.schema as Schema) ?? null, contentType };
}

function missingRequired(schema: Schema, body: Record<string, unknown>): string[] {
  const s = deref(schema);
  return ((s.required ?? []) as string[]).filter((name) => !(name in body));
}

/**
 * The body as text; an event stream is read until its first event (its answer to the request) and
 * then closed, and stands as that event's block.
 */
async function readBody(res: Response): Promise<string> {
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return res.text();
  const reader = new SseReader(res);
  try {
    await reader.waitFor((r) => r.messages.some((m) => 'event' in m), 5_000);
  } finally {
    await reader.close();
  }
  const first = reader.messages.find((m) => 'event' in m) as { event: string; id?: string; data: string };
  return `event: ${first.event}\nid: ${first.id}\ndata: ${first.data}\n\n`;
}

/** Every property the contract asks of one response; throws with the request and response on a violation. */
function checkResponse(op: Operation, gen: RequestGen, sent: Sent, res: Response, responseText: string): void {
  const status = res.status;
  const fail = (why: string): never => {
    throw new Error(`${op.operationId}: ${why}\n${describeSent(sent, status, responseText)}`);
  };
  if (status >= 500) fail('a 5xx');
  const { declared, schema, contentType } = responseSchema(op, status);
  if (!declared)
    fail(`status ${status} is not declared for this operation (declared: ${Object.keys(op.responses).join(', ')})`);

  if (status >= 200 && status < 300) {
    if (!credentialGood(op, gen.auth)) fail(`a 2xx for credentials of kind ${JSON.stringify(gen.auth)}`);
    if (schema === null) {
      if (responseText !== '') fail('a body on a response declared without content');
      return;
    }
    if (!(res.headers.get('content-type') ?? '').startsWith(contentType ?? 'application/json')) {
      fail(`content-type ${res.headers.get('content-type')} where ${contentType} is declared`);
    }
    if (contentType === 'text/event-stream') {
      // The first event of a watch is the environment as GET returns it, or what became of it.
      const match = /^event: (\w+)\nid: (\d+)\ndata: (.*)\n\n$/s.exec(responseText);
      if (!match) fail('an event stream whose first event has no name, numeric id or data');
      try {
        JSON.parse(match![3]!);
      } catch {
        fail('an event whose data is not JSON');
      }
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(responseText);
    } catch {
      fail('a 2xx body that is not JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) fail('a 2xx body that is not an object');
    const missing = missingRequired(schema, body as Record<string, unknown>);
    if (missing.length > 0) fail(`a 2xx body without the required ${missing.join(', ')}`);
    return;
  }

  if (status >= 400 && status < 500) {
    if (!/^application\/problem\+json/.test(res.headers.get('content-type') ?? '')) {
      fail(`a 4xx with content-type ${res.headers.get('content-type')}`);
    }
    let problem: Record<string, unknown>;
    try {
      problem = JSON.parse(responseText) as Record<string, unknown>;
    } catch {
      fail('a 4xx body that is not JSON');
      return;
    }
    if (problem === null || typeof problem !== 'object' || Array.isArray(problem))
      fail('a 4xx body that is not an object');
    for (const member of ['type', 'title', 'detail', 'code', 'action']) {
      if (typeof problem[member] !== 'string') fail(`problem member ${member} is not a string`);
    }
    if (problem.status !== status) fail(`problem status ${String(problem.status)} differs from the HTTP status`);
    const entry = ERRORS[problem.code as string];
    if (!entry) fail(`problem code ${String(problem.code)} is not in CONTRACT.md`);
    if (entry!.status !== status) fail(`code ${String(problem.code)} belongs with ${entry!.status}, not ${status}`);
    if (!entry!.actions.includes(problem.action as string))
      fail(`action ${String(problem.action)} does not go with ${String(problem.code)}`);
    if (/at .+\.(ts|js):\d+/.test(responseText)) fail('a stack trace in a problem');
    if (status === 401 && !/^Bearer/i.test(res.headers.get('www-authenticate') ?? ''))
      fail('a 401 without WWW-Authenticate: Bearer');
    if (schema) {
      const s = deref(schema);
      const alternatives = ((s.anyOf ?? s.oneOf ?? [schema]) as Schema[]).map(deref);
      const fits = alternatives.some((alt) => {
        const codes = alt.properties?.code?.enum as string[] | undefined;
        return (!codes || codes.includes(problem.code as string)) && missingRequired(alt, problem).length === 0;
      });
      if (!fits) fail(`the problem does not fit the schema declared for ${status}`);
    }
    return;
  }
  fail(`an unexpected status ${status}`);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

async function call(
  h: Harness,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  expected = [200, 201, 202, 204],
) {
  const res = await h.request(method, path, { key, body });
  const responseText = await res.text();
  if (!expected.includes(res.status)) throw new Error(`fixture ${method} ${path}: ${res.status} ${responseText}`);
  return responseText ? (JSON.parse(responseText) as any) : null;
}

async function createKey(h: Harness, tenant: string, name: string): Promise<{ id: string; key: string }> {
  return call(h, 'POST', '/v1/api-keys', h.adminToken, { tenant, name });
}

/** A tenant with fenced and unfenced environments, a log, a webhook and a delivery. */
async function seedTenant(h: Harness, key: string, envs: string[]) {
  const tokens: Token[] = [];
  const [first, second] = envs;
  tokens.push(
    (await call(h, 'POST', `/v1/environments/${first}/fence`, key, { deploy_generation: 1, holder: 'gen-1' })).token,
  );
  const current = (
    await call(h, 'POST', `/v1/environments/${first}/fence`, key, { deploy_generation: 2, holder: 'gen-2' })
  ).token as Token;
  tokens.push(current);
  await call(h, 'POST', `/v1/environments/${first}/log`, key, { token: current, entries: [{ op: 'set' }, 'two', 3] });
  await call(h, 'PUT', `/v1/environments/${second}`, key);
  const webhook = await call(h, 'POST', '/v1/webhooks', key, {
    url: 'http://127.0.0.1:9/hook',
    events: ['generation.fenced', 'environment.deleted'],
    description: 'fuzz fixture',
  });
  await call(h, 'POST', `/v1/webhooks/${webhook.id}/test`, key);
  const deliveries = await call(h, 'GET', `/v1/webhooks/${webhook.id}/deliveries`, key);
  return { tokens, webhookIds: [webhook.id as string], deliveryIds: deliveries.items.map((d: any) => d.id as string) };
}

/** A DELETE operation gets spares of what it deletes, so it deletes more than the two fixtures. */
async function addSpares(h: Harness, op: Operation, key: string): Promise<void> {
  if (op.method !== 'DELETE') return;
  for (let i = 0; i < 6; i++) {
    if (op.path === '/v1/environments/{env}') {
      if (i % 2 === 0) await call(h, 'PUT', `/v1/environments/spare-${i}`, key);
      else
        await call(h, 'POST', `/v1/environments/spare-${i}/fence`, key, { deploy_generation: i, holder: `spare-${i}` });
    }
    if (op.path === '/v1/webhooks/{id}') {
      await call(h, 'POST', '/v1/webhooks', key, { url: `http://127.0.0.1:9/spare-${i}`, events: ['epoch.fenced'] });
    }
  }
}

async function newScope(h: Harness, op?: Operation): Promise<Scope> {
  const t = await h.newTenant();
  const observer = await createKey(h, t.tenant, 'observer');
  const revoked = await createKey(h, t.tenant, 'revoked');
  await call(h, 'DELETE', `/v1/api-keys/${revoked.id}`, h.adminToken);
  const victims = [await createKey(h, t.tenant, 'victim-1'), await createKey(h, t.tenant, 'victim-2')];
  const seeded = await seedTenant(h, t.key, ['alpha', 'beta']);
  if (op) await addSpares(h, op, t.key);
  return {
    tenant: t.tenant,
    key: t.key,
    keyId: t.keyId,
    observerKey: observer.key,
    revokedKey: revoked.key,
    victimKeyIds: [...victims.map((v) => v.id), revoked.id, t.keyId, 'key_000000000000000000000000'],
    webhookIds: seeded.webhookIds,
    deliveryIds: seeded.deliveryIds,
    idemPrefix: `idem-${t.tenant}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The properties

const tally = {
  requests: 0,
  skipped: 0,
  byStatus: new Map<number, number>(),
  byOperation: new Map<string, Map<number, number>>(),
};

function count(op: Operation, status: number) {
  tally.requests++;
  tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
  const per = tally.byOperation.get(op.operationId) ?? new Map<number, number>();
  per.set(status, (per.get(status) ?? 0) + 1);
  tally.byOperation.set(op.operationId, per);
}

const started = Date.now();

afterAll(() => {
  const statuses = [...tally.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  const perOperation = [...tally.byOperation.entries()]
    .map(
      ([id, m]) =>
        `  ${id}: ${[...m.entries()]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
    )
    .join('\n');
  console.log(
    `fuzz (${httpBackend}): ${tally.requests} generated requests (${tally.skipped} unroutable skipped) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${statuses}\n${perOperation}`,
  );
});

/** Another tenant, with resources of the same names as the fuzzed tenant's and of its own. */
async function newOther(h: Harness): Promise<Other> {
  const t = await h.newTenant();
  const seeded = await seedTenant(h, t.key, ['alpha', 'other-only']);
  return { tenant: t.tenant, key: t.key, envs: ['alpha', 'other-only'], ...seeded };
}

describe(`fuzz: every /v1 operation in openapi.yaml (${httpBackend})`, () => {
  let other: Other;
  let otherBefore: Snapshot['http'];

  beforeAll(async () => {
    const h = harness();
    other = await newOther(h);
    otherBefore = await httpSnapshot(h, other.key);
  });

  it('covers every /v1 operation of the spec', () => {
    expect(operations.length).toBeGreaterThanOrEqual(20);
    for (const op of operations) expect(op.operationId, `${op.method} ${op.path}`).toBeTruthy();
  });

  for (const op of operations) {
    it(
      `${op.method} ${op.path} (${op.operationId})`,
      async () => {
        const h = harness();
        const scope = await newScope(h, op);
        const ctx = new Context(scope, other);
        const snapshot = async (): Promise<Snapshot> => ({
          http: op.admin ? null : await httpSnapshot(h, scope.observerKey),
          db: await dbSnapshot(h),
        });
        let baseline: Snapshot | null = null;

        await fc.assert(
          fc.asyncProperty(
            fc.array(requestArb(op), { minLength: 1, maxLength: MAX_BATCH }),
            // Now and then the batch is sent at once: races of retries (Idempotency-Key), creations and fences.
            fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
            async (batch, concurrent) => {
              const before = baseline ?? (await snapshot());
              // Should a check throw, the next run takes a fresh baseline: this batch may have changed the state.
              baseline = null;
              ctx.refresh(before);
              const requests = batch.flatMap((gen) => {
                const sent = buildRequest(h, op, ctx, gen);
                if (!sent) tally.skipped++;
                return sent ? [{ gen, sent }] : [];
              });
              const exchange = async ({ gen, sent }: { gen: RequestGen; sent: Sent }) => {
                const res = await send(h, sent);
                const responseText = await readBody(res);
                count(op, res.status);
                return { gen, sent, res, responseText };
              };
              const results = [];
              if (concurrent) results.push(...(await Promise.all(requests.map(exchange))));
              else for (const request of requests) results.push(await exchange(request));

              let mayHaveChanged = false;
              const seen: string[] = [];
              for (const { gen, sent, res, responseText } of results) {
                seen.push(describeSent(sent, res.status, responseText));
                if (VERBOSE === op.operationId || VERBOSE === 'all') {
                  console.log(`[${gen.fuzzed.join(',') || 'valid'}${concurrent ? ', concurrent' : ''}] ${seen.at(-1)}`);
                }
                checkResponse(op, gen, sent, res, responseText);
                if (res.status < 400 && op.method !== 'GET') mayHaveChanged = true;
              }
              const after = await snapshot();
              baseline = after;
              if (!mayHaveChanged && !isDeepStrictEqual(before, after)) {
                expect(
                  after,
                  `${op.operationId}: requests answered only with 4xx${concurrent ? ' (sent at once)' : ''} changed the state:\n${seen.join('\n')}`,
                ).toEqual(before);
              }
            },
          ),
          { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
        );

        // Whatever was sent with this tenant's key, naming the other tenant's resources, changed nothing of theirs.
        expect(await httpSnapshot(h, other.key), 'another tenant’s state changed').toEqual(otherBefore);
      },
      TEST_TIMEOUT_MS,
    );
  }
});

/**
 * Codes that say the request itself was bad, or never reached the operation: invariant 6 (bad input
 * never changes state) leaves nothing of such a request behind, not even its Idempotency-Key, so
 * the corrected request can be sent with the same key (as with Stripe, whose keys record nothing
 * when the parameters fail validation). A refusal by the operation itself (404, 409, a quota) is
 * an outcome, and is replayed.
 */
const BAD_INPUT = new Set([
  'invalid_request',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'idempotency_key_reused',
]);

const idempotentOperations = operations.filter((op) =>
  op.parameters.some((p) => p.in === 'header' && /^idempotency-key$/i.test(p.name as string)),
);

describe(`fuzz: bad input sent with an Idempotency-Key leaves no record of the key (${httpBackend})`, () => {
  let other: Other;
  beforeAll(async () => {
    other = await newOther(harness());
  });

  for (const op of idempotentOperations) {
    it(
      `${op.method} ${op.path} (${op.operationId})`,
      async () => {
        const h = harness();
        const scope = await newScope(h);
        const ctx = new Context(scope, other);
        ctx.refresh({
          http: op.admin ? null : await httpSnapshot(h, scope.observerKey),
          db: { apiKeys: [], tenantLimits: [] },
        });
        let n = 0;
        await fc.assert(
          fc.asyncProperty(
            requestArb(op).filter((gen) => gen.fuzzed.some((d) => d !== 'auth')),
            async (gen) => {
              const sent = buildRequest(h, op, ctx, { ...gen, idempotencyKey: undefined });
              if (!sent) return;
              const key = `bad-input-${scope.tenant}-${n++}`;
              sent.headers['idempotency-key'] = key;
              const res = await send(h, sent);
              const responseText = await res.text();
              count(op, res.status);
              if (VERBOSE === op.operationId || VERBOSE === 'all')
                console.log(`[idempotency] ${describeSent(sent, res.status, responseText)}`);
              checkResponse(op, gen, sent, res, responseText);
              if (res.status < 400) return;
              const code = (JSON.parse(responseText) as { code: string }).code;
              if (!BAD_INPUT.has(code)) return;
              const rows = await h.scratch.handle.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
              if (rows.length > 0) {
                throw new Error(
                  `${op.operationId}: a ${res.status} ${code} stored its Idempotency-Key, so the corrected request with the same key is refused (422)\n${describeSent(sent, res.status, responseText)}`,
                );
              }
            },
          ),
          // Single requests without snapshots: cheap, so more of them.
          { numRuns: RUNS * 2, ...(SEED !== undefined ? { seed: SEED } : {}) },
        );
      },
      TEST_TIMEOUT_MS,
    );
  }
});
