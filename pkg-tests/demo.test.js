// The devtools demo (www/) in Debian's Chromium, served from 127.0.0.1:
// a real stream with blank text blocks, a HAR dropped on the page, a dirty
// history flipping from the exact rejection to clean, a replay, the auth
// helper, keyboard use and a narrow window. Screenshots go to .artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { sanitize, validate } from 'sse-sanitizer';
import { startBrowser } from './helpers/browser.js';

const artifacts = new URL('../.artifacts/', import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: `${artifacts}demo-${name}.png` });

let browser;
let samples;
before(async () => {
  browser = await startBrowser();
  await browser.page.goto(browser.url);
  await browser.page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  samples = await (await fetch(new URL('/samples.json', browser.url))).json();
});
after(async () => {
  if (browser) {
    assert.deepEqual(browser.foreignRequests, [], 'no request to another origin');
    assert.deepEqual(browser.consoleErrors, [], 'no console errors');
    await browser.close();
  }
});

const corpusBytes = (url) => new Uint8Array(readFileSync(new URL(`..${url}`, import.meta.url)));

test('a real stream with blank text blocks: dropped rows, renumbered indices, the sanitized text', async () => {
  const { page } = browser;
  const sample = samples[0];
  assert.equal(sample.kind, 'stream');
  const bytes = corpusBytes(sample.url);
  // The page drops whitespace-only blocks unless "keep" is checked: bedrock's rule.
  const { output, report } = sanitize(bytes, { profile: 'bedrock' });
  assert.ok(report.blocksDropped.length > 0, 'the first sample has blank blocks');
  assert.match(await page.textContent('#origin'), /\(.+\)$/, 'origin and license shown');

  const dropped = await page.$$eval('#events tr.dropped td.index', (tds) => tds.map((td) => td.textContent));
  for (const { index } of report.blocksDropped) assert.ok(dropped.includes(`${index} → ∅`), `block ${index} shown dropped`);
  const renumbered = await page.$$eval('#events tr.renumbered td.index', (tds) => tds.map((td) => td.textContent));
  assert.ok(renumbered.length > 0);
  const first = Math.min(...report.blocksDropped.map((b) => b.index));
  for (const cell of renumbered) {
    const [before, after] = cell.split(' → ').map(Number);
    assert.ok(before > first && after < before, cell);
  }
  assert.equal(await page.textContent('#clean'), new TextDecoder().decode(output), 'the sanitized text is the library output');
  assert.ok((await page.$$('#clean ins')).length > 0, 'changed bytes highlighted');
  assert.match(await page.textContent('#stream-summary'), new RegExp(`${report.blocksDropped.length} blank text block`));
  assert.match(await page.textContent('#message'), /"role": "assistant"/);
  assert.deepEqual(JSON.parse(await page.textContent('#report')), report);
  assert.match(await page.textContent('#throughput'), /MB\/s/);
  await shot(page, 'stream');
  // The README's screenshot: regenerate with UPDATE_SCREENSHOT=1.
  if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: new URL('../docs/demo.png', import.meta.url).pathname });
});

test('a single empty text block sample: its events dropped, nothing renumbered', async () => {
  const { page } = browser;
  const i = samples.findIndex((s) => /empty_response\.0/.test(s.url ?? ''));
  await page.selectOption('#sample', String(i));
  await page.waitForFunction(() => /1 blank text block/.test(document.querySelector('#stream-summary').textContent));
  assert.equal((await page.$$('#events tr.dropped')).length, 2, 'start and stop of the empty block');
  assert.equal((await page.$$('#events tr.renumbered')).length, 0);
});

test('a HAR file dropped on the page lists its Messages API requests and streams', async () => {
  const { page } = browser;
  const exchange = JSON.parse(readFileSync(new URL('../tests/corpus/exchanges/anthropic-sdk-python__TestAsyncMessages_9381e2b7-7fa1-46f7-9f78-46dc8431ea9d.json', import.meta.url)));
  const stream = new TextDecoder().decode(corpusBytes(samples[0].url));
  const har = {
    log: {
      version: '1.2',
      creator: { name: 'test', version: '1' },
      entries: [
        ...exchange.map((x) => ({
          request: { method: x.request.method, url: x.request.url, headers: [], postData: { mimeType: 'application/json', text: JSON.stringify(x.request.body) } },
          response: { status: 200, headers: [], content: { mimeType: 'text/event-stream', text: typeof x.response.body === 'string' ? x.response.body : stream } },
        })),
        { request: { method: 'GET', url: 'https://app.example/index.html', headers: [] }, response: { status: 200, headers: [], content: { mimeType: 'text/html', text: '<html>' } } },
        {
          request: { method: 'POST', url: 'https://gateway.example/v1/messages', headers: [], postData: { mimeType: 'application/json', text: JSON.stringify(samples.find((s) => s.kind === 'request').body) } },
          response: { status: 200, headers: [], content: { mimeType: 'text/event-stream; charset=utf-8', text: Buffer.from(stream).toString('base64'), encoding: 'base64' } },
        },
      ],
    },
  };
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], 'session.har', { type: 'application/json' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, JSON.stringify(har));
  await page.waitForSelector('#har:not([hidden])');
  const items = await page.$$eval('#har-list li', (lis) => lis.map((li) => li.textContent));
  assert.equal(items.length, exchange.length + 1, 'the HTML page is not listed');
  assert.ok(items.every((t) => /\/v1\/messages/.test(t) && /request body/.test(t) && /event stream/.test(t)), items.join('\n'));
  await shot(page, 'har');
  await page.click('#har-list li:last-child button:has-text("event stream")');
  await page.waitForFunction(() => /entry \d+ response/.test(document.querySelector('#origin').textContent));
  assert.equal(await page.textContent('#clean'), new TextDecoder().decode(sanitize(corpusBytes(samples[0].url)).output));
});

test('a dirty history: the verdict flips from the exact rejection text to clean', async () => {
  const { page } = browser;
  const i = samples.findIndex((s) => s.kind === 'request' && /dirty history: empty text before tool_use/.test(s.label));
  await page.selectOption('#sample', String(i));
  await page.waitForSelector('#view-history:not([hidden])');
  const expected = validate(samples[i].body).map((v) => v.message);
  assert.ok(expected.includes('messages: text content blocks must be non-empty'));
  const rows = await page.$$eval('#verdict tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  const anthropic = rows.find((r) => r[0] === 'anthropic');
  for (const message of expected) assert.ok(anthropic[1].includes(message), message);
  assert.match(anthropic[2], /^clean/);
  assert.match(rows.find((r) => r[0] === 'bedrock')[2], /^clean/);
  const rules = await page.$$eval('#changes tbody td:first-child a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(rules.includes('#rule-empty-text'));
  assert.ok(await page.$('#rule-empty-text'), 'the rule links to its catalog entry');
  assert.ok((await page.$$('#diff .del')).length > 0);
  await shot(page, 'history');
});

test('replay: events arrive live; only blank-block events wait', async () => {
  const { page } = browser;
  await page.selectOption('#sample', '0');
  await page.waitForFunction(() => document.querySelector('#tab-stream').getAttribute('aria-selected') === 'true');
  await page.click('#tab-replay');
  await page.fill('#chunk', '512');
  await page.fill('#delay', '0');
  await page.click('#play');
  await page.waitForFunction(() => /^done/.test(document.querySelector('#replay-status').textContent), null, { timeout: 30_000 });
  const status = await page.textContent('#replay-status');
  const [, chunks, inCount, outCount, late] = /done: (\d+) chunks, (\d+) events in, (\d+) out, (\d+) released/.exec(status).map(Number);
  const bytes = corpusBytes(samples[0].url);
  assert.equal(chunks, Math.ceil(bytes.length / 512));
  const { report } = sanitize(bytes, { profile: 'bedrock' });
  assert.ok(outCount < inCount, 'the blank blocks never come out');
  assert.ok(late > 0 && late < outCount / 2, `a few held events (${late}), not the stream`);
  assert.ok(report.blocksDropped.length > 0);
  await shot(page, 'replay');
});

test('auth helper: the headers for each key kind, the key redacted', async () => {
  const { page } = browser;
  await page.click('#tab-auth');
  await page.selectOption('#key-kind', 'oauth');
  const headers = await page.textContent('#headers');
  assert.match(headers, /^authorization: Bearer sk-ant-…EfGh$/m);
  assert.match(headers, /^anthropic-beta: oauth-2025-04-20$/m);
  assert.doesNotMatch(headers, /EXAMPLE/);
  await page.selectOption('#key-kind', 'api');
  await page.fill('#base-url', 'http://127.0.0.1:4000');
  assert.match(await page.textContent('#headers'), /^authorization: Bearer sk-ant-…AbCd$/m, 'a proxy base URL sends Bearer');
  await page.selectOption('#key-kind', 'own');
  await page.fill('#own-key', 'sk-ant-api03-mysecretmysecretmysecret-9876');
  await page.fill('#base-url', 'https://api.anthropic.com');
  const own = await page.textContent('#headers');
  assert.match(own, /^x-api-key: sk-ant-…9876$/m);
  assert.doesNotMatch(own, /mysecret/);
  await shot(page, 'auth');
});

test('keyboard and a narrow window', async () => {
  const { page } = browser;
  await page.focus('#tab-auth');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.getAttribute('#tab-history', 'aria-selected'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-history');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-stream', 'aria-selected'), 'true', 'wraps around');
  await page.setViewportSize({ width: 420, height: 800 });
  const overflow = await page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll, .code'));
    return { by: document.documentElement.scrollWidth - window.innerWidth, wide: wide.slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className) };
  });
  assert.ok(overflow.by <= 1, `no horizontal scrolling at 420 px: ${JSON.stringify(overflow)}`);
  await shot(page, 'narrow');
  await page.setViewportSize({ width: 1280, height: 800 });
});
