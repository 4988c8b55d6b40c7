// The public API of `sse-sanitizer/stream`: the stream path alone (parser,
// sanitizer, accumulator) over the stream-only wasm module, for pages that do
// not need the request side. Its entries (stream-node.js, stream-workerd.js,
// stream-browser.js) load the module their own way, then re-export this.
import { streamApi } from './stream-api.js';
import { SanitizerError } from './util.js';
import { loader } from './wasm-stream.js';

export { SanitizerError };

/** Loads the wasm module from `source` (URL, bytes, Response, WebAssembly.Module); see load.js. */
export const { init, ready } = loader;

export const { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize, accumulate } = streamApi(loader);
