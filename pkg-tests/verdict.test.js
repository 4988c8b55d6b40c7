// The stream verdict (validateStream) against the official SDK itself: on every
// corpus stream, on crafted streams of every anomaly class, on the peer
// vectors' streams and on seeded mutations of the corpus, the SDK rejects the
// raw bytes exactly when the verdict has an anomaly it `raises` on, with the
// same error text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { readFileSync, writeFileSync } from 'node:fs';
import { SanitizerError, StreamSanitizer, accumulate, anomalies, sanitize, validateStream } from '../js/node.js';
import { chunk, corpusStreams, rng } from './corpus.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const streams = corpusStreams();

/** What `client.beta.messages.stream(…).finalMessage()` does with these bytes. */
async function sdk(body) {
  const fetch = async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  const client = new Anthropic({ apiKey: 'test', baseURL: 'http://127.0.0.1:9', fetch, maxRetries: 0 });
  try {
    const stream = client.beta.messages.stream({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    await stream.finalMessage();
    return null;
  } catch (error) {
    return error;
  }
}

// The codes whose SDK error embeds the JS engine's SyntaxError text.
const ENGINE_WORDED = new Set(['malformed-json', 'invalid-tool-input']);

/** The verdict agrees with the SDK on `bytes`; returns the raising anomaly. */
async function agrees(name, bytes) {
  const verdict = validateStream(bytes);
  const raising = verdict.filter((a) => a.sdk === 'raises');
  assert.ok(raising.length <= 1, `${name}: at most one anomaly raises`);
  const error = await sdk(bytes);
  const raised = raising[0];
  if (!error) {
    assert.equal(raised, undefined, `${name}: the SDK accepts it, the verdict says it raises: ${JSON.stringify(raised)}`);
    return undefined;
  }
  assert.ok(raised, `${name}: the SDK raises "${error.message}", the verdict has no raising anomaly: ${JSON.stringify(verdict)}`);
  if (raised.code === 'invalid-tool-input') {
    assert.match(error.message, /^Unable to parse tool parameter JSON from model\. Please retry your request or adjust your prompt\. Error: SyntaxError: /, name);
  } else if (raised.code === 'malformed-json') {
    assert.ok(error.cause instanceof SyntaxError, `${name}: ${error.message}`);
  } else {
    assert.equal(raised.message, error.message, `${name}: ${raised.code}`);
  }
  // Everything after the raising anomaly is unreached, nothing before it raises.
  const at = verdict.indexOf(raised);
  assert.ok(verdict.slice(at + 1).every((a) => a.sdk === 'unreached' || a.code === 'too-many-anomalies'), name);
  assert.ok(verdict.slice(0, at).every((a) => a.sdk === 'silent'), name);
  return raised;
}

test('every corpus stream: the SDK rejects the raw bytes exactly when the verdict says it raises, with its error text', async () => {
  const raised = {};
  for (const { name, bytes } of streams) {
    const a = await agrees(name, bytes);
    if (a) raised[a.code] = (raised[a.code] ?? 0) + 1;
  }
  // The corpus holds real streams the SDK rejects: cut ones, concatenated
  // turns, spliced message_start, a message_start without content.
  for (const code of ['truncated', 'concatenated-message', 'second-message-start', 'invalid-event', 'invalid-tool-input']) {
    assert.ok(raised[code] > 0, `${code}: ${JSON.stringify(raised)}`);
  }
});

test('the verdict is the same for any chunking, through a ReadableStream', async () => {
  const r = rng();
  for (const { name, bytes } of streams.filter((_, i) => i % 7 === 0)) {
    const whole = validateStream(bytes);
    const size = 1 + r(64);
    assert.deepEqual(await validateStream(new Response(bytes).body), whole, name);
    assert.deepEqual(await validateStream(chunk(bytes, size)), whole, `${name} at ${size}-byte chunks`);
    assert.deepEqual(validateStream(decoder.decode(bytes)), whole, `${name} as a string`);
  }
});

// One crafted stream per anomaly class: [name, stream, a code it must show, the code the SDK raises on (null: it accepts)].
const START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n';
const ev = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const text = (i) => ev('content_block_start', { index: i, content_block: { type: 'text', text: '' } });
const delta = (i, d) => ev('content_block_delta', { index: i, delta: d });
const td = (i, t = 'hi') => delta(i, { type: 'text_delta', text: t });
const stop = (i) => ev('content_block_stop', { index: i });
const END = ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }) + ev('message_stop', {});
const tool = (i) => ev('content_block_start', { index: i, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } });
const json = (i, p) => delta(i, { type: 'input_json_delta', partial_json: p });

const CRAFTED = [
  ['clean', START + text(0) + td(0) + stop(0) + END, null, null],
  ['unnamed-event', START + text(0) + td(0).replace('event: content_block_delta\n', '') + stop(0) + END, 'unnamed-event', null],
  ['unnamed-event', 'data: {"type":"message_start","message":{"content":[],"usage":{}}}\n\ndata: {"type":"message_stop"}\n\ndata: [DONE]\n\n', 'unnamed-event', 'no-message'],
  ['event-name-mismatch', START + text(0) + td(0).replace('event: content_block_delta', 'event: ping') + stop(0) + END, 'event-name-mismatch', null],
  ['event-name-mismatch', START + text(0) + td(0).replace('event: content_block_delta', 'event: content_block_stop') + stop(0) + END, 'event-name-mismatch', null],
  ['malformed-json', START + text(0) + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\n\n' + stop(0) + END, 'malformed-json', 'malformed-json'],
  ['error-event', START + text(0) + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n', 'error-event', 'error-event'],
  ['error-event', START + 'event: error\ndata: {"type":"error","message":"plain"}\n\n', 'error-event', 'error-event'],
  ['error-event', START + 'event: error\n\n', 'error-event', 'error-event'],
  ['error-event', START + 'event: error\ndata: gateway timeout\n\n', 'error-event', 'error-event'],
  ['error-event', START + 'event: message\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n' + END, 'error-event', null],
  ['invalid-event', START.replace('"content":[],', '') + text(0) + td(0) + stop(0) + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', START.replace(',"usage":{"input_tokens":1,"output_tokens":1}', '') + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', START + 'event: content_block_start\ndata: {"type":"content_block_start","index":0}\n\n' + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', START + text(0) + 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0}\n\n' + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', START + 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n' + ev('message_stop', {}), 'invalid-event', 'invalid-event'],
  ['invalid-event', START + 'event: foo\ndata: null\n\n' + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', 'event: message_start\ndata: {"type":"message_start","message":5}\n\n' + END, 'invalid-event', 'invalid-event'],
  ['invalid-event', 'event: message_start\ndata: {"type":"message_start"}\n\n' + END, 'invalid-event', 'no-message'],
  ['second-message-start', START + text(0) + START + END, 'second-message-start', 'second-message-start'],
  ['concatenated-message', START + text(0) + td(0) + stop(0) + END + START + END, 'concatenated-message', 'concatenated-message'],
  ['message-start-with-content', START.replace('"content":[]', '"content":[{"type":"text","text":"before"}]') + text(1) + td(1) + stop(1) + END, 'message-start-with-content', null],
  ['start-reusing-index', START + text(0) + td(0) + stop(0) + text(0) + td(0) + stop(0) + END, 'start-reusing-index', null],
  ['start-index-gap', START + text(1) + td(1) + stop(1) + END, 'start-index-gap', null],
  ['delta-without-start', START + td(0) + END, 'delta-without-start', 'delta-without-start'],
  ['delta-without-start', START + text(0) + td(3) + stop(0) + END, 'delta-without-start', null],
  ['delta-kind-mismatch', START + text(0) + json(0, '{}') + stop(0) + END, 'delta-kind-mismatch', null],
  ['delta-after-stop', START + text(0) + td(0) + stop(0) + td(0, ' more') + END, 'delta-after-stop', null],
  ['stop-without-start', START + text(0) + td(0) + stop(0) + stop(0) + stop(4) + END, 'stop-without-start', null],
  ['unterminated-block', START + text(0) + td(0) + END, 'unterminated-block', null],
  ['invalid-tool-input', START + tool(0) + json(0, '{"a": 1}}') + stop(0) + END, 'invalid-tool-input', 'invalid-tool-input'],
  ['invalid-tool-input (cut short is fine)', START + tool(0) + json(0, '{"a": [1, "b", "c') + stop(0) + END, null, null],
  ['event-outside-message', text(0) + START + END, 'event-outside-message', null],
  ['event-outside-message', START + text(0) + td(0) + stop(0) + END + td(0), 'event-outside-message', null],
  ['event-outside-message', START + END + td(0), 'event-outside-message', 'delta-without-start'],
  ['truncated', START + text(0) + td(0), 'truncated', 'truncated'],
  ['truncated', START + text(0) + td(0) + stop(0) + END.slice(0, -2), 'truncated', 'truncated'],
  ['truncated', START + END + 'event: ping\ndata: {"type": "ping"}', 'truncated', null],
  ['no-message', '', 'no-message', 'no-message'],
  ['no-message', 'event: ping\ndata: {"type": "ping"}\n\n', 'no-message', 'no-message'],
  ['a BOM on every line is stripped, as the SDK does', START.replace('data:', '\ufeffdata:') + END, null, null],
  ['an empty event name still names the frame', START.replace('event: message_start', 'event:') + END, null, null],
];

test('crafted streams, one per anomaly class: the expected code, the SDK agreeing, the same verdict at every split point', async () => {
  const covered = new Set();
  for (const [name, body, code, raises] of CRAFTED) {
    const bytes = encoder.encode(body);
    const verdict = validateStream(bytes);
    if (code === null) assert.deepEqual(verdict, [], name);
    else assert.ok(verdict.some((a) => a.code === code), `${name}: ${JSON.stringify(verdict)}`);
    const raised = await agrees(name, bytes);
    assert.equal(raised?.code ?? null, raises, `${name}: ${JSON.stringify(verdict)}`);
    if (code) covered.add(code);
    for (let at = 0; at <= bytes.length; at++) {
      assert.deepEqual(await validateStream([bytes.subarray(0, at), bytes.subarray(at)]), verdict, `${name} split at ${at}`);
    }
  }
  const all = anomalies().map((a) => a.code).filter((c) => c !== 'too-many-anomalies');
  assert.deepEqual([...covered].sort(), all.sort(), 'every class has a crafted stream');
});

test('the repairs on every crafted stream: the same bytes at every split point, and the SDK reading the repaired stream as the verdict of it says', async () => {
  const options = { onTruncated: 'error-event' };
  for (const [name, body] of CRAFTED) {
    const bytes = encoder.encode(body);
    const { output, report } = sanitize(bytes, options);
    for (let at = 0; at <= bytes.length; at++) {
      const s = new StreamSanitizer(options);
      const parts = [s.push(bytes.subarray(0, at)), s.push(bytes.subarray(at))];
      const { output: tail } = s.finish();
      assert.deepEqual(Buffer.concat([...parts, tail]), Buffer.from(output), `${name} split at ${at}`);
    }
    const repaired = await agrees(`${name} (repaired)`, output);
    // A stream cut short now ends with the error event: the SDK raises its message.
    if (report.truncated) {
      assert.equal(repaired?.code, 'error-event', `${name}: ${decoder.decode(output).slice(-200)}`);
      const error = await sdk(output);
      assert.ok(error, `${name}: the SDK raises on the repaired stream`);
      // (After a message_stop the SDK raises without the event's body.)
      if (error.error) assert.match(JSON.stringify(error.error), /stream truncated/, name);
    }
    // Data-only Claude frames are named: the SDK no longer skips them.
    if (report.eventsNamed > 0) assert.ok(!validateStream(output).some((a) => a.code === 'unnamed-event'), name);
  }
});

test('the repairs, byte for byte: event names added, the error event appended, a reused index kept', () => {
  const unnamed = START + text(0) + td(0).replace('event: content_block_delta\n', '') + stop(0) + END;
  assert.equal(sanitize(unnamed).output, START + text(0) + td(0) + stop(0) + END);
  const cut = START + text(0) + td(0);
  const { output, report } = sanitize(cut, { onTruncated: 'error-event' });
  assert.equal(report.truncated, true);
  assert.equal(
    output,
    cut + 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"stream truncated: the stream ended before message_stop (error event added by sse-sanitizer)"}}\n\n',
  );
  assert.equal(sanitize(cut).output, cut, 'the default passes a cut stream as it is');
  // A blank block dropped, then a block that reuses its index: it takes that place.
  const reused = START + text(0) + stop(0) + text(0) + td(0) + stop(0) + tool(1) + stop(1) + END;
  const fixed = sanitize(reused);
  assert.equal(fixed.output, START + text(0) + td(0) + stop(0) + tool(1) + stop(1) + END);
  assert.deepEqual(fixed.report.notes.map((n) => n.code), ['index-reused']);
});

test('the peer vectors\' recorded streams (Vercel\'s data-only form): the SDK skips every frame, the verdict says why', async () => {
  const suite = JSON.parse(readFileSync(new URL('../tests/peer-vectors/vercel-ai-anthropic.json', import.meta.url), 'utf8'));
  let n = 0;
  for (const c of suite.cases.filter((c) => c.kind === 'stream')) {
    const bytes = encoder.encode(c.chunks.join(''));
    const raised = await agrees(c.id, bytes);
    const verdict = validateStream(bytes);
    if (verdict.some((a) => a.code === 'unnamed-event')) {
      // Only a named `error` frame (some of these streams have one) reaches the SDK.
      assert.ok(['no-message', 'error-event'].includes(raised?.code), `${c.id}: ${raised?.code}`);
      n++;
    }
  }
  assert.ok(n > 40, `${n} data-only streams`);
});

/** Frames of a stream (split on blank lines), for mutations. */
function frames(body) {
  return body.split(/\n\n/).filter((f) => f !== '').map((f) => `${f}\n\n`);
}

const MUTATIONS = [
  (f, r) => f.splice(r(f.length), 1),
  (f, r) => {
    const i = r(f.length);
    f.splice(i, 0, f[i]);
  },
  (f, r) => {
    const i = r(f.length - 1);
    [f[i], f[i + 1]] = [f[i + 1], f[i]];
  },
  (f, r) => {
    const i = r(f.length);
    f[i] = f[i].replace(/^event: [^\n]*\n/, '');
  },
  (f, r) => {
    const i = r(f.length);
    const names = ['ping', 'error', 'message_stop', 'content_block_delta', 'message', ''];
    f[i] = f[i].replace(/^event: [^\n]*/, `event: ${names[r(names.length)]}`);
  },
  (f, r) => {
    const i = r(f.length);
    const to = [0, 1, 2, 5, -1, '"1"', 1.5, null][r(8)];
    f[i] = f[i].replace(/"index":\s*\d+/, `"index":${to}`);
  },
  (f, r) => {
    const i = r(f.length);
    const kinds = ['text_delta', 'input_json_delta', 'thinking_delta', 'signature_delta', 'citations_delta', 'compaction_delta', 'other_delta'];
    f[i] = f[i].replace(/"type":\s*"\w+_delta"/, `"type":"${kinds[r(kinds.length)]}"`);
  },
  (f, r) => {
    const i = r(f.length);
    f[i] = f[i].slice(0, Math.max(0, f[i].length - 2 - r(20))) + '\n\n';
  },
  (f, r) => {
    const i = r(f.length);
    const cuts = ['"content":[],', '"usage":', '"delta":', '"content_block":'];
    const cut = cuts[r(cuts.length)];
    f[i] = f[i].replace(cut, cut === '"content":[],' ? '' : '"x":');
  },
  (f, r) => {
    const i = r(f.length);
    f[i] = f[i].replace('"content":[]', ['"content":[{"type":"text","text":"x"}]', '"content":null', '"content":"ab"', '"content":[null]'][r(4)]);
  },
  (f, r) => {
    const i = r(f.length);
    f[i] = f[i].replace(/"partial_json":\s*"((?:[^"\\]|\\.)*)"/, (_, p) => `"partial_json":${['"}"', '"]"', '"x"', '5', 'null', '"\\"a\\":1,"'][r(6)] === '5' ? 5 : JSON.stringify(p + ['}', ']', 'x', '', ',', '"'][r(6)])}`);
  },
  (f, r) => {
    const i = r(f.length);
    f[i] = f[i].replace(/^data: .*$/m, 'data: null');
  },
];

test('seeded mutations of the corpus (dropped, repeated, swapped, renamed, re-indexed, cut, emptied frames): the verdict still agrees with the SDK', async () => {
  const r = rng();
  const named = streams.filter(({ bytes }) => decoder.decode(bytes).startsWith('event:'));
  const counts = {};
  for (let round = 0; round < 600; round++) {
    const { name, bytes } = named[r(named.length)];
    const f = frames(decoder.decode(bytes));
    const steps = 1 + r(3);
    for (let k = 0; k < steps && f.length > 1; k++) MUTATIONS[r(MUTATIONS.length)](f, r);
    let body = f.join('');
    if (r(6) === 0) body = body.slice(0, r(body.length));
    const raised = await agrees(`${name} (round ${round}, SSE_SEED to reproduce)`, encoder.encode(body)).catch((err) => {
      // VERDICT_DUMP=<file> keeps the failing stream.
      if (process.env.VERDICT_DUMP) writeFileSync(process.env.VERDICT_DUMP, body);
      throw err;
    });
    const key = raised?.code ?? 'accepted';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  assert.ok(Object.keys(counts).length >= 6, JSON.stringify(counts));
});

test('limits: an over-long line is a typed error, whole or streamed', async () => {
  const long = encoder.encode(`event: ping\ndata: ${'x'.repeat(200)}\n\n`);
  assert.throws(() => validateStream(long, { maxLineBytes: 64 }), (e) => e instanceof SanitizerError && e.code === 'max-buffer-exceeded');
  await assert.rejects(validateStream(chunk(long, 16), { maxLineBytes: 64 }), (e) => e.code === 'max-buffer-exceeded');
  const deep = encoder.encode(`${START}event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":${'['.repeat(300)}${']'.repeat(300)}}\n\n`);
  assert.throws(() => validateStream(deep), (e) => e.code === 'max-depth-exceeded');
  await assert.rejects(validateStream(42), (e) => e.code === 'invalid-input');
});

test('the README documents every anomaly code', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('### The stream verdict'), readme.indexOf('### Examples'));
  for (const { code } of anomalies()) assert.ok(table.includes(`\`${code}\``), code);
});

test('accumulate(…, { messages: "all" }) reads every turn of the corpus captures the SDK refuses as concatenated', async () => {
  let n = 0;
  for (const { name, bytes } of streams) {
    const verdict = validateStream(bytes);
    const raised = verdict.find((a) => a.sdk === 'raises');
    if (raised?.code !== 'concatenated-message' || verdict.some((a) => a.code === 'second-message-start')) continue;
    await assert.rejects(accumulate(bytes), (e) => e.code === 'unexpected-message-start', name);
    const messages = await accumulate(bytes, { messages: 'all' });
    const turns = verdict.filter((a) => a.code === 'concatenated-message').length + 1;
    assert.equal(messages.length, turns, name);
    for (const m of messages) assert.equal(m.role, 'assistant', name);
    n++;
  }
  assert.ok(n >= 5, `${n} concatenated captures`);
  await assert.rejects(accumulate('', { messages: 'last' }), (e) => e instanceof SanitizerError && e.code === 'invalid-option');
});
