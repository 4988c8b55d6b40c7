// Internal: the loader of the full wasm module (entry `sse-sanitizer`); each
// entry starts the load with `loader.autoInit(source)`.
import { createLoader } from './load.js';

export const loader = createLoader();
