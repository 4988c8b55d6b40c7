// Browser (and default) entry: no top-level await. The .wasm next
// to the entry (pkg/) is streamed with the runtime's own fetch + instantiateStreaming,
// started after the importing module's first tick unless that module called
// init(source) (a bundler that does not copy the file: pass its URL). The
// streams and accumulate() wait for it; the synchronous calls need `await ready`.
import { loader } from './wasm-full.js';

loader.autoInit(() => new URL('../pkg/sse_sanitizer.wasm', import.meta.url));

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
