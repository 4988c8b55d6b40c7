// Internal: the full wasm module (entry `sse-sanitizer`) and its loader; each
// entry starts the load with `loader.autoInit(source)`.
import * as glue from '../pkg/sse_sanitizer.js';
import { createLoader } from './load.js';

export { glue };
export const loader = createLoader(glue);
