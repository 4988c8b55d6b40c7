// What each entry downloads (gzip -9 of the .wasm and of the minified JS,
// against its budget and the target), and the compile + instantiate time of each wasm module.
import { readFileSync } from 'node:fs';
import { BUDGETS, ENTRIES, TARGETS, entrySize } from './entry-size.js';
import { createLoader } from '../js/load.js';
import { table, fmt } from './util.js';

export async function run() {
  const rows = [];
  const times = [];
  for (const entry of ENTRIES) {
    const { js, bundle, wasm, total } = entrySize(entry);
    rows.push([entry, wasm.raw, wasm.gzip, js.length, bundle.raw, bundle.gzip, total, BUDGETS[entry], TARGETS[entry]]);
    const bytes = readFileSync(new URL(`../${wasm.file}`, import.meta.url));
    const t = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      createLoader().init(new WebAssembly.Module(bytes));
      t.push(performance.now() - start);
    }
    t.sort((a, b) => a - b);
    times.push([entry, fmt(t[10], 2)]);
  }
  table('what each entry downloads (gzip -9 bytes)', ['entry', 'wasm raw', 'wasm gzip', 'js files', 'js min', 'js min gzip', 'total gzip', 'budget', 'target'], rows);
  table('wasm module', ['entry', 'compile+instantiate ms (median of 20)'], times);
}
