// esbuild does not copy `new URL(…, import.meta.url)` assets: the app imports
// both files of sse-sanitizer/stream (loader `file` gives their URLs) and
// hands them to init() at the top level; accumulate()'s is still fetched only
// by its first call.
import wasm from 'sse-sanitizer/stream/wasm';
import accumulateWasm from 'sse-sanitizer/stream/accumulate-wasm';
import * as api from 'sse-sanitizer/stream';
import { check } from './check.js';

api.init(wasm, { accumulate: accumulateWasm });
check(api, { full: false });
