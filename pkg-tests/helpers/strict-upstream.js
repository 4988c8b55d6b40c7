// A strict Anthropic Messages API stand-in on 127.0.0.1 for the Worker and
// LiteLLM tests. It checks request bodies with its OWN rules (written here from
// the API's documented answers, independent of the library's validate()), so a
// body the library failed to fix is refused here exactly as the real API would:
// 400 in Anthropic's error shape with the exact message text. It checks the
// credential, records every request, and streams a recorded corpus stream back
// in small delayed chunks so time-to-first-byte can be observed.
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

// A recorded non-stream reply (the bytes as the API sent them), the default `message`.
const RECORDED_MESSAGE = readFileSync(new URL('../../tests/corpus/responses/fantasy__TestAnthropicCommon_claude-sonnet-4_simple.json', import.meta.url));

const BLOCK_FIELDS = {
  text: ['type', 'text', 'cache_control', 'citations'],
  image: ['type', 'source', 'cache_control'],
  document: ['type', 'source', 'title', 'context', 'citations', 'cache_control'],
  tool_use: ['type', 'id', 'name', 'input', 'cache_control', 'caller'],
  tool_result: ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'],
  thinking: ['type', 'thinking', 'signature'],
  redacted_thinking: ['type', 'data'],
};
const MESSAGE_FIELDS = ['role', 'content'];
const isBlank = (s) => s.trim() === '';

class Reject extends Error {}
const reject = (message) => {
  throw new Reject(message);
};

// ---------------------------------------------------------------------------
// Thinking signatures bound to their position, as the real API's are: a signed
// block replayed at another index (or changed) in the latest assistant message
// is refused with the API's exact text.

const SIGNING_KEY = 'strict-upstream-thinking-signatures';
const mac = (text) => createHmac('sha256', SIGNING_KEY).update(text).digest('base64url');

/** The signature this upstream gives a thinking block at content index `position`. */
export const thinkingSignature = (position, thinking) => `sig_${mac(`${position}\n${thinking}`)}`;
/** The `data` this upstream gives a redacted_thinking block at `position`. */
export const redactedData = (position) => `red_${mac(`${position}\nredacted`)}`;

/**
 * Re-signs the thinking blocks of an SSE stream (LF framing) for the position
 * each has in its message: every `signature_delta` gets the signature of its
 * block's index and full thinking text, every redacted_thinking start its data.
 */
export function signStream(bytes) {
  const text = Buffer.from(bytes).toString('utf8');
  const thinking = new Map();
  const frames = text.split('\n\n').map((frame) => {
    const lines = frame.split('\n');
    const at = lines.findIndex((l) => l.startsWith('data:'));
    if (at === -1) return frame;
    let data;
    try {
      data = JSON.parse(lines[at].slice(5));
    } catch {
      return frame;
    }
    if (data.type === 'message_start') thinking.clear();
    if (data.type === 'content_block_start' && data.content_block?.type === 'thinking') thinking.set(data.index, data.content_block.thinking ?? '');
    if (data.type === 'content_block_start' && data.content_block?.type === 'redacted_thinking') data.content_block.data = redactedData(data.index);
    if (data.delta?.type === 'thinking_delta') thinking.set(data.index, (thinking.get(data.index) ?? '') + data.delta.thinking);
    if (data.delta?.type === 'signature_delta') data.delta.signature = thinkingSignature(data.index, thinking.get(data.index) ?? '');
    lines[at] = `data: ${JSON.stringify(data)}`;
    return lines.join('\n');
  });
  return Buffer.from(frames.join('\n\n'));
}

/** The latest assistant message's thinking blocks must be where, and as, this upstream signed them. */
function checkThinkingPositions(messages) {
  const n = messages.findLastIndex((m) => m?.role === 'assistant');
  const content = messages[n]?.content;
  if (!Array.isArray(content)) return;
  const moved = (m) =>
    reject(
      `messages.${n}.content.${m}: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.`,
    );
  content.forEach((block, m) => {
    if (block?.type === 'thinking') {
      if (!String(block.signature).startsWith('sig_')) reject(`messages.${n}.content.${m}: Invalid \`signature\` in \`thinking\` block`);
      if (block.signature !== thinkingSignature(m, block.thinking)) moved(m);
    }
    if (block?.type === 'redacted_thinking' && block.data !== redactedData(m)) moved(m);
  });
}

/**
 * Throws Reject with the exact upstream message for the first defect of `body`.
 * `signedThinking`: also check the latest assistant message's thinking blocks
 * against the signatures this upstream gave them (see `signStream`).
 */
export function checkBody(body, { countTokens = false, signedThinking = false } = {}) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) reject('Input should be a valid dictionary');
  if (typeof body.model !== 'string') reject('model: Field required');
  if (!countTokens && body.max_tokens === undefined) reject('max_tokens: Field required');
  checkSystem(body.system);
  const { messages } = body;
  if (!Array.isArray(messages)) reject('messages: Field required');
  if (messages.length === 0) reject('messages: at least one message is required');
  // Schema first (as the API's request model does), then the conversation rules.
  messages.forEach(checkMessageSchema);
  messages.forEach((msg, m) => checkMessageRules(messages, msg, m));
  if (signedThinking) checkThinkingPositions(messages);
  checkFinal(messages.at(-1));
}

function checkSystem(system) {
  if (system === undefined) return;
  if (typeof system === 'string') {
    if (system !== '' && isBlank(system)) reject('system: text content blocks must contain non-whitespace text');
    return;
  }
  if (!Array.isArray(system)) reject('system: Input should be a valid list');
  for (const block of system) {
    if (block?.text === '') reject('system: text content blocks must be non-empty');
    if (typeof block?.text === 'string' && isBlank(block.text)) reject('system: text content blocks must contain non-whitespace text');
  }
}

function checkMessageSchema(msg, m) {
  if (msg === null || typeof msg !== 'object') reject(`messages.${m}: Input should be a valid dictionary`);
  if (msg.role !== 'user' && msg.role !== 'assistant') reject(`messages.${m}.role: Input should be 'user' or 'assistant'`);
  for (const field of Object.keys(msg)) {
    if (!MESSAGE_FIELDS.includes(field)) reject(`messages.${m}.${field}: Extra inputs are not permitted`);
  }
  if (typeof msg.content === 'string') return;
  if (!Array.isArray(msg.content)) reject(`messages.${m}.content: Field required`);
  msg.content.forEach((block, b) => {
    const at = `messages.${m}.content.${b}`;
    const fields = BLOCK_FIELDS[block?.type];
    if (!fields) return; // server tools and newer block types: not checked here
    for (const field of Object.keys(block)) {
      if (!fields.includes(field)) reject(`${at}.${block.type}.${field}: Extra inputs are not permitted`);
    }
    if (block.type === 'text') {
      if (!('text' in block)) reject(`${at}.text.text: Field required`);
      if (typeof block.text !== 'string') reject(`${at}.text.text: Input should be a valid string`);
    }
    if (block.type === 'tool_use') {
      if (block.input === null || typeof block.input !== 'object' || Array.isArray(block.input)) {
        reject(`${at}.tool_use.input: Input should be a valid dictionary`);
      }
      if (!/^[a-zA-Z0-9_-]+$/.test(block.id ?? '')) reject(`${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
    }
    if (block.type === 'thinking' && typeof block.signature !== 'string') reject(`${at}.thinking.signature: Field required`);
  });
}

const toolUses = (msg) => (Array.isArray(msg?.content) ? msg.content.filter((b) => b?.type === 'tool_use') : []);
const toolResults = (msg) => (Array.isArray(msg?.content) ? msg.content.filter((b) => b?.type === 'tool_result') : []);

function checkMessageRules(messages, msg, m) {
  const final = m === messages.length - 1;
  const empty = msg.content === '' || (Array.isArray(msg.content) && msg.content.length === 0);
  if (empty && !(final && msg.role === 'assistant')) {
    reject(`messages.${m}: all messages must have non-empty content except for the optional final assistant message`);
  }
  if (typeof msg.content === 'string') return;
  const texts = msg.content.filter((b) => b?.type === 'text');
  msg.content.forEach((block, b) => {
    if (block?.type !== 'text') return;
    if (block.text === '' && block.cache_control) reject(`messages.${m}.content.${b}.text: cache_control cannot be set for empty text blocks`);
    if (block.text === '') reject('messages: text content blocks must be non-empty');
  });
  // A whitespace-only text block is accepted beside other content (the real
  // API took "\n\n" before a tool_use); alone it is refused.
  if (texts.length === msg.content.length && texts.every((b) => isBlank(b.text))) {
    reject('messages: text content blocks must contain non-whitespace text');
  }

  const ids = new Set();
  msg.content.forEach((block, b) => {
    if (block?.type !== 'tool_use') return;
    if (ids.has(block.id)) reject(`messages.${m}.content.${b}: tool_use ids must be unique`);
    ids.add(block.id);
  });

  if (msg.role === 'user') {
    const previous = m > 0 && messages[m - 1].role === 'assistant' ? toolUses(messages[m - 1]) : [];
    const known = new Set(previous.map((t) => t.id));
    msg.content.forEach((block, b) => {
      if (block?.type === 'tool_result' && !known.has(block.tool_use_id)) {
        reject(
          `messages.${m}.content.${b}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. ` +
            'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
        );
      }
    });
    const results = toolResults(msg).length;
    const leading = msg.content.findIndex((b) => b?.type !== 'tool_result');
    if (previous.length > 0 && results > 0 && leading !== -1 && leading < results) {
      reject(
        `messages.${m}: Did not find ${results} \`tool_result\` block(s) at the beginning of this message. ` +
          'Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.',
      );
    }
  }

  const uses = toolUses(msg);
  if (msg.role === 'assistant' && uses.length > 0 && !final) {
    const answered = new Set(toolResults(messages[m + 1]).map((r) => r.tool_use_id));
    const missing = uses.filter((t) => !answered.has(t.id)).map((t) => t.id);
    if (missing.length > 0) {
      reject(
        `messages.${m}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. ` +
          'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
      );
    }
  }
}

function checkFinal(last) {
  if (last?.role !== 'assistant') return;
  const tail = typeof last.content === 'string' ? last.content : last.content.at(-1)?.text;
  if (typeof tail === 'string' && tail !== '' && /\s$/.test(tail)) reject('messages: final assistant content cannot end with trailing whitespace');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sendError(res, status, type, message) {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_strict_upstream' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

/** The credential check: `auth.mode` 'x-api-key' | 'bearer' | 'either', `auth.key` the expected key. */
function checkAuth(headers, auth) {
  const apiKey = headers['x-api-key'];
  const authorization = headers.authorization;
  if (apiKey !== undefined && authorization !== undefined) {
    return [400, 'invalid_request_error', 'send either x-api-key or authorization, not both'];
  }
  const bearer = authorization?.match(/^Bearer (.+)$/)?.[1];
  const ok =
    (auth.mode !== 'bearer' && apiKey === auth.key) || (auth.mode !== 'x-api-key' && bearer !== undefined && bearer === auth.key);
  return ok ? null : [401, 'authentication_error', 'invalid x-api-key'];
}

/**
 * Starts the strict upstream on an ephemeral 127.0.0.1 port. `options` (all
 * mutable later through the returned `options`):
 *   auth      { mode: 'x-api-key' | 'bearer' | 'either', key }
 *   stream    bytes of the SSE body for `stream: true` requests
 *   message   the Message for non-stream requests (object, string or bytes; default: a recorded one)
 *   chunkBytes, delayMs   how the stream is cut and paced
 *   signThinking  sign the thinking blocks it streams by position (`signStream`)
 *                 and refuse a request whose latest assistant message moved or
 *                 changed them, with the API's exact text
 *   reply     (record, res) => boolean: answers instead, when it returns true
 * Returns { url, requests, options, close() }; each request record holds
 * { method, path, headers, body (Buffer), json, started, finished } (ms, performance.now()).
 */
export async function startStrictUpstream(options = {}) {
  const opts = Object.assign({ chunkBytes: 256, delayMs: 2, auth: { mode: 'either', key: 'sk-upstream-test' }, message: RECORDED_MESSAGE }, options);
  const requests = [];
  const server = createServer(async (req, res) => {
    const parts = [];
    for await (const part of req) parts.push(part);
    const record = {
      method: req.method,
      path: req.url,
      headers: req.headers,
      body: Buffer.concat(parts),
      json: undefined,
      started: performance.now(),
      finished: undefined,
    };
    requests.push(record);
    const path = req.url.split('?')[0];
    const countTokens = path === '/v1/messages/count_tokens';
    if (req.method !== 'POST' || (path !== '/v1/messages' && !countTokens)) {
      return sendError(res, 404, 'not_found_error', 'Not Found');
    }
    const denied = checkAuth(req.headers, opts.auth);
    if (denied) return sendError(res, ...denied);
    try {
      record.json = JSON.parse(record.body.toString('utf8'));
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'There was an error parsing the body of your request');
    }
    try {
      checkBody(record.json, { countTokens, signedThinking: opts.signThinking });
    } catch (err) {
      if (err instanceof Reject) return sendError(res, 400, 'invalid_request_error', err.message);
      throw err;
    }
    if (opts.reply?.(record, res)) return;
    if (countTokens) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ input_tokens: 42 }));
    }
    if (record.json.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': 'req_strict_upstream' });
      res.flushHeaders();
      const bytes = opts.signThinking ? signStream(opts.stream) : opts.stream;
      for (let i = 0; i < bytes.length; i += opts.chunkBytes) {
        if (res.destroyed) return;
        res.write(bytes.subarray(i, i + opts.chunkBytes));
        if (opts.delayMs > 0) await sleep(opts.delayMs);
      }
      record.finished = performance.now();
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_strict_upstream' });
    res.end(typeof opts.message === 'string' || Buffer.isBuffer(opts.message) ? opts.message : JSON.stringify(opts.message));
    record.finished = performance.now();
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    options: opts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
