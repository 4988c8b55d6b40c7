// Cloudflare Workers entry: the bundler (wrangler, miniflare) turns the .wasm
// import into a compiled WebAssembly.Module, instantiated synchronously here.
import wasmModule from '../pkg/sse_sanitizer_bg.wasm';
import { initSync } from '../pkg/sse_sanitizer.js';

initSync({ module: wasmModule });

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
