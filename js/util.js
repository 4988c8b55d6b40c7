// Internal helpers shared by the JS wrappers; not part of the public API
// (the package re-exports SanitizerError only).

/** The one error class of the package; `code` is a stable kebab-case string. */
export class SanitizerError extends Error {
  constructor(code, message, options) {
    super(message, options);
    this.name = 'SanitizerError';
    this.code = code;
  }
}

const encoder = new TextEncoder();

/** Uint8Array view of a string (UTF-8), typed array, ArrayBuffer or DataView. */
export function toBytes(input) {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return encoder.encode(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new SanitizerError('invalid-input', `expected a string or bytes, got ${input === null ? 'null' : typeof input}`);
}

/**
 * An options object as the JSON text the wasm module reads (the core decides
 * what each option means and refuses a wrong type with `invalid-option`);
 * callbacks and `undefined` values are left out, as JSON leaves them.
 */
export function optionsJson(options) {
  if (options === undefined || options === null) return '{}';
  try {
    return JSON.stringify(options);
  } catch (err) {
    throw new SanitizerError('invalid-option', `invalid options: ${err.message}`);
  }
}

/** UTF-8 decoder of wasm output; NOTE: non-fatal, as the output is valid UTF-8 by construction. */
export const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
