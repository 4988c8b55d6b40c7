// Two builds side by side in one process, for a change that trades wasm size
// for speed, where `npm run bench` (one build per run) cannot tell a 2-5%
// change from its run-to-run spread. Each call of one build is followed by
// the same call of the other; the medians are compared.
//
//   node benches/compare.js A B [normalize|stream|all] [shape] [MiB] [rounds]
//
// A and B are checkouts of this repository, each built (`npm run build`),
// e.g. `git worktree add /tmp/base HEAD~1 && (cd /tmp/base && npm run build)`
// then `node benches/compare.js /tmp/base .`. Each is loaded through its own
// js/ and pkg/, so the two may differ in the binding too.
// - normalize: normalizeBytes on the crafted bodies of benches/shapes.js
//   (`shape` filters them by name; `MiB` their size, default 1).
// - stream: SseParser and StreamSanitizer of both entries (the whole module
//   and `sse-sanitizer/stream`) on the corpus in 64 B, 1 KB and 16 KB chunks,
//   and accumulate() of each corpus stream it reads.
// Prints the median ms of A and of B and B/A per case. NOTE: two identical
// builds read 0.98-1.03 here (the order of loading, code layout), so only a
// ratio beyond that says something; run it both ways round.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SHAPES } from './shapes.js';
import { chunks, corpusBytes } from './util.js';
import { corpusStreams } from '../pkg-tests/corpus.js';

const [a, b, what = 'all', which = '', mib = '1', rounds] = process.argv.slice(2);
if (!a || !b || !['normalize', 'stream', 'all'].includes(what)) {
  console.error('usage: node benches/compare.js A B [normalize|stream|all] [shape] [MiB] [rounds]');
  process.exit(2);
}
const shapes = Object.keys(SHAPES).filter((k) => k.includes(which));
if (what !== 'stream' && shapes.length === 0) {
  console.error(`no shape matches "${which}"; shapes: ${Object.keys(SHAPES).join('; ')}`);
  process.exit(2);
}
const url = (root, path) => pathToFileURL(resolve(root, path)).href;
const median = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];

/** Times `fa` and `fb` alternately (after a warm-up call of each); prints a row. */
function row(name, fa, fb, n) {
  const times = [[], []];
  fa();
  fb();
  for (let i = 0; i < n; i++) {
    [fa, fb].forEach((f, k) => {
      const start = performance.now();
      f();
      times[k].push(performance.now() - start);
    });
  }
  const [ta, tb] = times.map(median);
  console.log(`${name.padEnd(48)} ${ta.toFixed(2).padStart(8)} ${tb.toFixed(2).padStart(8)} ${(tb / ta).toFixed(3).padStart(6)}`);
}

/**
 * The module's normalize of the checkout at `root`, on its own instance:
 * through js/load.js, or through the wasm-bindgen glue of a checkout from
 * before the raw binding (pkg/sse_sanitizer.js).
 */
async function normalizer(root, tag) {
  const wasm = readFileSync(resolve(root, existsSync(resolve(root, 'pkg/sse_sanitizer.wasm')) ? 'pkg/sse_sanitizer.wasm' : 'pkg/sse_sanitizer_bg.wasm'));
  if (existsSync(resolve(root, 'pkg/sse_sanitizer.js'))) {
    // NOTE: the query makes each glue its own module instance, even for the same file.
    const glue = await import(`${url(root, 'pkg/sse_sanitizer.js')}?${tag}`);
    glue.initSync({ module: wasm });
    return (body, options) => glue.normalizeBytes(body, options);
  }
  // NOTE: a checkout from before fullLoader() made its imports in createLoader().
  const { fullLoader } = await import(url(root, 'js/wasm-full.js'));
  const loader = fullLoader ? fullLoader() : (await import(url(root, 'js/load.js'))).createLoader();
  loader.init(wasm);
  return (body, options) => {
    // NOTE: as the glue's, a refused body (the tiny-items shape) is a result, not a throw.
    try {
      loader.text(loader.exports.normalize(...loader.pass(body, options)));
      return loader.takeBody();
    } catch (e) {
      if (e.code !== 'invalid-shape') throw e;
      return undefined;
    }
  };
}

console.log(`${'case'.padEnd(48)} ${'A ms'.padStart(8)} ${'B ms'.padStart(8)}   B/A`);

if (what !== 'stream') {
  const normalizers = [];
  for (const [root, tag] of [
    [a, 'a'],
    [b, 'b'],
  ]) normalizers.push(await normalizer(root, tag));
  for (const name of shapes) {
    const [text, profile] = SHAPES[name](Number(mib) << 20);
    const options = JSON.stringify(typeof profile === 'string' ? { profile } : profile);
    const body = new TextEncoder().encode(text);
    const [ga, gb] = normalizers.map((normalize) => () => normalize(body, options));
    row(`normalize: ${name}`, ga, gb, Number(rounds ?? 30));
  }
}

if (what !== 'normalize') {
  const trees = [];
  for (const root of [a, b]) {
    trees.push({ whole: await import(url(root, 'js/node.js')), stream: await import(url(root, 'js/stream-node.js')) });
  }
  const bytes = corpusBytes(8 << 20);
  for (const size of [64, 1024, 16384]) {
    const parts = chunks(bytes, size);
    const parse = (api) => () => {
      const p = new api.SseParser();
      for (const c of parts) p.push(c);
      p.finish();
    };
    const sanitize = (api) => () => {
      const s = new api.StreamSanitizer();
      for (const c of parts) s.push(c);
      s.finish();
    };
    for (const entry of ['whole', 'stream']) {
      for (const [step, make] of [
        ['parse', parse],
        ['sanitize', sanitize],
      ]) {
        const [fa, fb] = trees.map((t) => make(t[entry]));
        row(`${step} (${entry === 'whole' ? 'whole module' : 'stream entry'}), ${size} B chunks`, fa, fb, Number(rounds ?? 9));
      }
    }
  }
  // accumulate() of each corpus stream it reads, whole. NOTE: with its module
  // loaded (the stream entry's loads at the first call), a call on bytes does
  // its work before it returns, so it is timed as a synchronous call.
  const readable = [];
  for (const { bytes: one } of corpusStreams()) {
    if (await trees[0].whole.accumulate(one).then(() => true, () => false)) readable.push(one);
  }
  for (const entry of ['whole', 'stream']) {
    for (const t of trees) await t[entry].accumulate(readable[0]);
    const [fa, fb] = trees.map((t) => () => {
      for (const one of readable) t[entry].accumulate(one);
    });
    row(`accumulate (${entry === 'whole' ? 'whole module' : 'stream entry'}), ${readable.length} streams`, fa, fb, Number(rounds ?? 9));
  }
}
