// The built package's SseParser and createEventStream, loaded through the
// `node` export condition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createParser } from 'eventsource-parser';
import { SseParser, createEventStream, SanitizerError } from 'sse-sanitizer';
import { chunk, concat, corpusStreams, cycleChunks, rng } from './corpus.js';

const streams = corpusStreams();

function parseAll(chunks, options) {
  const p = new SseParser(options);
  const events = chunks.flatMap((c) => p.push(c));
  p.finish();
  return events;
}

test('feed is the old name of push: the same events, one parser state', () => {
  const p = new SseParser();
  assert.deepEqual(p.feed('data: a'), []);
  assert.deepEqual(p.push('\n\ndata: b\n'), [{ type: 'message', data: 'a', lastEventId: '' }]);
  assert.deepEqual(p.feed('\n'), [{ type: 'message', data: 'b', lastEventId: '' }]);
  assert.equal(p.finish(), false);
});

test('every corpus stream parses the same whole, at 1 byte and at random chunks', () => {
  assert.ok(streams.length > 250);
  const rand = rng();
  for (const { name, bytes } of streams) {
    const whole = parseAll([bytes]);
    assert.ok(whole.length > 0, name);
    assert.deepEqual(parseAll(chunk(bytes, 1)), whole, `${name} 1-byte`);
    const pieces = [];
    for (let i = 0; i < bytes.length; ) {
      const n = 1 + rand(512);
      pieces.push(bytes.subarray(i, i + n));
      i += n;
    }
    assert.deepEqual(parseAll(pieces), whole, `${name} random`);
    for (const e of whole) {
      const json = JSON.parse(e.data);
      assert.equal(json.type, e.type, name);
    }
  }
});

test('chunks of every size share the input buffer: growing, over 1 MiB (freed after the call), small again', () => {
  const all = concat(streams.map((s) => s.bytes));
  const pieces = cycleChunks(all, [10, 5000, 3 << 20, 10, 70000, 1]);
  assert.ok(pieces.length > 6);
  assert.deepEqual(parseAll(pieces), parseAll([all]));
});

test('agrees with eventsource-parser on every corpus stream', () => {
  for (const { name, bytes } of streams) {
    const theirs = [];
    const p = createParser({ onEvent: (e) => theirs.push({ type: e.event ?? 'message', data: e.data }) });
    p.feed(new TextDecoder().decode(bytes));
    const ours = parseAll([bytes]).map(({ type, data }) => ({ type, data }));
    assert.deepEqual(ours, theirs, name);
  }
});

test('strings, ids, retry and UTF-8 split across chunks', () => {
  const p = new SseParser();
  assert.deepEqual(p.feed('id: 1\nretry: 250\nevent: a\ndata: x'), []);
  assert.deepEqual(p.feed('\n\n'), [{ type: 'a', data: 'x', lastEventId: '1', retry: 250 }]);
  const smile = new TextEncoder().encode('data: 😀 é\n\n');
  assert.deepEqual(p.feed(smile.subarray(0, 8)), []);
  assert.deepEqual(p.feed(smile.subarray(8)), [{ type: 'message', data: '😀 é', lastEventId: '1' }]);
  assert.equal(p.finish(), false);
});

test('ASCII and non-ASCII events of one chunk keep their order, ids and retry', () => {
  // NOTE: the wasm side returns all-ASCII events and the others in two texts.
  const p = new SseParser();
  const input = [
    'id: a\ndata: one\n\n',
    'event: é\ndata: two\n\n',
    'retry: 7\ndata: three\n\n',
    'id: ü\ndata: four\n\n',
    'data: five 😀\ndata: six\n\n',
    'id: b\nretry: 9\ndata: seven\n\n',
  ].join('');
  const expected = [
    { type: 'message', data: 'one', lastEventId: 'a' },
    { type: 'é', data: 'two', lastEventId: 'a' },
    { type: 'message', data: 'three', lastEventId: 'a', retry: 7 },
    { type: 'message', data: 'four', lastEventId: 'ü' },
    { type: 'message', data: 'five 😀\nsix', lastEventId: 'ü' },
    { type: 'message', data: 'seven', lastEventId: 'b', retry: 9 },
  ];
  assert.deepEqual(p.feed(input), expected);
  assert.deepEqual(parseAll(chunk(new TextEncoder().encode(input), 3)), expected);
});

test('line limit: typed SanitizerError with a kebab-case code, then refuses input', () => {
  const p = new SseParser({ maxLineBytes: 1024 });
  const big = new Uint8Array(4096).fill(0x61);
  assert.throws(() => p.feed(big), (err) => err instanceof SanitizerError && err.code === 'max-buffer-exceeded');
  assert.throws(() => p.feed('data: ok\n\n'), (err) => err.code === 'max-buffer-exceeded');
});

test('bad input: not SSE, invalid UTF-8, NUL bytes, empty', () => {
  assert.deepEqual(parseAll([new TextEncoder().encode('<html>502</html>\n')]), []);
  assert.deepEqual(parseAll([new Uint8Array([100, 97, 116, 97, 58, 0xff, 0, 10, 10])]), [
    { type: 'message', data: '\ufffd\u0000', lastEventId: '' },
  ]);
  assert.deepEqual(parseAll([new Uint8Array(0)]), []);
  assert.throws(() => new SseParser().feed(42), (err) => err instanceof SanitizerError && err.code === 'invalid-input');
});

test('createEventStream pipes a Response body into events', async () => {
  const { name, bytes } = streams.find((s) => s.name.includes('tool_use_response'));
  const body = new Response(bytes).body.pipeThrough(createEventStream());
  const events = [];
  for await (const e of body) events.push(e);
  assert.deepEqual(events, parseAll([bytes]), name);
  assert.equal(events[0].type, 'message_start');
});
