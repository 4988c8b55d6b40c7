// Hostile input through the built package: each case ends in a typed error or
// a report entry, never a wasm trap, with bounded memory.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import {
  SanitizerError,
  SseParser,
  StreamSanitizer,
  accumulate,
  normalize,
  sanitize,
  validate,
} from '../js/node.js';
import { fullLoader } from '../js/wasm-full.js';
import { loader } from '../js/wasm-full.js';
import { chunk, corpusStreams } from './corpus.js';

const encoder = new TextEncoder();
const MiB = 1 << 20;
const wasmBytes = () => loader.exports.memory.buffer.byteLength;
const start = (extra = '') =>
  `event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}${extra}}}\n\n`;
const blockStart = (index) => `event: content_block_start\ndata: {"type":"content_block_start","index":${index},"content_block":{"type":"text","text":""}}\n\n`;
const blockStop = (index) => `event: content_block_stop\ndata: {"type":"content_block_stop","index":${index}}\n\n`;

function codeOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SanitizerError, `not a SanitizerError: ${e}`);
    return e.code;
  }
  return 'ok';
}

/** Feeds `total` bytes of one endless line in 1 MiB pieces. */
function* longLine(total) {
  const piece = encoder.encode('x'.repeat(MiB));
  yield encoder.encode('data: ');
  for (let sent = 0; sent < total; sent += MiB) yield piece;
}

test('a 100 MB line: the parser refuses past 8 MiB and stays poisoned; the sanitizer passes it through unchanged', () => {
  const before = wasmBytes();
  const parser = new SseParser();
  let failedAt = 0;
  let fed = 0;
  for (const piece of longLine(100 * MiB)) {
    fed += piece.length;
    const code = codeOf(() => parser.feed(piece));
    if (code !== 'ok') {
      assert.equal(code, 'max-buffer-exceeded');
      failedAt = fed;
      break;
    }
  }
  assert.ok(failedAt > 8 * MiB && failedAt <= 10 * MiB, `refused at ${failedAt}`);
  // Poisoned: the same error for any further input, even a valid event.
  assert.equal(codeOf(() => parser.feed('data: ok\n\n')), 'max-buffer-exceeded');

  const sanitizer = new StreamSanitizer();
  let out = 0;
  for (const piece of longLine(100 * MiB)) out += sanitizer.push(piece).length;
  const { output, report } = sanitizer.finish();
  assert.equal(out + output.length, 100 * MiB + 6, 'every byte passes through');
  assert.ok(report.notes.some((n) => n.code === 'max-buffer-exceeded'));
  // Keeps working after the error, in pass-through.
  assert.equal(wasmBytes() - before < 40 * MiB, true, `wasm memory grew by ${(wasmBytes() - before) / MiB} MiB`);
});

test('10k-deep JSON in a data field and in a request body', async () => {
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const stream = `${start()}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":${deep}}\n\n${blockStart(0)}event: content_block_start\ndata: {"type":"content_block_start","index":${deep}}\n\n`;
  const { output, report } = sanitize(stream);
  assert.equal(output, stream);
  assert.equal(report.blocksDropped.length, 0);
  await assert.rejects(accumulate(stream), (e) => e instanceof SanitizerError && e.code === 'invalid-json');
  const body = `{"messages":[{"role":"user","content":${deep}}]}`;
  assert.equal(codeOf(() => normalize(body)), 'max-depth-exceeded');
  assert.equal(codeOf(() => validate(body)), 'max-depth-exceeded');
  // Regression: a huge maxJsonDepth once let a million-deep body exhaust the
  // wasm stack (a trap that broke the instance); depth is capped at 1024.
  const million = `{"messages":[{"role":"user","content":${'['.repeat(1e6)}${']'.repeat(1e6)}}]}`;
  assert.equal(codeOf(() => normalize(million, { maxJsonDepth: 1e9 })), 'max-depth-exceeded');
  assert.equal(codeOf(() => validate(million, { maxJsonDepth: 1e9 })), 'max-depth-exceeded');
  assert.equal(codeOf(() => normalize('{"messages":[{"role":"user","content":"still works"}]}')), 'ok');
});

test('invalid UTF-8 and NUL bytes everywhere', async () => {
  const { bytes } = corpusStreams().find((s) => s.name.includes('empty_response') || s.name.includes('empty-response'));
  const poisoned = bytes.slice();
  for (let i = 7; i < poisoned.length; i += 97) poisoned[i] = i % 2 ? 0xff : 0x00;
  const { output } = sanitize(poisoned);
  assert.ok(output.length > 0);
  const parser = new SseParser();
  for (const event of parser.feed(poisoned)) assert.equal(typeof event.data, 'string');
  parser.finish();
  await accumulate(poisoned).catch((e) => assert.ok(e instanceof SanitizerError, String(e)));
  for (const body of [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), '{"messages":[{"role":"user","content":"a\u0000b"}]}']) {
    const code = codeOf(() => normalize(body));
    assert.ok(code === 'ok' || code === 'invalid-json', code);
  }
  assert.equal(codeOf(() => normalize(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))), 'invalid-json');
});

test('a real stream truncated at every byte', async () => {
  const { bytes } = corpusStreams().find((s) => s.name.includes('empty_response') || s.name.includes('empty-response'));
  const whole = sanitize(bytes).output;
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { output, report } = sanitize(bytes.subarray(0, cut));
    if (cut < bytes.length) assert.ok(report.truncated || output.length === cut, `cut at ${cut}`);
    // What comes out is always a prefix-consistent sanitization: never more than the input.
    assert.ok(output.length <= cut);
    await accumulate(bytes.subarray(0, cut)).catch((e) => assert.ok(e instanceof SanitizerError));
  }
  assert.deepEqual(sanitize(bytes).output, whole);
});

test('millions of tiny events, absurd indices, duplicated message_start', async () => {
  const tiny = encoder.encode('data:x\n\n'.repeat(2_000_000));
  const sanitizer = new StreamSanitizer();
  let out = 0;
  for (const c of chunk(tiny, 64 * 1024)) out += sanitizer.push(c).length;
  const { output, report } = sanitizer.finish();
  assert.equal(out + output.length, tiny.length);
  assert.equal(report.eventsSeen, 2_000_000);
  assert.ok(report.notes.length <= 1001, 'the report stays bounded');

  for (const index of ['1e300', '-1', '"3"', '18446744073709551616', 'null', '0.5']) {
    const stream = start() + blockStart(index) + blockStop(index) + blockStart(1) + blockStop(1);
    const r = sanitize(stream);
    assert.equal(typeof r.output, 'string', index);
    await accumulate(stream + 'event: message_stop\ndata: {"type":"message_stop"}\n\n').catch((e) => assert.ok(e instanceof SanitizerError, `${index}: ${e}`));
  }
  const twice = start() + blockStart(0) + blockStop(0) + start() + blockStart(0) + blockStop(0);
  const r = sanitize(twice);
  assert.equal(r.report.blocksDropped.length, 2, 'each message numbered on its own');
  await assert.rejects(accumulate(twice), (e) => e.code === 'unexpected-message-start');
});

test('a 50 MB request body: body-too-large by default, normalized with the limit raised', () => {
  const text = 'y'.repeat(1000);
  const messages = [];
  while (messages.length * 1030 < 50 * MiB) messages.push({ role: messages.length % 2 ? 'assistant' : 'user', content: [{ type: 'text', text }] });
  messages.splice(1, 0, { role: 'assistant', content: [{ type: 'text', text: '' }] });
  const body = encoder.encode(JSON.stringify({ model: 'm', max_tokens: 1, messages }));
  assert.ok(body.length > 50 * MiB);
  assert.equal(codeOf(() => normalize(body)), 'body-too-large');
  const before = process.memoryUsage().rss;
  const { changes, body: out } = normalize(body, { maxBodyBytes: 64 * MiB });
  assert.ok(changes.length >= 1);
  assert.ok(out.length < body.length);
  const grown = (process.memoryUsage().rss - before) / MiB;
  assert.ok(grown < 600, `RSS grew by ${grown.toFixed(0)} MiB normalizing 50 MB`);
});

test('every limit is enforced from JS options', async () => {
  const line = `data: ${'x'.repeat(2000)}\n\n`;
  assert.equal(codeOf(() => new SseParser({ maxLineBytes: 1000 }).feed(line)), 'max-buffer-exceeded');
  assert.equal(codeOf(() => new SseParser({ maxEventBytes: 3000 }).feed('data: ' + 'x'.repeat(1000) + '\n'.repeat(1) + ('data: ' + 'x'.repeat(1000) + '\n').repeat(3) + '\n')), 'max-buffer-exceeded');
  const held = start() + blockStart(0) + 'event: ping\ndata: {"type": "ping"}\n\n'.repeat(100) + blockStop(0);
  const heldReport = sanitize(held, { maxHeldBytes: 1000 }).report;
  assert.ok(heldReport.notes.some((n) => n.code === 'held-limit-exceeded'));
  assert.equal(heldReport.blocksDropped.length, 0, 'over the hold limit the block is released unchanged');
  assert.equal(sanitize(held).report.blocksDropped.length, 1);
  const nested = '{"messages":[{"role":"user","content":[{"type":"text","text":"hi","x":[[[[[[]]]]]]}]}]}';
  assert.equal(codeOf(() => normalize(nested, { maxJsonDepth: 5 })), 'max-depth-exceeded');
  assert.equal(codeOf(() => validate(nested, { maxJsonDepth: 5 })), 'max-depth-exceeded');
  assert.equal(codeOf(() => normalize(nested, { maxBodyBytes: 10 })), 'body-too-large');
  await assert.rejects(accumulate(line, { maxLineBytes: 1000 }), (e) => e.code === 'max-buffer-exceeded');
});

test('large normalize calls reuse the wasm memory: it does not grow with every call', () => {
  // 300,000 empty text blocks in one message (7.4 MiB): the first call grows
  // the memory it needs, the next ones reuse it.
  const unit = '{"type":"text","text":""}';
  const body = encoder.encode(`{"messages":[{"role":"user","content":[${Array(300_000).fill(unit).join(',')},{"type":"text","text":"x"}]}]}`);
  normalize(body);
  const after = wasmBytes();
  for (let i = 0; i < 6; i++) {
    const { changes } = normalize(body);
    assert.equal(changes.at(-1).action, 'omitted');
    validate(body);
  }
  assert.equal(wasmBytes(), after, `wasm memory grew from ${after >> 20} MiB to ${wasmBytes() >> 20} MiB`);
  // (The peak each shape needs, on a fresh instance: `npm run bench -- shapes`.)
});

test('bodies of many tiny items are refused (invalid-shape), dense tool calls repaired or refused, all within 3× their size + 8 MiB of wasm memory', async () => {
  const wasm = readFileSync(new URL('../pkg/sse_sanitizer.wasm', import.meta.url));
  const size = 8 * MiB;
  const many = (item) => Array(Math.floor(size / (item.length + 1))).fill(item).join(',');
  const bodies = {
    messages: `{"model":"m","messages":[${many('1')}]}`,
    blocks: `{"model":"m","messages":[{"role":"user","content":[${many('{}')}]}]}`,
    system: `{"model":"m","system":[${many('1')}],"messages":[{"role":"user","content":"q"}]}`,
    'orphan tool_result content': `{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[${many('1')}]}]}]}`,
  };
  // The smallest valid tool blocks, as many as fit: unanswered calls and
  // results with no call. Repaired where the budget allows, else refused.
  const ids = (unit) => Array.from({ length: Math.floor(size / unit) }, (_, i) => i.toString(16));
  const dense = {
    'tool calls without results': `{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[${ids(56).map((id) => `{"type":"tool_use","id":"${id}","name":"f","input":{}}`).join(',')}]},{"role":"user","content":"a"}]}`,
    'orphan tool results': `{"model":"m","messages":[{"role":"user","content":[${ids(60).map((id) => `{"type":"tool_result","tool_use_id":"${id}","content":"r"}`).join(',')}]}]}`,
  };
  let instance = 0;
  // Each call on a fresh instance (its memory only grows, so its growth is the
  // call's peak): refused (`mustRefuse`) or either way, within the bound.
  const check = async (cases, mustRefuse) => {
    for (const [name, text] of Object.entries(cases)) {
      const bytes = encoder.encode(text);
      for (const fn of ['normalize', 'validate']) {
        const fresh = fullLoader();
        fresh.init(wasm);
        const { memory } = fresh.exports;
        const before = memory.buffer.byteLength;
        let code = 'ok';
        try {
          fresh.text(fresh.exports[fn](...fresh.pass(bytes, '{}')));
        } catch (e) {
          code = e.code;
        }
        assert.ok(code === 'invalid-shape' || (!mustRefuse && code === 'ok'), `${name}: ${fn}: ${code}`);
        const grown = memory.buffer.byteLength - before;
        assert.ok(grown <= 3 * bytes.length + 8 * MiB, `${name}: ${fn} grew the wasm memory by ${(grown / MiB).toFixed(1)} MiB`);
      }
    }
  };
  await check(bodies, true);
  await check(dense, false);
});
