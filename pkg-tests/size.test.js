// The download budget of each entry (benches/entry-size.js): gzip -9 of the
// JavaScript it imports and the .wasm it loads. `npm run bench -- size` prints
// the same figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGETS, ENTRIES, entrySize } from '../benches/entry-size.js';

for (const entry of ENTRIES) {
  test(`${entry}: everything it loads fits its budget of ${BUDGETS[entry]} B gzipped`, () => {
    const { js, wasm, total } = entrySize(entry);
    assert.ok(total <= BUDGETS[entry], `${entry}: ${total} B gzipped (wasm ${wasm.gzip}) > budget ${BUDGETS[entry]}`);
    assert.ok(js.some((f) => f.file === 'js/load.js'), 'the loader is counted');
  });
}

test('sse-sanitizer/stream loads none of the request side (its own wasm, no request-side wrappers), accumulate()\'s module only at its first call', () => {
  const { js, wasm, lazy } = entrySize('sse-sanitizer/stream');
  assert.equal(wasm.file, 'pkg/sse_sanitizer_stream.wasm');
  assert.deepEqual(lazy.map((m) => m.file), ['pkg/sse_sanitizer_accumulate.wasm']);
  assert.deepEqual(entrySize('sse-sanitizer').lazy, []);
  const files = js.map((f) => f.file);
  for (const absent of ['js/wasm-full.js', 'js/core.js', 'js/fetch.js', 'js/proxy.js']) assert.ok(!files.includes(absent), absent);
  assert.ok(wasm.gzip < entrySize('sse-sanitizer').wasm.gzip * 0.7);
});
