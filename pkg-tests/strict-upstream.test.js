// The strict upstream's own rules (helpers/strict-upstream.js) checked against
// real accepted requests (no false positives) and against the library's
// validate() on single defects: two independent implementations, same answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validate } from 'sse-sanitizer';
import { checkBody } from './helpers/strict-upstream.js';
import { cleanRequest } from './helpers/histories.js';

const answer = (body) => {
  try {
    checkBody(body);
    return null;
  } catch (err) {
    return err.message;
  }
};

test('every real request the API accepted passes the strict upstream', () => {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n');
  for (const line of lines) {
    const { source, index, body } = JSON.parse(line);
    // count_tokens requests carry no max_tokens.
    assert.doesNotThrow(() => checkBody(body, { countTokens: !('max_tokens' in body) }), `${source} #${index}`);
  }
});

const defects = {
  'empty text': [(b) => b.messages[0].content.push({ type: 'text', text: '' }), 'messages: text content blocks must be non-empty'],
  'whitespace-only turn': [(b) => (b.messages[3].content = [{ type: 'text', text: ' \n ' }]), 'messages: text content blocks must contain non-whitespace text'],
  'missing text': [(b) => b.messages[3].content.push({ type: 'text' }), 'messages.3.content.1.text.text: Field required'],
  'foreign field': [(b) => (b.messages[1].content[0].text = 'x'), 'messages.1.content.0.tool_use.text: Extra inputs are not permitted'],
  'tool input string': [(b) => (b.messages[1].content[0].input = '{}'), 'messages.1.content.0.tool_use.input: Input should be a valid dictionary'],
  'empty message': [(b) => (b.messages[3].content = []), 'messages.3: all messages must have non-empty content except for the optional final assistant message'],
  'cache_control on empty': [
    (b) => b.messages[4].content.unshift({ type: 'text', text: '', cache_control: { type: 'ephemeral' } }),
    'messages.4.content.0.text: cache_control cannot be set for empty text blocks',
  ],
  'tool_result not first': [
    (b) => b.messages[2].content.unshift({ type: 'text', text: 'here:' }),
    'messages.2: Did not find 1 `tool_result` block(s) at the beginning of this message. Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.',
  ],
  'missing tool_result': [
    (b) => b.messages.splice(2, 1, { role: 'user', content: 'skip it' }),
    'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01AbkJc84N6kWsZukA3qF8TD. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
  ],
  'orphan tool_result': [
    (b) => b.messages[2].content.push({ type: 'tool_result', tool_use_id: 'toolu_other', content: 'x' }),
    'messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_other. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
  ],
  'final trailing whitespace': [
    (b) => b.messages.push({ role: 'assistant', content: 'It is ' }),
    'messages: final assistant content cannot end with trailing whitespace',
  ],
  'empty system block': [(b) => b.system.push({ type: 'text', text: '' }), 'system: text content blocks must be non-empty'],
};

for (const [name, [mutate, expected]] of Object.entries(defects)) {
  test(`strict upstream and validate() give the same answer: ${name}`, () => {
    const body = cleanRequest();
    mutate(body);
    assert.equal(answer(body), expected);
    assert.ok(validate(body).some((v) => v.message === expected), JSON.stringify(validate(body)));
  });
}
