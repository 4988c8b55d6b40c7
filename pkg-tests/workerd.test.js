// The built package inside real workerd (miniflare), through the `workerd`
// export condition: it parses corpus streams exactly as Node does.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, accumulate, normalize, sanitize } from 'sse-sanitizer';
import { startWorker } from './helpers/workerd.js';
import { corpusStreams } from './corpus.js';

let worker;
before(async () => {
  worker = await startWorker(new URL('./fixtures/parse-worker.js', import.meta.url));
});
after(() => worker?.mf.dispose());

const nodeParse = (bytes) => {
  const p = new SseParser();
  const events = p.feed(bytes);
  p.finish();
  return events;
};

test('workerd parses corpus streams like Node, whole and at 7-byte chunks', async () => {
  assert.equal(worker.url.hostname, '127.0.0.1');
  const streams = corpusStreams().filter((_, i) => i % 10 === 0);
  for (const { name, bytes } of streams) {
    for (const chunk of ['', '?chunk=7']) {
      const res = await fetch(new URL(`/parse${chunk}`, worker.url), { method: 'POST', body: bytes });
      assert.equal(res.status, 200, name);
      assert.deepEqual(await res.json(), nodeParse(bytes), `${name} ${chunk}`);
    }
  }
});

test('workerd: createEventStream over the request body stream', async () => {
  const { name, bytes } = corpusStreams().find((s) => s.name.includes('tool_use_response'));
  const res = await fetch(new URL('/stream', worker.url), { method: 'POST', body: bytes });
  assert.deepEqual(await res.json(), nodeParse(bytes), name);
});

test('workerd: createSanitizerStream and normalize give what Node gives', async () => {
  const streams = corpusStreams().filter((s) => sanitize(s.bytes).report.blocksDropped.length > 0);
  assert.ok(streams.length > 0);
  for (const { name, bytes } of streams) {
    const res = await fetch(new URL('/sanitize', worker.url), { method: 'POST', body: bytes });
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), sanitize(bytes).output, name);
  }
  const body = JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] });
  const res = await fetch(new URL('/normalize', worker.url), { method: 'POST', body });
  const expected = normalize(body);
  assert.equal(await res.text(), expected.body);
  assert.deepEqual(JSON.parse(res.headers.get('x-changes')), expected.changes);
});

test('workerd: accumulate() of sse-sanitizer/stream (its own module, imported by the workerd entry) gives what Node gives', async () => {
  const streams = corpusStreams().filter((_, i) => i % 25 === 0);
  let compared = 0;
  for (const { name, bytes } of streams) {
    const expected = await accumulate(bytes).then((m) => ({ ok: m }), (err) => ({ code: err.code }));
    if (!expected.ok) continue;
    compared += 1;
    const res = await fetch(new URL('/accumulate', worker.url), { method: 'POST', body: bytes });
    assert.equal(res.status, 200, name);
    assert.deepEqual(await res.json(), expected.ok, name);
  }
  assert.ok(compared > 5, `${compared} streams compared`);
});
