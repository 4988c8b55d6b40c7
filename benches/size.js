// What each entry downloads (gzip -9 of the .wasm and of the minified JS,
// against its budget and the target), what a call downloads at its first use
// (accumulate()'s module in `sse-sanitizer/stream`), and the compile +
// instantiate time of each wasm module.
import { readFileSync } from 'node:fs';
import { BUDGETS, ENTRIES, TARGETS, entrySize } from './entry-size.js';
import { createLoader } from '../js/load.js';
import { fullLoader } from '../js/wasm-full.js';
import { table, fmt } from './util.js';

export async function run() {
  const rows = [];
  const times = [];
  const later = [];
  for (const entry of ENTRIES) {
    const { js, bundle, wasm, lazy, total } = entrySize(entry);
    rows.push([entry, wasm.raw, wasm.gzip, js.length, bundle.raw, bundle.gzip, total, BUDGETS[entry], TARGETS[entry]]);
    for (const module of lazy) later.push([entry, module.file, module.raw, module.gzip]);
    for (const { file } of [wasm, ...lazy]) {
      const bytes = readFileSync(new URL(`../${file}`, import.meta.url));
      const t = [];
      for (let i = 0; i < 20; i++) {
        const start = performance.now();
        (file === 'pkg/sse_sanitizer.wasm' ? fullLoader() : createLoader()).init(new WebAssembly.Module(bytes));
        t.push(performance.now() - start);
      }
      t.sort((a, b) => a - b);
      times.push([file, fmt(t[10], 2)]);
    }
  }
  table('what each entry downloads (gzip -9 bytes)', ['entry', 'wasm raw', 'wasm gzip', 'js files', 'js min', 'js min gzip', 'total gzip', 'budget', 'target'], rows);
  table('what a call downloads at its first use (gzip -9 bytes)', ['entry', 'wasm', 'raw', 'gzip'], later);
  table('wasm module', ['file', 'compile+instantiate ms (median of 20)'], times);
}
