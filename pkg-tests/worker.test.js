// The Worker filter (js/worker.js) in real workerd through miniflare, in front
// of the strict upstream (helpers/strict-upstream.js) on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { normalize, sanitize, SseParser, StreamSanitizer } from 'sse-sanitizer';
import { Miniflare } from 'miniflare';
import { bundleWorker, startWorker } from './helpers/workerd.js';
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
  return (await loggedWorker(vars)).url;
}

/** A Worker whose console output (workerd's stdout and stderr) is kept in `logs`. */
async function loggedWorker(vars = {}) {
  const logs = [];
  const w = await startWorker(workerEntry, {
    bindings: { UPSTREAM_URL: upstream.url, ...vars },
    handleRuntimeStdio: (stdout, stderr) => {
      for (const s of [stdout, stderr]) s.on('data', (c) => logs.push(String(c)));
    },
  });
  workers.push(w);
  return { url: w.url, logs };
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
      res.on('end', () => {
        const bytes = Buffer.concat(parts);
        resolve({ status: res.statusCode, headers: res.headers, body: bytes.toString(), bytes });
      });
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

test('normalization (issue 17 rules): refused tool ids, an empty error result and six breakpoints, refused upstream, accepted through the Worker with CAP_CACHE_CONTROL', async () => {
  // A history moved over from another provider (its tool call ids), a tool that
  // failed without output, and a harness that puts a breakpoint everywhere.
  const body = cleanRequest();
  body.messages[1].content[0].id = 'functions.get_date:0';
  Object.assign(body.messages[2].content[0], { tool_use_id: 'functions.get_date:0', is_error: true, content: '' });
  body.tools[0].cache_control = { type: 'ephemeral' };
  body.messages[0].content[0].cache_control = { type: 'ephemeral' };
  body.messages[1].content[0].cache_control = { type: 'ephemeral' };
  body.messages[3].content[0].cache_control = { type: 'ephemeral' };
  const direct = await post(upstream.url, '/v1/messages', body);
  assert.equal(await assertError(direct, 400, 'invalid_request_error'), 'A maximum of 4 blocks with cache_control may be provided. Found 6.');

  const url = await worker({ UPSTREAM_AUTH: 'bearer', CAP_CACHE_CONTROL: 'true' });
  const bytes = new TextEncoder().encode(json(body));
  const expected = normalize(bytes, { capCacheControl: true });
  assert.deepEqual(
    [...new Set(expected.changes.map((c) => c.rule))].sort(),
    ['cache-control-limit', 'tool-result-error-empty', 'tool-use-id-pattern'],
  );
  const [call] = await upstreamCalls(async () => {
    const res = await post(url, '/v1/messages', bytes);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-sse-sanitizer-changes'), String(expected.changes.length));
    await res.arrayBuffer();
  });
  assert.deepEqual(new Uint8Array(call.body), expected.body, 'forwarded exactly what normalize() returns');
  // Without the option the breakpoints stay, and the strict upstream refuses them.
  const res = await post(bearerURL, '/v1/messages', bytes);
  assert.equal(await assertError(res, 400, 'invalid_request_error'), 'A maximum of 4 blocks with cache_control may be provided. Found 6.');
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

test('bad bodies: 400 invalid_request_error for bad JSON or too many tiny items, 413 for too large, upstream never contacted', async () => {
  const small = await worker({ MAX_BODY_BYTES: '1000' });
  const calls = await upstreamCalls(async () => {
    for (const body of ['{"model":', '', '[1,2', 'null']) {
      await assertError(await post(bearerURL, '/v1/messages', body), 400, 'invalid_request_error');
    }
    // 6 MiB of one-byte blocks: past normalize's memory budget (invalid-shape).
    const tiny = `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[${Array(3 << 20).fill('1').join(',')}]}]}`;
    const refused = await assertError(await post(bearerURL, '/v1/messages', tiny), 400, 'invalid_request_error');
    assert.match(refused, /memory budget/);
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

/** Waits (up to 2 s) until `logs` match `pattern`: workerd's output reaches this process a little later. */
async function logged(logs, pattern) {
  for (let i = 0; i < 100 && !pattern.test(logs.join('')); i++) await new Promise((r) => setTimeout(r, 20));
  return logs.join('');
}

/** Runs `fn` with `reply` answering the upstream's requests instead of the recorded ones. */
async function withReply(reply, fn) {
  upstream.options.reply = reply;
  try {
    return await fn();
  } finally {
    upstream.options.reply = undefined;
  }
}

const MESSAGE_WITH_BLANK = {
  id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
  content: [{ type: 'text', text: '' }, { type: 'text', text: 'ok' }],
  stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 4 },
};

test('redirects: never followed, to any origin or the same one; the client gets a 502 api_error and no key leaves', async () => {
  const modes = [
    [bearerURL, { mode: 'either', key: CLIENT_KEY }],
    [await worker({ UPSTREAM_AUTH: 'passthrough' }), { mode: 'either', key: CLIENT_KEY }],
    [await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY, CLIENT_KEYS: CLIENT_KEY }), { mode: 'bearer', key: UPSTREAM_KEY }],
  ];
  try {
    for (const status of [301, 302, 303, 307, 308]) {
      for (const location of [`${canary.url}/v1/messages`, `${upstream.url}/v1/messages?again=1`]) {
        const redirect = (record, res) => {
          res.writeHead(status, { location, 'content-type': 'text/plain' });
          res.end('moved');
          return true;
        };
        const calls = await upstreamCalls(() =>
          withReply(redirect, async () => {
            for (const [url, auth] of modes) {
              upstream.options.auth = auth;
              const res = await post(url, '/v1/messages', simple());
              assert.equal(res.headers.get('location'), null);
              assert.match(await assertError(res, 502, 'api_error'), new RegExp(`redirect \\(${status}\\)`));
            }
          }),
        );
        assert.equal(calls.length, 3, `${status} to ${location}: one upstream request per client request, not followed`);
      }
    }
  } finally {
    upstream.options.auth = { mode: 'either', key: CLIENT_KEY };
  }
  assert.equal(canary.requests.length, 0, 'the other origin was never contacted');
});

/** The web-search stream cut right after the start of the held whitespace-only block at index 4. */
function cutStream() {
  const text = Buffer.from(WEB_SEARCH).toString('latin1');
  const at = text.indexOf('"content_block_start","index":4');
  assert.ok(at > 0);
  return WEB_SEARCH.subarray(0, text.indexOf('\n\n', at) + 2);
}

/** Replies to a stream request with `bytes`, then ends cleanly or resets the connection. */
const partialStream = (bytes, { reset }) => (record, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (!reset) return res.end(bytes), true;
  res.write(bytes, () => setTimeout(() => res.socket.destroy(), 20));
  return true;
};

test('truncation: a stream cut before message_stop (reset or clean end) ends with what was held and one error event, and is logged', async () => {
  const cut = cutStream();
  const { url, logs } = await loggedWorker();
  const expected = sanitize(cut, { onTruncated: 'error-event' }).output;
  const held = sanitize(cut).output;
  const sanitizer = new StreamSanitizer();
  assert.ok(sanitizer.push(cut).length < held.length, 'the cut lies inside a held block');
  sanitizer.finish();
  for (const reset of [true, false]) {
    await withReply(partialStream(cut, { reset }), async () => {
      const res = await post(url, '/v1/messages', simple({ stream: true }));
      assert.equal(res.status, 200);
      const got = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual(got, expected, `reset=${reset}: the held bytes and the error event reach the client`);
    });
  }
  const tail = Buffer.from(expected.subarray(held.length)).toString();
  assert.match(tail, /^event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]+"\}\}\n\n$/);
  const text = await logged(logs, /truncated[^]*truncated/);
  assert.equal(text.match(/sse-sanitizer: .*truncated/g)?.length, 2, text);

  // ON_TRUNCATED=pass: the bytes as far as they went, nothing added; still logged.
  const pass = await loggedWorker({ ON_TRUNCATED: 'pass' });
  await withReply(partialStream(cut, { reset: false }), async () => {
    const res = await post(pass.url, '/v1/messages', simple({ stream: true }));
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), held);
  });
  assert.match(await logged(pass.logs, /truncated/), /sse-sanitizer: .*truncated/);
  const bad = await worker({ ON_TRUNCATED: 'ignore' });
  await assertError(await post(bad, '/v1/messages', simple()), 500, 'api_error');
});

test('a line over maxLineBytes: the rest passes unsanitized, logged, and a closing SSE comment says so', async () => {
  const text = Buffer.from(WEB_SEARCH).toString('latin1');
  const at = text.indexOf('event: content_block_start');
  const long = Buffer.from(`event: ping\ndata: {"type":"ping","pad":"${'x'.repeat(9 << 20)}"}\n\n`);
  const stream = Buffer.concat([WEB_SEARCH.subarray(0, at), long, WEB_SEARCH.subarray(at)]);
  const { url, logs } = await loggedWorker();
  const direct = sanitize(stream);
  assert.ok(direct.report.notes.some((n) => n.code === 'max-buffer-exceeded'));
  await withReply(partialStream(stream, { reset: false }), async () => {
    const res = await post(url, '/v1/messages', simple({ stream: true }));
    const got = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(new Uint8Array(got.subarray(0, direct.output.length)), new Uint8Array(direct.output));
    assert.match(got.subarray(direct.output.length).toString(), /^: sse-sanitizer: max-buffer-exceeded: [^\n]+\n\n$/);
  });
  assert.match(await logged(logs, /max-buffer-exceeded/), /sse-sanitizer: .*max-buffer-exceeded/);
});

test('a non-streaming reply cut off: 502 api_error in the Anthropic shape, no stack trace', async () => {
  await withReply(
    (record, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      res.write('{"id":"msg_01","type":"message","content":[{"type":"text","te', () => setTimeout(() => res.socket.destroy(), 20));
      return true;
    },
    async () => {
      const message = await assertError(await post(bearerURL, '/v1/messages', simple()), 502, 'api_error');
      assert.doesNotMatch(message, /\n\s+at /);
    },
  );
});

test('media types are compared case-insensitively, parameters allowed', async () => {
  const sse = await withReply(
    (record, res) => {
      res.writeHead(200, { 'content-type': 'Text/Event-Stream; Charset="UTF-8"' });
      res.end(WEB_SEARCH);
      return true;
    },
    async () => new Uint8Array(await (await post(bearerURL, '/v1/messages', simple({ stream: true }))).arrayBuffer()),
  );
  assert.deepEqual(sse, sanitize(WEB_SEARCH).output);
  const json = await withReply(
    (record, res) => {
      res.writeHead(200, { 'content-type': 'Application/JSON ; charset=utf-8' });
      res.end(JSON.stringify(MESSAGE_WITH_BLANK));
      return true;
    },
    async () => (await post(bearerURL, '/v1/messages', simple())).json(),
  );
  assert.deepEqual(json.content, [{ type: 'text', text: 'ok' }]);
});

test('content-encoding on a stream: gzip, br and deflate decoded and sanitized; an unknown coding passes with its header, logged', async () => {
  const { url, logs } = await loggedWorker();
  const encoded = { gzip: gzipSync(WEB_SEARCH), br: brotliCompressSync(WEB_SEARCH), deflate: deflateSync(WEB_SEARCH) };
  for (const [coding, body] of Object.entries(encoded)) {
    const res = await withReply(
      (record, r) => {
        r.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': coding });
        // The first bytes alone: the Worker looks at them to tell whether workerd decoded.
        r.write(body.subarray(0, 1), () => setTimeout(() => r.end(body.subarray(1)), 10));
        return true;
      },
      () => rawRequest(url, { path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'accept-encoding': 'identity' }, body: json(simple({ stream: true })) }),
    );
    assert.equal(res.headers['content-encoding'], undefined, coding);
    assert.deepEqual(new Uint8Array(res.bytes), sanitize(WEB_SEARCH).output, coding);
  }
  const opaque = Buffer.from('\x00\x01 not SSE, some coding the Worker cannot read \xff');
  const res = await withReply(
    (record, r) => {
      r.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'x-custom' });
      r.end(opaque);
      return true;
    },
    () => rawRequest(url, { path: '/v1/messages', headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'accept-encoding': 'identity' }, body: json(simple({ stream: true })) }),
  );
  assert.equal(res.headers['content-encoding'], 'x-custom');
  assert.deepEqual(res.bytes, opaque);
  assert.match(await logged(logs, /x-custom/), /sse-sanitizer: .*x-custom/);
});

test('misconfiguration: UPSTREAM_URL with a query or a fragment is refused, the upstream never contacted', async () => {
  const calls = await upstreamCalls(async () => {
    for (const bad of [`${upstream.url}/?key=1`, `${upstream.url}/base#frag`, `${upstream.url}?`]) {
      const url = await worker({ UPSTREAM_URL: bad });
      assert.match(await assertError(await post(url, '/v1/messages', simple()), 500, 'api_error'), /UPSTREAM_URL.*(query|fragment)/);
    }
  });
  assert.equal(calls.length, 0);
});

const CREDENTIAL_HEADERS = {
  'x-litellm-api-key': 'sk-litellm-client-0003',
  'api-key': 'azure-client-key-0004',
  'x-goog-api-key': 'goog-client-key-0005',
  cookie: 'session=client-cookie-0006',
  'x-forwarded-for': '203.0.113.9',
};

test('auth secret: credential-like client headers are dropped unless listed in KEEP_CLIENT_HEADERS', async () => {
  upstream.options.auth = { mode: 'bearer', key: UPSTREAM_KEY };
  try {
    const strict = await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY, CLIENT_KEYS: CLIENT_KEY });
    const keep = await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY, CLIENT_KEYS: CLIENT_KEY, KEEP_CLIENT_HEADERS: 'cookie, X-Forwarded-For' });
    const [dropped, kept] = await upstreamCalls(async () => {
      for (const url of [strict, keep]) {
        const res = await post(url, '/v1/messages', simple(), { ...CREDENTIAL_HEADERS, 'x-client-header': 'kept' });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
    });
    for (const name of Object.keys(CREDENTIAL_HEADERS)) assert.equal(dropped.headers[name], undefined, name);
    assert.equal(dropped.headers['x-client-header'], 'kept');
    assert.equal(kept.headers.cookie, CREDENTIAL_HEADERS.cookie);
    assert.equal(kept.headers['x-forwarded-for'], CREDENTIAL_HEADERS['x-forwarded-for']);
    assert.equal(kept.headers['x-goog-api-key'], undefined);
  } finally {
    upstream.options.auth = { mode: 'either', key: CLIENT_KEY };
  }
  // The other modes forward them: the client's own credentials go upstream anyway.
  const [call] = await upstreamCalls(async () => (await post(bearerURL, '/v1/messages', simple(), CREDENTIAL_HEADERS)).arrayBuffer());
  assert.equal(call.headers['x-goog-api-key'], CREDENTIAL_HEADERS['x-goog-api-key']);
});

test('auth secret: UPSTREAM_KEY never reaches the client, in a header, an error body, a message or a stream split anywhere', async (t) => {
  const url = await worker({ UPSTREAM_AUTH: 'secret', UPSTREAM_KEY, CLIENT_KEYS: CLIENT_KEY });
  upstream.options.auth = { mode: 'bearer', key: UPSTREAM_KEY };
  t.after(() => (upstream.options.auth = { mode: 'either', key: CLIENT_KEY }));
  const echo = `key ${UPSTREAM_KEY} is over its budget`;
  const errorEvent = `event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"${echo}"}}\n\n`;
  const replies = [
    [401, 'application/json', JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: echo } })],
    [200, 'application/json', JSON.stringify({ ...MESSAGE_WITH_BLANK, content: [{ type: 'text', text: echo }] })],
    [200, 'text/event-stream', Buffer.concat([cutStream(), Buffer.from(errorEvent)])],
    [200, 'text/plain', echo.repeat(3)],
  ];
  for (const [status, type, body] of replies) {
    for (const chunkBytes of [3, 1000]) {
      const got = await withReply(
        async (record, res) => {
          res.writeHead(status, { 'content-type': type, 'x-upstream-debug': echo });
          const bytes = Buffer.from(body);
          for (let i = 0; i < bytes.length; i += chunkBytes) {
            res.write(bytes.subarray(i, i + chunkBytes));
            await new Promise((r) => setImmediate(r));
          }
          res.end();
          return true;
        },
        async () => {
          const res = await post(url, '/v1/messages', simple({ stream: type === 'text/event-stream' }));
          return { status: res.status, headers: JSON.stringify([...res.headers]), text: await res.text() };
        },
      );
      assert.equal(got.status, status);
      for (const part of [got.headers, got.text]) {
        assert.ok(!part.includes(UPSTREAM_KEY), `${type} in ${chunkBytes} B chunks: ${part.slice(0, 300)}`);
        assert.ok(part.includes('is over its budget'), 'the rest of the text is kept');
      }
    }
  }
});

test('a client that goes away during a non-streaming call: the upstream request is cancelled with it', async (t) => {
  // NOTE: workerd's HTTP/1.1 server notices a client that left only when it
  // writes to it, so the client here is a Worker calling through a service
  // binding, whose abort reaches the Worker as a cancelled invocation (as a
  // disconnect at Cloudflare's edge does).
  const caller = `export default { async fetch(request, env) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    try {
      await env.FILTER.fetch('http://filter/v1/messages', { method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json', 'x-api-key': '${CLIENT_KEY}' }, body: ${JSON.stringify(json(simple()))} });
      return new Response('completed');
    } catch (err) {
      return new Response(err.name);
    }
  } }`;
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    workers: [
      { name: 'caller', modules: true, script: caller, compatibilityDate: '2025-09-01', serviceBindings: { FILTER: 'filter' } },
      { name: 'filter', modules: await bundleWorker(workerEntry), modulesRoot: '/', compatibilityDate: '2025-09-01', bindings: { UPSTREAM_URL: upstream.url } },
    ],
  });
  t.after(() => mf.dispose());
  let closedAfter;
  await withReply(
    (record, res) => {
      const started = performance.now();
      res.on('close', () => (closedAfter = res.writableFinished ? Infinity : performance.now() - started));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"msg_01",');
      setTimeout(() => res.end(JSON.stringify(MESSAGE_WITH_BLANK).slice(1)), 3000);
      return true;
    },
    async () => {
      assert.equal(await (await fetch(await mf.ready)).text(), 'AbortError');
      for (let i = 0; i < 50 && closedAfter === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    },
  );
  assert.ok(closedAfter < 1000, `the upstream request closed ${closedAfter} ms after it started`);
});
