// normalize() and validate() on crafted bodies of 1, 4, 16 and 32 MiB, in the
// worst shapes found (issue 14) and ordinary ones: time as a ratio of
// JSON.parse + JSON.stringify on the same bytes, and peak wasm memory as a
// multiple of the body size. Each memory figure comes from a fresh wasm
// instance (its memory only grows, so its size after the call is the peak).
import { readFileSync } from 'node:fs';
import { normalize, validate } from 'sse-sanitizer';
import { fullLoader } from '../js/wasm-full.js';
import { fmt, table } from './util.js';

const MiB = 1 << 20;
const SIZES = (process.env.SHAPE_SIZES ?? '1,4,16,32').split(',').map(Number);
const wasmBytes = readFileSync(new URL('../pkg/sse_sanitizer.wasm', import.meta.url));
const encoder = new TextEncoder();

/** `count` copies of `unit` (a JSON fragment) joined with commas, sized to about `bytes`. */
function repeat(unit, bytes, extra = 0) {
  const count = Math.max(1, Math.floor((bytes - extra) / (unit.length + 1)));
  return Array(count).fill(unit).join(',');
}

const corpusMessages = (() => {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n');
  const out = [];
  for (const l of lines) {
    for (const m of JSON.parse(l).body.messages) {
      if (out.at(-1)?.role === m.role) out.push({ role: m.role === 'user' ? 'assistant' : 'user', content: 'ok' });
      if (out.length === 0 && m.role !== 'user') continue;
      out.push(m);
    }
  }
  return out;
})();

/** The shapes: name → (size in bytes) → [body text, profile or normalize options]. */
export const SHAPES = {
  'blank blocks in one message': (n) => [
    `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[${repeat('{"type":"text","text":""}', n, 128)},{"type":"text","text":"hi"}]}]}`,
    'anthropic',
  ],
  'messages to merge (bedrock)': (n) => [
    `{"model":"m","max_tokens":1,"messages":[${repeat('{"role":"user","content":"hi"}', n, 64)}]}`,
    'bedrock',
  ],
  'tool pairs to repair': (n) => {
    const pairs = Math.max(1, Math.floor(n / 160));
    const uses = Array.from({ length: pairs }, (_, i) => `{"type":"tool_use","id":"toolu_${i}","name":"f","input":{}}`);
    // Results after text (moved to the front), every other one missing, one orphan each 8.
    const results = Array.from({ length: pairs }, (_, i) =>
      i % 8 === 7 ? `{"type":"tool_result","tool_use_id":"orphan_${i}","content":"r"}` : i % 2 ? '' : `{"type":"tool_result","tool_use_id":"toolu_${i}","content":"r"}`,
    ).filter(Boolean);
    return [
      `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[${uses.join(',')}]},{"role":"user","content":[{"type":"text","text":"here"},${results.join(',')}]}]}`,
      'anthropic',
    ];
  },
  'ordinary history (corpus turns)': (n) => {
    const messages = [];
    let size = 64;
    for (let i = 0; ; i++) {
      const m = corpusMessages[i % corpusMessages.length];
      const text = JSON.stringify(m);
      if (messages.length && JSON.parse(messages.at(-1)).role === m.role) continue;
      // NOTE: room left for the closing user message: the body stays within `n`.
      const len = encoder.encode(text).length;
      if (size + len + 1 > n - 64) break;
      messages.push(text);
      size += len + 1;
    }
    if (JSON.parse(messages.at(-1)).role !== 'user') messages.push('{"role":"user","content":"ok"}');
    return [`{"model":"m","max_tokens":1,"messages":[${messages.join(',')}]}`, 'anthropic'];
  },
  'tool ids to rewrite': (n) => {
    const pairs = Math.max(1, Math.floor(n / 160));
    const uses = Array.from({ length: pairs }, (_, i) => `{"type":"tool_use","id":"functions.f:${i}","name":"f","input":{}}`);
    const results = Array.from({ length: pairs }, (_, i) => `{"type":"tool_result","tool_use_id":"functions.f:${i}","content":"r"}`);
    return [
      `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[${uses.join(',')}]},{"role":"user","content":[${results.join(',')}]}]}`,
      'anthropic',
    ];
  },
  'server tool calls past their turn': (n) => [
    `{"model":"m","max_tokens":1,"messages":[${repeat('{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}]}', n, 128)},{"role":"user","content":"q"}]}`,
    'anthropic',
  ],
  'cache breakpoints to cap (capCacheControl)': (n) => [
    `{"model":"m","max_tokens":1,"tools":[${repeat('{"name":"t","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}', n / 4, 64)}],"messages":[{"role":"user","content":[${repeat('{"type":"tool_result","tool_use_id":"x","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},{"type":"text","text":"b","cache_control":{"type":"ephemeral","ttl":"1h"}}]}', (n * 3) / 4, 128)}]}]}`,
    { profile: 'anthropic', capCacheControl: true },
  ],
  // Denser than any real turn: the smallest valid tool_use and tool_result
  // blocks. Past the memory budget normalize refuses them (invalid-shape).
  'tool calls without results (dense)': (n) => {
    const uses = Array.from({ length: Math.max(1, Math.floor(n / 56)) }, (_, i) => `{"type":"tool_use","id":"${i.toString(16)}","name":"f","input":{}}`);
    return [`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[${uses.join(',')}]},{"role":"user","content":"a"}]}`, 'anthropic'];
  },
  'orphan tool results (dense)': (n) => {
    const results = Array.from({ length: Math.max(1, Math.floor(n / 60)) }, (_, i) => `{"type":"tool_result","tool_use_id":"${i.toString(16)}","content":"r"}`);
    return [`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[${results.join(',')}]}]}`, 'anthropic'];
  },
  'tiny items (refused)': (n) => [`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[${repeat('1', n, 128)}]}]}`, 'anthropic'],
  'one large image': (n) => [
    `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"${'A'.repeat(Math.max(0, n - 200))}"}},{"type":"text","text":"what is it?"}]}]}`,
    'anthropic',
  ],
};

/** Peak wasm memory of one `normalize` (or `validate`) call of the module on a fresh instance. */
function peakMemory(bytes, options, fn) {
  const loader = fullLoader();
  loader.init(wasmBytes);
  const { memory } = loader.exports;
  const before = memory.buffer.byteLength;
  // NOTE: the module takes options as JSON text (js/util.js optionsJson).
  try {
    loader.text(loader.exports[fn](...loader.pass(bytes, JSON.stringify(options))));
  } catch (e) {
    if (e.code !== 'invalid-shape') throw e;
  }
  return memory.buffer.byteLength - before;
}

/** `f()`, or 'refused' when the body is past the memory budget (invalid-shape). */
function refusing(f) {
  try {
    return f();
  } catch (e) {
    if (e.code === 'invalid-shape') return 'refused';
    throw e;
  }
}

/**
 * The median milliseconds of a call of each of `fns`, measured interleaved:
 * one call of each in turn, for at least `rounds` rounds and `minMs` each, after
 * one warm-up call of each.
 */
// NOTE: interleaved and the median, so that load on the (shared) machine falls
// on ours and on the JSON floor alike and one slow call does not move the ratio:
// at 32 MiB a call takes about a second, and a mean of one or two calls of each,
// taken one after the other, moved the ratios ±20% between runs.
function timeTogether(fns, rounds = 5, minMs = 300) {
  for (const fn of fns) fn();
  const samples = fns.map(() => []);
  const start = performance.now();
  while (samples[0].length < rounds || performance.now() - start < minMs * fns.length) {
    fns.forEach((fn, i) => {
      const t = performance.now();
      fn();
      samples[i].push(performance.now() - t);
    });
  }
  return samples.map((ms) => ms.sort((a, b) => a - b)[ms.length >> 1]);
}

/** Every shape at every size: `{ shape, size, bytes, ms, floorMs, ratio, memory, changes }`. */
export async function measure(sizes = SIZES) {
  const out = [];
  for (const [shape, make] of Object.entries(SHAPES)) {
    for (const mib of sizes) {
      const [text, profileOrOptions] = make(mib * MiB);
      const options = typeof profileOrOptions === 'string' ? { profile: profileOrOptions } : profileOrOptions;
      const bytes = encoder.encode(text);
      const changes = refusing(() => normalize(bytes, options).changes.length);
      const [ms, validateMs, floorMs] = timeTogether([
        () => refusing(() => normalize(bytes, options)),
        () => refusing(() => validate(bytes, options)),
        () => JSON.stringify(JSON.parse(new TextDecoder().decode(bytes))),
      ]);
      const memory = peakMemory(bytes, options, 'normalize');
      const validateMemory = peakMemory(bytes, options, 'validate');
      out.push({ shape, size: mib, bytes: bytes.length, ms, validateMs, floorMs, changes, memory, validateMemory });
    }
  }
  return out;
}

export async function run() {
  const rows = await measure();
  const byShape = new Map();
  for (const r of rows) (byShape.get(r.shape) ?? byShape.set(r.shape, []).get(r.shape)).push(r);
  const lines = rows.map((r) => {
    const first = byShape.get(r.shape)[0];
    const ratio = r.ms / r.floorMs;
    const drift = ratio / (first.ms / first.floorMs);
    return [
      r.shape,
      `${r.size} MiB`,
      String(r.changes),
      fmt(r.ms, 0),
      fmt(ratio, 2) + '×',
      fmt(drift, 2) + '×',
      fmt(r.validateMs / r.floorMs, 2) + '×',
      fmt(r.memory / r.bytes, 2) + '×',
      fmt(r.validateMemory / r.bytes, 2) + '×',
    ];
  });
  table(
    'normalize/validate on crafted bodies: time vs JSON.parse+stringify of the same bytes (medians of calls interleaved with it), its drift from the 1 MiB ratio, peak wasm memory / body size (targets: ≤ 3×, drift ≤ 1.5×, memory ≤ 3× + 8 MiB)',
    ['shape', 'size', 'changes', 'normalize ms', 'vs JSON', 'drift', 'validate vs JSON', 'normalize mem', 'validate mem'],
    lines,
  );
}
