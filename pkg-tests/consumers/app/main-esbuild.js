// esbuild does not copy `new URL(…, import.meta.url)` assets: the app imports
// the file (loader `file` gives its URL) and hands it to init() at the top level.
import wasm from 'sse-sanitizer/wasm';
import * as api from 'sse-sanitizer';
import { check } from './check.js';

api.init(wasm);
check(api, { full: true });
