// Internal: the loader of the full wasm module (entry `sse-sanitizer`); each
// entry starts the load with `loader.autoInit(source)`.
import { createLoader } from './load.js';

/**
 * A loader of the full module, with what it imports: random values (the hash
 * tables' secret) and the output body a call hands over piece by piece
 * (normalize, sanitizeMessage), which `takeBody()` then returns (or null).
 */
export function fullLoader() {
  let body = null;
  let at = 0;
  const loader = createLoader((bytesAt) => ({
    random: (ptr, len) => crypto.getRandomValues(bytesAt(ptr, len)),
    body_start: (len) => {
      body = new Uint8Array(len >>> 0);
      at = 0;
    },
    body_piece: (ptr, len) => {
      const piece = bytesAt(ptr, len);
      body.set(piece, at);
      at += piece.length;
    },
  }));
  loader.takeBody = () => {
    const out = body;
    body = null;
    return out;
  };
  return loader;
}

export const loader = fullLoader();
