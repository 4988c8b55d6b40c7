// The history engine's hash tables are keyed by a secret from
// crypto.getRandomValues, drawn once per wasm instance at the first call that
// builds a table, never when the module loads (workerd refuses random values
// in a Worker's global scope). Without it, wasm32's std hasher has the same
// keys in every instance, and ids searched offline to share a bucket would make
// normalize quadratic. (The keying itself: src/hash.rs's tests.)
import { test } from 'node:test';
import assert from 'node:assert/strict';

const draws = [];
const getRandomValues = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
globalThis.crypto.getRandomValues = (array) => {
  draws.push(array.byteLength);
  return getRandomValues(array);
};

test('the secret is drawn from crypto.getRandomValues once, at the first normalize, not at load', async () => {
  const { normalize, validate, ready } = await import('sse-sanitizer');
  await ready;
  const stream = await import('sse-sanitizer/stream');
  await stream.ready;
  assert.deepEqual(draws, [], 'nothing drawn when the modules load');

  const body = JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'bad id!', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'bad id!', content: 'ok' }] },
    ],
  });
  const { body: out, changes } = normalize(body);
  assert.ok(changes.length > 0, 'the refused id is rewritten');
  assert.match(out, /"id":"bad_id_"/);
  assert.deepEqual(draws, [16], 'one 16-byte draw');

  normalize(body);
  validate(body);
  assert.deepEqual(draws, [16], 'drawn once per instance');
});
