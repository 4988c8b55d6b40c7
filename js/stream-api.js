// The stream path of the API (parser, sanitizer, accumulator), bound to a
// wasm module: the full one (`sse-sanitizer`), or the two of
// `sse-sanitizer/stream` (the parser and sanitizer's, and the accumulator's).
// Each binding has its own memory views and output pool, since each module
// has its own memory.
import { Output, inputOf, words } from './load.js';
import { SanitizerError, decoder, optionsJson, toBytes } from './util.js';

const EMPTY = new Uint8Array(0);
const POOL_BYTES = 64 * 1024;
const POOLED = 4 * 1024;
// NOTE: what the wasm calls leave in memory: the `#[repr(C)]` structs of
// src/wasm/stream.rs, word by word in order (camelCase field names);
// tests/surface.rs fails when these lists and the structs differ.
const ParsedChunk = words('asciiPtr asciiLen widePtr wideLen eventsPtr eventsCount retriesPtr retriesCount');
const EventRecord = words('typeLen dataLen idLen retry wide');
const EVENT_WORDS = Object.keys(EventRecord).length;

/**
 * `fn()` now when the module is loaded, else once it is (a Promise). NOTE:
 * streams and validateStream() of a stream made before the module has loaded
 * wait for it, so they work without `await ready` (accumulate() too, through
 * `loader.load()`); the synchronous calls throw.
 */
const whenReady = (loader, fn) => (loader.loaded ? fn() : loader.ready.then(fn));

/**
 * The parser and the sanitizer over a `loader` (load.js) of a module with
 * their exports (src/wasm/stream.rs).
 */
export function streamApi(loader) {
  const { assertReady, callWithInput, check, drop, memory, owned, pass, release, text } = loader;
  let pool = new Uint8Array(POOL_BYTES);
  let poolUsed = 0;

  /** A copy of the output bytes a wasm call left at `header` (an `Output`). */
  function readOutput(header) {
    // NOTE: read word by word (not through loader.output): most pushes of
    // small chunks give nothing yet, and make no view then.
    const { u8, u32 } = memory();
    const ptr = u32[(header >>> 2) + Output.ptr];
    const len = u32[(header >>> 2) + Output.len];
    if (len === 0) return EMPTY;
    if (len > POOLED) return u8.slice(ptr, ptr + len);
    // Small outputs are carved from a shared slab, as Node does for small
    // Buffers: one backing-store allocation per 64 KiB instead of per chunk.
    // NOTE: a slab detached by a transfer (postMessage) is replaced.
    if (pool.byteLength - poolUsed < len || pool.buffer.byteLength === 0) {
      pool = new Uint8Array(POOL_BYTES);
      poolUsed = 0;
    }
    const out = pool.subarray(poolUsed, poolUsed + len);
    out.set(u8.subarray(ptr, ptr + len));
    poolUsed += len;
    return out;
  }

  /**
   * Incremental WHATWG event-stream parser. `push(chunk)` returns the events the
   * chunk completed; `finish()` ends the stream (an unterminated last event is
   * discarded, per the spec). `feed` is the old name of `push`.
   */
  class SseParser {
    #input;
    #onRetry;

    constructor(options = {}) {
      assertReady();
      const x = loader.exports;
      const handle = check(x.parser_create(...pass(optionsJson(options))));
      this.#input = inputOf(owned(this, handle), x.parser_reserve, x.parser_push);
      this.#onRetry = options?.onRetry;
    }

    push(chunk) {
      if (!this.#input) throw new SanitizerError('finished', 'push() after finish()');
      const header = callWithInput(this.#input, toBytes(chunk));
      if (header === 0) return [];
      // NOTE: the texts are valid UTF-8 by construction, so the non-fatal
      // decoder (much faster than a fatal one) is exact. The all-ASCII events
      // come in their own text, which decodes to a one-byte string.
      const { u8, u32 } = memory();
      const h = header >>> 2;
      const c = ParsedChunk;
      const asciiPtr = u32[h + c.asciiPtr];
      const asciiLen = u32[h + c.asciiLen];
      const widePtr = u32[h + c.widePtr];
      const wideLen = u32[h + c.wideLen];
      const recordsAt = u32[h + c.eventsPtr] >>> 2;
      const count = u32[h + c.eventsCount];
      // Every valid `retry` field of the chunk, in order, also from blocks that
      // dispatch no event. NOTE: copied now and reported last: the callback may
      // call into wasm and detach these views.
      const retriesAt = u32[h + c.retriesPtr] >>> 2;
      const retries = this.#onRetry && u32.slice(retriesAt, retriesAt + u32[h + c.retriesCount]);
      const ascii = asciiLen === 0 ? '' : decoder.decode(u8.subarray(asciiPtr, asciiPtr + asciiLen));
      const wide = wideLen === 0 ? '' : decoder.decode(u8.subarray(widePtr, widePtr + wideLen));
      const stride = EVENT_WORDS;
      const { typeLen, dataLen, idLen, retry: retryWord, wide: wideWord } = EventRecord;
      const records = u32.subarray(recordsAt, recordsAt + count * stride);
      const events = new Array(count);
      let asciiPos = 0;
      let widePos = 0;
      for (let i = 0, j = 0; j < count; i += stride, j++) {
        const isWide = records[i + wideWord] === 1;
        const t = isWide ? wide : ascii;
        let p = isWide ? widePos : asciiPos;
        const type = t.slice(p, (p += records[i + typeLen]));
        const data = t.slice(p, (p += records[i + dataLen]));
        const lastEventId = t.slice(p, (p += records[i + idLen]));
        if (isWide) widePos = p;
        else asciiPos = p;
        const retry = records[i + retryWord];
        events[j] = retry === 0 ? { type, data, lastEventId } : { type, data, lastEventId, retry: retry - 1 };
      }
      if (retries) for (const ms of retries) this.#onRetry(ms);
      return events;
    }

    /** The old name of `push`. */
    feed(chunk) {
      return this.push(chunk);
    }

    /** Ends the stream; returns true when an unterminated last event was discarded. */
    finish() {
      if (!this.#input) return false;
      const { handle } = this.#input;
      this.#input = undefined;
      release(this);
      return check(loader.exports.parser_finish(handle)) === 1;
    }
  }

  /**
   * `TransformStream<Uint8Array | string, SseEvent>`:
   * `response.body.pipeThrough(createEventStream())`.
   */
  function createEventStream(options = {}) {
    let parser;
    return new TransformStream({
      start() {
        return whenReady(loader, () => {
          parser = new SseParser(options);
        });
      },
      transform(chunk, controller) {
        for (const event of parser.push(chunk)) controller.enqueue(event);
      },
      flush() {
        parser.finish();
      },
    });
  }

  /**
   * Incremental Claude stream sanitizer: bytes in, bytes out. Drops empty (under
   * the `bedrock` profile also whitespace-only) text blocks and renumbers later
   * indices, except that a blank block before a thinking block keeps its place
   * with placeholder text (signed thinking never moves); every other byte passes
   * through unchanged.
   */
  class StreamSanitizer {
    #input;

    constructor(options = {}) {
      assertReady();
      const x = loader.exports;
      const handle = check(x.sanitizer_create(...pass(optionsJson(options))));
      this.#input = inputOf(owned(this, handle), x.sanitizer_reserve, x.sanitizer_push);
    }

    /**
     * Feeds a chunk; returns the bytes it makes final (possibly empty while a
     * text block is held back). When nothing in the chunk changed, the returned
     * array is the chunk itself.
     */
    push(chunk) {
      const bytes = toBytes(chunk);
      const header = callWithInput(this.#live(), bytes);
      return header === 0 ? bytes : readOutput(header);
    }

    /** Ends the stream: `{ output, report }`, output being whatever was still held. */
    finish() {
      const { handle } = this.#live();
      const x = loader.exports;
      const output = readOutput(check(x.sanitizer_finish(handle)));
      const report = JSON.parse(text(x.sanitizer_report(handle)));
      drop(this, handle);
      this.#input = undefined;
      return { output, report };
    }

    /** The report so far. */
    get report() {
      return JSON.parse(text(loader.exports.sanitizer_report(this.#live().handle)));
    }

    #live() {
      if (!this.#input) throw new SanitizerError('finished', 'the stream was already finished');
      return this.#input;
    }
  }

  /**
   * `TransformStream<Uint8Array | string, Uint8Array>` that sanitizes a Claude
   * stream in flight: `response.body.pipeThrough(createSanitizerStream())`. Each
   * chunk costs one wasm call and yields at most one output chunk.
   */
  function createSanitizerStream(options = {}) {
    let sanitizer;
    return new TransformStream({
      start() {
        return whenReady(loader, () => {
          sanitizer = new StreamSanitizer(options);
        });
      },
      transform(chunk, controller) {
        const out = sanitizer.push(chunk);
        if (out.length > 0) controller.enqueue(out);
      },
      flush(controller) {
        const { output, report } = sanitizer.finish();
        if (output.length > 0) controller.enqueue(output);
        options.onReport?.(report);
      },
    });
  }

  /** One-shot sanitize: `{ output, report }`, output a string when given a string. */
  function sanitize(input, options = {}) {
    const sanitizer = new StreamSanitizer(options);
    const body = sanitizer.push(input);
    const { output: tail, report } = sanitizer.finish();
    let output = body;
    if (tail.length > 0) {
      output = new Uint8Array(body.length + tail.length);
      output.set(body);
      output.set(tail, body.length);
    }
    return { output: typeof input === 'string' ? decoder.decode(output) : output, report };
  }

  return { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize };
}

/**
 * accumulate() over a `loader` of a module with the accumulator exports: the
 * full one, or the stream entry's own accumulator module, loaded lazily.
 */
export function accumulateApi(loader) {
  const { callWithInput, check, drop, owned, pass, release, text } = loader;

  /**
   * The final assistant Message of a Claude stream, as the official SDK's
   * `finalMessage()` builds it. Takes the raw stream (string or bytes), a
   * ReadableStream or async iterable of chunks, or an iterable of SseEvent.
   * Rejects with SanitizerError `upstream-error` (with `upstreamType`) when the
   * stream carried an `error` event. With `{ messages: 'all' }`, every message
   * of a capture that holds several turns back to back, as an array.
   */
  async function accumulate(input, options = {}) {
    if (!loader.loaded) await loader.load();
    const x = loader.exports;
    const buffer = inputOf(check(x.accumulator_create(...pass(optionsJson(options)))), x.accumulator_reserve, x.accumulator_push);
    const { handle } = buffer;
    // NOTE: freed when `buffer` is collected, for an input that never ends.
    owned(buffer, handle);
    const take = (chunk) =>
      isEvent(chunk)
        ? check(x.accumulator_push_event(handle, ...pass(String(chunk.type ?? 'message'), chunk.data)))
        : callWithInput(buffer, toBytes(chunk));
    try {
      if (isBytesLike(input)) take(input);
      else await eachChunk(input, take, 'accumulate() takes a string, bytes, a ReadableStream or events');
    } catch (err) {
      drop(buffer, handle);
      throw err;
    }
    release(buffer);
    return JSON.parse(text(x.accumulator_finish(handle)));
  }

  return { accumulate };
}

function isEvent(value) {
  return value !== null && typeof value === 'object' && typeof value.data === 'string' && !ArrayBuffer.isView(value);
}

function isBytesLike(input) {
  return typeof input === 'string' || input instanceof ArrayBuffer || ArrayBuffer.isView(input);
}

/** Calls `take` with each chunk of a ReadableStream, an async iterable or an iterable. */
async function eachChunk(input, take, usage) {
  if (input && typeof input[Symbol.asyncIterator] === 'function') for await (const c of input) take(c);
  else if (input && typeof input.getReader === 'function') {
    const reader = input.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) take(r.value);
  } else if (input && typeof input[Symbol.iterator] === 'function') for (const c of input) take(c);
  else throw new SanitizerError('invalid-input', usage);
}

/** The stream verdict over a `loader` of the full module (its validator exports). */
export function verdictApi(loader) {
  const { assertReady, callWithInput, check, drop, owned, pass, release, text } = loader;

  /**
   * The stream verdict: every anomaly of a Claude stream, `[{ code, event,
   * index, message, sdk }]`, where `sdk` says what the official SDK does about
   * it (`raises`, with its exact error text in `message`; `silent`;
   * `unreached`). Synchronous for a string or bytes; a ReadableStream or
   * (async) iterable of chunks gives a Promise.
   */
  function validateStream(input, options = {}) {
    const run = () => {
      const x = loader.exports;
      const inner = inputOf(check(x.validator_create(...pass(optionsJson(options)))), x.validator_reserve, x.validator_push);
      // NOTE: freed when `inner` is collected, for an input that never ends.
      owned(inner, inner.handle);
      const take = (chunk) => callWithInput(inner, toBytes(chunk));
      const finish = () => {
        release(inner);
        return JSON.parse(text(x.validator_finish(inner.handle)));
      };
      const fail = (err) => {
        drop(inner, inner.handle);
        throw err;
      };
      if (!isBytesLike(input)) {
        const usage = 'validateStream() takes a string, bytes, a ReadableStream or an iterable of chunks';
        return eachChunk(input, take, usage).then(finish, fail);
      }
      try {
        take(input);
      } catch (err) {
        fail(err);
      }
      return finish();
    };
    if (isBytesLike(input)) {
      assertReady();
      return run();
    }
    return whenReady(loader, run);
  }

  return { validateStream };
}
