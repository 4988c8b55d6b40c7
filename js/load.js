// Loading one wasm module through its wasm-bindgen glue. No entry uses
// top-level await: the API is importable at once and usable once `ready` has
// resolved. Node and workerd instantiate synchronously while the entry is
// evaluated, so there `ready` has resolved before any code can call the API;
// browsers fetch the .wasm next to the glue unless `init(source)` is called
// first (in the same tick as the import, i.e. at the top level of a module).
import { SanitizerError } from './util.js';

/** The u32 result of a failed wasm call. NOTE: src/wasm.rs `FAILED`; tests/surface.rs checks both. */
const FAILED = 0xffffffff;

/**
 * The load state of the module behind `glue` (its `default` async init and
 * `initSync`). `assertReady()` guards every synchronous entry point;
 * `check(result)` throws the error of a call that failed.
 */
export function createLoader(glue) {
  let loaded = false;
  // The instance's exports (wasm-bindgen's init resolves to them), for its memory.
  let exports;
  let started = false;
  let pending;
  let defaultSource;
  let settle;
  const ready = new Promise((resolve, reject) => (settle = { resolve, reject }));
  // NOTE: a failed automatic load is reported where `ready` is awaited (and
  // by every call made too early), not as an unhandled rejection.
  ready.catch(() => {});

  const loadError = (err) =>
    new SanitizerError(
      'wasm-load-failed',
      `cannot load the sse-sanitizer WebAssembly module (${err?.message ?? err}); ` +
        'pass it to init(): its URL, bytes, a Response or a WebAssembly.Module',
      { cause: err },
    );

  const done = (instanceExports) => {
    exports = instanceExports;
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
   * glue). Bytes and a WebAssembly.Module are instantiated synchronously: the
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
        done(glue.initSync({ module: source }));
        return Promise.resolve();
      }
    } catch (err) {
      return Promise.reject(failed(err));
    }
    pending = Promise.resolve(source)
      .then((s) => (isSync(s) ? glue.initSync({ module: s }) : glue.default({ module_or_path: s })))
      .then(done, (err) => {
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
        done(glue.initSync({ module: s }));
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
   * The result of a call into the module. No call throws: a failed one
   * returns FAILED (a u32 result) or `undefined` (any other) and leaves its
   * error for the module's `takeError()`, thrown here as a SanitizerError.
   */
  function check(result) {
    if (result !== FAILED && result !== undefined) return result;
    const { code, message, upstreamType } = JSON.parse(glue.takeError());
    const error = new SanitizerError(code, message);
    if (upstreamType !== undefined) error.upstreamType = upstreamType;
    throw error;
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
    assertReady,
    check,
    get loaded() {
      return loaded;
    },
    /** The module's WebAssembly.Memory, once loaded. */
    get memory() {
      return exports.memory;
    },
  };
}
