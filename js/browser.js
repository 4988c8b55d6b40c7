// Browser (and default) entry: streams the .wasm next to the glue with the
// runtime's own fetch + instantiateStreaming, before any export is usable.
import init from '../pkg/sse_sanitizer.js';

await init({ module_or_path: new URL('../pkg/sse_sanitizer_bg.wasm', import.meta.url) });

export * from './core.js';
export { sanitizingFetch } from './fetch.js';
