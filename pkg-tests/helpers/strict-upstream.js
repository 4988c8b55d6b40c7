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
// A mid-conversation system message may carry its own breakpoint, and its
// directive-only form an output_config.
const SYSTEM_MESSAGE_FIELDS = ['role', 'content', 'cache_control', 'output_config'];
const TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const SERVER_TOOL_ID = /^srvtoolu_[a-zA-Z0-9_]+$/;
const SERVER_RESULT = { web_search: 'web_search_tool_result', web_fetch: 'web_fetch_tool_result', code_execution: 'code_execution_tool_result' };
const DIRECTIVE = "; the directive-only form (content: [] with output_config) is accepted at any position";

/** The model's version from its id as major * 100 + minor (`claude-opus-4-8` 408, `claude-3-5-sonnet-…` 305), or null. */
function modelVersion(model) {
  const m = /claude-(?:[a-z]+-(\d{1,2})(?:[-.](\d{1,2})(?!\d))?|(\d{1,2})(?:[-.](\d{1,2}))?-[a-z]+)/.exec(String(model ?? ''));
  if (!m) return null;
  const [major, minor] = m[1] !== undefined ? [m[1], m[2]] : [m[3], m[4]];
  return Number(major) * 100 + Number(minor ?? 0);
}
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
  checkCacheControl(body);
  const version = modelVersion(body.model);
  if (/claude-(haiku-4-5|sonnet-4-[56]|opus-4-[56])/.test(String(body.model)) && body.temperature != null && body.top_p != null) {
    reject('`temperature` and `top_p` cannot both be specified for this model. Please use only one.');
  }
  const { messages } = body;
  if (!Array.isArray(messages)) reject('messages: Field required');
  if (messages.length === 0) reject('messages: at least one message is required');
  // Schema first (as the API's request model does), then the conversation rules.
  messages.forEach(checkMessageSchema);
  checkSystemMessages(messages, version);
  messages.forEach((msg, m) => msg.role !== 'system' && checkMessageRules(messages, msg, m));
  checkServerTools(messages);
  if (signedThinking) checkThinkingPositions(messages);
  checkFinal(messages.at(-1), version);
}

/** Breakpoints in the order the API reads them: at most 4, no 1h after a 5m. */
function checkCacheControl(body) {
  const points = [];
  const add = (path, block) => block?.cache_control && points.push([path, block.cache_control.ttl === '1h']);
  (Array.isArray(body.tools) ? body.tools : []).forEach((t, i) => add(`tools.${i}`, t));
  (Array.isArray(body.system) ? body.system : []).forEach((b, i) => add(`system.${i}`, b));
  (Array.isArray(body.messages) ? body.messages : []).forEach((msg, m) => {
    add(`messages.${m}`, msg);
    if (!Array.isArray(msg?.content)) return;
    msg.content.forEach((b, i) => {
      add(`messages.${m}.content.${i}`, b);
      if (b?.type === 'tool_result' && Array.isArray(b.content)) b.content.forEach((c, k) => add(`messages.${m}.content.${i}.content.${k}`, c));
    });
  });
  if (points.length > 4) reject(`A maximum of 4 blocks with cache_control may be provided. Found ${points.length}.`);
  const firstShort = points.findIndex(([, long]) => !long);
  const late = points.find(([, long], i) => long && firstShort !== -1 && i > firstShort);
  if (late) {
    reject(`${late[0]}.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: \`tools\`, \`system\`, \`messages\`.`);
  }
}

/** Mid-conversation system messages: Opus 4.8 and later, never first, after a user turn, before an assistant turn or last. */
function checkSystemMessages(messages, version) {
  messages.forEach((msg, m) => {
    if (msg.role !== 'system' || messages[m - 1]?.role === 'system') return;
    if (version !== null && version < 408) reject("role 'system' is not supported on this model");
    if (m === 0) reject(`messages.0: use the top-level 'system' parameter for the initial system prompt${DIRECTIVE}`);
    let end = m;
    while (messages[end + 1]?.role === 'system') end++;
    const run = messages.slice(m, end + 1);
    if (run.every((s) => Array.isArray(s.content) && s.content.length === 0 && s.output_config)) return;
    const before = messages[m - 1];
    const lastType = Array.isArray(before.content) ? before.content.at(-1)?.type : undefined;
    const serverEnd = lastType === 'server_tool_use' || (lastType?.endsWith('_tool_result') && lastType !== 'tool_result');
    if (before.role !== 'user' && !(before.role === 'assistant' && serverEnd)) {
      reject(`messages.${m}: role 'system' must follow a 'user' message or an 'assistant' message ending in a server tool result${DIRECTIVE}`);
    }
    const after = messages[end + 1];
    if (after && after.role !== 'assistant') reject(`messages.${m}: role 'system' must precede an 'assistant' message or end the array${DIRECTIVE}`);
  });
}

/** A server tool call without its result in a turn that is over (the last turn, or one answered by tool results only, stays open). */
function checkServerTools(messages) {
  const turns = messages.filter((msg) => msg.role !== 'system');
  turns.forEach((msg, t) => {
    if (msg.role !== 'assistant' || !Array.isArray(msg.content) || t === turns.length - 1) return;
    const next = turns[t + 1];
    const onlyResults = next.role === 'user' && Array.isArray(next.content) && next.content.length > 0 && next.content.every((b) => b?.type === 'tool_result');
    if (onlyResults && t + 1 === turns.length - 1) return;
    const answered = new Set();
    for (const turn of [msg, next.role === 'assistant' ? next : onlyResults ? turns[t + 2] : undefined]) {
      for (const b of Array.isArray(turn?.content) ? turn.content : []) if (b?.type?.endsWith('_tool_result')) answered.add(b.tool_use_id);
    }
    for (const b of msg.content) {
      if (b?.type !== 'server_tool_use' || b.caller || !SERVER_RESULT[b.name] || answered.has(b.id)) continue;
      reject(`messages.${messages.indexOf(msg)}: \`${b.name}\` tool use with id \`${b.id}\` was found without a corresponding \`${SERVER_RESULT[b.name]}\` block`);
    }
  });
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
  if (!['user', 'assistant', 'system'].includes(msg.role)) reject(`messages.${m}.role: Input should be 'user', 'assistant' or 'system'`);
  const fields = msg.role === 'system' ? SYSTEM_MESSAGE_FIELDS : MESSAGE_FIELDS;
  for (const field of Object.keys(msg)) {
    if (!fields.includes(field)) reject(`messages.${m}.${field}: Extra inputs are not permitted`);
  }
  if (typeof msg.content === 'string') return;
  if (!Array.isArray(msg.content)) reject(`messages.${m}.content: Field required`);
  msg.content.forEach((block, b) => {
    const at = `messages.${m}.content.${b}`;
    if (block?.type === 'server_tool_use' && !SERVER_TOOL_ID.test(block.id ?? '')) {
      reject(`${at}.server_tool_use.id: String should match pattern '^srvtoolu_[a-zA-Z0-9_]+$'`);
    }
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
      if (!TOOL_ID.test(block.id ?? '')) reject(`${at}.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
    }
    if (block.type === 'tool_result' && block.is_error === true && (block.content == null || block.content === '' || (Array.isArray(block.content) && block.content.length === 0))) {
      reject(`${at}.tool_result: content cannot be empty if \`is_error\` is true`);
    }
    if (block.type === 'thinking' && typeof block.signature !== 'string') reject(`${at}.thinking.signature: Field required`);
    if (block.type === 'thinking' && block.signature === '' && !block.thinking) reject(`${at}.thinking: each thinking block must contain thinking`);
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

function checkFinal(last, version) {
  if (last?.role !== 'assistant') return;
  const paused = Array.isArray(last.content) && last.content.some((b) => b?.type === 'server_tool_use');
  if (version !== null && version >= 406 && !paused) {
    reject('This model does not support assistant message prefill. The conversation must end with a user message.');
  }
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
