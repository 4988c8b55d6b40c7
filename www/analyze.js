// What the page shows, computed in the worker from the library's own answers:
// sanitize() with its per-block trace, SseParser, accumulate(), normalize(),
// validate(), rules(). Nothing here decides what is blank, renumbered or held:
// the trace says so. `lib` is the package (the worker passes its import).
import { unifiedDiff } from './diff.js';

/** The profile ids, as the library lists them. */
export const profileIds = (lib) => lib.profiles().map((p) => p.id);
/** The trace actions known today, by code (0 is `kept`); an action a newer sanitizer reports is added after them, by name. */
export const ACTIONS = ['kept', 'renumbered', 'dropped', 'inserted', 'passed', 'truncated'];
/** Row flags. */
export const HELD = 1;
export const PLACEHOLDER = 2;
export const NOTED = 4;
export const DATA_ONLY = 8;

// The history a chat client sends after storing the stream's turns: each turn
// between two user messages (tool results for its tool_use blocks, else a
// follow-up), so that only the turns themselves can be at fault.
const PROMPT = '(the prompt that produced this stream)';
const FOLLOW_UP = '(the next user message)';
const TOOL_RESULT = '(the tool result)';

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function tryJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Error body shapes: Anthropic's `{type:"error",error:{type,message}}`, and OpenAI's/LiteLLM's `{error:{message,type,code}}`. */
export function upstreamError(json) {
  if (!isObject(json) || !isObject(json.error) || typeof json.error.message !== 'string') return null;
  if ('messages' in json || 'log' in json) return null;
  return { type: json.error.type ?? json.error.code ?? null, message: json.error.message };
}

/** The catalog rules whose upstream message (a template) matches `text`, e.g. an error body's message. */
export function rulesForMessage(lib, text) {
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return lib.rules().filter((rule) =>
    [rule.message, ...rule.otherMessages].some((template) => {
      const pattern = template.split(/\{[a-z]+\}/).map(escape).join('[^\\s]*?');
      return new RegExp(pattern).test(text);
    }),
  ).map((r) => r.id);
}

/**
 * What kind of input `bytes` is: `{ kind: 'stream' }`, `{ kind: 'har', json }`,
 * `{ kind: 'request', json }`, `{ kind: 'error-body', error, rules }` or
 * `{ kind: 'error', title, detail }`.
 */
export function classify(lib, bytes) {
  if (bytes.length === 0) return { kind: 'error', title: 'Empty input', detail: 'There is nothing to load: 0 bytes.' };
  // NOTE: only the first byte that is not a BOM or white space decides
  // whether to read the whole input as JSON; a capture is not decoded here.
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d)) at++;
  if (at === bytes.length) return { kind: 'error', title: 'Empty input', detail: `Only whitespace (${bytes.length} bytes): nothing to load.` };
  if (bytes[at] === 0x7b || bytes[at] === 0x5b) {
    const json = tryJson(decoder.decode(bytes.subarray(at)));
    if (json === undefined) {
      // The core's JSON error carries the line and column.
      let detail;
      try {
        lib.validate(bytes);
      } catch (err) {
        detail = err.message;
      }
      return { kind: 'error', title: 'Not valid JSON', detail: detail ?? 'The text starts like JSON but does not parse.' };
    }
    if (isObject(json) && isObject(json.log) && Array.isArray(json.log.entries)) return { kind: 'har', json };
    if (Array.isArray(json) || (isObject(json) && Array.isArray(json.messages))) return { kind: 'request', json };
    const error = upstreamError(json);
    if (error) return { kind: 'error-body', error, rules: rulesForMessage(lib, error.message) };
    return {
      kind: 'error',
      title: 'Unrecognised JSON',
      detail: 'This JSON is not a HAR file, a Messages API request body (an object with `messages`, or a messages array) or an error response body.',
    };
  }
  return { kind: 'stream' };
}

// ---------------------------------------------------------------------------
// Streams

/** `progress` that also records how long each phase took, in `.spent` (ms by phase name, and `total`). */
function phases(progress) {
  const started = performance.now();
  let phase = null;
  let since = started;
  const next = (name) => {
    const now = performance.now();
    if (phase) next.spent[phase] = now - since;
    next.spent.total = now - started;
    [phase, since] = [name, now];
    progress(name);
  };
  next.spent = {};
  return next;
}

/**
 * Every row of the Stream view (one per trace entry) as columns, the report,
 * the sanitized bytes and the verdict on the stored turns.
 */
export async function analyzeStream(lib, bytes, { profile }, onProgress = () => {}, cache = {}) {
  const progress = phases(onProgress);
  progress('sanitizing');
  const { output, report } = lib.sanitize(bytes, { profile, trace: true });
  const trace = report.trace ?? [];
  delete report.trace;
  if (report.eventsSeen === 0 && !trace.some((t) => t.event === null && t.action !== 'passed')) {
    return { kind: 'error', title: 'Not an event stream', detail: 'No server-sent event in this input: it is not an SSE capture, a request body or a HAR file.' };
  }
  progress('reading events');
  // NOTE: `cache` keeps, for this input, what no option changes (the events,
  // their data, the turns as the SDK builds them from the raw bytes, the
  // upstream's answer to each per profile), so a profile change redoes only
  // the sanitizer's part.
  if (!cache.events) {
    const parser = new lib.SseParser();
    cache.events = parser.push(bytes);
    parser.finish();
    cache.data = cache.events.map((e) => tryJson(e.data));
  }
  const { events } = cache;
  const n = trace.length;
  const cols = {
    action: new Uint8Array(n),
    actions: [...ACTIONS],
    flags: new Uint8Array(n),
    event: new Int32Array(n).fill(-1),
    message: new Int32Array(n).fill(-1),
    index: new Int32Array(n).fill(-1),
    newIndex: new Int32Array(n).fill(-1),
    heldUntil: new Int32Array(n).fill(-1),
    inStart: new Float64Array(n).fill(-1),
    inEnd: new Float64Array(n).fill(-1),
    outStart: new Float64Array(n).fill(-1),
    outEnd: new Float64Array(n).fill(-1),
    name: new Array(n).fill(''),
    block: new Array(n).fill(''),
    rule: new Array(n).fill(''),
  };
  // NOTE: a block is keyed by message and index in one number (display only:
  // indices past 2^20 would collide).
  const key = (message, index) => message * 1048576 + index;
  const replaced = new Set(report.blocksReplaced.map((b) => key(b.message, b.index)));
  const noted = new Set(report.notes.map((note) => note.event));
  const blockTypes = new Map();
  const startRows = new Map();
  const messageStarts = [];
  let message = -1;
  for (let i = 0; i < n; i++) {
    const t = trace[i];
    if (!cols.actions.includes(t.action)) cols.actions.push(t.action);
    cols.action[i] = cols.actions.indexOf(t.action);
    if (t.rule) cols.rule[i] = t.rule;
    if (t.input) [cols.inStart[i], cols.inEnd[i]] = t.input;
    if (t.output) [cols.outStart[i], cols.outEnd[i]] = t.output;
    if (t.heldUntil !== undefined) {
      cols.heldUntil[i] = t.heldUntil;
      cols.flags[i] |= HELD;
    }
    if (t.newIndex !== undefined) cols.newIndex[i] = t.newIndex;
    let event = null;
    let data;
    if (t.event !== null && t.event < events.length) {
      event = events[t.event];
      data = cache.data[t.event];
      cols.event[i] = t.event;
      if (noted.has(t.event)) cols.flags[i] |= NOTED;
    } else if (t.action === 'inserted' && t.output) {
      const p = new lib.SseParser();
      [event] = p.push(output.subarray(t.output[0], t.output[1]));
      p.finish();
      data = event && tryJson(event.data);
    }
    cols.message[i] = message;
    if (!event) {
      if (t.event === null && t.action !== 'passed' && t.action !== 'truncated') cols.name[i] = '(comment)';
      continue;
    }
    const type = isObject(data) && typeof data.type === 'string' ? data.type : null;
    if (type === 'message_start' && t.action !== 'inserted') {
      cols.message[i] = ++message;
      messageStarts.push(i);
    }
    cols.name[i] = event.type === 'message' && type ? type : event.type;
    if (event.type === 'message' && type) cols.flags[i] |= DATA_ONLY;
    const index = typeof data?.index === 'number' ? data.index : (t.index ?? -1);
    cols.index[i] = index;
    if (index < 0 || !type?.startsWith('content_block')) continue;
    const k = key(message, index);
    if (type === 'content_block_start') {
      blockTypes.set(k, data.content_block?.type ?? '');
      if (!startRows.has(k)) startRows.set(k, i);
    }
    const delta = data.delta?.type;
    cols.block[i] = delta ? `${blockTypes.get(k) ?? ''} · ${delta}` : (blockTypes.get(k) ?? '');
    if (replaced.has(k)) cols.flags[i] |= PLACEHOLDER;
  }
  progress('accumulating turns');
  const { verdict, kept } = await streamVerdict(lib, bytes, output, report, { cols, messageStarts, startRows: (m, b) => startRows.get(key(m, b)) ?? -1, profile, progress, cache });
  progress('done');
  // `kept` (the accumulated turns) stays in the worker; the rest is posted.
  return { kind: 'stream', output, report, cols, eventCount: events.length, verdict, firstChange: firstChange(cols), timing: progress.spent, kept };
}

function firstChange(cols) {
  for (let i = 0; i < cols.action.length; i++) if (cols.action[i] !== 0 || cols.flags[i] & (PLACEHOLDER | NOTED)) return i;
  return -1;
}

/** accumulate() of `bytes[start, end)`: `{ message }`, or the `{ error }` it raises (as the SDK's finalMessage() would). */
async function accumulateRange(lib, bytes, start, end) {
  try {
    return { message: await lib.accumulate(bytes.subarray(start, end)) };
  } catch (err) {
    return { error: { code: err.code ?? err.name, message: err.message } };
  }
}

/** The request a client sends next with this turn stored: the turn between two user messages (tool results for its tool_use blocks). */
function turnMessages(message) {
  const content = Array.isArray(message.content) ? message.content : [];
  const toolUses = content.filter((b) => b?.type === 'tool_use' && typeof b.id === 'string');
  return [
    { role: 'assistant', content },
    { role: 'user', content: toolUses.length ? toolUses.map((b) => ({ type: 'tool_result', tool_use_id: b.id, content: TOOL_RESULT })) : FOLLOW_UP },
  ];
}

const turnBody = (message) => ({ model: message.model ?? 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: PROMPT }, ...turnMessages(message)] });

/** The next request with every stored turn of the stream, one after the other (the History view of a stream). */
export function replayRequest(turns) {
  const stored = turns.filter((t) => t.message).map((t) => t.message);
  return { model: stored[0]?.model ?? 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: PROMPT }, ...stored.flatMap(turnMessages)] };
}

/** validate() of one stored turn: only what concerns the turn itself (messages.1), with its turn and block number. */
function turnViolations(lib, body, turn, profile) {
  const out = [];
  for (const v of lib.validate(body, { profile })) {
    const m = /^\/messages\/1(?:\/content\/(\d+))?(?:\/|$)/.exec(v.path);
    if (m) out.push({ ...v, turn, block: m[1] === undefined ? -1 : Number(m[1]) });
  }
  return out;
}

/**
 * What a strict upstream answers when each stored turn is sent back, under
 * `profile`: before and after sanitizing, and whether normalize() on the next
 * request fixes what is left. `turns` comes from {@link analyzeStream} (`kept`).
 */
export function profileVerdict(lib, { rawTurns, cleanTurns, messageStarts, startRows, rawViolations }, profile) {
  const before = [];
  const after = [];
  const fixed = new Set();
  let unfixed = 0;
  const answers = (rawViolations[profile] ??= rawTurns.map((t, k) => (t.message ? turnViolations(lib, turnBody(t.message), k, profile) : [])));
  for (let k = 0; k < rawTurns.length; k++) {
    const raw = answers[k];
    before.push(...raw.map((v) => ({ ...v, row: v.block >= 0 ? startRows(k, v.block) : messageStarts[k] })));
    const clean = cleanTurns[k] === rawTurns[k] ? raw : cleanTurns[k].message ? turnViolations(lib, turnBody(cleanTurns[k].message), k, profile) : [];
    after.push(...clean);
    if (clean.length) {
      const { body, changes } = lib.normalize(turnBody(cleanTurns[k].message), { profile });
      if (turnViolations(lib, body, k, profile).length) unfixed++;
      else for (const c of changes) fixed.add(c.rule);
    }
  }
  return { before, after, normalized: after.length ? { unfixed, rules: [...fixed] } : null };
}

/**
 * What a strict consumer makes of the stream, turn by turn: whether the SDK
 * builds a message at all, and (under `profile`; the other profile is asked
 * for afterwards, see {@link profileVerdict}) what the upstream answers when
 * the stored turn is sent back. Only the turns the sanitizer changed are
 * accumulated twice.
 */
async function streamVerdict(lib, bytes, output, report, { cols, messageStarts, startRows, profile, progress, cache }) {
  const count = messageStarts.length;
  const end = (column, k, length) => (k + 1 < count ? cols[column][messageStarts[k + 1]] : length);
  const changed = new Set();
  for (let i = 0; i < cols.action.length; i++) if ((cols.action[i] !== 0 || cols.flags[i] & PLACEHOLDER) && cols.message[i] >= 0) changed.add(cols.message[i]);
  if (!cache.rawTurns) {
    cache.rawTurns = [];
    for (let k = 0; k < count; k++) cache.rawTurns.push(await accumulateRange(lib, bytes, cols.inStart[messageStarts[k]], end('inStart', k, bytes.length)));
  }
  const { rawTurns } = cache;
  const cleanTurns = [];
  for (let k = 0; k < count; k++) {
    const out = cols.outStart[messageStarts[k]];
    cleanTurns.push(changed.has(k) && out >= 0 ? await accumulateRange(lib, output, out, end('outStart', k, output.length)) : rawTurns[k]);
  }
  progress('validating the stored turns');
  const turns = { rawTurns, cleanTurns, messageStarts, startRows, rawViolations: (cache.rawViolations ??= {}) };
  const nonClaude = report.notes.filter((n) => n.code === 'non-claude-event').length;
  const verdict = {
    turns: rawTurns.map((t) => ({ error: t.error ?? null })),
    verdicts: { [profile]: profileVerdict(lib, turns, profile) },
    // Not a Claude stream at all (e.g. an OpenAI chat.completions stream).
    foreign: count === 0 && nonClaude > 0,
    openai: count === 0 && /"object"\s*:\s*"chat\.completion\.chunk"/.test(decoder.decode(bytes.subarray(0, 4096))),
    // validateStream() (stream lifecycle anomalies with the SDK's error text), where the package has it.
    anomalies: typeof lib.validateStream === 'function' ? lib.validateStream(bytes) : null,
    message: count === 1 ? (rawTurns[0].message ?? null) : null,
  };
  return { verdict, kept: { ...turns, replay: () => replayRequest(rawTurns) } };
}

// ---------------------------------------------------------------------------
// Request histories

/** normalize() and validate() of a body, both profiles, and the diff under `profile`. */
export function analyzeRequest(lib, body, { profile, strictFields }) {
  const verdicts = {};
  let shown;
  for (const p of profileIds(lib)) {
    const result = lib.normalize(body, { profile: p, strictFields });
    verdicts[p] = { before: lib.validate(body, { profile: p }), after: lib.validate(result.body, { profile: p }) };
    if (p === profile) shown = result;
  }
  const before = JSON.stringify(body, null, 2);
  const after = shown.body === body ? before : JSON.stringify(shown.body, null, 2);
  return { kind: 'request', verdicts, changes: shown.changes, normalized: shown.body, diff: unifiedDiff(before, after) };
}

// ---------------------------------------------------------------------------
// HAR files

const MESSAGES_URL = /\/v1\/messages(\/count_tokens)?(\?|$)/;

function entryBody(content) {
  const text = content?.text ?? '';
  if (content?.encoding === 'base64') return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new TextEncoder().encode(text);
}

/**
 * The Messages API calls (and any event stream) of a HAR: `[{ i, method, url,
 * status, statusText, request (the JSON body, when it is one), stream (the
 * response is an event stream), responseBytes }]`.
 */
export function harEntries(har) {
  const out = [];
  for (const [i, entry] of har.log.entries.entries()) {
    const request = entry?.request ?? {};
    const response = entry?.response ?? {};
    const isMessages = request.method === 'POST' && MESSAGES_URL.test(request.url ?? '');
    const isStream = /text\/event-stream/i.test(response.content?.mimeType ?? '');
    if (!isMessages && !isStream) continue;
    const body = request.postData?.text ? tryJson(request.postData.text) : undefined;
    out.push({
      i,
      method: request.method ?? '',
      url: request.url ?? '',
      status: typeof response.status === 'number' ? response.status : 0,
      statusText: response.statusText ?? '',
      request: body !== undefined && (Array.isArray(body) || Array.isArray(body?.messages)) ? body : null,
      stream: isStream,
      responseBytes: entryBody(response.content),
    });
  }
  return out;
}

/** The triage line of one entry: status, upstream error text, request and stream verdicts. */
export async function triageEntry(lib, entry, options) {
  const row = { i: entry.i, method: entry.method, url: entry.url, status: entry.status, statusText: entry.statusText, stream: entry.stream };
  if (entry.request) {
    const count = (profile) => lib.validate(entry.request, { profile });
    const ids = profileIds(lib);
    const before = Object.fromEntries(ids.map((p) => [p, count(p)]));
    row.request = {
      messages: (entry.request.messages ?? entry.request).length,
      before: Object.fromEntries(ids.map((p) => [p, before[p].length])),
      first: before[options.profile][0]?.message ?? null,
      changes: lib.normalize(entry.request, options).changes.length,
    };
  }
  const found = classify(lib, entry.responseBytes);
  if (found.kind === 'error-body') row.error = { ...found.error, rules: found.rules };
  else if (entry.stream && found.kind === 'stream') {
    const s = await analyzeStream(lib, entry.responseBytes, options, undefined, (entry.cache ??= {}));
    if (s.kind === 'stream') {
      const v = s.verdict.verdicts[options.profile];
      row.response = {
        dropped: s.report.blocksDropped.length,
        replaced: s.report.blocksReplaced.length,
        truncated: s.report.truncated,
        notes: [...new Set(s.report.notes.map((n) => n.code))],
        before: v.before.length,
        first: v.before[0]?.message ?? null,
        after: v.after.length,
        sdkError: s.verdict.turns.find((t) => t.error)?.error ?? null,
      };
    }
  }
  return row;
}
