// The built package in Debian's Chromium, loaded through the `browser` export
// condition (the entry file package.json maps `browser` to), parsing a corpus
// stream; and the browser entries' loading (automatic load, explicit init
// before it starts, the stream entry alone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SseParser, normalize, sanitize, validate } from 'sse-sanitizer';
import { startBrowser } from './helpers/browser.js';
import { corpusStreams } from './corpus.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
let browser;
before(async () => {
  browser = await startBrowser();
});
after(() => browser?.close());

test('Chromium parses corpus streams with the browser build like Node', async () => {
  const { page, url } = browser;
  assert.match(url, /^http:\/\/127\.0\.0\.1:/);
  await page.goto(new URL('/www/blank.html', url).href);
  const entry = pkg.exports['.'].browser.replace(/^\./, '');
  const samples = corpusStreams().filter((s) => /empty|tool_use|thinking/.test(s.name)).slice(0, 6);
  assert.ok(samples.length > 0);
  for (const { name } of samples) {
    const events = await page.evaluate(
      async ({ entry, name }) => {
        const { SseParser, ready } = await import(entry);
        await ready;
        const bytes = new Uint8Array(await (await fetch(`/tests/corpus/${name}`)).arrayBuffer());
        const parser = new SseParser();
        const out = [];
        for (let i = 0; i < bytes.length; i += 13) out.push(...parser.feed(bytes.subarray(i, i + 13)));
        parser.finish();
        return out;
      },
      { entry, name },
    );
    const expected = new SseParser().feed(readFileSync(new URL(`../tests/corpus/${name}`, import.meta.url)));
    assert.deepEqual(events, expected, name);
  }
  assert.deepEqual(browser.foreignRequests, []);
  assert.deepEqual(browser.consoleErrors, []);
});

test('Chromium: sanitize, createSanitizerStream, normalize and validate match Node', async () => {
  const { page } = browser;
  const entry = pkg.exports['.'].browser.replace(/^\./, '');
  const dirty = corpusStreams().filter((s) => sanitize(s.bytes).report.blocksDropped.length > 0).slice(0, 4);
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: [{ type: 'text', text: ' ' }] }, { role: 'user', content: 'again' }] });
  const result = await page.evaluate(
    async ({ entry, names, body }) => {
      const m = await import(entry);
      const out = {};
      // NOTE: the streams wait for the module on their own; normalize() below needs it loaded.
      for (const name of names) {
        const res = await fetch(`/tests/corpus/${name}`);
        const piped = res.body.pipeThrough(m.createSanitizerStream());
        const bytes = new Uint8Array(await new Response(piped).arrayBuffer());
        out[name] = Array.from(bytes);
      }
      await m.ready;
      return { streams: out, normalized: m.normalize(body), violations: m.validate(body, { profile: 'bedrock' }) };
    },
    { entry, names: dirty.map((s) => s.name), body },
  );
  for (const { name, bytes } of dirty) assert.deepEqual(new Uint8Array(result.streams[name]), sanitize(bytes).output, name);
  assert.deepEqual(result.normalized, normalize(body));
  assert.deepEqual(result.violations, validate(body, { profile: 'bedrock' }));
  assert.deepEqual(browser.foreignRequests, []);
  assert.deepEqual(browser.consoleErrors, []);
});

// A real stream the default profile changes (its one text block is empty).
const STREAM = readFileSync(new URL('../tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse', import.meta.url));
const expected = new Uint8Array(sanitize(STREAM).output);

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
  assert.ok(requests.includes('/pkg/sse_sanitizer.wasm'), requests.join(' '));
  assert.deepEqual(browser.consoleErrors.splice(0), []);
});

test('Chromium: init(url) at the top level replaces the automatic load (no request for the default file)', async () => {
  const { result, requests } = await runModule(
    `import { init, sanitize } from '/js/browser.js';`,
    `
    await init(fetch('/pkg/sse_sanitizer.wasm?placed-by-app'));
    window.result = { dropped: sanitize(await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text()).report.blocksDropped.length };
  `);
  assert.equal(result.error, undefined);
  assert.ok(result.dropped > 0);
  assert.ok(requests.includes('/pkg/sse_sanitizer.wasm'));
  assert.equal(requests.filter((p) => p.endsWith('.wasm')).length, 1, requests.join(' '));
  assert.deepEqual(browser.consoleErrors.splice(0), []);
});

test('Chromium: sse-sanitizer/stream, accumulate()\'s module named by init(): a relative URL is resolved then (not after a route change), a failed fetch is tried again', async () => {
  const { result, requests } = await runModule(
    `import { accumulate, init } from '/js/stream-browser.js';`,
    `
    const text = await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text();
    await init(undefined, { accumulate: '../pkg/missing.wasm' });
    history.pushState(null, '', '/a/b/c/d');
    const first = await accumulate(text).then((m) => m.role, (err) => err.code);
    history.pushState(null, '', '/www/blank.html');
    await init(undefined, { accumulate: '../pkg/sse_sanitizer_accumulate.wasm' });
    history.pushState(null, '', '/x/y/z');
    const second = await accumulate(text).then((m) => m.role, (err) => err.code);
    window.result = { first, second };
  `);
  assert.deepEqual(result, { first: 'wasm-load-failed', second: 'assistant' });
  assert.deepEqual(requests.filter((p) => p.endsWith('.wasm')), ['/pkg/sse_sanitizer_stream.wasm', '/pkg/missing.wasm', '/pkg/sse_sanitizer_accumulate.wasm']);
  // The 404 of the missing file is the only console error.
  assert.equal(browser.consoleErrors.splice(0).filter((e) => !/404/.test(e)).length, 0);
});

test('Chromium: sse-sanitizer/stream loads only the stream module, accumulate() its own at its first call; a missing file rejects `ready` with wasm-load-failed', async () => {
  const { result, requests } = await runModule(
    `import { accumulate, ready, sanitize } from '/js/stream-browser.js';`,
    `
    await ready;
    const text = await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text();
    const dropped = sanitize(text).report.blocksDropped.length;
    const before = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('.wasm')).length;
    const [one, two] = await Promise.all([accumulate(text), accumulate(new TextEncoder().encode(text))]);
    window.result = { dropped, before, role: one.role, same: JSON.stringify(one) === JSON.stringify(two) };
  `);
  assert.equal(result.error, undefined);
  assert.ok(result.dropped > 0);
  assert.equal(result.before, 1, 'the accumulator module is not fetched before accumulate()');
  assert.deepEqual({ role: result.role, same: result.same }, { role: 'assistant', same: true });
  assert.deepEqual(requests.filter((p) => p.endsWith('.wasm')), ['/pkg/sse_sanitizer_stream.wasm', '/pkg/sse_sanitizer_accumulate.wasm']);
  assert.ok(!requests.includes('/pkg/sse_sanitizer.js'), requests.join(' '));

  // A URL named by init's `accumulate` option is still fetched only by the first accumulate().
  const placed = await runModule(
    `import { accumulate, init } from '/js/stream-browser.js';`,
    `
    await init(undefined, { accumulate: '/pkg/sse_sanitizer_accumulate.wasm?placed' });
    const fetched = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname + new URL(e.name).search).filter((p) => p.endsWith('.wasm') || p.endsWith('?placed'));
    const before = fetched();
    const text = await (await fetch('/tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse')).text();
    window.result = { before, role: (await accumulate(text)).role, after: fetched() };
  `);
  assert.deepEqual(placed.result, {
    before: ['/pkg/sse_sanitizer_stream.wasm'],
    role: 'assistant',
    after: ['/pkg/sse_sanitizer_stream.wasm', '/pkg/sse_sanitizer_accumulate.wasm?placed'],
  });

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
