// Browser (and default) entry of `sse-sanitizer/stream`: no top-level await. The .wasm next
// to the entry (pkg/) is streamed with the runtime's own fetch + instantiateStreaming,
// started after the importing module's first tick unless that module called
// init(source) (a bundler that does not copy the file: pass its URL). The
// streams wait for it; the synchronous calls need `await ready`.
// accumulate()'s own module is fetched by its first call (init's `accumulate`
// option names it).
import { accumulateLoader, loader } from './wasm-stream.js';

loader.autoInit(() => new URL('../pkg/sse_sanitizer_stream.wasm', import.meta.url));
accumulateLoader.lazy(() => new URL('../pkg/sse_sanitizer_accumulate.wasm', import.meta.url));

export * from './stream.js';
