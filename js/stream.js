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
  // NOTE: a relative URL is resolved now, against the page's address (a
  // single-page app may change it before the first accumulate()); a
  // promise's rejection is handled here, as the module may never be loaded.
  if (typeof accumulate === 'string' && globalThis.document) accumulate = new URL(accumulate, document.baseURI);
  if (typeof accumulate?.then === 'function') accumulate.catch(() => {});
  if (accumulate !== undefined) accumulateLoader.lazy(accumulate);
  return loader.init(source);
}

export const { ready } = loader;

export const { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize } = streamApi(loader);

export const { accumulate } = accumulateApi(accumulateLoader);
