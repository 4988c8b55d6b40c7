// Internal: the stream-only wasm module (entry `sse-sanitizer/stream`) and its
// loader; each entry starts the load with `loader.autoInit(source)`.
import * as glue from '../pkg/sse_sanitizer_stream.js';
import { createLoader } from './load.js';

export { glue };
export const loader = createLoader(glue);
