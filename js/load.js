// Loading one wasm module and calling it: its instantiation, memory, arguments,
// results and errors (the raw exports of src/wasm.rs and src/wasm/). No entry
// uses top-level await: the API is importable at once and usable once `ready` has resolved.
// Node and workerd instantiate synchronously while the entry is evaluated, so
// there `ready` has resolved before any code can call the API; browsers fetch
// the .wasm next to the entry unless `init(source)` is called first (in the
// same tick as the import, i.e. at the top level of a module).
import { SanitizerError, decoder } from './util.js';

/** The u32 result of a failed wasm call. NOTE: src/wasm.rs `FAILED`; tests/surface.rs checks both. */
const FAILED = 0xffffffff;

// NOTE: the `#[repr(C)]` struct of src/wasm.rs a text or bytes result is
// read through (camelCase field names); tests/surface.rs checks it.
export const Output = words('ptr len');

/** `{ name: index }` of u32 words, in memory order. */
export function words(names) {
  return Object.fromEntries(names.split(' ').map((name, i) => [name, i]));
}

const encoder = new TextEncoder();

// NOTE: an object keeps its input buffer between calls (no allocation per
// chunk) up to this size; a larger chunk gets a buffer of its own, freed
// right after the call, so one huge chunk does not stay allocated.
const KEEP_INPUT = 1 << 20;

/**
 * The input buffer of the object `handle` names (a parser, sanitizer,
 * accumulator, validator or redactor): its address and size, cached, and its
 * `reserve` and `push` exports; see `callWithInput`.
 */
export const inputOf = (handle, reserve, push) => ({ handle, ptr: 0, size: 0, reserve, push });

/**
 * The load state of one wasm module and the ways to call it. `assertReady()`
 * guards every synchronous entry point; `check(result)` throws the error of a
 * call that failed; `exports` are the module's raw exports. `imports(bytesAt)`
 * makes what the module imports (`env`), given `bytesAt(ptr, len)`, a view of
 * its memory; the stream entry's modules import nothing. `placeWith` says, in
 * the error of a failed load, how to hand the module over.
 */
export function createLoader(imports = () => ({}), placeWith = 'init()') {
  let loaded = false;
  // The instance's exports.
  let exports;
  let started = false;
  let pending;
  let defaultSource;
  let isLazy = false;
  let settle;
  const ready = new Promise((resolve, reject) => (settle = { resolve, reject }));
  // NOTE: a failed automatic load is reported where `ready` is awaited (and
  // by every call made too early), not as an unhandled rejection.
  ready.catch(() => {});
  let views = { u8: new Uint8Array(0), u32: new Uint32Array(0) };
  /**
   * Whole-memory views, made again only when the memory grew. NOTE: growing
   * detaches the old ArrayBuffer, so a zero length is the cue; reading
   * `memory.buffer` on every call costs more than a small push. Call after
   * the wasm call whose results are read.
   */
  function memory() {
    if (views.u8.byteLength === 0) {
      const { buffer } = exports.memory;
      views = { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer) };
    }
    return views;
  }

  /** `len` bytes of the memory at `ptr`, both i32 words the module passed (see `check`). */
  const bytesAt = (ptr, len) => memory().u8.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));

  const importObject = { env: imports(bytesAt) };

  /** Instantiates bytes or a compiled module, synchronously. */
  const instantiate = (source) =>
    new WebAssembly.Instance(source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source), importObject).exports;

  /** Instantiates a URL, a Request, a Response or a promise of one of them. */
  async function fetchAndInstantiate(source) {
    source = await source;
    if (typeof source === 'string' || source instanceof URL || (typeof Request === 'function' && source instanceof Request)) {
      source = await fetch(source);
    }
    if (!(typeof Response === 'function' && source instanceof Response)) return instantiate(source);
    if (!source.ok) throw new Error(`failed to fetch Wasm: ${source.status} ${source.statusText} fetching '${source.url}'`);
    // NOTE: streaming compilation needs the `application/wasm` type; a server
    // that sends another gets the whole file compiled at once.
    if (typeof WebAssembly.instantiateStreaming === 'function' && /^application\/wasm\b/i.test(source.headers.get('content-type'))) {
      return (await WebAssembly.instantiateStreaming(source, importObject)).instance.exports;
    }
    return (await WebAssembly.instantiate(await source.arrayBuffer(), importObject)).instance.exports;
  }

  const loadError = (err) =>
    new SanitizerError(
      'wasm-load-failed',
      `cannot load the sse-sanitizer WebAssembly module (${err?.message ?? err}); ` +
        `pass it to ${placeWith}: its URL, bytes, a Response or a WebAssembly.Module`,
      { cause: err },
    );

  const done = (instanceExports) => {
    exports = instanceExports;
    exports.start?.();
    loaded = true;
    settle.resolve();
  };

  /** True for what can be instantiated without waiting: bytes or a compiled module. */
  const isSync = (source) =>
    source instanceof WebAssembly.Module || source instanceof ArrayBuffer || ArrayBuffer.isView(source);

  const failed = (err) => {
    const error = loadError(err);
    settle.reject(error);
    return error;
  };

  /**
   * Loads the module from `source` (default: the entry's own, next to the
   * entry). Bytes and a WebAssembly.Module are instantiated synchronously: the
   * API is usable as soon as this returns. The first successful load wins;
   * `ready` settles with the first load that ends.
   */
  function init(source) {
    started = true;
    if (loaded) return Promise.resolve();
    if (pending) return pending;
    try {
      source ??= typeof defaultSource === 'function' ? defaultSource() : defaultSource;
      if (isSync(source)) {
        done(instantiate(source));
        return Promise.resolve();
      }
    } catch (err) {
      return Promise.reject(failed(err));
    }
    pending = fetchAndInstantiate(source).then(done, (err) => {
        pending = undefined;
        throw failed(err);
      });
    return pending;
  }

  /**
   * Called once by each entry with the module's default source (or a function
   * that returns it). A synchronous source is loaded now; otherwise (or when
   * that fails) the load starts after the current tick unless `init()` was
   * called by then, and a failure rejects `ready`.
   */
  function autoInit(source) {
    defaultSource = source;
    let error;
    try {
      const s = typeof source === 'function' ? source() : source;
      if (isSync(s)) {
        done(instantiate(s));
        return;
      }
      defaultSource = s;
    } catch (err) {
      error = loadError(err);
    }
    queueMicrotask(() => {
      if (started) return;
      if (error) settle.reject(error);
      // NOTE: init() has rejected `ready` already; its own promise is dropped.
      else init().catch(() => {});
    });
  }

  /**
   * Names the module's source without loading it: the next load (the first
   * `load()`) takes the last one named. For a module only some calls need.
   */
  function lazy(source) {
    defaultSource = source;
    isLazy = true;
  }

  /**
   * Resolves once the module has loaded. A lazy one is loaded here, after
   * the current tick, so that an `init()` in the same tick still names its
   * source; after a failed load (a network blip), the next call tries again
   * (a Response or a promise given as the source cannot be read twice).
   * NOTE: concurrent calls share the pending load (init). A lazy loader's
   * `ready` is not used: it stays rejected after a failed load.
   */
  function load() {
    if (!isLazy) return ready;
    return Promise.resolve().then(() => (loaded ? undefined : init()));
  }

  /**
   * The u32 result of a call into the module. No call throws: a failed one
   * returns FAILED and leaves its error for the module's `take_error`, thrown
   * here as a SanitizerError. NOTE: wasm returns an i32, which JS reads
   * signed; `>>> 0` makes it the u32 it is (an address may be ≥ 2 GiB).
   */
  function check(result) {
    result >>>= 0;
    if (result !== FAILED) return result;
    const { code, message, upstreamType } = JSON.parse(text(exports.take_error()));
    const error = new SanitizerError(code, message);
    if (upstreamType !== undefined) error.upstreamType = upstreamType;
    throw error;
  }

  /**
   * Writes a call's arguments (strings, as UTF-8, or bytes) back to back into
   * the module's argument buffer; returns their byte lengths, which the call
   * takes, spread: `(...pass(a, b))`.
   */
  function pass(...args) {
    const parts = args.map((a) => (typeof a === 'string' ? encoder.encode(a) : a));
    let at = check(exports.args(parts.reduce((n, p) => n + p.length, 0)));
    const { u8 } = memory();
    for (const p of parts) {
      u8.set(p, at);
      at += p.length;
    }
    return parts.map((p) => p.length);
  }

  /**
   * Copies `bytes` into the input buffer of `input`'s object (`inputOf`),
   * then calls its `push` with the length: its result, or its error thrown
   * as a SanitizerError.
   */
  function callWithInput(input, bytes) {
    const len = bytes.length;
    try {
      if (len > input.size) {
        const size = len > KEEP_INPUT ? len : Math.min(KEEP_INPUT, Math.max(len, 2 * input.size, 4096));
        // NOTE: reserve frees the old buffer first: after one that failed
        // there is none, and the next push must reserve again.
        input.size = 0;
        input.ptr = check(input.reserve(input.handle, size));
        input.size = size;
      }
      memory().u8.set(bytes, input.ptr);
      return check(input.push(input.handle, len));
    } finally {
      if (input.size > KEEP_INPUT) {
        input.reserve(input.handle, 0);
        input.size = 0;
      }
    }
  }

  /** The bytes a call left at `header` (an `Output`), in wasm memory: read them before the next call. */
  function output(header) {
    const { u8, u32 } = memory();
    const ptr = u32[(header >>> 2) + Output.ptr];
    return u8.subarray(ptr, ptr + u32[(header >>> 2) + Output.len]);
  }

  /** The text result of a call: its header checked, the text decoded. */
  const text = (result) => decoder.decode(output(check(result)));

  // Frees the module's object a handle names once the JS object that held
  // it is garbage-collected (`owned`); `release` forgets an owner whose
  // handle a call consumed (a `*_finish`), `drop` frees it now.
  const registry = new FinalizationRegistry((handle) => exports.free(handle));

  /** Registers `handle` as held by `owner`; returns it. */
  function owned(owner, handle) {
    registry.register(owner, handle, owner);
    return handle;
  }

  function assertReady() {
    if (!loaded) {
      throw new SanitizerError(
        'not-ready',
        'the sse-sanitizer WebAssembly module is not loaded yet: `await ready` (or `await init()`) before this call',
      );
    }
  }

  return {
    init,
    ready,
    autoInit,
    lazy,
    load,
    assertReady,
    check,
    pass,
    output,
    text,
    memory,
    owned,
    release: (owner) => registry.unregister(owner),
    drop(owner, handle) {
      registry.unregister(owner);
      exports.free(handle);
    },
    callWithInput,
    get loaded() {
      return loaded;
    },
    /** The module's raw exports (src/wasm.rs, src/wasm/), once loaded. */
    get exports() {
      return exports;
    },
  };
}
