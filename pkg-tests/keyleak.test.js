// No key ever leaks: keys in headers, bodies and the environment go through
// the sanitizer, the normalizer, sanitizingFetch and the CLI; no report, error
// or log line holds one (a body the caller sends keeps its own bytes, of course).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Log, LogLevel } from 'miniflare';
import { authHeaders, normalize, sanitize, sanitizeMessage, sanitizingFetch, validate } from '../js/node.js';
import { startWorker } from './helpers/workerd.js';
import { startStrictUpstream } from './helpers/strict-upstream.js';

export const KEYS = [
  'sk-ant-api03-LEAKCHECKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1111',
  'sk-ant-oat01-LEAKCHECKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-2222',
  'sk-litellm-LEAKCHECKccccccccccccccccccccccccccccc-3333',
];

/** Fails when `text` holds any key, or a long piece of one. */
export function assertNoKey(text, where) {
  for (const key of KEYS) {
    const secret = key.slice(13, -4);
    assert.ok(!String(text).includes(secret), `${where} holds a key: ${String(text).slice(0, 200)}`);
  }
}

const errorText = (e) => `${e?.name} ${e?.code} ${e?.message} ${e?.stack} ${JSON.stringify(e)}`;

/** A request body with keys where clients really put them by mistake. */
function leakyBody() {
  return {
    model: 'claude-haiku-4-5',
    max_tokens: 16,
    metadata: { user_id: 'u' },
    system: [{ type: 'text', text: '' , api_key: KEYS[0] }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hi', authorization: `Bearer ${KEYS[1]}` }] },
      { role: 'assistant', content: [{ type: 'text', text: '', x_api_key: KEYS[2] }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: { token: KEYS[0] }, tool_use_id: KEYS[1] }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
    ],
  };
}

test('normalize / validate: changes and violations never quote a key', () => {
  for (const options of [{}, { strictFields: true }, { profile: 'bedrock', strictFields: true }]) {
    const { changes, body } = normalize(leakyBody(), options);
    assert.ok(changes.length >= 3);
    assertNoKey(JSON.stringify(changes), `changes ${JSON.stringify(options)}`);
    assertNoKey(JSON.stringify(validate(leakyBody(), options)), 'violations');
    // The values removed from the body are gone from it too.
    assert.ok(!JSON.stringify(body.messages[1]).includes(KEYS[2]));
  }
  for (const bad of [`{"messages": "${KEYS[0]}`, `{"api_key": "${KEYS[0]}"}`, `[${KEYS[1]}]`]) {
    try {
      normalize(bad);
      assert.fail('expected an error');
    } catch (e) {
      assertNoKey(errorText(e), 'normalize error');
    }
  }
});

test('sanitizer and accumulate: reports and errors never quote a key', () => {
  const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n';
  const stream =
    start +
    `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"","key":"${KEYS[0]}"}}\n\n` +
    `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n` +
    `event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key ${KEYS[1]}"}}\n\n` +
    `event: content_block_start\ndata: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":"${KEYS[2]}"\n\n`;
  const { report } = sanitize(stream);
  assert.ok(report.notes.length >= 2);
  assertNoKey(JSON.stringify(report), 'sanitize report');
  assertNoKey(JSON.stringify(sanitizeMessage(`{"content":[{"type":"text","text":"","k":"${KEYS[0]}"}]`).report), 'sanitizeMessage report');
  assertNoKey(JSON.stringify(sanitizeMessage(`{"content": "${KEYS[0]}`).report), 'sanitizeMessage note');
});

test('authHeaders and sanitizingFetch: errors and reports never quote a key', async () => {
  for (const config of [{ apiKey: `${KEYS[0]} x` }, { apiKey: KEYS[0], baseURL: `http://${KEYS[1]}@` }, { apiKey: KEYS[0], authMode: KEYS[2] }, { apiKey: KEYS[0], anthropicVersion: `${KEYS[1]}\n` }]) {
    try {
      authHeaders(config);
      assert.fail('expected an error');
    } catch (e) {
      assertNoKey(errorText(e), `authHeaders error ${Object.keys(config)}`);
    }
  }
  const reports = [];
  const inner = async () =>
    new Response(JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }), { status: 401, headers: { 'content-type': 'application/json' } });
  const f = sanitizingFetch(inner, { onReport: (r) => reports.push(r), strictFields: true });
  const res = await f('http://127.0.0.1:9/v1/messages', { method: 'POST', headers: { 'x-api-key': KEYS[0] }, body: JSON.stringify(leakyBody()) });
  assert.equal(res.status, 401);
  assert.equal(reports.length, 1);
  assertNoKey(JSON.stringify(reports), 'sanitizingFetch report');
});

test('CLI: stdout reports, stderr and exit messages never quote a key, whatever the environment holds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-leak-'));
  try {
    const file = join(dir, 'request.json');
    writeFileSync(file, JSON.stringify(leakyBody()));
    const env = { ...process.env, ANTHROPIC_API_KEY: KEYS[0], ANTHROPIC_AUTH_TOKEN: KEYS[1], LITELLM_MASTER_KEY: KEYS[2] };
    const cli = new URL('../js/cli.js', import.meta.url).pathname;
    const run = (args, stdin) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [cli, ...args], { env });
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        child.on('close', (code) => resolve({ code, out, err }));
        child.stdin.end(stdin ?? '');
      });
    const n = await run(['normalize', '--strict-fields', '--report', file]);
    assert.equal(n.code, 0);
    assertNoKey(n.err, 'normalize --report');
    const v = await run(['validate', '--profile', 'bedrock', file]);
    assertNoKey(v.out + v.err, 'validate');
    const bad = await run(['normalize'], `{"key": "${KEYS[0]}`);
    assert.equal(bad.code, 2);
    assertNoKey(bad.err, 'normalize error');
    const c = await run(['clean', '--report'], `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"","k":"${KEYS[0]}"}}\n\n`);
    assertNoKey(c.err, 'clean --report');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Miniflare's own log and workerd's stdout/stderr, kept for the grep. */
class CapturingLog extends Log {
  lines = [];
  constructor() {
    super(LogLevel.DEBUG);
  }
  log(message) {
    this.lines.push(message);
  }
}

test('Worker: responses, errors and logs never hold the client keys or the upstream secret', async (t) => {
  const stream = new Uint8Array(readFileSync(new URL('../tests/corpus/streams/vercel-ai__anthropic-web-search-tool.1.sse', import.meta.url)));
  const [client, other, secret] = KEYS;
  const upstream = await startStrictUpstream({ stream, auth: { mode: 'either', key: secret } });
  t.after(() => upstream.close());
  const log = new CapturingLog();
  const output = [];
  const capture = (s) => s.on('data', (c) => output.push(String(c)));
  const workers = [];
  t.after(async () => {
    for (const w of workers) await w.mf.dispose();
  });
  const start = async (bindings) => {
    const w = await startWorker(new URL('../js/worker.js', import.meta.url), {
      bindings: { UPSTREAM_URL: upstream.url, ...bindings },
      log,
      handleRuntimeStdio: (stdout, stderr) => {
        capture(stdout);
        capture(stderr);
      },
    });
    workers.push(w);
    return w.url;
  };
  const secretURL = await start({ UPSTREAM_AUTH: 'secret', STRICT_FIELDS: 'true', UPSTREAM_KEY: secret, CLIENT_KEYS: `${client},sk-ant-api03-second-client-key-0000` });
  const bearerURL = await start({ UPSTREAM_AUTH: 'bearer' });
  const post = (base, key, body, headers = {}) =>
    fetch(new URL('/v1/messages', base), { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers }, body });
  const seen = [];
  const keep = async (res) => {
    seen.push(JSON.stringify([...res.headers]), await res.text());
    return res.status;
  };
  const leaky = JSON.stringify({ ...leakyBody(), stream: true });
  assert.equal(await keep(await post(secretURL, client, leaky)), 200);
  assert.equal(upstream.requests.at(-1).headers['x-api-key'] ?? upstream.requests.at(-1).headers.authorization?.slice(7), secret);
  assert.equal(await keep(await post(secretURL, other, leaky)), 401);
  assert.equal(await keep(await post(secretURL, client, `{"messages": "${client}`)), 400);
  assert.equal(await keep(await post(bearerURL, client, leaky)), 401, 'the upstream refuses the client key');
  assert.equal(await keep(await post(bearerURL, other, leaky, { authorization: `Bearer ${secret}` })), 400, 'both headers');
  assert.equal(await keep(await post(secretURL, client, leaky, { origin: 'https://evil.example' })), 200);
  for (const text of seen) assertNoKey(text, 'Worker response');
  assertNoKey(log.lines.join('\n'), 'miniflare log');
  assertNoKey(output.join(''), 'workerd stdout/stderr');
});
