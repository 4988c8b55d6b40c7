// Node entry of `sse-sanitizer/stream`: instantiates the wasm synchronously from the file
// in pkg/ while this module is evaluated, so every call works right
// after the import; accumulate()'s own module is read and instantiated by its
// first call. A bundle that left the files behind passes them to init().
import { readFileSync } from 'node:fs';
import { accumulateLoader, loader } from './wasm-stream.js';

loader.autoInit(() => readFileSync(new URL('../pkg/sse_sanitizer_stream.wasm', import.meta.url)));
accumulateLoader.lazy(() => readFileSync(new URL('../pkg/sse_sanitizer_accumulate.wasm', import.meta.url)));

export * from './stream.js';
