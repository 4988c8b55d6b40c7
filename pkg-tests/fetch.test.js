// sanitizingFetch with the two real SDKs (@anthropic-ai/sdk, @ai-sdk/anthropic + ai)
// against a local upstream on 127.0.0.1 that replays corpus streams and
// answers like the strict API: a multi-turn tool loop in which the SDK stores
// the streamed turn and sends it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { sanitizingFetch } from '../js/node.js';

const KEY = 'sk-ant-api03-fetchtest-0123456789abcdefghij-wxyz';
const streamsDir = new URL('../tests/corpus/streams/', import.meta.url);
const read = (name) => readFileSync(new URL(name, streamsDir), 'utf8');

/**
 * A real recorded tool-call turn (`get_date`), with an empty text block spliced
 * in before the tool_use the way real streams start (the later indices
 * renumbered accordingly).
 */
function toolTurn() {
  const raw = read('chatlas__test_provider_anthropic_test_anthropic_tool_variations.3.sse');
  const shifted = raw.replace(/"index":(\d+)/g, (_, n) => `"index":${Number(n) + 1}`);
  const blank =
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
    'event: ping\ndata: {"type": "ping"}\n\n' +
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n';
  const at = shifted.indexOf('event: content_block_start');
  return shifted.slice(0, at) + blank + shifted.slice(at);
}
const finalTurn = read('chatlas__test_provider_anthropic_test_anthropic_tool_variations.4.sse');

/** What the strict API answers for a body (only the checks this loop can hit). */
function strictCheck(body) {
  for (const [m, message] of body.messages.entries()) {
    if (!Array.isArray(message.content)) continue;
    for (const [b, block] of message.content.entries()) {
      if (block.type !== 'text') continue;
      if (!('text' in block)) return `messages.${m}.content.${b}.text.text: Field required`;
      if (block.text === '') return 'messages: text content blocks must be non-empty';
      if (block.text.trim() === '') return 'messages: text content blocks must contain non-whitespace text';
    }
  }
  return null;
}

function startUpstream() {
  const seen = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const headers = req.headers;
    seen.push({ url: req.url, headers, body: raw });
    const fail = (status, type, message) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type, message } }));
    };
    if (req.method !== 'POST' || !req.url.endsWith('/v1/messages')) return fail(404, 'not_found_error', 'Not found');
    // A proxy that only understands Bearer (LiteLLM virtual keys, gateways).
    if (headers['x-api-key'] && headers.authorization) return fail(400, 'invalid_request_error', 'send one of x-api-key or authorization');
    if (headers.authorization !== `Bearer ${KEY}`) return fail(401, 'authentication_error', 'invalid x-api-key');
    const body = JSON.parse(raw);
    const problem = strictCheck(body);
    if (problem) return fail(400, 'invalid_request_error', problem);
    const last = body.messages.at(-1);
    const answered = Array.isArray(last.content) && last.content.some((b) => b.type === 'tool_result');
    const stream = answered ? finalTurn : toolTurn();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Event by event, so the reply really streams.
    for (const part of stream.split(/(?<=\n\n)/)) {
      res.write(part);
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

const tools = [{ name: 'get_date', description: 'Today', input_schema: { type: 'object', properties: {} } }];

async function anthropicLoop(client) {
  const messages = [{ role: 'user', content: 'What is the date?' }];
  const first = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, tools, messages }).finalMessage();
  messages.push({ role: 'assistant', content: first.content });
  const use = first.content.find((b) => b.type === 'tool_use');
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '2024-01-01' }] });
  const second = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, tools, messages }).finalMessage();
  return { first, second };
}

test('@anthropic-ai/sdk: the stored streamed turn replays with 200 through sanitizingFetch, 400 without', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const reports = [];

  // Without: the SDK stores the empty text block, sends it back, and the
  // strict upstream says no. (SDK 1.12 already sends its key as Bearer.)
  const plain = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0 });
  await assert.rejects(anthropicLoop(plain), (e) => e.status === 400 && /messages: text content blocks must be non-empty/.test(e.message));
  upstream.seen.length = 0;

  const client = new Anthropic({
    apiKey: KEY,
    baseURL: upstream.url,
    maxRetries: 0,
    fetch: sanitizingFetch(fetch, { onReport: (r) => reports.push(r) }),
  });
  const { first, second } = await anthropicLoop(client);
  assert.deepEqual(first.content.map((b) => b.type), ['tool_use']);
  assert.equal(second.content[0].text, '2024-01-01');
  assert.equal(reports.length, 2);
  assert.deepEqual(reports[0].response.blocksDropped.map((b) => [b.index, b.reason]), [[0, 'empty-text']]);
  assert.deepEqual(reports[1].changes, []);
  const sent = upstream.seen.at(-1).headers;
  assert.equal(sent['x-api-key'], undefined);
  assert.equal(sent.authorization, `Bearer ${KEY}`);
  for (const r of reports) assert.ok(!JSON.stringify(r).includes(KEY.slice(10, -4)));
});

test('sanitizingFetch repairs a history an app stored before it was installed', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const reports = [];
  const client = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0, fetch: sanitizingFetch(fetch, { onReport: (r) => reports.push(r) }) });
  const messages = [
    { role: 'user', content: 'What is the date?' },
    { role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'tool_use', id: 'toolu_0123XuPthLWH62nQHDkYt8GN', name: 'get_date', input: {} }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0123XuPthLWH62nQHDkYt8GN', content: '2024-01-01' }] },
  ];
  const reply = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, tools, messages, stream: true });
  let text = '';
  for await (const event of reply) if (event.type === 'content_block_delta') text += event.delta.text ?? '';
  assert.equal(text, '2024-01-01');
  assert.deepEqual(reports[0].changes.map((c) => [c.rule, c.path]), [['empty-text', '/messages/1/content/0']]);
});

test('@ai-sdk/anthropic + ai: a two-step tool loop through sanitizingFetch', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const reports = [];
  // Without: the provider sends x-api-key, which a Bearer-only proxy refuses.
  const plain = createAnthropic({ apiKey: KEY, baseURL: `${upstream.url}/v1` });
  let refused;
  await assert.rejects(streamText({ model: plain('claude-haiku-4-5'), prompt: 'hi', onError: ({ error }) => (refused = error) }).text);
  assert.match(refused.message, /invalid x-api-key/);
  assert.ok(upstream.seen[0].headers['x-api-key']);
  upstream.seen.length = 0;
  const anthropic = createAnthropic({ apiKey: KEY, baseURL: `${upstream.url}/v1`, fetch: sanitizingFetch(fetch, { onReport: (r) => reports.push(r) }) });
  const result = streamText({
    model: anthropic('claude-haiku-4-5'),
    prompt: 'What is the date?',
    tools: { get_date: tool({ description: 'Today', inputSchema: jsonSchema({ type: 'object', properties: {} }), execute: async () => '2024-01-01' }) },
    stopWhen: stepCountIs(3),
  });
  assert.equal(await result.text, '2024-01-01');
  assert.equal((await result.steps).length, 2);
  const bodies = upstream.seen.map((s) => JSON.parse(s.body));
  assert.equal(bodies.length, 2);
  for (const body of bodies) assert.equal(strictCheck(body), null);
  assert.ok(bodies[1].messages.some((m) => m.role === 'assistant' && m.content.some((b) => b.type === 'tool_use')));
  assert.equal(reports[0].response.blocksDropped.length, 1);
  for (const s of upstream.seen) assert.equal(s.headers.authorization, `Bearer ${KEY}`);
});

test('non-Messages requests pass through untouched; JSON replies lose blank text blocks', async (t) => {
  const calls = [];
  const inner = async (input, init) => {
    calls.push({ input: String(input), init });
    if (String(input).endsWith('/v1/models')) return new Response('{"data":[]}', { headers: { 'content-type': 'application/json' } });
    return new Response(JSON.stringify({ id: 'm', type: 'message', role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'ok' }] }), {
      headers: { 'content-type': 'application/json' },
    });
  };
  const reports = [];
  const f = sanitizingFetch(inner, { onReport: (r) => reports.push(r) });
  const init = { method: 'GET', headers: { 'x-api-key': KEY } };
  await f('http://127.0.0.1:9/v1/models', init);
  assert.equal(calls[0].init, init, 'the very same init object is passed on');
  const res = await f('https://api.anthropic.com/v1/messages', {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.deepEqual((await res.json()).content, [{ type: 'text', text: 'ok' }]);
  assert.equal(new Headers(calls[1].init.headers).get('x-api-key'), KEY, 'the Anthropic API host keeps x-api-key');
  assert.equal(reports[0].response.blocksDropped[0].reason, 'empty-text');
  t.diagnostic(`${calls.length} calls`);
});
