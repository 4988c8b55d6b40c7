// The binding itself (src/wasm.rs, js/load.js), on fresh instances of the
// built modules: addresses past 2 GiB, a call that traps, handles used after
// free or with the wrong type. Each ends in a typed error or the right result.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { accumulate, normalize, sanitizeMessage } from '../js/node.js';
import { createLoader } from '../js/load.js';
import { fullLoader } from '../js/wasm-full.js';
import { Forwarding } from '../js/proxy.js';
import { corpusStreams } from './corpus.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const GiB = 2 ** 30;
const PAGE = 65536;
const module = (name) => new WebAssembly.Module(readFileSync(new URL(`../pkg/${name}.wasm`, import.meta.url)));
const whole = module('sse_sanitizer');
const streamOnly = module('sse_sanitizer_stream');
const accumulateOnly = module('sse_sanitizer_accumulate');

/** A loader of a fresh instance of `wasm`. */
function fresh(wasm = whole) {
  const loader = wasm === whole ? fullLoader() : createLoader();
  loader.init(wasm);
  return loader;
}

/** The error code of `fn()`, or 'ok'. */
function codeOf(fn) {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e.code ?? e.constructor.name;
  }
}

const history = {
  model: 'm',
  max_tokens: 1,
  messages: [
    { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'q'.repeat(100_000) }] },
    { role: 'assistant', content: 'a' },
    { role: 'user', content: 'b' },
  ],
};
const message = { type: 'message', role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'x'.repeat(100_000) }] };

test('memory past 2 GiB: arguments, results, input buffers and output bodies at addresses ≥ 2^31 read right', () => {
  for (const wasm of [whole, streamOnly]) {
    const loader = fresh(wasm);
    const { memory } = loader.exports;
    // NOTE: pages JS grows are never touched (the allocator grows past them),
    // so this costs address space, not RSS.
    memory.grow((2 * GiB + 16 * PAGE - memory.buffer.byteLength) / PAGE);
    const x = loader.exports;
    const stream = corpusStreams()[0].bytes;
    const handle = loader.check(x.sanitizer_create(...loader.pass('{}')));
    const input = loader.check(x.sanitizer_reserve(handle, stream.length));
    assert.ok(input >= 2 * GiB, `input buffer at ${input}`);
    loader.memory().u8.set(stream, input);
    loader.check(x.sanitizer_push(handle, stream.length));
    const report = JSON.parse(loader.text(x.sanitizer_report(handle)));
    assert.ok(report.eventsSeen > 0);
    x.free(handle);
    if (wasm !== whole) continue;
    // Output bodies handed over piece by piece, from memory past 2 GiB.
    const body = (text, options) => [encoder.encode(JSON.stringify(text)), options];
    const changes = JSON.parse(loader.text(x.normalize(...loader.pass(...body(history, '{}')))));
    assert.deepEqual({ body: JSON.parse(decoder.decode(loader.takeBody())), changes }, normalize(history));
    const sanitized = JSON.parse(loader.text(x.sanitize_message(...loader.pass(...body(message, '{}')))));
    assert.deepEqual({ body: JSON.parse(decoder.decode(loader.takeBody())), report: sanitized }, sanitizeMessage(message));
    // The hash tables' random secret, written past 2 GiB (validate builds tables).
    assert.deepEqual(JSON.parse(loader.text(x.validate(...loader.pass(...body(history, '{}'))))).length, 1);
  }
});

test('the accumulator module of sse-sanitizer/stream: its input buffer past 2 GiB, a buffer too large refused, then usable', async () => {
  let loader = fresh(accumulateOnly);
  let x = loader.exports;
  const { bytes } = corpusStreams()[0];
  const run = () => {
    const handle = loader.check(x.accumulator_create(...loader.pass('{}')));
    const input = loader.check(x.accumulator_reserve(handle, bytes.length));
    loader.memory().u8.set(bytes, input);
    loader.check(x.accumulator_push(handle, bytes.length));
    return { input, message: JSON.parse(loader.text(x.accumulator_finish(handle))) };
  };
  const expected = await accumulate(bytes);
  assert.deepEqual(run().message, expected);
  for (const len of [0xffffffff, 3.9 * GiB]) {
    assert.equal(codeOf(() => loader.check(x.args(len))), 'invalid-input');
    const handle = loader.check(x.accumulator_create(...loader.pass('{}')));
    assert.equal(codeOf(() => loader.check(x.accumulator_reserve(handle, len))), 'invalid-input');
    x.free(handle);
  }
  // A fresh instance, whose allocator has no free memory below 2 GiB. NOTE:
  // pages JS grows are never touched, so this costs address space, not RSS.
  loader = fresh(accumulateOnly);
  x = loader.exports;
  x.memory.grow((2 * GiB + 16 * PAGE - x.memory.buffer.byteLength) / PAGE);
  const { input, message } = run();
  assert.ok(input >= 2 * GiB, `input buffer at ${input}`);
  assert.deepEqual(message, expected);
});

test('a buffer the wasm memory cannot hold is refused (invalid-input), not a trap; the module and that object stay usable', () => {
  for (const wasm of [whole, streamOnly]) {
    const loader = fresh(wasm);
    const x = loader.exports;
    // The argument buffer, and an object's own input buffer (asked for inside
    // a call on that object, while the table of objects is borrowed).
    for (const len of [0xffffffff, 3.9 * GiB]) {
      assert.equal(codeOf(() => loader.check(x.args(len))), 'invalid-input');
      const parser = loader.check(x.parser_create(...loader.pass('{}')));
      assert.equal(codeOf(() => loader.check(x.parser_reserve(parser, len))), 'invalid-input');
      const other = loader.check(x.parser_create(...loader.pass('{}')));
      assert.equal(codeOf(() => loader.check(x.parser_reserve(other, 16))), 'ok');
      const input = loader.check(x.parser_reserve(parser, 9));
      loader.memory().u8.set(encoder.encode('data: x\n\n'), input);
      assert.notEqual(loader.check(x.parser_push(parser, 9)), 0, 'the parser still parses');
      x.free(other);
      x.free(parser);
    }
  }
});

test('a handle of another type is refused and that object is left as it was', () => {
  const loader = fresh();
  const x = loader.exports;
  const sanitizer = loader.check(x.sanitizer_create(...loader.pass('{}')));
  assert.equal(codeOf(() => loader.check(x.parser_finish(sanitizer))), 'invalid-input');
  assert.equal(codeOf(() => loader.text(x.accumulator_finish(sanitizer))), 'invalid-input');
  assert.equal(JSON.parse(loader.text(x.sanitizer_report(sanitizer))).eventsSeen, 0);
  x.free(sanitizer);
  assert.equal(codeOf(() => loader.text(x.sanitizer_report(sanitizer))), 'invalid-input');
});

test('a freed redactor refuses push and finish, and never reaches another one', () => {
  const key = 'sk-ant-api03-SECRET-SECRET-SECRET';
  const forwarding = new Forwarding({ mode: 'secret', upstreamUrl: 'http://127.0.0.1:9/', upstreamKey: key, clientKeys: 'client-key-0123456789' });
  const a = forwarding.makeRedactor();
  const b = forwarding.makeRedactor();
  b.free();
  b.free();
  assert.equal(codeOf(() => b.push(encoder.encode('x'))), 'finished');
  assert.equal(codeOf(() => b.finish()), 'finished');
  const out = decoder.decode(a.push(encoder.encode(`one ${key} two`))) + decoder.decode(a.finish());
  assert.ok(!out.includes(key) && out.startsWith('one ') && out.endsWith(' two'), out);
  a.free();
});

// NOTE: in a process of its own, so that the handles are known: the first
// reply's redactor gets handle 0, which is what a freed handle (undefined)
// became in a call.
test('a client that cancels while a read is pending leaves the other replies alone (secret mode, redactors)', () => {
  const script = `
    import { StreamSanitizer } from './js/node.js';
    import { Forwarding, reply } from './js/proxy.js';
    const key = 'sk-ant-api03-SECRET-SECRET-SECRET';
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    const sanitizer = new StreamSanitizer();
    const forwarding = new Forwarding({ mode: 'secret', upstreamUrl: 'http://127.0.0.1:9/', upstreamKey: key, clientKeys: 'client-key-0123456789' });
    sanitizer.finish();
    // An upstream body that gives one part per 20 ms.
    const slow = (parts) => new ReadableStream({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 20));
        const p = parts.shift();
        if (p === undefined) c.close();
        else c.enqueue(encoder.encode(p));
      },
    });
    const upstream = (parts) => new Response(slow(parts), { status: 200, headers: { 'content-type': 'text/plain' } });
    const options = { route: 'count_tokens', makeRedactor: forwarding.makeRedactor };
    const a = (await reply(upstream(['one ', 'two ' + key + ' ', 'three']), options)).body.getReader();
    const b = (await reply(upstream(['x', 'y', 'z']), options)).body.getReader();
    let out = decoder.decode((await a.read()).value);
    const pending = b.read();
    await b.cancel('client went away');
    await pending;
    await new Promise((r) => setTimeout(r, 50));
    for (let r = await a.read(); !r.done; r = await a.read()) out += decoder.decode(r.value);
    console.log(JSON.stringify(out));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
  assert.equal(out, 'one two sk-ant-…CRET three');
});

test('a push refused as too large leaves its object usable: the next pushes read their own bytes, nothing stale', async () => {
  const { SseParser, StreamSanitizer } = await import('../js/node.js');
  // NOTE: past isize::MAX on wasm32, so refused before anything is copied
  // (the pages of this array are never touched).
  const huge = new Uint8Array(2 ** 31 + 1);
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: a\n\n').map((e) => e.data), ['a']);
  assert.equal(codeOf(() => parser.push(huge)), 'invalid-input');
  const long = 'x'.repeat(3000);
  assert.deepEqual(parser.push(`data: ${long}\n\n`).map((e) => e.data), [long]);
  const sanitizer = new StreamSanitizer();
  const ping = encoder.encode('event: ping\ndata: {"type":"ping"}\n\n');
  assert.deepEqual(sanitizer.push(ping), ping);
  assert.equal(codeOf(() => sanitizer.push(huge)), 'invalid-input');
  assert.deepEqual(decoder.decode(sanitizer.push(ping)), decoder.decode(ping));
  assert.equal(sanitizer.finish().report.eventsSeen, 2);
});

test('a push of many tiny events that outgrows the memory is refused (invalid-input), not a trap: the module stays usable', () => {
  for (const wasm of [whole, streamOnly]) {
    const loader = fresh(wasm);
    const x = loader.exports;
    // NOTE: all but 96 MiB of the 4 GiB taken up front (address space only:
    // the pages are never touched), so that the records of the events of a
    // 24 MiB chunk (20 B each, one per 6 B of input) cannot fit.
    const { memory } = x;
    memory.grow((4 * GiB - 96 * 2 ** 20 - memory.buffer.byteLength) / PAGE);
    const chunk = encoder.encode('data\n\n'.repeat((24 * 2 ** 20) / 6));
    const parser = loader.check(x.parser_create(...loader.pass('{}')));
    const at = loader.check(x.parser_reserve(parser, chunk.length));
    loader.memory().u8.set(chunk, at);
    assert.equal(codeOf(() => loader.check(x.parser_push(parser, chunk.length))), 'invalid-input');
    x.free(parser);
    const other = loader.check(x.parser_create(...loader.pass('{}')));
    const input = loader.check(x.parser_reserve(other, 9));
    loader.memory().u8.set(encoder.encode('data: x\n\n'), input);
    assert.notEqual(loader.check(x.parser_push(other, 9)), 0);
    x.free(other);
  }
});

// NOTE: in a process of its own with --expose-gc, to collect on demand.
test('accumulate() and validateStream() on inputs that never end, dropped: their objects are freed when collected', () => {
  const script = `
    import { accumulate, validateStream } from './js/node.js';
    import { loader } from './js/wasm-full.js';
    const x = loader.exports;
    const never = () => new ReadableStream({ pull: () => new Promise(() => {}) });
    const handle = () => loader.check(x.parser_create(...loader.pass('{}')));
    for (let i = 0; i < 200; i++) {
      accumulate(never());
      validateStream(never());
    }
    await new Promise((r) => setTimeout(r, 10));
    const held = handle();
    x.free(held);
    // The slots freed once the calls are collected are taken again first.
    let reused = false;
    for (let i = 0; i < 50 && !reused; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 20));
      const h = handle();
      x.free(h);
      reused = h < held;
    }
    console.log(JSON.stringify({ held, reused }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }));
  assert.equal(out.held, 400, 'each call holds its object while it runs');
  assert.ok(out.reused, 'the collected calls freed their objects');
});
