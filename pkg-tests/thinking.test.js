// Signed thinking never moves, end to end: an adaptive-thinking tool loop
// (the official SDK streams turn 1, stores it, sends it back with the
// tool_result) against a strict upstream that signs the thinking blocks it
// streams for their positions and refuses a replay that moved or changed them.
// Plain fetch, a naive "drop blank blocks" client, sanitizingFetch, and the
// Worker in workerd; all on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { sanitize, sanitizingFetch } from 'sse-sanitizer';
import { startStrictUpstream } from './helpers/strict-upstream.js';
import { startWorker } from './helpers/workerd.js';
import { EMPTY_SEPARATOR, THINKING_AT, WHITESPACE_FIRST, replayWeather, weatherAsk } from './helpers/adaptive.js';

const KEY = 'sk-ant-api03-thinking-loop-test-0001';
const MOVED = /^messages\.1\.content\.\d: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified\. These blocks must remain as they were in the original response\.$/;
const SHAPES = [
  ['["\\n\\n", thinking, text, tool_use]', WHITESPACE_FIRST],
  ['[thinking, "", thinking, text, tool_use]', EMPTY_SEPARATOR],
];

let upstream;
let worker;

before(async () => {
  upstream = await startStrictUpstream({ stream: WHITESPACE_FIRST, signThinking: true, auth: { mode: 'either', key: KEY } });
  worker = await startWorker(new URL('../js/worker.js', import.meta.url), { bindings: { UPSTREAM_URL: upstream.url, UPSTREAM_AUTH: 'bearer' } });
});
after(async () => {
  await worker?.mf.dispose();
  await upstream?.close();
});

const ask = weatherAsk('claude-opus-4-6');
const replay = (content) => replayWeather(ask, content);

/** Turn 1 streamed and stored by the SDK, turn 2 sent back: `{ first, second | error }`. */
async function toolLoop(client, shape, transform = (c) => c) {
  upstream.options.stream = shape;
  const first = await client.messages.stream(ask).finalMessage();
  try {
    const second = await client.messages.create(replay(transform(first.content)));
    return { first, second };
  } catch (error) {
    return { first, error };
  }
}

const thinkingIndices = (content) => content.flatMap((b, i) => (b.type === 'thinking' || b.type === 'redacted_thinking' ? [i] : []));
const client = (options) => new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0, ...options });

test('the strict upstream signs by position: the blocks as streamed replay; moved ones are refused with the exact text', async () => {
  for (const [name, shape] of SHAPES) {
    const { first, second, error } = await toolLoop(client(), shape, (content) => content.filter((b) => !(b.type === 'text' && b.text === '')));
    if (shape === EMPTY_SEPARATOR) {
      // Dropping the "" separator (what a naive sanitizer does) moves the second thinking block.
      assert.equal(error?.status, 400, name);
      assert.match(error.error.error.message, MOVED, name);
    } else {
      // "\n\n" is accepted by the API beside other content: the raw turn replays.
      assert.equal(second?.type, 'message', `${name}: ${error}`);
    }
    assert.deepEqual(thinkingIndices(first.content), THINKING_AT.get(shape), name);
  }
  // LiteLLM-like stripping of the whitespace-only block moves the thinking block too.
  const { error } = await toolLoop(client(), WHITESPACE_FIRST, (content) => content.filter((b) => !(b.type === 'text' && b.text.trim() === '')));
  assert.match(error.error.error.message, MOVED);
});

test('plain fetch: the stored [thinking, "", thinking, …] turn is refused ("text content blocks must be non-empty")', async () => {
  const { first, error } = await toolLoop(client(), EMPTY_SEPARATOR);
  assert.deepEqual(first.content[1], { type: 'text', text: '' });
  assert.equal(error?.status, 400);
  assert.equal(error.error.error.message, 'messages: text content blocks must be non-empty');
});

test('sanitizingFetch: both adaptive shapes replay, every thinking block where the API put it', async () => {
  for (const profile of ['anthropic', 'bedrock']) {
    for (const [name, shape] of SHAPES) {
      const reports = [];
      const c = client({ fetch: sanitizingFetch(fetch, { profile, onReport: (r) => reports.push(r) }) });
      const { first, second, error } = await toolLoop(c, shape);
      assert.equal(second?.type, 'message', `${name} (${profile}): ${error}`);
      assert.deepEqual(thinkingIndices(first.content), THINKING_AT.get(shape), `${name} (${profile})`);
      assert.ok(!first.content.some((b) => b.type === 'text' && b.text.trim() === ''), `${name} (${profile}): no blank text stored`);
      const replaced = reports[0].response.blocksReplaced;
      assert.deepEqual(replaced.map((b) => b.rule), ['thinking-position'], name);
      // The stored turn needed no change at all on the way back.
      assert.deepEqual(reports[1].changes, [], name);
    }
  }
});

test('the Worker in workerd: both adaptive shapes replay through it; the raw empty separator is repaired on the way back too', async () => {
  const c = new Anthropic({ apiKey: KEY, baseURL: worker.url.origin, maxRetries: 0 });
  for (const [name, shape] of SHAPES) {
    const { first, second, error } = await toolLoop(c, shape);
    assert.equal(second?.type, 'message', `${name}: ${error}`);
    assert.deepEqual(thinkingIndices(first.content), THINKING_AT.get(shape), name);
  }
  // A history stored without the Worker (raw "" separator) sent through it:
  // normalize() appends the placeholder instead of removing the block.
  upstream.options.stream = EMPTY_SEPARATOR;
  const raw = await client().messages.stream(ask).finalMessage();
  const res = await fetch(new URL('/v1/messages', worker.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(replay(raw.content)),
  });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('x-sse-sanitizer-changes'), '1');
  await res.arrayBuffer();
  const sent = upstream.requests.at(-1).json.messages[1].content;
  assert.deepEqual(sent[1], { type: 'text', text: '...' });
  assert.deepEqual(thinkingIndices(sent), [0, 2]);
});

test('sanitize() on the shapes: the SDK-visible bytes keep the thinking frames untouched', () => {
  for (const [name, shape] of SHAPES) {
    const { output, report } = sanitize(shape);
    assert.equal(report.blocksDropped.length, 0, name);
    assert.deepEqual(report.blocksReplaced.map((b) => b.index), [shape === WHITESPACE_FIRST ? 0 : 1], name);
    // Every byte of the input, in order, plus one inserted text_delta.
    const index = report.blocksReplaced[0].index;
    const inserted = `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":"..."}}\n\n`;
    const text = Buffer.from(output).toString();
    assert.equal(text.split(inserted).length, 2, name);
    assert.equal(text.replace(inserted, ''), shape.toString(), name);
  }
});
