// Node entry: instantiates the wasm synchronously from the file
// in pkg/ while this module is evaluated, so every call works right
// after the import. A bundle that left the file behind passes it to init().
import { readFileSync } from 'node:fs';
import { loader } from './wasm-full.js';

loader.autoInit(() => readFileSync(new URL('../pkg/sse_sanitizer.wasm', import.meta.url)));

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
