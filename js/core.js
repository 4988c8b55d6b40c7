// The runtime-independent public API. Every entry (node.js, workerd.js,
// browser.js) instantiates the wasm module its own way, then re-exports this.
// No parsing or rule logic lives here: it converts arguments and results.
import { WasmParser, wasmMemory } from '../pkg/sse_sanitizer.js';
import { SanitizerError, toBytes, wrapError } from './util.js';

export { SanitizerError };

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
let memory;

/**
 * Incremental WHATWG event-stream parser. `feed(chunk)` returns the events the
 * chunk completed; `finish()` ends the stream (an unterminated last event is
 * discarded, per the spec).
 */
export class SseParser {
  #inner;

  constructor(options = {}) {
    this.#inner = new WasmParser(options);
  }

  feed(chunk) {
    if (!this.#inner) throw new SanitizerError('finished', 'feed() after finish()');
    let header;
    try {
      header = this.#inner.feed(toBytes(chunk));
    } catch (err) {
      throw wrapError(err);
    }
    if (header === 0) return [];
    // NOTE: views are made after the call: the call may have grown (and so
    // replaced) the memory buffer. The text is valid UTF-8 by construction,
    // so the non-fatal decoder (much faster than a fatal one) is exact.
    const buffer = (memory ??= wasmMemory()).buffer;
    const [textPtr, textLen, lengthsPtr, count] = new Uint32Array(buffer, header, 4);
    const text = decoder.decode(new Uint8Array(buffer, textPtr, textLen));
    const lengths = new Uint32Array(buffer, lengthsPtr, count);
    const events = new Array(count >> 2);
    let pos = 0;
    for (let i = 0, j = 0; i < count; i += 4, j++) {
      const type = text.slice(pos, (pos += lengths[i]));
      const data = text.slice(pos, (pos += lengths[i + 1]));
      const lastEventId = text.slice(pos, (pos += lengths[i + 2]));
      const retry = lengths[i + 3];
      events[j] = retry === 0 ? { type, data, lastEventId } : { type, data, lastEventId, retry: retry - 1 };
    }
    return events;
  }

  /** Ends the stream; returns true when an unterminated last event was discarded. */
  finish() {
    if (!this.#inner) return false;
    const inner = this.#inner;
    this.#inner = undefined;
    try {
      return inner.finish();
    } catch (err) {
      throw wrapError(err);
    }
  }
}

/**
 * `TransformStream<Uint8Array | string, SseEvent>`:
 * `response.body.pipeThrough(createEventStream())`.
 */
export function createEventStream(options = {}) {
  let parser;
  return new TransformStream({
    start() {
      parser = new SseParser(options);
    },
    transform(chunk, controller) {
      for (const event of parser.feed(chunk)) controller.enqueue(event);
    },
    flush() {
      parser.finish();
    },
  });
}
