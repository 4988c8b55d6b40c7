// The stream sanitizer and the accumulator through the built package (Node
// entry), against the whole corpus, with the official SDK as the consumer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import {
  SanitizerError,
  SseParser,
  StreamSanitizer,
  accumulate,
  createEventStream,
  createSanitizerStream,
  sanitize,
  sanitizeMessage,
} from '../js/node.js';
import { chunk, concat, corpusStreams, cycleChunks, rng } from './corpus.js';

const streams = corpusStreams();
const encoder = new TextEncoder();


function pushAll(chunks, options) {
  const sanitizer = new StreamSanitizer(options);
  const parts = chunks.map((c) => sanitizer.push(c));
  const { output, report } = sanitizer.finish();
  parts.push(output);
  return { output: concat(parts), report };
}

function events(bytes) {
  const parser = new SseParser();
  const out = parser.feed(bytes);
  parser.finish();
  return out;
}

/** The (message number, index) of every content-block event, in order. */
function blockIndices(bytes) {
  let message = -1;
  const out = [];
  for (const e of events(bytes)) {
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      continue;
    }
    if (data?.type === 'message_start') message++;
    if (typeof data?.type === 'string' && data.type.startsWith('content_block_')) out.push([message, data.index, data.type]);
  }
  return out;
}

for (const profile of ['anthropic', 'bedrock'])
test(`corpus (${profile}): byte-identical unless a blank text block is dropped; chunking-invariant; idempotent`, () => {
  const next = rng();
  let dropped = 0;
  for (const { name, bytes } of streams) {
    const whole = sanitize(bytes, { profile });
    assert.equal(whole.report.blocksReplaced.length, 0, `${name}: no real stream has a blank block next to thinking`);
    assert.equal(whole.report.blocksDropped.length === 0, Buffer.compare(whole.output, bytes) === 0, name);
    if (whole.report.blocksDropped.length > 0) {
      dropped++;
      // Exactly the dropped blocks are gone and indices are contiguous per message.
      const before = blockIndices(bytes);
      const gone = new Set(whole.report.blocksDropped.map((b) => `${b.message}:${b.index}`));
      const kept = before.filter(([m, i]) => !gone.has(`${Math.max(m, 0)}:${i}`));
      const after = blockIndices(whole.output);
      assert.equal(after.length, kept.length, name);
      assert.deepEqual(after.map(([, , t]) => t), kept.map(([, , t]) => t), name);
      const starts = new Map();
      for (const [m, i, type] of after) {
        if (type !== 'content_block_start') continue;
        const expected = starts.get(m) ?? 0;
        if (whole.report.notes.some((n) => n.code === 'index-skew')) break;
        assert.equal(i, expected, `${name}: contiguous indices`);
        starts.set(m, expected + 1);
      }
    }
    const size = 1 + next(300);
    for (const chunks of [chunk(bytes, 1), chunk(bytes, size), chunk(bytes, 4096)]) {
      const split = pushAll(chunks, { profile });
      assert.deepEqual(split.output, whole.output, `${name} at ${chunks[0]?.length}-byte chunks`);
      assert.deepEqual(split.report, whole.report, name);
    }
    assert.deepEqual(sanitize(whole.output, { profile }).output, whole.output, `${name}: idempotent`);
  }
  // Empty blocks under both profiles; whitespace-only ones too under bedrock.
  assert.ok(dropped >= (profile === 'bedrock' ? 6 : 3), `the corpus has streams with blank text blocks (${dropped})`);
});

test('chunks of every size share the input buffer: growing, over 1 MiB (freed after the call), small again', () => {
  const all = concat(streams.map((s) => s.bytes));
  const pieces = cycleChunks(all, [10, 5000, 3 << 20, 10, 70000, 1]);
  assert.ok(pieces.length > 6);
  const whole = sanitize(all);
  assert.ok(whole.report.blocksDropped.length > 0);
  const split = pushAll(pieces);
  assert.deepEqual(split.output, whole.output);
  assert.deepEqual(split.report, whole.report);
});

test('sanitize() on a string returns a string; push() returns the chunk itself when unchanged', () => {
  const text = new TextDecoder().decode(streams.find((s) => s.name.includes('empty_response') || s.name.includes('empty-response'))?.bytes ?? streams[0].bytes);
  const { output, report } = sanitize(text);
  assert.equal(typeof output, 'string');
  assert.deepEqual(encoder.encode(output), sanitize(encoder.encode(text)).output);
  assert.equal(typeof report.eventsSeen, 'number');
  const chunkBytes = encoder.encode('event: ping\ndata: {"type": "ping"}\n\n');
  const s = new StreamSanitizer();
  assert.equal(s.push(chunkBytes), chunkBytes);
  s.finish();
  assert.throws(() => s.push(chunkBytes), (e) => e instanceof SanitizerError && e.code === 'finished');
});

test('createSanitizerStream adds no latency: every event not held back leaves in the transform() that completed it', async () => {
  const next = rng(7);
  let checked = 0;
  for (const { name, bytes } of streams) {
    const expected = sanitize(bytes);
    const chunks = chunk(bytes, 1 + next(200));
    // When (in which chunk) each raw event completes.
    const parser = new SseParser();
    const raw = [];
    chunks.forEach((c, i) => {
      for (const e of parser.feed(c)) raw.push({ ...e, chunk: i });
    });
    parser.finish();
    const release = releaseChunks(raw);

    const stream = createSanitizerStream();
    const writer = stream.writable.getWriter();
    const out = new SseParser();
    let seen = 0;
    const pump = stream.readable.pipeTo(new WritableStream({ write: (c) => void (seen += out.feed(c).length) }));
    const keptBefore = (i) => release.filter((r) => r !== null && r <= i).length;
    assert.equal(release.filter((r) => r !== null).length, events(expected.output).length, `${name}: the model keeps what sanitize() keeps`);
    for (let i = 0; i < chunks.length; i++) {
      await writer.write(chunks[i]);
      // NOTE: transform() enqueues synchronously; one macrotask lets the pipe deliver it.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(seen, keptBefore(i), `${name}: events out after chunk ${i} of ${chunks.length}`);
    }
    await writer.close();
    await pump;
    assert.equal(seen, events(expected.output).length, name);
    checked++;
  }
  assert.equal(checked, streams.length);
});

const isBlank = (s) => s === undefined || s === null || /^\s*$/u.test(s);

/**
 * For each raw event, the chunk after which the sanitizer must have emitted it
 * (null: dropped), per the documented hold policy: a text block that starts
 * blank is held, with every event arriving meanwhile, until a delta with
 * visible text, its stop, or any message-level or other-index block event.
 */
function releaseChunks(raw) {
  const release = raw.map((e) => e.chunk);
  // After an index skew the rest of that message is never held (see the Rust docs).
  let skewed = false;
  const blankStart = (e) => e?.type === 'content_block_start' && e.content_block?.type === 'text' && isBlank(e.content_block.text);
  for (let s = 0; s < raw.length; s++) {
    const first = parse(raw[s].data);
    if (first?.type === 'message_start') skewed = false;
    if (skewed || !blankStart(first)) continue;
    // Held from `s` until a decisive event `d`: a block still open is decided
    // by a visible delta, another block's event or a message event; blocks
    // that ended blank wait for the next block's start (a thinking block
    // would keep them), and another blank text start joins them.
    let start = first;
    let open = true;
    const ended = []; // [index, empty] of the blocks that ended blank
    let d = s + 1;
    for (; d < raw.length; d++) {
      const e = parse(raw[d].data);
      if (!e || typeof e.type !== 'string') continue;
      if (open) {
        if (e.type.startsWith('content_block_') && e.index !== start.index) {
          skewed = true;
          break;
        }
        if (e.type === 'content_block_delta' && !(e.delta?.type === 'text_delta' && isBlank(e.delta.text))) break;
        if (e.type === 'content_block_stop') {
          open = false;
          ended.push(start.index);
          continue;
        }
        if (['message_delta', 'message_stop', 'message_start', 'error'].includes(e.type) || raw[d].type === 'error') break;
      } else {
        if (blankStart(e)) {
          start = e;
          open = true;
          continue;
        }
        if (e.type.startsWith('content_block_') || e.type.startsWith('message_') || e.type === 'error' || raw[d].type === 'error') break;
      }
    }
    if (d === raw.length) {
      // Truncated while holding: released only by finish().
      for (let j = s; j < raw.length; j++) release[j] = Infinity;
      break;
    }
    // Under the default profile a block that ended empty is dropped; one that
    // ended with whitespace is kept (the corpus has no blank block next to a
    // thinking block: checked by the caller).
    const dropped = new Set(ended.filter((i) => blockText(raw, s, d, i) === ''));
    for (let j = s; j < d; j++) {
      const e = parse(raw[j].data);
      const own = e?.type?.startsWith('content_block_') && dropped.has(e.index);
      release[j] = own ? null : raw[d].chunk;
    }
    s = d - 1;
  }
  return release;
}

/** The text of block `index` from its events among raw[s..d). */
function blockText(raw, s, d, index) {
  let text = '';
  for (let j = s; j < d; j++) {
    const e = parse(raw[j].data);
    if (e?.index !== index) continue;
    if (e.type === 'content_block_start') text += e.content_block.text ?? '';
    if (e.type === 'content_block_delta') text += e.delta?.text ?? '';
  }
  return text;
}

function parse(data) {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

function sdkClient(body) {
  const fetch = async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  return new Anthropic({ apiKey: 'test', baseURL: 'http://127.0.0.1:9', fetch, maxRetries: 0 });
}

async function sdkFinal(body) {
  try {
    // The beta helper is the superset (compaction, context management, fallback).
    const stream = sdkClient(body).beta.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    return { message: await stream.finalMessage() };
  } catch (error) {
    return { error };
  }
}

async function ours(body) {
  try {
    return { message: await accumulate(body) };
  } catch (error) {
    return { error };
  }
}

// `parsed_output` is the SDK's structured-output helper field, not stream data.
const plain = (m) => {
  const { parsed_output: _, ...message } = JSON.parse(JSON.stringify(m));
  return message;
};

test('the official SDK reads every sanitized corpus stream the same as accumulate() and as its raw read minus the dropped blocks', async () => {
  const rejected = [];
  for (const { name, bytes } of streams) {
    const { output, report } = sanitize(bytes);
    const [raw, clean, mine] = await Promise.all([sdkFinal(bytes), sdkFinal(output), ours(output)]);
    if (raw.error) {
      // The SDK rejects some recorded streams whatever we do; the sanitized
      // stream must fail the same way, and accumulate() must fail too.
      assert.ok(clean.error, `${name}: raw rejected (${raw.error.message}) but sanitized accepted`);
      assert.equal(clean.error.message, raw.error.message, name);
      assert.ok(mine.error instanceof SanitizerError, `${name}: accumulate() must reject too`);
      rejected.push(`${name}: ${raw.error.constructor.name}: ${raw.error.message.slice(0, 80)} / ours: ${mine.error.code}`);
      continue;
    }
    assert.ifError(clean.error);
    assert.ifError(mine.error);
    assert.deepEqual(plain(mine.message), plain(clean.message), `${name}: accumulate() == SDK finalMessage()`);
    assert.equal(JSON.stringify(plain(mine.message)), JSON.stringify(plain(clean.message)), `${name}: the same key order`);
    const expected = plain(raw.message);
    const gone = new Set(report.blocksDropped.filter((b) => b.message === 0).map((b) => b.index));
    expected.content = expected.content.filter((_, i) => !gone.has(i));
    assert.deepEqual(plain(clean.message), expected, `${name}: SDK(sanitized) == SDK(raw) minus dropped blocks`);
    for (const block of clean.message.content) {
      if (block.type === 'text') assert.ok(report.blocksDropped.length === 0 || block.text.trim() !== '', name);
    }
  }
  if (rejected.length) console.log(`streams the SDK rejects even raw (${rejected.length}):\n  ${rejected.join('\n  ')}`);
});

test('accumulate() takes bytes, a string, a ReadableStream and events; errors are typed', async () => {
  const { bytes } = streams.find((s) => s.name.includes('tool') && /message_stop.*\n\n$/s.test(new TextDecoder().decode(s.bytes)));
  const expected = await accumulate(bytes);
  assert.deepEqual(await accumulate(new TextDecoder().decode(bytes)), expected);
  assert.deepEqual(await accumulate(new Response(bytes).body), expected);
  assert.deepEqual(await accumulate(new Response(bytes).body.pipeThrough(createEventStream())), expected);
  assert.deepEqual(await accumulate(events(bytes)), expected);

  const overloaded =
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n' +
    'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
  await assert.rejects(accumulate(overloaded), (e) => e instanceof SanitizerError && e.code === 'upstream-error' && e.upstreamType === 'overloaded_error');
  await assert.rejects(accumulate(''), (e) => e.code === 'no-message');
  await assert.rejects(accumulate(42), (e) => e.code === 'invalid-input');
});

test('truncated at every event boundary, error mid-stream, malformed JSON, 50 MB text block, 100k pings: no trap, report says what happened', async () => {
  const { bytes } = streams.find((s) => s.name.includes('empty_response') || s.name.includes('empty-response')) ?? streams[0];
  const text = new TextDecoder().decode(bytes);
  const boundaries = [...text.matchAll(/\n\n/g)].map((m) => m.index + 2);
  for (const at of boundaries.slice(0, -1)) {
    const { output, report } = sanitize(text.slice(0, at));
    assert.equal(report.truncated, true, `cut at ${at}`);
    assert.ok(output.length <= at);
  }
  const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"x","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}\n\n';
  const errorMid = start + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
  assert.equal(sanitize(errorMid).output, errorMid);
  assert.ok(sanitize(errorMid).report.notes.some((n) => n.code === 'error-event'));
  const malformed = start + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""\n\n';
  assert.equal(sanitize(malformed).output, malformed);
  assert.ok(sanitize(malformed).report.notes.some((n) => n.code === 'malformed-json'));

  const big = 'x'.repeat(50 * 1024 * 1024);
  const bigStream = `${start}event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${big}"}}\n\nevent: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`;
  const bigBytes = encoder.encode(bigStream);
  const bigOut = pushAll(chunk(bigBytes, 1 << 20), { maxLineBytes: 64 << 20, maxEventBytes: 64 << 20 });
  assert.deepEqual(bigOut.output, bigBytes);
  const limited = pushAll(chunk(bigBytes, 1 << 20));
  assert.deepEqual(limited.output, bigBytes, 'over the default limits the stream passes through unchanged');
  assert.ok(limited.report.notes.some((n) => n.code === 'max-buffer-exceeded'));

  const pings = encoder.encode('event: ping\ndata: {"type": "ping"}\n\n'.repeat(100_000));
  const pinged = pushAll(chunk(pings, 1024));
  assert.deepEqual(pinged.output, pings);
  assert.equal(pinged.report.eventsSeen, 100_000);
});

test('sanitizeMessage: the non-streaming reply loses its blank text blocks, keeps its form', () => {
  const message = { id: 'm', type: 'message', role: 'assistant', content: [{ type: 'text', text: '' }, { type: 'tool_use', id: 't', name: 'f', input: {} }], usage: { input_tokens: 1, output_tokens: 1 } };
  const { body, report } = sanitizeMessage(message);
  assert.deepEqual(body.content, [{ type: 'tool_use', id: 't', name: 'f', input: {} }]);
  assert.equal(report.blocksDropped[0].reason, 'empty-text');
  const clean = JSON.stringify({ content: [{ type: 'text', text: 'hi' }] });
  assert.equal(sanitizeMessage(clean).body, clean);
  const asBytes = encoder.encode(JSON.stringify(message));
  assert.ok(sanitizeMessage(asBytes).body instanceof Uint8Array);
});
