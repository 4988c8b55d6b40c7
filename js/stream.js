// The public API of `sse-sanitizer/stream`: the stream path alone (parser,
// sanitizer, accumulator), for pages that do not need the request side, over
// two wasm modules: the parser and sanitizer's, loaded with the entry, and the
// accumulator's, loaded by the first accumulate(). Its entries
// (stream-node.js, stream-workerd.js, stream-browser.js) name both modules
// their own way, then re-export this.
import { accumulateApi, streamApi } from './stream-api.js';
import { SanitizerError } from './util.js';
import { accumulateLoader, loader } from './wasm-stream.js';

export { SanitizerError };

/**
 * Loads the wasm module from `source` (URL, bytes, Response,
 * WebAssembly.Module; see load.js). `accumulate` names accumulate()'s module
 * (else the file next to the entry), which its first call still loads.
 */
export function init(source, { accumulate } = {}) {
  if (accumulate !== undefined) accumulateLoader.lazy(accumulate);
  return loader.init(source);
}

export const { ready } = loader;

export const { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize } = streamApi(loader);

export const { accumulate } = accumulateApi(accumulateLoader);
