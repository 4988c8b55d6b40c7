// Shared benchmark helpers: the corpus as one buffer, chunking, timing.
import { concat, corpusStreams } from '../pkg-tests/corpus.js';

/** Every corpus stream concatenated, repeated until it is at least `minBytes`. */
export function corpusBytes(minBytes = 0) {
  const parts = corpusStreams().map((s) => s.bytes);
  const one = concat(parts);
  const reps = Math.max(1, Math.ceil(minBytes / one.length));
  return concat(Array(reps).fill(one));
}

/** Pre-sliced chunks (views, no copies) so slicing is not measured. */
export function chunks(bytes, size) {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/**
 * Runs `fn` (one full pass over `bytes` bytes) repeatedly for at least
 * `minMs`, after one warm-up pass; returns MB/s (1 MB = 1e6 bytes), the median of 3 rounds.
 */
export async function throughput(bytes, fn, minMs = 400) {
  await fn();
  const rounds = [];
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      await fn();
      n++;
      elapsed = performance.now() - start;
    } while (elapsed < minMs);
    rounds.push((bytes * n) / (elapsed / 1000) / 1e6);
  }
  return rounds.sort((a, b) => a - b)[1];
}

export function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

export const fmt = (n, digits = 1) => n.toFixed(digits);
