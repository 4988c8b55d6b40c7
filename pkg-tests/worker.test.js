// The Worker filter (js/worker.js) in real workerd through miniflare, in front
// of the strict upstream (helpers/strict-upstream.js) on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { normalize, sanitize, SseParser } from 'sse-sanitizer';
import { startWorker } from './helpers/workerd.js';
import { startStrictUpstream } from './helpers/strict-upstream.js';
import { cleanRequest, dirtyRequest } from './helpers/histories.js';

const workerEntry = new URL('../js/worker.js', import.meta.url);
const corpus = (name) => new Uint8Array(readFileSync(new URL(`../tests/corpus/streams/${name}`, import.meta.url)));
// Real streams: two whitespace-only text blocks (indices 4 and 8) among server
// tool blocks, and a reply that is one empty text block.
const WEB_SEARCH = corpus('vercel-ai__anthropic-web-search-tool.1.sse');
const EMPTY_REPLY = corpus('chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse');
const CLIENT_KEY = 'sk-ant-api03-client-key-0001';
const UPSTREAM_KEY = 'sk-upstream-secret-0002';

let upstream;
let canary; // a second server no request may ever reach
const workers = [];

/** Starts a Worker with these vars (UPSTREAM_URL defaults to the strict upstream). */
async function worker(vars = {}) {
  const w = await startWorker(workerEntry, { bindings: { UPSTREAM_URL: upstream.url, ...vars } });
  workers.push(w);
  return w.url;
}
let bearerURL;

before(async () => {
  upstream = await startStrictUpstream({ stream: WEB_SEARCH, auth: { mode: 'either', key: CLIENT_KEY } });
  canary = await startStrictUpstream({ stream: WEB_SEARCH });
  bearerURL = await worker({ UPSTREAM_AUTH: 'bearer', ALLOWED_ORIGINS: 'https://chat.example' });
});
after(async () => {
  for (const w of workers) await w.mf.dispose();
  await upstream?.close();
  await canary?.close();
});

const json = (body) => JSON.stringify(body);
const post = (base, path, body, headers = {}) =>
  fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CLIENT_KEY, ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : json(body),
  });
const simple = (extra = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra });

/** Runs `fn`; returns the upstream requests it caused. */
async function upstreamCalls(fn) {
  const from = upstream.requests.length;
  await fn();
  return upstream.requests.slice(from);
}

async function assertError(res, status, type) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, type);
  assert.equal(typeof body.error.message, 'string');
  return body.error.message;
}

/** The `index` of every indexed event, per message, must run 0, 1, 2… without gaps. */
function assertContiguous(bytes) {
  const parser = new SseParser();
  const events = parser.feed(bytes);
  parser.finish();
  let next = 0;
  for (const { type, data } of events) {
    if (type === 'message_start') next = 0;
    if (type !== 'content_block_start') continue;
    assert.equal(JSON.parse(data).index, next++, 'content_block_start indices are contiguous');
  }
  return events;
}

/** A raw HTTP/1.1 request (for what fetch() refuses to send: hop-by-hop headers, odd targets). */
function rawRequest(base, { method = 'POST', path, headers = {}, body = '' }) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const all = Object.entries({ 'content-length': Buffer.byteLength(body), ...headers }).filter(([, v]) => v !== undefined);
    const req = httpRequest({ hostname, port, method, path, headers: Object.fromEntries(all), agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('routing: only POST /v1/messages and /v1/messages/count_tokens reach the upstream', async () => {
  const calls = await upstreamCalls(async () => {
    for (const [method, path] of [
      ['GET', '/v1/messages'],
      ['PUT', '/v1/messages'],
      ['DELETE', '/v1/messages/count_tokens'],
      ['POST', '/v1/complete'],
      ['POST', '/v1/messages/'],
      ['POST', '/v1/models'],
      ['POST', '/'],
      ['GET', '/anthropic/v1/messages'],
    ]) {
      const res = await fetch(new URL(path, bearerURL), { method, headers: { 'x-api-key': CLIENT_KEY }, body: method === 'GET' ? undefined : json(simple()) });
      await assertError(res, 404, 'not_found_error');
    }
  });
  assert.equal(calls.length, 0);

  const ok = await upstreamCalls(async () => {
    assert.equal((await post(bearerURL, '/v1/messages', simple())).status, 200);
    const count = await post(bearerURL, '/v1/messages/count_tokens', { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(await count.json(), { input_tokens: 42 });
    // The SDKs' beta calls carry a query: kept, the path is still the route's.
    assert.equal((await post(bearerURL, '/v1/messages?beta=true', simple())).status, 200);
  });
  assert.deepEqual(ok.map((r) => r.path), ['/v1/messages', '/v1/messages/count_tokens', '/v1/messages?beta=true']);
});

test('routing: no request target or Host header makes the Worker contact another host', async () => {
  const canaryHost = new URL(canary.url).host;
  const body = json(simple());
  const headers = { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY };
  const attempts = [
    // An absolute-form target: workerd itself refuses it (500 "invalid URL" before the Worker runs).
    { path: `${canary.url}/v1/messages`, headers, expect: [500] },
    // The Host header names the canary: still the configured upstream (200).
    { path: '/v1/messages', headers: { ...headers, host: canaryHost }, expect: [200] },
    { path: '/v1/messages', headers: { ...headers, 'x-forwarded-host': canaryHost, forwarded: `host=${canaryHost}` }, expect: [200] },
    { path: `//${canaryHost}/v1/messages`, headers, expect: [404] },
    { path: '/v1/messages/../../v1/complete', headers, expect: [404] },
  ];
  for (const { expect, ...attempt } of attempts) {
    const res = await rawRequest(bearerURL, { ...attempt, body });
    assert.ok(expect.includes(res.status), `${attempt.path}: ${res.status}`);
  }
  assert.equal(canary.requests.length, 0, 'the canary was never contacted');
});

test('normalization: a dirty history the strict upstream refuses is accepted through the Worker', async () => {
  const { body, firstError } = dirtyRequest();
  const direct = await post(upstream.url, '/v1/messages', body);
  assert.equal(await assertError(direct, 400, 'invalid_request_error'), firstError);

  const bytes = new TextEncoder().encode(json(body));
  const [call] = await upstreamCalls(async () => {
    const res = await post(bearerURL, '/v1/messages', bytes);
    assert.equal(res.status, 200, await res.clone().text());
    const expected = normalize(bytes);
    assert.equal(res.headers.get('x-sse-sanitizer-changes'), String(expected.changes.length));
    assert.equal(expected.changes.length, 5);
    await res.arrayBuffer();
  });
  assert.deepEqual(new Uint8Array(call.body), normalize(bytes).body, 'forwarded exactly what normalize() returns');
  assert.equal(call.headers['content-length'], String(call.body.length));
});

test('normalization: an accepted real request is forwarded byte-identical, 0 changes', async () => {
  // Odd but valid formatting: normalize() must not re-serialize an unchanged body.
  const text = JSON.stringify(cleanRequest(), null, 3).replace(/\n/g, '\r\n') + '\n';
  const [call] = await upstreamCalls(async () => {
    const res = await post(bearerURL, '/v1/messages', text);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sse-sanitizer-changes'), '0');
    await res.arrayBuffer();
  });
  assert.equal(call.body.toString(), text);
});

test('streaming: the reply arrives sanitized, indices contiguous, the first event before the upstream finished', async () => {
  let firstChunkAt;
  const chunks = [];
  const [call] = await upstreamCalls(async () => {
    const res = await post(bearerURL, '/v1/messages', simple({ stream: true }));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    assert.equal(res.headers.get('content-length'), null);
    for await (const chunk of res.body) {
      firstChunkAt ??= performance.now();
      chunks.push(chunk);
    }
  });
  const got = Buffer.concat(chunks);
  // Byte for byte what the library makes of the recorded stream: under the
  // default profile its whitespace-only blocks are accepted upstream and stay.
  assert.deepEqual(new Uint8Array(got), sanitize(WEB_SEARCH).output);
  assert.deepEqual(new Uint8Array(got), WEB_SEARCH);
  const events = assertContiguous(got);
  for (const { type, data } of events) {
    if (type === 'content_block_start') {
      const block = JSON.parse(data).content_block;
      if (block.type === 'text') assert.ok(block.text === '' || block.text.trim() !== '');
    }
  }
  assert.ok(chunks.length > 1, 'streamed in several chunks, not one buffered body');
  assert.ok(firstChunkAt < call.finished, `first chunk ${firstChunkAt.toFixed(1)} ms before upstream end ${call.finished.toFixed(1)} ms`);
});

test('streaming under PROFILE=bedrock: the whitespace-only blocks go too, as normalize() would remove them', async () => {
  const bedrockURL = await worker({ UPSTREAM_AUTH: 'bearer', PROFILE: 'bedrock' });
  const res = await post(bedrockURL, '/v1/messages', simple({ stream: true }));
  const got = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(got, sanitize(WEB_SEARCH, { profile: 'bedrock' }).output);
  assert.notDeepEqual(got, WEB_SEARCH);
  assertContiguous(Buffer.from(got));
});

test('streaming: a reply that is one empty text block comes out without it', async () => {
  upstream.options.stream = EMPTY_REPLY;
  try {
    const res = await post(bearerURL, '/v1/messages', simple({ stream: true }));
    const text = await res.text();
    assert.equal(text, sanitize(new TextDecoder().decode(EMPTY_REPLY)).output);
    assert.doesNotMatch(text, /content_block_start/);
    assert.match(text, /message_stop/);
  } finally {
    upstream.options.stream = WEB_SEARCH;
  }
});

test('non-stream replies: empty text blocks removed; a clean reply byte-identical', async () => {
  const message = {
    id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text: '' }, { type: 'tool_use', id: 'toolu_01', name: 'get_date', input: {} }],
    stop_reason: 'tool_use', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 4 },
  };
  const recorded = upstream.options.message;
  upstream.options.message = message;
  try {
    const res = await post(bearerURL, '/v1/messages', simple());
    assert.deepEqual(await res.json(), { ...message, content: [message.content[1]] });
    const clean = JSON.stringify({ ...message, content: [message.content[1]] }, null, 1);
    upstream.options.message = clean;
    assert.equal(await (await post(bearerURL, '/v1/messages', simple())).text(), clean);
  } finally {
    upstream.options.message = recorded;
  }
});

test('auth bearer: x-api-key becomes Authorization: Bearer; an OAuth token gets the beta merged', async () => {
  upstream.options.auth = { mode: 'bearer', key: CLIENT_KEY };
  const oauth = 'sk-ant-oat01-test-token-0003';
  try {
    const [plain] = await upstreamCalls(async () => {
      assert.equal((await post(bearerURL, '/v1/messages', simple())).status, 200);
    });
    assert.equal(plain.headers.authorization, `Bearer ${CLIENT_KEY}`);
    assert.equal(plain.headers['x-api-key'], undefined);
    assert.equal(plain.headers['anthropic-version'], '2023-06-01');

    upstream.options.auth = { mode: 'bearer', key: oauth };
    const [oat] = await upstreamCalls(async () => {
      const res = await post(bearerURL, '/v1/messages', simple(), { 'x-api-key': oauth, 'anthropic-beta': 'prompt-caching-2024-07-31' });
      assert.equal(res.status, 200);
    });
    assert.equal(oat.headers.authorization, `Bearer ${oauth}`);
    assert.equal(oat.headers['x-api-key'], undefined);
    assert.deepEqual(oat.headers['anthropic-beta'].split(','), ['prompt-caching-2024-07-31', 'oauth-2025-04-20']);

    await assertError(await post(bearerURL, '/v1/messages', simple(), { 'x-api-key': '' }), 401, 'authentication_error');
    const both = await post(bearerURL, '/v1/messages', simple(), { authorization: `Bearer ${CLIENT_KEY}` });
    await assertError(both, 400, 'invalid_request_error');
  } finally {
    upstream.options.auth = { mode: 'either', key: CLIENT_KEY };
  }
});

test('auth passthrough: the credential goes in the header the client used', async () => {
  const url = await worker({ UPSTREAM_AUTH: 'passthrough' });
  const calls = await upstreamCalls(async () => {
    assert.equal((await post(url, '/v1/messages', simple())).status, 200);
    const res = await post(url, '/v1/messages', simple(), { 'x-api-key': '', authorization: `Bearer ${CLIENT_KEY}` });
    assert.equal(res.status, 400, 'an empty x-api-key header still counts as sent: both headers');
    const bearer = await fetch(new URL('/v1/messages', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
      body: json(simple()),
    });
    assert.equal(bearer.status, 200);
  });
  assert.equal(calls.length, 2);
  assert.equal(calls[0].headers['x-api-key'], CLIENT_KEY);
  assert.equal(calls[0].headers.authorization, undefined);
  assert.equal(calls[1].headers.authorization, `Bearer ${CLIENT_KEY}`);
  assert.equal(calls[1].headers['x-api-key'], undefined);
});

test('auth secret: a listed client key is replaced by UPSTREAM_KEY; any other gets 401 and never reaches upstream', async () => {
  const url = await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY, CLIENT_KEYS: `other-app-key, ${CLIENT_KEY}` });
  upstream.options.auth = { mode: 'bearer', key: UPSTREAM_KEY };
  try {
    const [call] = await upstreamCalls(async () => {
      assert.equal((await post(url, '/v1/messages', simple())).status, 200);
    });
    // The upstream is not api.anthropic.com, so the secret goes as Bearer.
    assert.equal(call.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(call.headers['x-api-key'], undefined);
    assert.ok(!JSON.stringify(call.headers).includes(CLIENT_KEY));

    const denied = await upstreamCalls(async () => {
      for (const key of ['wrong-key', `${CLIENT_KEY}x`, UPSTREAM_KEY]) {
        const res = await post(url, '/v1/messages', simple(), { 'x-api-key': key });
        const text = await res.text();
        assert.equal(res.status, 401);
        assert.equal(JSON.parse(text).error.type, 'authentication_error');
        assert.ok(!text.includes(key) && !text.includes(UPSTREAM_KEY), 'no key echoed');
      }
    });
    assert.equal(denied.length, 0);
  } finally {
    upstream.options.auth = { mode: 'either', key: CLIENT_KEY };
  }
});

test('misconfiguration: 500 api_error without details of the secrets', async () => {
  const url = await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY });
  const message = await assertError(await post(url, '/v1/messages', simple()), 500, 'api_error');
  assert.ok(!message.includes(UPSTREAM_KEY));
  for (const vars of [{ UPSTREAM_URL: 'not a url' }, { UPSTREAM_AUTH: 'none' }, { PROFILE: 'openai' }, { MAX_BODY_BYTES: '-1' }]) {
    const bad = await worker(vars);
    await assertError(await post(bad, '/v1/messages', simple()), 500, 'api_error');
  }
});

test('CORS: preflight for allowed origins, headers exposed, Origin not forwarded', async () => {
  const preflight = await fetch(new URL('/v1/messages', bearerURL), {
    method: 'OPTIONS',
    headers: {
      origin: 'https://chat.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-api-key,anthropic-version,x-stainless-os',
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://chat.example');
  assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
  assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type,x-api-key,anthropic-version,x-stainless-os');

  const denied = await fetch(new URL('/v1/messages', bearerURL), { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
  await assertError(denied, 403, 'permission_error');
  assert.equal(denied.headers.get('access-control-allow-origin'), null);

  const [call] = await upstreamCalls(async () => {
    const res = await post(bearerURL, '/v1/messages', simple(), { origin: 'https://chat.example' });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://chat.example');
    assert.match(res.headers.get('access-control-expose-headers'), /x-sse-sanitizer-changes/);
    await res.arrayBuffer();
  });
  assert.equal(call.headers.origin, undefined);
  const other = await post(bearerURL, '/v1/messages', simple(), { origin: 'https://evil.example' });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  await other.arrayBuffer();
});

test('bad bodies: 400 invalid_request_error for bad JSON, 413 for too large, upstream never contacted', async () => {
  const small = await worker({ MAX_BODY_BYTES: '1000' });
  const calls = await upstreamCalls(async () => {
    for (const body of ['{"model":', '', '[1,2', 'null']) {
      await assertError(await post(bearerURL, '/v1/messages', body), 400, 'invalid_request_error');
    }
    const big = json(simple({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] }));
    await assertError(await post(small, '/v1/messages', big), 413, 'request_too_large');
    // Without a content-length the limit still holds (chunked body).
    const chunked = await rawRequest(small, {
      path: '/v1/messages',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'transfer-encoding': 'chunked', 'content-length': undefined },
      body: big,
    });
    assert.equal(chunked.status, 413);
  });
  assert.equal(calls.length, 0);
});

test('upstream errors pass through unchanged (status, body bytes, headers)', async () => {
  const overloaded = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}  ';
  upstream.options.reply = (record, res) => {
    res.writeHead(529, { 'content-type': 'application/json', 'retry-after': '7', 'x-should-retry': 'true' });
    res.end(overloaded);
    return true;
  };
  try {
    const res = await post(bearerURL, '/v1/messages', simple({ stream: true }));
    assert.equal(res.status, 529);
    assert.equal(res.headers.get('retry-after'), '7');
    assert.equal(res.headers.get('x-should-retry'), 'true');
    assert.equal(await res.text(), overloaded);
  } finally {
    upstream.options.reply = undefined;
  }
  // A defect no rule can fix: the strict upstream's own 400, as it sent it.
  const dup = cleanRequest();
  dup.messages[1].content.push({ ...dup.messages[1].content[0] });
  dup.messages[2].content.push({ ...dup.messages[2].content[0] });
  const res = await post(bearerURL, '/v1/messages', dup);
  assert.equal(await assertError(res, 400, 'invalid_request_error'), 'messages.1.content.1: tool_use ids must be unique');
});

test('hop-by-hop headers are dropped both ways; end-to-end headers kept', async () => {
  upstream.options.reply = (record, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'keep-alive': 'timeout=5', 'proxy-agent': 'x', 'x-upstream': 'kept' });
    res.end(JSON.stringify({ type: 'message', content: [] }));
    return true;
  };
  try {
    const [call] = await upstreamCalls(async () => {
      const res = await rawRequest(bearerURL, {
        path: '/v1/messages',
        headers: {
          'content-type': 'application/json',
          'x-api-key': CLIENT_KEY,
          'keep-alive': 'timeout=99',
          'proxy-authorization': 'Basic Zm9vOmJhcg==',
          'proxy-connection': 'keep-alive',
          te: 'trailers',
          'x-client-header': 'kept',
        },
        body: json(simple()),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-upstream'], 'kept');
      assert.equal(res.headers['proxy-agent'], undefined);
      assert.notEqual(res.headers['keep-alive'], 'timeout=5');
    });
    for (const name of ['proxy-authorization', 'proxy-connection', 'te']) assert.equal(call.headers[name], undefined, name);
    assert.notEqual(call.headers['keep-alive'], 'timeout=99');
    assert.equal(call.headers['x-client-header'], 'kept');
    assert.equal(call.headers.host, new URL(upstream.url).host);
  } finally {
    upstream.options.reply = undefined;
  }
});

test('PROFILE=bedrock: the Bedrock rules apply (consecutive user turns merged)', async () => {
  const url = await worker({ PROFILE: 'bedrock' });
  const body = simple({ messages: [{ role: 'user', content: 'hi' }, { role: 'user', content: 'there' }] });
  const [call] = await upstreamCalls(async () => {
    const res = await post(url, '/v1/messages', body);
    const { changes } = normalize(JSON.stringify(body), { profile: 'bedrock' });
    assert.ok(changes.some((c) => c.rule === 'merge-roles'));
    assert.equal(res.headers.get('x-sse-sanitizer-changes'), String(changes.length));
    await res.arrayBuffer();
  });
  assert.equal(call.json.messages.length, 1);
  // The anthropic profile leaves them (the API itself accepts and combines them).
  const [plain] = await upstreamCalls(async () => (await post(bearerURL, '/v1/messages', body)).arrayBuffer());
  assert.equal(plain.json.messages.length, 2);
});

test('an unreachable upstream: 502 api_error', async () => {
  const closed = await startStrictUpstream();
  await closed.close();
  const url = await worker({ UPSTREAM_URL: closed.url });
  await assertError(await post(url, '/v1/messages', simple()), 502, 'api_error');
});
