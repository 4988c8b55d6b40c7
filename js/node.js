// Node entry: instantiates the wasm synchronously from the file next to the glue.
import { readFileSync } from 'node:fs';
import { initSync } from '../pkg/sse_sanitizer.js';

initSync({ module: readFileSync(new URL('../pkg/sse_sanitizer_bg.wasm', import.meta.url)) });

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
