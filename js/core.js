// The runtime-independent public API. Every entry (node.js, workerd.js,
// browser.js) instantiates the wasm module its own way, then re-exports this.
// No parsing or rule logic lives here: it converts arguments and results.
import { WasmParser } from '../pkg/sse_sanitizer.js';
import { SanitizerError, toBytes, wrapError } from './util.js';

export { SanitizerError };

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
    let text;
    try {
      text = this.#inner.feed(toBytes(chunk));
    } catch (err) {
      throw wrapError(err);
    }
    // NOTE: an event's type is never empty ("message" by default), so an empty
    // string means the chunk completed no event.
    if (text.length === 0) return [];
    const lengths = this.#inner.lengths();
    const events = new Array(lengths.length >> 2);
    let pos = 0;
    for (let i = 0, j = 0; i < lengths.length; i += 4, j++) {
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
