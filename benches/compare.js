// Two builds of the whole module side by side in one process: normalize's
// median time on the crafted bodies of benches/shapes.js, each call of one
// build followed by the same call of the other. For a build setting or an
// attribute that trades wasm size for speed, where `npm run bench -- shapes`
// (one build per run) cannot tell a 2% change from its run-to-run spread.
//
//   node benches/compare.js DIR_A DIR_B [shape|all] [MiB] [rounds]
//
// DIR_A and DIR_B each hold a `sse_sanitizer.js` glue and its
// `sse_sanitizer_bg.wasm` (a copy of pkg/ from each build). Prints, per shape,
// the median ms of A and of B and B/A. NOTE: two identical builds read
// 0.98-1.03 here (the order of loading and code layout), so only a ratio
// beyond that says something.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { SHAPES } from './shapes.js';

const [a, b, which = 'all', mib = '1', rounds = '40'] = process.argv.slice(2);
const names = Object.keys(SHAPES).filter((k) => which === 'all' || k.includes(which));
if (!a || !b || names.length === 0) {
  console.error(`usage: node benches/compare.js DIR_A DIR_B [shape|all] [MiB] [rounds]; shapes: ${Object.keys(SHAPES).join('; ')}`);
  process.exit(2);
}

async function load(dir, tag) {
  // NOTE: the query makes each glue its own module instance.
  const glue = await import(`${pathToFileURL(`${dir}/sse_sanitizer.js`)}?${tag}`);
  glue.initSync({ module: readFileSync(`${dir}/sse_sanitizer_bg.wasm`) });
  return glue;
}

const median = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];
const glues = [await load(a, 'a'), await load(b, 'b')];
console.log(`${'shape'.padEnd(45)} ${'A ms'.padStart(8)} ${'B ms'.padStart(8)}   B/A`);
for (const name of names) {
  const [text, profile] = SHAPES[name](Number(mib) << 20);
  const options = JSON.stringify(typeof profile === 'string' ? { profile } : profile);
  const body = new TextEncoder().encode(text);
  const times = [[], []];
  for (let i = 0; i < 5; i++) for (const glue of glues) glue.normalizeBytes(body, options);
  for (let i = 0; i < Number(rounds); i++) {
    glues.forEach((glue, k) => {
      const start = performance.now();
      glue.normalizeBytes(body, options);
      times[k].push(performance.now() - start);
    });
  }
  const [ta, tb] = times.map(median);
  console.log(`${name.padEnd(45)} ${ta.toFixed(2).padStart(8)} ${tb.toFixed(2).padStart(8)} ${(tb / ta).toFixed(3).padStart(6)}`);
}
