// Loading the wasm without top-level await: the Node entry when its file is
// missing (a bundle), init() with bytes, `ready`, `not-ready` before the load,
// `sse-sanitizer/worker` in plain Node, and the browser entries in Chromium
// (automatic load, explicit init before it starts, the stream entry alone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as full from 'sse-sanitizer';
import worker from 'sse-sanitizer/worker';
import { startBrowser } from './helpers/browser.js';
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
      for (const [name, wasm] of [['node.js', 'sse_sanitizer_bg.wasm'], ['stream-node.js', 'sse_sanitizer_stream_bg.wasm']]) {
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

test('init(bytes) called in the tick of the import: ready resolves, no failed automatic load', async () => {
  const dir = copyWithoutWasm();
  try {
    const wasm = join(root.pathname, 'pkg', 'sse_sanitizer_bg.wasm');
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

let browser;
before(async () => {
  browser = await startBrowser();
});
after(() => browser?.close());

/**
 * Runs an inline module script (`imports`, then `code`) on a fresh page;
 * resolves to what it stored in `window.result` and the paths it requested.
 */
async function runModule(imports, code) {
  const { page, url } = browser;
  await page.goto(new URL('/www/blank.html', url).href);
  const requests = [];
  const onRequest = (req) => requests.push(new URL(req.url()).pathname);
  page.on('request', onRequest);
  try {
    await page.addScriptTag({ type: 'module', content: `${imports}\ntry { ${code} } catch (err) { window.result = { error: String(err) }; }` });
    await page.waitForFunction(() => 'result' in window, null, { timeout: 20_000 });
    return { result: await page.evaluate(() => window.result), requests };
  } finally {
    page.off('request', onRequest);
  }
}

test('Chromium: the browser entry loads by itself; sync calls before `ready` throw not-ready, streams wait', async () => {
  const { result, requests } = await runModule(
    `import { SseParser, createSanitizerStream, ready } from '/js/browser.js';`,
    `
    let early;
    try { new SseParser(); } catch (err) { early = err.code; }
    const res = await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse');
    const bytes = new Uint8Array(await new Response(res.body.pipeThrough(createSanitizerStream())).arrayBuffer());
    await ready;
    window.result = { early, bytes: Array.from(bytes), events: new SseParser().feed('data: x\\n\\n').length };
  `);
  assert.equal(result.error, undefined);
  assert.equal(result.early, 'not-ready');
  assert.deepEqual(new Uint8Array(result.bytes), expected);
  assert.equal(result.events, 1);
  assert.ok(requests.includes('/pkg/sse_sanitizer_bg.wasm'), requests.join(' '));
  assert.deepEqual(browser.consoleErrors.splice(0), []);
});

test('Chromium: init(url) at the top level replaces the automatic load (no request for the default file)', async () => {
  const { result, requests } = await runModule(
    `import { init, sanitize } from '/js/browser.js';`,
    `
    await init(fetch('/pkg/sse_sanitizer_bg.wasm?placed-by-app'));
    window.result = { dropped: sanitize(await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text()).report.blocksDropped.length };
  `);
  assert.equal(result.error, undefined);
  assert.ok(result.dropped > 0);
  assert.ok(requests.includes('/pkg/sse_sanitizer_bg.wasm'));
  assert.equal(requests.filter((p) => p.endsWith('.wasm')).length, 1, requests.join(' '));
  assert.deepEqual(browser.consoleErrors.splice(0), []);
});

test('Chromium: sse-sanitizer/stream loads only the stream module; a missing file rejects `ready` with wasm-load-failed', async () => {
  const { result, requests } = await runModule(
    `import { ready, sanitize } from '/js/stream-browser.js';`,
    `
    await ready;
    window.result = { dropped: sanitize(await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text()).report.blocksDropped.length };
  `);
  assert.equal(result.error, undefined);
  assert.ok(result.dropped > 0);
  assert.deepEqual(requests.filter((p) => p.endsWith('.wasm')), ['/pkg/sse_sanitizer_stream_bg.wasm']);
  assert.ok(!requests.includes('/pkg/sse_sanitizer.js'), requests.join(' '));

  const missing = await runModule(
    `import { init, ready } from '/js/stream-browser.js';`,
    `
    const failed = await init('/pkg/missing.wasm').then(() => 'resolved', (err) => err.code);
    window.result = { failed, ready: await ready.then(() => 'resolved', (err) => err.code) };
  `);
  assert.deepEqual(missing.result, { failed: 'wasm-load-failed', ready: 'wasm-load-failed' });
  // The 404 of the missing file is the only console error.
  assert.equal(browser.consoleErrors.splice(0).filter((e) => !/404/.test(e)).length, 0);
});
