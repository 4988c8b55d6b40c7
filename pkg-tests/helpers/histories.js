// Request bodies for the Worker and LiteLLM tests, built from a real request
// the API accepted (tests/fixtures/requests.jsonl) plus the defects chat UIs
// and serializers really produce.
import { readFileSync } from 'node:fs';

const requests = readFileSync(new URL('../../tests/fixtures/requests.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));

/** A real accepted request: system, a tool_use/tool_result round, cache_control. */
export function cleanRequest() {
  const found = requests.find(
    (r) => r.source === 'chatlas__test_provider_anthropic_test_anthropic_tool_variations.yaml' && r.body.messages.length === 5,
  );
  return structuredClone(found.body);
}

/**
 * The clean request with defects; `firstError` is what the strict API answers
 * (schema errors are reported before conversation rules).
 */
export function dirtyRequest() {
  const body = cleanRequest();
  const [, toolTurn, , answer] = body.messages;
  // A tool-first reply stored as the SDK accumulates it: an empty text block first,
  // and a serializer that copied tool_result's field onto the tool_use.
  toolTurn.content.unshift({ type: 'text', text: '' });
  toolTurn.content[1].tool_use_id = '';
  // A serializer that drops empty strings: a text block with no `text`.
  answer.content.push({ type: 'text' });
  // A turn that ended up with only whitespace.
  body.messages.splice(3, 0, { role: 'assistant', content: [{ type: 'text', text: ' \n' }] }, { role: 'user', content: 'go on' });
  return {
    body,
    firstError: 'messages.1.content.1.tool_use.tool_use_id: Extra inputs are not permitted',
  };
}
