// The built package in Debian's Chromium, loaded through the `browser` export
// condition (the entry file package.json maps `browser` to), parsing a corpus stream.
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
