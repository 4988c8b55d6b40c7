// Two turns of a chat with the official SDK against a strict upstream, first
// with the plain fetch, then with sanitizingFetch.
//
//   node examples/sdk-strict-upstream.mjs
//
// The upstream is a small stand-in on 127.0.0.1 (started and stopped here): it
// replays a real recorded stream whose only text block is empty, and refuses a
// request holding an empty text block with the API's exact 400, as Anthropic,
// Bedrock and LiteLLM in front of them do. Turn 2 sends turn 1's final message
// back as history: with the plain fetch it is refused; with sanitizingFetch the
// empty block never reaches the history and the turn goes through.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { sanitizingFetch } from 'sse-sanitizer';

const STREAM = readFileSync(new URL('../tests/corpus/streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse', import.meta.url));

const upstream = createServer(async (req, res) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw);
  const empty = body.messages.some((m) => Array.isArray(m.content) && m.content.some((b) => b.type === 'text' && !b.text));
  if (empty) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(STREAM);
});
await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const baseURL = `http://127.0.0.1:${upstream.address().port}`;

async function chat(label, fetch) {
  const client = new Anthropic({ apiKey: 'sk-example-not-a-real-key', baseURL, fetch, maxRetries: 0 });
  const params = { model: 'claude-sonnet-5-5', max_tokens: 256 };
  const history = [{ role: 'user', content: 'Say nothing.' }];
  const first = await client.messages.stream({ ...params, messages: history }).finalMessage();
  console.log(`${label}: turn 1 content ${JSON.stringify(first.content)}`);
  history.push({ role: 'assistant', content: first.content }, { role: 'user', content: 'Now say something.' });
  try {
    await client.messages.stream({ ...params, messages: history }).finalMessage();
    console.log(`${label}: turn 2 accepted`);
  } catch (err) {
    console.log(`${label}: turn 2 refused: ${err.status} ${err.error?.error?.message ?? err.message}`);
  }
}

try {
  await chat('plain fetch', fetch);
  const reports = [];
  await chat('sanitizingFetch', sanitizingFetch(fetch, { onReport: (r) => reports.push(r) }));
  for (const r of reports) {
    const dropped = r.response?.blocksDropped.map((d) => `${d.reason} block ${d.index}`).join(', ') || 'nothing';
    const changes = r.changes.map((c) => `${c.rule} at ${c.path}`).join(', ') || 'none';
    console.log(`  request changes: ${changes}; dropped from the reply: ${dropped}`);
  }
} finally {
  upstream.close();
}
