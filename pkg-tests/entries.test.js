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
import * as stream from 'sse-sanitizer/stream';
import worker from 'sse-sanitizer/worker';
import { corpusStreams } from './corpus.js';
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

/**
 * Runs the ES module `script` in a copy of the package's js/, pkg/ (no
 * .wasm) and package.json in a temporary directory; what it printed, as JSON.
 */
async function runWithoutWasm(script) {
  const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-entries-'));
  try {
    cpSync(new URL('js', root), join(dir, 'js'), { recursive: true });
    cpSync(new URL('pkg', root), join(dir, 'pkg'), { recursive: true, filter: (src) => !src.endsWith('.wasm') });
    cpSync(new URL('package.json', root), join(dir, 'package.json'));
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    return JSON.parse(stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A built module's path, for the scripts. */
const built = (name) => JSON.stringify(join(root.pathname, 'pkg', `${name}.wasm`));

/** A stream of one empty message, for the scripts (a JS string literal). */
const ONE_MESSAGE = JSON.stringify(
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n',
);

// The Node entry in a copy of the package without its .wasm files, as in a
// bundle that did not ship them: the import succeeds, calls say `not-ready`,
// `ready` rejects after the tick unless init() got the bytes.
test('Node entries without their .wasm file: not-ready, then init(bytes) makes them usable at once', async () => {
  const result = await runWithoutWasm(`
    import { readFileSync } from 'node:fs';
    const out = {};
    for (const [name, wasm] of [['node.js', ${built('sse_sanitizer')}], ['stream-node.js', ${built('sse_sanitizer_stream')}]]) {
      const m = await import('./js/' + name);
      const r = (out[name] = {});
      try { new m.SseParser(); } catch (err) { r.early = err.code; }
      r.ready = await m.ready.then(() => 'resolved', (err) => err.code);
      await m.init(readFileSync(wasm));
      r.after = m.sanitize('event: ping\\ndata: {"type":"ping"}\\n\\n').output;
    }
    console.log(JSON.stringify(out));
  `);
  for (const name of ['node.js', 'stream-node.js']) {
    assert.deepEqual(result[name], { early: 'not-ready', ready: 'wasm-load-failed', after: 'event: ping\ndata: {"type":"ping"}\n\n' }, name);
  }
});

// accumulate() of `sse-sanitizer/stream` loads a module of its own at its
// first call: missing, that call rejects (and not the entry's `ready`);
// init's `accumulate` option hands it over.
test('sse-sanitizer/stream in Node without its accumulator module: accumulate() rejects wasm-load-failed, init(bytes, { accumulate }) mends it', async () => {
  const result = await runWithoutWasm(`
    import { readFileSync } from 'node:fs';
    import { accumulate, init, ready, sanitize } from './js/stream-node.js';
    const stream = ${ONE_MESSAGE};
    init(readFileSync(${built('sse_sanitizer_stream')}));
    const out = { ready: await ready.then(() => 'resolved', (err) => err.code), sanitized: sanitize(stream).output === stream };
    const failed = await accumulate(stream).then(() => ({}), (err) => err);
    out.first = [failed.code, failed.message.includes("init()'s ")];
    // Named in the tick of a first call: that call takes it (and a failed load is tried again).
    const named = accumulate(stream);
    await init(undefined, { accumulate: readFileSync(${built('sse_sanitizer_accumulate')}) });
    out.named = (await named).role;
    console.log(JSON.stringify(out));
  `);
  assert.deepEqual(result, { ready: 'resolved', sanitized: true, first: ['wasm-load-failed', true], named: 'assistant' });
});

test('sse-sanitizer/stream in Node: a failed load of the accumulator module is tried again by the next accumulate()', async () => {
  const result = await runWithoutWasm(`
    import { copyFileSync } from 'node:fs';
    import { accumulate } from './js/stream-node.js';
    const stream = ${ONE_MESSAGE};
    const first = await accumulate(stream).then((m) => m.role, (err) => err.code);
    copyFileSync(${built('sse_sanitizer_accumulate')}, 'pkg/sse_sanitizer_accumulate.wasm');
    const second = await accumulate(stream).then((m) => m.role, (err) => err.code);
    console.log(JSON.stringify({ first, second }));
  `);
  assert.deepEqual(result, { first: 'wasm-load-failed', second: 'assistant' });
});

test('sse-sanitizer/stream: a promise named for the accumulator module and never loaded is no unhandled rejection', async () => {
  // NOTE: Node ends a process on an unhandled rejection.
  const result = await runWithoutWasm(`
    import { init } from './js/stream-node.js';
    await init(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), { accumulate: Promise.reject(new Error('offline')) }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    console.log(JSON.stringify('still running'));
  `);
  assert.equal(result, 'still running');
});

test('sse-sanitizer/stream accumulate() (its own module) gives what the whole package gives on every corpus stream, errors included', async () => {
  let errors = 0;
  const outcome = (promise) => promise.then((m) => ({ m }), (e) => ({ code: e.code, message: e.message, upstreamType: e.upstreamType }));
  for (const { name, bytes } of corpusStreams()) {
    for (const options of [{}, { messages: 'all' }]) {
      const chunked = [];
      for (let i = 0; i < bytes.length; i += 7) chunked.push(bytes.subarray(i, i + 7));
      const want = await outcome(full.accumulate(bytes, options));
      assert.deepEqual(await outcome(stream.accumulate(chunked, options)), want, `${name} ${JSON.stringify(options)}`);
      if (want.code) errors += 1;
    }
  }
  assert.ok(errors > 10, `${errors} errors compared`);
});

test('init(bytes) called in the tick of the import: ready resolves, no failed automatic load', async () => {
  const result = await runWithoutWasm(`
    import { readFileSync } from 'node:fs';
    import { init, ready, validate } from './js/node.js';
    init(new WebAssembly.Module(readFileSync(${built('sse_sanitizer')})));
    const now = validate({ messages: [{ role: 'user', content: '' }] }).map((v) => v.rule);
    await ready;
    console.log(JSON.stringify(now));
  `);
  assert.deepEqual(result, ['empty-message']);
});
