// Corpus access for the package tests and benchmarks (the project's copy only).
import { readdirSync, readFileSync } from 'node:fs';

export const corpusDir = new URL('../tests/corpus/', import.meta.url);

/** Every recorded SSE body: [{ name, bytes }], sorted by name. */
export function corpusStreams() {
  const out = [];
  for (const dir of ['streams', 'handwritten/streams', 'compatible/streams']) {
    const base = new URL(`${dir}/`, corpusDir);
    for (const file of readdirSync(base).filter((f) => f.endsWith('.sse')).sort()) {
      out.push({ name: `${dir}/${file}`, bytes: new Uint8Array(readFileSync(new URL(file, base))) });
    }
  }
  return out;
}

/** Deterministic PRNG (xorshift32); seed from SSE_SEED to reproduce. */
export function rng(seed = Number(process.env.SSE_SEED ?? 0x5eed2026)) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

export function chunk(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/**
 * `bytes` cut into pieces whose sizes cycle through `sizes` (for the wasm
 * input buffer: growing, past 1 MiB, small again).
 */
export function cycleChunks(bytes, sizes) {
  const out = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/** One buffer holding `parts` back to back. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
