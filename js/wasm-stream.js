// Internal: the loader of the stream-only wasm module (entry
// `sse-sanitizer/stream`); each entry starts the load with `loader.autoInit(source)`.
import { createLoader } from './load.js';

export const loader = createLoader();
