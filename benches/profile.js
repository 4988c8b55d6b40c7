// Where normalize's time goes in wasm, by function: the V8 sampling profiler
// around the module's `normalize` on one crafted body of benches/shapes.js, in a
// module built with its function names (run it through scripts/profile.sh:
// `npm run profile -- [shape] [MiB] [runs]`). Prints each function's share of
// the samples, by itself and with what it calls.
// NOTE: profile the wasm build, not only a native one: V8 does not inline
// calls between wasm functions, so a call per JSON string or per field costs
// there what it does not cost natively.
import { Session } from 'node:inspector/promises';
import { readFileSync } from 'node:fs';
import { fullLoader } from '../js/wasm-full.js';
import { SHAPES } from './shapes.js';

const [dir, which = 'tool ids', mib = '4', runs = '20'] = process.argv.slice(2);
const name = Object.keys(SHAPES).find((k) => k.includes(which));
if (!dir || !name) {
  console.error(`usage: npm run profile -- [shape] [MiB] [runs]; shapes: ${Object.keys(SHAPES).join('; ')}`);
  process.exit(2);
}
const loader = fullLoader();
loader.init(readFileSync(`${dir}/sse_sanitizer.wasm`));
const normalize = (body, options) => loader.text(loader.exports.normalize(...loader.pass(body, options)));
const [text, profile] = SHAPES[name](Number(mib) << 20);
const options = JSON.stringify(typeof profile === 'string' ? { profile } : profile);
const body = new TextEncoder().encode(text);
normalize(body, options);

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const start = performance.now();
for (let i = 0; i < Number(runs); i++) normalize(body, options);
const ms = (performance.now() - start) / Number(runs);
const { profile: samples } = await session.post('Profiler.stop');
session.disconnect();

// Self time per node, then per function name, by itself and with its callees.
const nodes = new Map(samples.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of samples.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const ticks = new Map();
samples.samples.forEach((id, i) => ticks.set(id, (ticks.get(id) ?? 0) + (samples.timeDeltas[i] ?? 0)));
const label = (id) => nodes.get(id).callFrame.functionName.replace(/::h[0-9a-f]{16}$/, '') || '(anonymous)';
const own = new Map();
const total = new Map();
let all = 0;
for (const [id, t] of ticks) {
  all += t;
  own.set(label(id), (own.get(label(id)) ?? 0) + t);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const fn = label(at);
    if (!seen.has(fn)) total.set(fn, (total.get(fn) ?? 0) + t);
    seen.add(fn);
  }
}
const top = (map, n) =>
  [...map]
    .filter(([fn]) => !/^\((root|program|idle|anonymous)\)$/.test(fn))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, t]) => `${((100 * t) / all).toFixed(1).padStart(6)}%  ${fn.slice(0, 120)}`)
    .join('\n');
console.log(`${name}, ${mib} MiB (${body.length} B): normalize ${ms.toFixed(1)} ms a call, ${runs} calls sampled`);
console.log(`\nby itself (share of the samples)\n${top(own, 25)}`);
console.log(`\nwith what it calls\n${top(total, 25)}`);
