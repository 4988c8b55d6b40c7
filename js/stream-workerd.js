// Cloudflare Workers entry of `sse-sanitizer/stream`: the bundler (wrangler, miniflare)
// turns the .wasm import into a compiled WebAssembly.Module, instantiated
// synchronously while this module is evaluated.
import wasmModule from '../pkg/sse_sanitizer_stream.wasm';
import { loader } from './wasm-stream.js';

loader.autoInit(wasmModule);

export * from './stream.js';
