// Loading the wasm without top-level await in Node: the Node entry when its
// file is missing (a bundle), init() with bytes, `ready`, `not-ready` before
// the load, `sse-sanitizer/worker` in plain Node. (The browser entries in
// Chromium: browser.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as full from 'sse-sanitizer';
import worker from 'sse-sanitizer/worker';
import { startStrictUpstream } from './helpers/strict-upstream.js';

const root = new URL('..', import.meta.url);
// A real stream the default profile changes (its one text block is empty).
const STREAM = readFileSync(new URL('../tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse', import.meta.url));
const expected = new Uint8Array(full.sanitize(STREAM).output);

test('sse-sanitizer/worker runs in plain Node: a request through it to a local upstream comes back sanitized', async () => {
  const upstream = await startStrictUpstream({ stream: STREAM });
  try {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const res = await worker.fetch(
      new Request('http://127.0.0.1/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-upstream-test' }, body }),
      { UPSTREAM_URL: upstream.url, UPSTREAM_AUTH: 'passthrough' },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), expected);
  } finally {
    await upstream.close();
  }
});

/** A copy of the package's js/, pkg/ (no .wasm) and package.json in a temporary directory. */
function copyWithoutWasm() {
  const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-entries-'));
  cpSync(new URL('js', root), join(dir, 'js'), { recursive: true });
  cpSync(new URL('pkg', root), join(dir, 'pkg'), { recursive: true, filter: (src) => !src.endsWith('.wasm') });
  cpSync(new URL('package.json', root), join(dir, 'package.json'));
  return dir;
}

// The Node entry in a copy of the package without its .wasm files, as in a
// bundle that did not ship them: the import succeeds, calls say `not-ready`,
// `ready` rejects after the tick unless init() got the bytes.
test('Node entries without their .wasm file: not-ready, then init(bytes) makes them usable at once', async () => {
  const dir = copyWithoutWasm();
  try {
    const script = `
      import { readFileSync } from 'node:fs';
      const out = {};
      for (const [name, wasm] of [['node.js', 'sse_sanitizer.wasm'], ['stream-node.js', 'sse_sanitizer_stream.wasm']]) {
        const m = await import('./js/' + name);
        const r = (out[name] = {});
        try { new m.SseParser(); } catch (err) { r.early = err.code; }
        r.ready = await m.ready.then(() => 'resolved', (err) => err.code);
        await m.init(readFileSync(${JSON.stringify(join(root.pathname, 'pkg'))} + '/' + wasm));
        r.after = m.sanitize('event: ping\\ndata: {"type":"ping"}\\n\\n').output;
      }
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    const result = JSON.parse(stdout);
    for (const name of ['node.js', 'stream-node.js']) {
      assert.deepEqual(result[name], { early: 'not-ready', ready: 'wasm-load-failed', after: 'event: ping\ndata: {"type":"ping"}\n\n' }, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// accumulate() of `sse-sanitizer/stream` loads a module of its own at its
// first call: missing, that call rejects (and not the entry's `ready`);
// init's `accumulate` option hands it over.
test('sse-sanitizer/stream in Node without its accumulator module: accumulate() rejects wasm-load-failed, init(bytes, { accumulate }) mends it', async () => {
  const dir = copyWithoutWasm();
  try {
    const script = `
      import { readFileSync } from 'node:fs';
      import { accumulate, init, ready, sanitize } from './js/stream-node.js';
      const stream = 'event: message_start\\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\\n\\nevent: message_stop\\ndata: {"type":"message_stop"}\\n\\n';
      const accumulateWasm = readFileSync(${JSON.stringify(join(root.pathname, 'pkg', 'sse_sanitizer_accumulate.wasm'))});
      init(readFileSync(${JSON.stringify(join(root.pathname, 'pkg', 'sse_sanitizer_stream.wasm'))}));
      const out = { ready: await ready.then(() => 'resolved', (err) => err.code), sanitized: sanitize(stream).output === stream };
      const failed = await accumulate(stream).then(() => ({}), (err) => err);
      out.first = [failed.code, failed.message.includes("init()'s ")];
      // Named in the tick of a first call: that call takes it (and a failed load is tried again).
      const named = accumulate(stream);
      await init(undefined, { accumulate: accumulateWasm });
      out.named = (await named).role;
      console.log(JSON.stringify(out));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), { ready: 'resolved', sanitized: true, first: ['wasm-load-failed', true], named: 'assistant' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sse-sanitizer/stream in Node: a failed load of the accumulator module is tried again by the next accumulate()', async () => {
  const dir = copyWithoutWasm();
  try {
    const script = `
      import { copyFileSync } from 'node:fs';
      import { accumulate } from './js/stream-node.js';
      const stream = 'event: message_start\\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\\n\\nevent: message_stop\\ndata: {"type":"message_stop"}\\n\\n';
      const first = await accumulate(stream).then((m) => m.role, (err) => err.code);
      copyFileSync(${JSON.stringify(join(root.pathname, 'pkg', 'sse_sanitizer_accumulate.wasm'))}, 'pkg/sse_sanitizer_accumulate.wasm');
      const second = await accumulate(stream).then((m) => m.role, (err) => err.code);
      console.log(JSON.stringify({ first, second }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), { first: 'wasm-load-failed', second: 'assistant' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('init(bytes) called in the tick of the import: ready resolves, no failed automatic load', async () => {
  const dir = copyWithoutWasm();
  try {
    const wasm = join(root.pathname, 'pkg', 'sse_sanitizer.wasm');
    const script = `
      import { readFileSync } from 'node:fs';
      import { init, ready, validate } from './js/node.js';
      init(new WebAssembly.Module(readFileSync(${JSON.stringify(wasm)})));
      const now = validate({ messages: [{ role: 'user', content: '' }] }).map((v) => v.rule);
      await ready;
      console.log(JSON.stringify(now));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    assert.deepEqual(JSON.parse(stdout), ['empty-message']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
