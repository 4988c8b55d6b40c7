// `sse-sanitizer/stream`: the stream path alone (parser, sanitizer,
// accumulator) over smaller wasm modules; the same declarations as the
// package root, but for `init`.
import type { InitSource } from './index.js';

/**
 * Loads the wasm module of the parser and the sanitizer, once (see the
 * package root's `init`). accumulate() loads a module of its own at its first
 * call, from the file next to this one: `options.accumulate` hands that module
 * over instead (its URL, a Response, its bytes or a `WebAssembly.Module`), for
 * a bundler that does not ship the file (`sse-sanitizer/stream/accumulate-wasm`).
 */
export declare function init(source?: InitSource, options?: { accumulate?: InitSource }): Promise<void>;

export {
  ready,
  InitSource,
  SanitizerError,
  SanitizerErrorCode,
  Limits,
  BytesLike,
  SseEvent,
  SseParserOptions,
  SseParser,
  createEventStream,
  SanitizerOptions,
  SanitizerStreamOptions,
  DroppedBlock,
  ReportNote,
  SanitizeReport,
  StreamSanitizer,
  createSanitizerStream,
  sanitize,
  ContentBlock,
  Message,
  AccumulateInput,
  AccumulateOptions,
  accumulate,
} from './index.js';
