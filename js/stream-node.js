// Node entry of `sse-sanitizer/stream`: instantiates the wasm synchronously from the file
// in pkg/ while this module is evaluated, so every call works right
// after the import. A bundle that left the file behind passes it to init().
import { readFileSync } from 'node:fs';
import { loader } from './wasm-stream.js';

loader.autoInit(() => readFileSync(new URL('../pkg/sse_sanitizer_stream.wasm', import.meta.url)));

export * from './stream.js';
