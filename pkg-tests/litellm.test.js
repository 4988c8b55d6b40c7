// End to end: the official SDK or a raw client → the Worker (real workerd) →
// a real LiteLLM proxy 1.106.1 → the strict upstream, all on 127.0.0.1.
// What LiteLLM itself does with bodies and streams is asserted too, so a
// LiteLLM upgrade that changes it shows up here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { normalize, SseParser } from 'sse-sanitizer';
import { startWorker } from './helpers/workerd.js';
import { startStrictUpstream } from './helpers/strict-upstream.js';
import { startLitellm, MODEL_NAME } from './helpers/litellm.js';
import { dirtyRequest } from './helpers/histories.js';
import { THINKING_AT, WHITESPACE_FIRST, replayWeather, weatherAsk } from './helpers/adaptive.js';

const corpus = (name) => new Uint8Array(readFileSync(new URL(`../tests/corpus/streams/${name}`, import.meta.url)));
// Real streams: two whitespace-only text blocks among server tool blocks; a
// reply that is one empty text block.
const WEB_SEARCH = corpus('vercel-ai__anthropic-web-search-tool.1.sse');
const EMPTY_REPLY = corpus('chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse');
const UPSTREAM_KEY = 'sk-upstream-litellm-0001';

let upstream;
let litellm;
const workers = [];
let passURL; // Worker → LiteLLM's /anthropic pass-through
let ownURL; // Worker → LiteLLM's own /v1/messages

before(async () => {
  upstream = await startStrictUpstream({ stream: WEB_SEARCH, auth: { mode: 'x-api-key', key: UPSTREAM_KEY } });
  const worker = async (upstreamURL) => {
    const w = await startWorker(new URL('../js/worker.js', import.meta.url), { bindings: { UPSTREAM_URL: upstreamURL, UPSTREAM_AUTH: 'bearer' } });
    workers.push(w);
    return w.url.origin;
  };
  litellm = await startLitellm({ upstreamURL: upstream.url, upstreamKey: UPSTREAM_KEY });
  passURL = await worker(`${litellm.url}/anthropic`);
  ownURL = await worker(litellm.url);
});

// Runs even when a test or before() failed: every process started here ends.
after(async () => {
  for (const w of workers) await w.mf.dispose();
  await litellm?.stop();
  await upstream?.close();
});

const post = (url, body, headers = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function errorMessage(res) {
  const body = await res.json();
  assert.equal(body.type, 'error');
  return body.error.message;
}

function events(bytes) {
  const parser = new SseParser();
  const out = parser.feed(bytes);
  parser.finish();
  return out;
}
const contentBlockStarts = (bytes) => events(bytes).filter((e) => e.type === 'content_block_start').map((e) => JSON.parse(e.data));

const isBlankText = (b) => b.type === 'text' && b.text.trim() === '';

test('(a) a dirty history: refused through LiteLLM alone, accepted with the Worker in front', async (t) => {
  const { body, firstError } = dirtyRequest();
  const text = JSON.stringify(body);

  // LiteLLM's /anthropic pass-through forwards the body byte-identical: the strict upstream refuses it.
  let res = await post(`${litellm.url}/anthropic/v1/messages`, text, { 'x-api-key': litellm.masterKey });
  assert.equal(res.status, 400);
  assert.equal(await errorMessage(res), firstError);
  assert.equal(upstream.requests.at(-1).body.toString(), text, 'pass-through forwarded byte-identical');

  // LiteLLM's own /v1/messages strips empty and whitespace-only text blocks and drops
  // the assistant turn left empty (two user turns in a row), but forwards the
  // foreign field, so the upstream still refuses (LiteLLM wraps the message).
  res = await post(`${litellm.url}/v1/messages`, { ...body, model: MODEL_NAME }, { authorization: `Bearer ${litellm.masterKey}` });
  assert.equal(res.status, 400);
  const wrapped = await errorMessage(res);
  assert.match(wrapped, /messages\.1\.content\.0\.tool_use\.tool_use_id: Extra inputs are not permitted/);
  const seen = upstream.requests.at(-1).json;
  const blocks = seen.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []));
  assert.ok(!blocks.some((b) => b.type === 'text' && (typeof b.text !== 'string' || b.text.trim() === '')), 'LiteLLM removed blank text blocks');
  assert.equal(seen.messages.length, body.messages.length - 1, 'LiteLLM dropped the emptied assistant turn');
  assert.deepEqual(seen.messages.slice(2, 4).map((m) => m.role), ['user', 'user']);
  assert.equal(seen.messages[1].content[0].tool_use_id, '', 'LiteLLM forwarded the foreign field');
  t.diagnostic(`LiteLLM /v1/messages answered: ${wrapped.split('\n')[0].slice(0, 160)}`);

  // The Worker in front (client key as x-api-key → Bearer for LiteLLM): accepted.
  const bytes = new TextEncoder().encode(text);
  res = await post(`${passURL}/v1/messages`, text, { 'x-api-key': litellm.masterKey });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('x-sse-sanitizer-changes'), '5');
  await res.arrayBuffer();
  assert.deepEqual(new Uint8Array(upstream.requests.at(-1).body), normalize(bytes).body, 'upstream got the normalized bytes');
});

/** The SDK through `baseURL`; also returns the raw bytes of each streamed reply. */
function sdk(baseURL) {
  const wire = [];
  const client = new Anthropic({
    apiKey: litellm.masterKey,
    baseURL,
    maxRetries: 0,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (!res.body) return res;
      const [mine, theirs] = res.body.tee();
      wire.push(new Response(theirs).arrayBuffer().then((b) => new Uint8Array(b)));
      return new Response(mine, res);
    },
  });
  return { client, wire };
}

test('(b) LiteLLM relays the stream with its blank blocks; through the Worker the SDK gets a replayable turn', async (t) => {
  const ask = { model: MODEL_NAME, max_tokens: 1024, messages: [{ role: 'user', content: 'Search the web for the news.' }] };

  // Without the Worker: LiteLLM relays the upstream's blank text blocks to the SDK.
  const direct = sdk(litellm.url);
  const raw = await direct.client.messages.stream(ask).finalMessage();
  assert.equal(raw.content.filter(isBlankText).length, 2);
  // LiteLLM 1.106.1 relays an anthropic/ model's stream event for event (no ping or
  // empty block of its own; it re-serializes message_start with its model name).
  const relayed = events(await direct.wire[0]);
  assert.deepEqual(relayed.map((e) => e.type), events(WEB_SEARCH).map((e) => e.type));
  assert.equal(JSON.parse(relayed[0].data).message.model, MODEL_NAME);

  const started = performance.now();
  const via = sdk(ownURL);
  const stream = via.client.messages.stream(ask);
  let firstTextAt;
  stream.on('text', () => (firstTextAt ??= performance.now()));
  const message = await stream.finalMessage();
  // Under the default profile the whitespace-only blocks stay (the API accepts
  // them beside other content, and no thinking block follows them); nothing is empty.
  assert.ok(!message.content.some((b) => b.type === 'text' && b.text === ''), 'no empty text block');
  assert.equal(message.content.filter(isBlankText).length, 2);
  assert.equal(message.content.length, raw.content.length);
  const starts = contentBlockStarts(await via.wire[0]);
  assert.deepEqual(starts.map((s) => s.index), starts.map((_, i) => i), 'indices contiguous on the wire');
  const record = upstream.requests.at(-1);
  t.diagnostic(
    `first text at ${(firstTextAt - started).toFixed(0)} ms; upstream streamed ${(record.started - started).toFixed(0)}–${(record.finished - started).toFixed(0)} ms`,
  );

  // The stored turn replays: history sent through the Worker into LiteLLM → 200.
  const replay = await via.client.messages.create({
    model: MODEL_NAME,
    max_tokens: 1024,
    messages: [...ask.messages, { role: 'assistant', content: message.content }, { role: 'user', content: 'Thanks. Summarize.' }],
  });
  assert.equal(replay.type, 'message');
});

test('(b) a reply that is one empty text block: the SDK-stored turn replays through the Worker', async () => {
  upstream.options.stream = EMPTY_REPLY;
  try {
    const ask = { model: MODEL_NAME, max_tokens: 64, messages: [{ role: 'user', content: 'Say nothing.' }] };
    const raw = await sdk(litellm.url).client.messages.stream(ask).finalMessage();
    assert.deepEqual(raw.content, [{ type: 'text', text: '' }], 'LiteLLM relays the empty block');
    // Replayed as stored, the empty block is refused by a strict upstream.
    const stored = [...ask.messages, { role: 'assistant', content: raw.content }, { role: 'user', content: 'Hello?' }];
    const refused = await post(`${upstream.url}/v1/messages`, { ...ask, model: 'claude-sonnet-4-5', messages: stored }, { 'x-api-key': UPSTREAM_KEY });
    assert.equal(await errorMessage(refused), 'messages: text content blocks must be non-empty');

    const { client } = sdk(ownURL);
    const clean = await client.messages.stream(ask).finalMessage();
    assert.deepEqual(clean.content, []);
    const replay = await client.messages.create({
      ...ask,
      messages: [...ask.messages, { role: 'assistant', content: clean.content }, { role: 'user', content: 'Hello?' }],
    });
    assert.equal(replay.type, 'message');
  } finally {
    upstream.options.stream = WEB_SEARCH;
  }
});

test('(c) auth: an x-api-key client reaches LiteLLM as Bearer; an OAuth token gets the beta header', async (t) => {
  const ask = { model: MODEL_NAME, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };
  // LiteLLM without the Worker takes its master key either way; a wrong key never reaches the upstream.
  for (const headers of [{ 'x-api-key': litellm.masterKey }, { authorization: `Bearer ${litellm.masterKey}` }]) {
    const res = await post(`${litellm.url}/v1/messages`, ask, headers);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  }
  const before = upstream.requests.length;
  const wrong = await post(`${ownURL}/v1/messages`, ask, { 'x-api-key': 'sk-not-the-master-key' });
  // LiteLLM without a database answers a key that is not its master key with 400 `no_db_connection`.
  assert.ok(wrong.status >= 400 && wrong.status < 500, `wrong key: ${wrong.status}`);
  t.diagnostic(`LiteLLM, wrong key: ${wrong.status} ${(await wrong.text()).slice(0, 120)}`);
  assert.equal(upstream.requests.length, before);

  const res = await post(`${ownURL}/v1/messages`, ask, { 'x-api-key': litellm.masterKey });
  assert.equal(res.status, 200);
  await res.arrayBuffer();

  // An OAuth token (Claude Code's pattern: LiteLLM's own key in x-litellm-api-key):
  // the Worker sends it as Bearer with the OAuth beta merged in; LiteLLM forwards both.
  const oauth = 'sk-ant-oat01-e2e-test-token';
  upstream.options.auth = { mode: 'bearer', key: oauth };
  try {
    const ok = await post(`${ownURL}/v1/messages`, ask, {
      'x-api-key': oauth,
      'x-litellm-api-key': `Bearer ${litellm.masterKey}`,
      'anthropic-beta': 'interleaved-thinking-2025-05-14',
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    await ok.arrayBuffer();
    const seen = upstream.requests.at(-1).headers;
    assert.equal(seen.authorization, `Bearer ${oauth}`);
    assert.equal(seen['x-api-key'], undefined);
    assert.deepEqual(seen['anthropic-beta'].split(','), ['interleaved-thinking-2025-05-14', 'oauth-2025-04-20']);
  } finally {
    upstream.options.auth = { mode: 'x-api-key', key: UPSTREAM_KEY };
  }
});

test('(d) adaptive thinking: LiteLLM strips the "\\n\\n" block before the thinking block, moving it (refused); through the Worker the turn replays', async (t) => {
  upstream.options.stream = WHITESPACE_FIRST;
  upstream.options.signThinking = true;
  try {
    const ask = weatherAsk(MODEL_NAME);
    const replay = (content) => replayWeather(ask, content, '18°C');
    const thinkingAt = (content) => content.flatMap((b, i) => (b.type === 'thinking' ? [i] : []));

    // Without the Worker: LiteLLM relays the turn as the API sent it…
    const direct = sdk(litellm.url);
    const raw = await direct.client.messages.stream(ask).finalMessage();
    assert.deepEqual(raw.content[0], { type: 'text', text: '\n\n' });
    assert.deepEqual(thinkingAt(raw.content), THINKING_AT.get(WHITESPACE_FIRST));
    // …and strips the whitespace-only block when the stored turn goes back,
    // so the thinking block arrives at index 0 instead of 1: refused.
    const refused = await direct.client.messages.create(replay(raw.content)).then(
      () => assert.fail('the moved thinking block was accepted'),
      (err) => err,
    );
    assert.equal(refused.status, 400);
    assert.match(refused.message, /messages\.1\.content\.0: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified/);
    assert.equal(upstream.requests.at(-1).json.messages[1].content[0].type, 'thinking', 'LiteLLM removed the "\\n\\n" block');
    t.diagnostic(`through LiteLLM alone: ${refused.message.split('\n')[0].slice(0, 160)}`);

    // With the Worker in front: the streamed turn keeps the block (placeholder
    // appended), LiteLLM keeps it, the thinking block stays at 1.
    const via = sdk(ownURL);
    const clean = await via.client.messages.stream(ask).finalMessage();
    assert.deepEqual(clean.content[0], { type: 'text', text: '\n\n...' });
    assert.deepEqual(thinkingAt(clean.content), THINKING_AT.get(WHITESPACE_FIRST));
    assert.equal((await via.client.messages.create(replay(clean.content))).type, 'message');
    assert.deepEqual(thinkingAt(upstream.requests.at(-1).json.messages[1].content), [1]);
    // A history stored before the Worker was there replays through it too.
    assert.equal((await via.client.messages.create(replay(raw.content))).type, 'message');
    assert.equal(upstream.requests.at(-1).json.messages[1].content[0].text, '\n\n...');
  } finally {
    upstream.options.stream = WEB_SEARCH;
    upstream.options.signThinking = false;
  }
});
