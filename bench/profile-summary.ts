/**
 * Where a V8 CPU profile of the service spent its time, by part of the stack: the self time of every
 * sampled function, summed by what it belongs to, as µs per request and share of the non-idle time.
 * A profile samples the main thread's wall time, so a system call counts as the function making it.
 *
 *   npm run bench -- --concurrency 32 --only append,confirm --skip-etcd --skip-pgbench --cpu-prof-dir DIR
 *   npx tsx bench/profile-summary.ts DIR/*.cpuprofile [--requests N] [--top 15]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string' }, top: { type: 'string', default: '15' } },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: npx tsx bench/profile-summary.ts PROFILE.cpuprofile [--requests N] [--top N]\n');
  process.exit(2);
}

const SOCKET_WRITES = new Set(['writeBuffer', 'writev', 'writeString', 'writeUtf8String', 'writeLatin1String']);

/** The part of the stack a sampled function belongs to. */
function partOf({ functionName, url }: CallFrame): string {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (SOCKET_WRITES.has(functionName)) return 'socket writes (system calls)';
  if (url.includes('deps/undici') || functionName === 'ReadableStream' || functionName === 'AbortController')
    return 'web Request / Response / streams';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) {
    if (pkg === 'hono' || pkg === '@hono/node-server' || pkg.startsWith('@hono/')) return 'hono and its adapters';
    if (pkg === 'postgres') return 'postgres.js';
    if (pkg === 'drizzle-orm') return 'drizzle';
    if (pkg.startsWith('pino') || pkg === 'sonic-boom' || pkg === 'quick-format-unescaped') return 'pino';
    if (pkg === 'zod') return 'zod';
    if (pkg === 'prom-client') return 'prom-client';
    return 'other packages';
  }
  if (url.startsWith('node:')) return 'node core (http, net, streams, crypto, events)';
  if (url.includes('/dist/')) return "the service's own code";
  if (functionName === '(program)' || functionName === 'runMicrotasks') return 'program, microtasks';
  return 'other';
}

const profile = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as Profile;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const byPart = new Map<string, number>();
const byFunction = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, index) => {
  const frame = nodes.get(id)!.callFrame;
  if (frame.functionName === '(idle)') return;
  const micros = profile.timeDeltas[index] ?? 0;
  busy += micros;
  const part = partOf(frame);
  byPart.set(part, (byPart.get(part) ?? 0) + micros);
  const where = frame.url
    ? `${frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${frame.lineNumber}`
    : '';
  const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
});

const requests = values.requests === undefined ? undefined : Number(values.requests);
const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
const share = (micros: number) => `${((micros / busy) * 100).toFixed(1)} %`;
const perRequest = (micros: number) => (requests ? (micros / requests).toFixed(0) : '–');

console.log(`non-idle sampled time: ${(busy / 1e6).toFixed(2)} s${requests ? ` over ${requests} requests` : ''}\n`);
console.log('| where | µs/request | share |\n| --- | --- | --- |');
for (const [part, micros] of sorted(byPart)) console.log(`| ${part} | ${perRequest(micros)} | ${share(micros)} |`);
console.log(`| total | ${perRequest(busy)} | 100 % |\n`);
console.log(`top ${values.top} functions by self time:`);
for (const [name, micros] of sorted(byFunction).slice(0, Number(values.top))) {
  console.log(`  ${share(micros).padStart(7)}  ${name}`);
}
