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

test('every accepted request with mid-conversation system messages passes the strict upstream', () => {
  const lines = readFileSync(new URL('../tests/fixtures/accepted.jsonl', import.meta.url), 'utf8').trim().split('\n');
  let checked = 0;
  for (const line of lines) {
    const { source, profile, body } = JSON.parse(line);
    // This upstream stands in for the Anthropic API (an InvokeModel body names its model in the URL).
    if (profile !== 'anthropic') continue;
    assert.doesNotThrow(() => checkBody(body), source);
    checked++;
  }
  assert.ok(checked >= 12);
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
  'refused tool id': [
    (b) => {
      b.messages[1].content[0].id = 'functions.get_date:0';
      b.messages[2].content[0].tool_use_id = 'functions.get_date:0';
    },
    "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
  ],
  'error result without content': [
    (b) => Object.assign(b.messages[2].content[0], { is_error: true, content: '' }),
    'messages.2.content.0.tool_result: content cannot be empty if `is_error` is true',
  ],
  'five cache breakpoints': [
    (b) => {
      b.tools[0].cache_control = { type: 'ephemeral' };
      b.messages[0].content[0].cache_control = { type: 'ephemeral' };
      b.messages[3].content[0].cache_control = { type: 'ephemeral' };
    },
    'A maximum of 4 blocks with cache_control may be provided. Found 5.',
  ],
  'a 1h breakpoint after a 5m one': [
    (b) => (b.messages[4].content[0].cache_control.ttl = '1h'),
    "messages.4.content.0.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
  ],
  'temperature with top_p': [
    (b) => Object.assign(b, { temperature: 0.5, top_p: 0.9 }),
    '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
  ],
  'a system message first': [
    (b) => {
      b.model = 'claude-opus-4-8';
      b.messages.unshift({ role: 'system', content: 'Be brief.' });
    },
    "messages.0: use the top-level 'system' parameter for the initial system prompt; the directive-only form (content: [] with output_config) is accepted at any position",
  ],
  'a system message after a plain assistant message': [
    (b) => {
      b.model = 'claude-opus-4-8';
      b.messages.splice(4, 0, { role: 'system', content: 'Be brief.' });
    },
    "messages.4: role 'system' must follow a 'user' message or an 'assistant' message ending in a server tool result; the directive-only form (content: [] with output_config) is accepted at any position",
  ],
  'a system message on a model before Opus 4.8': [
    (b) => b.messages.push({ role: 'system', content: 'Be brief.' }),
    "role 'system' is not supported on this model",
  ],
  'a server tool call past its turn': [
    (b) => b.messages[3].content.push({ type: 'server_tool_use', id: 'srvtoolu_01X', name: 'web_search', input: { query: 'date' } }),
    'messages.3: `web_search` tool use with id `srvtoolu_01X` was found without a corresponding `web_search_tool_result` block',
  ],
  'a server tool id of another shape': [
    (b) =>
      b.messages[3].content.unshift(
        { type: 'server_tool_use', id: 'ws_01', name: 'web_search', input: { query: 'date' } },
        { type: 'web_search_tool_result', tool_use_id: 'ws_01', content: [] },
      ),
    "messages.3.content.0.server_tool_use.id: String should match pattern '^srvtoolu_[a-zA-Z0-9_]+$'",
  ],
  'a prefill on a Claude 4.6 model': [
    (b) => {
      b.model = 'claude-opus-4-6';
      b.messages.push({ role: 'assistant', content: 'It is' });
    },
    'This model does not support assistant message prefill. The conversation must end with a user message.',
  ],
  'an empty thinking block': [
    (b) => b.messages[1].content.unshift({ type: 'thinking', thinking: '', signature: '' }),
    'messages.1.content.0.thinking: each thinking block must contain thinking',
  ],
};

for (const [name, [mutate, expected]] of Object.entries(defects)) {
  test(`strict upstream and validate() give the same answer: ${name}`, () => {
    const body = cleanRequest();
    mutate(body);
    assert.equal(answer(body), expected);
    assert.ok(validate(body).some((v) => v.message === expected), JSON.stringify(validate(body)));
  });
}
