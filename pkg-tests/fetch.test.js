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
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { sanitize, sanitizingFetch } from '../js/node.js';

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

/** A server on 127.0.0.1 answering every request with `handler`; records { method, url, headers, body }. */
async function server(t, handler) {
  const seen = [];
  const srv = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ method: req.method, url: req.url, headers: req.headers, body });
    await handler(req, res, body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(resolve);
      }),
  );
  return { url: `http://127.0.0.1:${srv.address().port}`, seen };
}

const question = { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'What is the date?' }] };
const messagesInit = (extra = {}) => ({
  method: 'POST',
  headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
  body: JSON.stringify(question),
  ...extra,
});

/** An undici Agent that records the requests dispatched through it. */
class RecordingAgent extends Agent {
  paths = [];
  dispatch(options, handler) {
    this.paths.push(`${options.method} ${options.path}`);
    return super.dispatch(options, handler);
  }
}

test("the SDK's fetchOptions reach fetch: its undici dispatcher carries the Messages calls too", async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  const ask = (client) => client.messages.stream({ ...question, tools }).finalMessage();
  const plainAgent = new RecordingAgent();
  const agent = new RecordingAgent();
  t.after(() => Promise.all([plainAgent.close(), agent.close()]));
  await ask(new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0, fetchOptions: { dispatcher: plainAgent } }));
  assert.deepEqual(plainAgent.paths, ['POST /v1/messages']);
  const client = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0, fetchOptions: { dispatcher: agent }, fetch: sanitizingFetch(fetch) });
  const message = await ask(client);
  assert.deepEqual(message.content.map((b) => b.type), ['tool_use']);
  await assert.rejects(client.models.list());
  assert.deepEqual(agent.paths, ['POST /v1/messages', 'GET /v1/models']);
});

test('every init option reaches the wrapped fetch, from init and from a Request', async () => {
  const seen = [];
  const inner = async (url, init) => {
    seen.push(init);
    return new Response('{"type":"message","content":[]}', { headers: { 'content-type': 'application/json' } });
  };
  const f = sanitizingFetch(inner);
  const extra = {
    dispatcher: new Agent(),
    keepalive: true,
    cache: 'no-store',
    credentials: 'omit',
    priority: 'high',
    duplex: 'half',
    mode: 'cors',
    referrerPolicy: 'no-referrer',
    next: { revalidate: 0 },
    cf: { cacheTtl: 5 },
  };
  await f('https://api.anthropic.com/v1/messages', messagesInit(extra));
  for (const [key, value] of Object.entries(extra)) assert.equal(seen[0][key], value, key);
  const request = new Request('https://api.anthropic.com/v1/messages', messagesInit({ cache: 'no-store', keepalive: true, credentials: 'omit' }));
  await f(request, { dispatcher: extra.dispatcher });
  assert.equal(seen[1].dispatcher, extra.dispatcher);
  assert.equal(seen[1].cache, 'no-store');
  assert.equal(seen[1].keepalive, true);
  assert.equal(seen[1].credentials, 'omit');
  await extra.dispatcher.close();
});

test('a body normalize() refuses: a 400 invalid_request_error the SDK raises at once, nothing sent', async (t) => {
  const upstream = await startUpstream();
  t.after(() => upstream.close());
  let attempts = 0;
  const wrapped = sanitizingFetch(fetch);
  const client = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 2, fetch: (...args) => (attempts++, wrapped(...args)) });
  const deep = JSON.parse('['.repeat(200) + ']'.repeat(200));
  for (const params of [{ ...question, messages: 'not a list' }, { ...question, messages: [{ role: 'user', content: deep }] }]) {
    attempts = 0;
    await assert.rejects(client.messages.create(params), (e) => {
      assert.equal(e.status, 400, e.message);
      assert.equal(e.error?.error?.type, 'invalid_request_error');
      assert.match(e.message, /messages|nesting/);
      return true;
    });
    assert.equal(attempts, 1, 'not retried');
  }
  assert.equal(upstream.seen.length, 0);
});

test('a decoded body loses content-encoding and content-length', async (t) => {
  const stream = toolTurn();
  const message = JSON.stringify({ id: 'm', type: 'message', role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'text', text: 'ok' }] });
  const upstream = await server(t, (req, res, body) => {
    const streaming = JSON.parse(body).stream === true;
    const bytes = gzipSync(streaming ? stream : message);
    res.writeHead(200, { 'content-type': streaming ? 'text/event-stream' : 'application/json', 'content-encoding': 'gzip', 'content-length': bytes.length });
    res.end(bytes);
  });
  const f = sanitizingFetch(fetch);
  for (const streaming of [true, false]) {
    const res = await f(`${upstream.url}/v1/messages`, messagesInit({ body: JSON.stringify({ ...question, stream: streaming }) }));
    assert.equal(res.headers.get('content-encoding'), null, `stream: ${streaming}`);
    assert.equal(res.headers.get('content-length'), null, `stream: ${streaming}`);
    const text = await res.text();
    if (streaming) assert.equal(text, sanitize(stream).output);
    else assert.deepEqual(JSON.parse(text).content, [{ type: 'text', text: 'ok' }]);
  }
});

test('media types are compared case-insensitively, parameters allowed', async () => {
  const stream = toolTurn();
  const f = sanitizingFetch(async () => new Response(stream, { headers: { 'content-type': 'Text/Event-Stream; Charset="UTF-8"' } }));
  assert.equal(await (await f('https://api.anthropic.com/v1/messages', messagesInit())).text(), sanitize(stream).output);
});

test('redirects are never followed (whatever init.redirect says): a 502 api_error the SDK does not retry', async (t) => {
  const canary = await server(t, (req, res) => res.end('{}'));
  const upstream = await server(t, (req, res) => {
    res.writeHead(307, { location: `${canary.url}/v1/messages` });
    res.end();
  });
  const client = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 2, fetch: sanitizingFetch(fetch) });
  await assert.rejects(client.messages.create(question), (e) => e.status === 502 && /redirect/.test(e.message) && e.error?.error?.type === 'api_error');
  assert.equal(upstream.seen.length, 1, 'not retried');
  const f = sanitizingFetch(fetch);
  for (const redirect of ['follow', 'manual', 'error', undefined]) {
    const res = await f(`${upstream.url}/v1/messages`, messagesInit({ redirect }));
    assert.equal(res.status, 502, String(redirect));
    assert.equal(res.headers.get('location'), null);
  }
  assert.equal(canary.seen.length, 0, 'the other origin was never contacted');
});

test('a stream cut before message_stop: the SDK raises the error event instead of keeping a partial turn', async (t) => {
  const stream = toolTurn();
  const cut = stream.slice(0, stream.indexOf('event: content_block_stop', stream.indexOf('"tool_use"')));
  let reset = false;
  const upstream = await server(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (!reset) return res.end(cut);
    res.write(cut, () => setTimeout(() => res.socket.destroy(), 20));
  });
  const reports = [];
  const client = new Anthropic({ apiKey: KEY, baseURL: upstream.url, maxRetries: 0, fetch: sanitizingFetch(fetch, { onReport: (r) => reports.push(r) }) });
  for (reset of [false, true]) {
    await assert.rejects(client.messages.stream(question).finalMessage(), (e) => {
      assert.match(e.message, /api_error/, `reset=${reset}: ${e.message}`);
      return true;
    });
  }
  assert.deepEqual(reports.map((r) => r.response.truncated), [true, true]);
  // onTruncated: 'pass' keeps the old behaviour: the bytes as far as they went.
  const f = sanitizingFetch(fetch, { onTruncated: 'pass' });
  reset = false;
  assert.equal(await (await f(`${upstream.url}/v1/messages`, messagesInit())).text(), sanitize(cut).output);
});

test('a non-streaming reply cut off: a 502 api_error response', async (t) => {
  const upstream = await server(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
    res.write('{"id":"msg_01","type":"message","content":[{"type":"text","te', () => setTimeout(() => res.socket.destroy(), 20));
  });
  const res = await sanitizingFetch(fetch)(`${upstream.url}/v1/messages`, messagesInit());
  assert.equal(res.status, 502);
  assert.equal((await res.json()).error.type, 'api_error');
});

test('a caller abort during a non-streaming reply closes the upstream request', async (t) => {
  let closedAfter;
  const upstream = await server(t, (req, res) => {
    const started = Date.now();
    res.on('close', () => (closedAfter = res.writableFinished ? Infinity : Date.now() - started));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":"msg_01",');
    setTimeout(() => res.end('"type":"message","content":[]}'), 3000);
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(sanitizingFetch(fetch)(`${upstream.url}/v1/messages`, messagesInit({ signal: controller.signal })), { name: 'AbortError' });
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(closedAfter < 1000, `upstream closed after ${closedAfter} ms`);
});
