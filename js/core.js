// The runtime-independent public API. Every entry (node.js, workerd.js,
// browser.js) instantiates the wasm module its own way, then re-exports this.
// No parsing or rule logic lives here: it converts arguments and results.
import {
  WasmAccumulator,
  WasmParser,
  WasmSanitizer,
  WasmValidator,
  anomalyCatalog,
  authHeaders as wasmAuthHeaders,
  normalizeBytes,
  redactKey as wasmRedactKey,
  ruleCatalog,
  sanitizeMessageBytes,
  validateBytes,
  wasmMemory,
} from '../pkg/sse_sanitizer.js';
import { SanitizerError, toBytes, wrapError } from './util.js';

export { SanitizerError };

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();
let views = { u8: new Uint8Array(0), u32: new Uint32Array(0) };
const EMPTY = new Uint8Array(0);
const POOL_BYTES = 64 * 1024;
const POOLED = 4 * 1024;
let pool = new Uint8Array(POOL_BYTES);
let poolUsed = 0;

/**
 * Whole-memory views, made again only when the memory grew. NOTE: growing
 * detaches the old ArrayBuffer, so a zero length is the cue (as in
 * wasm-bindgen's glue); reading `memory.buffer` on every call costs more than
 * a small push. Call after the wasm call whose results are read.
 */
function memoryViews() {
  if (views.u8.byteLength === 0) {
    const { buffer } = wasmMemory();
    views = { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer) };
  }
  return views;
}

/** Calls into wasm, re-throwing its errors as SanitizerError. */
function call(fn, ...args) {
  try {
    return fn(...args);
  } catch (err) {
    throw wrapError(err);
  }
}

// NOTE: an instance keeps its input buffer between calls (no allocation per
// chunk) up to this size; a larger chunk gets a buffer of its own, freed
// right after the call, so one huge chunk does not stay allocated.
const KEEP_INPUT = 1 << 20;

/**
 * Copies `bytes` into the input buffer of `inner` (a WasmParser or
 * WasmSanitizer), whose address and size `input` caches, then calls
 * `method` (its `feed` or `push`) on it with the length; errors come back as
 * SanitizerError. NOTE: `method` is a function, not a name: a keyed lookup
 * that sees both classes cost ~8% at 64 B chunks.
 */
function callWithInput(inner, input, method, bytes) {
  const len = bytes.length;
  try {
    if (len > input.size) {
      input.size = len > KEEP_INPUT ? len : Math.min(KEEP_INPUT, Math.max(len, 2 * input.size, 4096));
      input.ptr = inner.reserve(input.size);
    }
    memoryViews().u8.set(bytes, input.ptr);
    return method.call(inner, len);
  } catch (err) {
    throw wrapError(err);
  } finally {
    if (input.size > KEEP_INPUT) {
      inner.reserve(0);
      input.size = 0;
    }
  }
}

/** A copy of the `[address, length]` bytes a wasm call left at `header`. */
function readOutput(header) {
  const { u8, u32 } = memoryViews();
  const ptr = u32[header >>> 2];
  const len = u32[(header >>> 2) + 1];
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
 * Incremental WHATWG event-stream parser. `feed(chunk)` returns the events the
 * chunk completed; `finish()` ends the stream (an unterminated last event is
 * discarded, per the spec).
 */
export class SseParser {
  #inner;
  #input = { ptr: 0, size: 0 };
  #onRetry;

  constructor(options = {}) {
    this.#inner = new WasmParser(options);
    this.#onRetry = options.onRetry;
  }

  feed(chunk) {
    if (!this.#inner) throw new SanitizerError('finished', 'feed() after finish()');
    const header = callWithInput(this.#inner, this.#input, WasmParser.prototype.feed, toBytes(chunk));
    if (header === 0) return [];
    // NOTE: the texts are valid UTF-8 by construction, so the non-fatal
    // decoder (much faster than a fatal one) is exact. The all-ASCII events
    // come in their own text, which decodes to a one-byte string.
    const { u8, u32 } = memoryViews();
    const h = header >>> 2;
    const asciiPtr = u32[h];
    const asciiLen = u32[h + 1];
    const widePtr = u32[h + 2];
    const wideLen = u32[h + 3];
    const lengthsAt = u32[h + 4] >>> 2;
    const count = u32[h + 5];
    // Every valid `retry` field of the chunk, in order, also from blocks that
    // dispatch no event. NOTE: copied now and reported last: the callback may
    // call into wasm and detach these views.
    const retries = this.#onRetry && u32[h + 7] ? Array.from(u32.subarray(u32[h + 6] >>> 2, (u32[h + 6] >>> 2) + u32[h + 7])) : undefined;
    const ascii = asciiLen === 0 ? '' : decoder.decode(u8.subarray(asciiPtr, asciiPtr + asciiLen));
    const wide = wideLen === 0 ? '' : decoder.decode(u8.subarray(widePtr, widePtr + wideLen));
    const lengths = u32.subarray(lengthsAt, lengthsAt + count);
    const events = new Array(count / 5);
    let asciiPos = 0;
    let widePos = 0;
    for (let i = 0, j = 0; i < count; i += 5, j++) {
      const isWide = lengths[i + 4] === 1;
      const t = isWide ? wide : ascii;
      let p = isWide ? widePos : asciiPos;
      const type = t.slice(p, (p += lengths[i]));
      const data = t.slice(p, (p += lengths[i + 1]));
      const lastEventId = t.slice(p, (p += lengths[i + 2]));
      if (isWide) widePos = p;
      else asciiPos = p;
      const retry = lengths[i + 3];
      events[j] = retry === 0 ? { type, data, lastEventId } : { type, data, lastEventId, retry: retry - 1 };
    }
    if (retries) for (const ms of retries) this.#onRetry(ms);
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

/**
 * Incremental Claude stream sanitizer: bytes in, bytes out. Drops empty (and by
 * default whitespace-only) text blocks and renumbers later indices; every other
 * byte passes through unchanged.
 */
export class StreamSanitizer {
  #inner;
  #input = { ptr: 0, size: 0 };

  constructor(options = {}) {
    this.#inner = new WasmSanitizer(options);
  }

  /**
   * Feeds a chunk; returns the bytes it makes final (possibly empty while a
   * text block is held back). When nothing in the chunk changed, the returned
   * array is the chunk itself.
   */
  push(chunk) {
    const bytes = toBytes(chunk);
    const header = callWithInput(this.#live(), this.#input, WasmSanitizer.prototype.push, bytes);
    return header === 0 ? bytes : readOutput(header);
  }

  /** Ends the stream: `{ output, report }`, output being whatever was still held. */
  finish() {
    const inner = this.#live();
    const output = readOutput(call(() => inner.finish()));
    const report = JSON.parse(inner.report());
    inner.free();
    this.#inner = undefined;
    return { output, report };
  }

  /** The report so far. */
  get report() {
    return JSON.parse(this.#live().report());
  }

  #live() {
    if (!this.#inner) throw new SanitizerError('finished', 'the stream was already finished');
    return this.#inner;
  }
}

/**
 * `TransformStream<Uint8Array | string, Uint8Array>` that sanitizes a Claude
 * stream in flight: `response.body.pipeThrough(createSanitizerStream())`. Each
 * chunk costs one wasm call and yields at most one output chunk.
 */
export function createSanitizerStream(options = {}) {
  let sanitizer;
  return new TransformStream({
    start() {
      sanitizer = new StreamSanitizer(options);
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
export function sanitize(input, options = {}) {
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

/**
 * Non-streaming replies: removes the empty (and by default whitespace-only)
 * text blocks from a Message body's `content`. Returns `{ body, report }`,
 * `body` in the form it was given (the same value when unchanged).
 */
export function sanitizeMessage(body, options = {}) {
  const [bytes, form] = bodyBytes(body);
  const [out, report] = call(sanitizeMessageBytes, bytes, options);
  const result = { body, report: JSON.parse(report) };
  if (out !== null) result.body = fromBytes(out, form);
  return result;
}

function isEvent(value) {
  return value !== null && typeof value === 'object' && typeof value.data === 'string' && !ArrayBuffer.isView(value);
}

/**
 * The final assistant Message of a Claude stream, as the official SDK's
 * `finalMessage()` builds it. Takes the raw stream (string or bytes), a
 * ReadableStream or async iterable of chunks, or an iterable of SseEvent.
 * Rejects with SanitizerError `upstream-error` (with `upstreamType`) when the
 * stream carried an `error` event. With `{ messages: 'all' }`, every message
 * of a capture that holds several turns back to back, as an array.
 */
export async function accumulate(input, options = {}) {
  const inner = call(() => new WasmAccumulator(options));
  const take = (chunk) => {
    if (isEvent(chunk)) call(() => inner.push(chunk.type ?? 'message', chunk.data));
    else {
      const bytes = toBytes(chunk);
      call(() => inner.feed(bytes));
    }
  };
  try {
    if (isBytesLike(input)) take(input);
    else await eachChunk(input, take, 'accumulate() takes a string, bytes, a ReadableStream or events');
  } catch (err) {
    inner.free();
    throw err;
  }
  return JSON.parse(call(() => inner.finish()));
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

/**
 * The stream verdict: every anomaly of a Claude stream, `[{ code, event, index,
 * message, sdk }]`, where `sdk` says what the official SDK does about it
 * (`raises`, with its exact error text in `message`; `silent`; `unreached`).
 * Synchronous for a string or bytes; a ReadableStream or (async) iterable of
 * chunks gives a Promise.
 */
export function validateStream(input, options = {}) {
  const inner = new WasmValidator(options);
  const buffer = { ptr: 0, size: 0 };
  const take = (chunk) => callWithInput(inner, buffer, WasmValidator.prototype.push, toBytes(chunk));
  const finish = () => JSON.parse(call(() => inner.finish()));
  const fail = (err) => {
    inner.free();
    throw err;
  };
  if (isBytesLike(input)) {
    try {
      take(input);
    } catch (err) {
      fail(err);
    }
    return finish();
  }
  return eachChunk(input, take, 'validateStream() takes a string, bytes, a ReadableStream or an iterable of chunks').then(finish, fail);
}

let anomalyClasses;
/** The stream anomaly catalog: `[{ code, summary, sdk }]`. */
export function anomalies() {
  return (anomalyClasses ??= Object.freeze(JSON.parse(anomalyCatalog()).map(Object.freeze)));
}

/** Body → [bytes, form]; form is 'string', 'bytes' or 'object'. */
function bodyBytes(body) {
  if (typeof body === 'string') return [encoder.encode(body), 'string'];
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return [toBytes(body), 'bytes'];
  if (body !== null && typeof body === 'object') return [encoder.encode(JSON.stringify(body)), 'object'];
  throw new SanitizerError('invalid-input', `expected a request body (object, JSON string or bytes), got ${body === null ? 'null' : typeof body}`);
}

function fromBytes(bytes, form) {
  if (form === 'bytes') return bytes;
  const text = decoder.decode(bytes);
  return form === 'string' ? text : JSON.parse(text);
}

/**
 * Normalizes a Messages API request body (or a bare messages array) so a strict
 * upstream accepts it. Returns `{ body, changes }` with `body` in the form it
 * was given (object, JSON string or bytes); the same value when unchanged.
 */
export function normalize(body, options = {}) {
  const [bytes, form] = bodyBytes(body);
  const [out, changes] = call(normalizeBytes, bytes, options);
  const result = { body, changes: JSON.parse(changes) };
  if (out !== null) result.body = fromBytes(out, form);
  return result;
}

/** What a strict upstream would reject in `body`: `[{ rule, path, message }]`. */
export function validate(body, options = {}) {
  return JSON.parse(call(validateBytes, bodyBytes(body)[0], options));
}

let catalog;
/** The rules catalog: `[{ id, profiles, fix, message, otherMessages }]`. */
export function rules() {
  return (catalog ??= Object.freeze(JSON.parse(ruleCatalog()).map(Object.freeze)));
}

/** The request headers for an Anthropic call (lowercase names), never both auth headers. */
export function authHeaders(config = {}) {
  const flat = call(wasmAuthHeaders, config);
  const headers = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]] = flat[i + 1];
  return headers;
}

/** A key as it may be shown: `sk-ant-…1234`. */
export function redactKey(key) {
  return wasmRedactKey(String(key));
}
