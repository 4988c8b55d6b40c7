// The wasm module: size raw and gzipped, compile + instantiate time.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { initSync } from '../pkg/sse_sanitizer.js';
import { table, fmt } from './util.js';

export async function run() {
  const wasm = readFileSync(new URL('../pkg/sse_sanitizer_bg.wasm', import.meta.url));
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    initSync({ module: new WebAssembly.Module(wasm) });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  table('wasm module', ['raw bytes', 'gzip bytes', 'compile+instantiate ms (median of 20)'], [
    [wasm.length, gzipSync(wasm, { level: 9 }).length, fmt(times[10], 2)],
  ]);
}
