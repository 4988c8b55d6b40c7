// Cloudflare Workers entry: the bundler (wrangler, miniflare)
// turns the .wasm import into a compiled WebAssembly.Module, instantiated
// synchronously while this module is evaluated.
import wasmModule from '../pkg/sse_sanitizer.wasm';
import { loader } from './wasm-full.js';

loader.autoInit(wasmModule);

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
