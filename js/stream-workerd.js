// Cloudflare Workers entry of `sse-sanitizer/stream`: the bundler (wrangler, miniflare)
// turns the .wasm import into a compiled WebAssembly.Module, instantiated
// synchronously while this module is evaluated (accumulate()'s own module: by
// its first call).
import accumulateModule from '../pkg/sse_sanitizer_accumulate.wasm';
import wasmModule from '../pkg/sse_sanitizer_stream.wasm';
import { accumulateLoader, loader } from './wasm-stream.js';

loader.autoInit(wasmModule);
accumulateLoader.lazy(accumulateModule);

export * from './stream.js';
