// Internal: the loaders of the two wasm modules of `sse-sanitizer/stream`:
// the parser and sanitizer's (`loader`: each entry starts its load with
// `loader.autoInit(source)`) and the accumulator's (`accumulateLoader`: each
// entry names it with `lazy(source)`, and the first accumulate() loads it).
import { createLoader } from './load.js';

export const loader = createLoader();

export const accumulateLoader = createLoader(undefined, "init()'s `accumulate` option");
