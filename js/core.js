// The public API of the whole package (entry `sse-sanitizer`): the stream
// path bound to the full wasm module, plus the request side (normalize,
// validate, rules, auth headers, sanitizeMessage). Every entry (node.js,
// workerd.js, browser.js) loads the module its own way through `loader`, then
// re-exports this. No parsing or rule logic lives here: it converts arguments
// and results.
import { streamApi } from './stream-api.js';
import { SanitizerError, decoder, optionsJson, toBytes } from './util.js';
import { glue, loader } from './wasm-full.js';

export { SanitizerError };

const { assertReady, check } = loader;
const { normalizeBytes, profileCatalog, ruleCatalog, sanitizeMessageBytes, validateBytes } = glue;

/** Loads the wasm module from `source` (URL, bytes, Response, WebAssembly.Module); see load.js. */
export const { init, ready } = loader;

export const { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize, accumulate, validateStream } =
  streamApi(glue, loader);

const encoder = new TextEncoder();

/**
 * Non-streaming replies: the stream sanitizer's decision on a Message body's
 * `content` (blank text blocks removed, or kept with the placeholder before a
 * thinking block). Returns `{ body, report }`, `body` in the form it was given
 * (the same value when unchanged).
 */
export function sanitizeMessage(body, options = {}) {
  assertReady();
  const [bytes, form] = bodyBytes(body);
  const [out, report] = check(sanitizeMessageBytes(bytes, optionsJson(options)));
  const result = { body, report: JSON.parse(report) };
  if (out !== null) result.body = fromBytes(out, form);
  return result;
}

/** Body → [bytes, form]; form is 'string', 'bytes' or 'object'. */
function bodyBytes(body) {
  if (typeof body === 'string') return [encoder.encode(body), 'string'];
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return [toBytes(body), 'bytes'];
  if (body !== null && typeof body === 'object') return [encoder.encode(JSON.stringify(body)), 'object'];
  throw new SanitizerError('invalid-input', `expected a request body (object, JSON string or bytes), got ${body === null ? 'null' : typeof body}`);
}

function fromBytes(bytes, form) {
  if (form === 'bytes') return bytes;
  const text = decoder.decode(bytes);
  return form === 'string' ? text : JSON.parse(text);
}

/**
 * Normalizes a Messages API request body (or a bare messages array) so a strict
 * upstream accepts it. Returns `{ body, changes }` with `body` in the form it
 * was given (object, JSON string or bytes); the same value when unchanged.
 */
export function normalize(body, options = {}) {
  assertReady();
  const [bytes, form] = bodyBytes(body);
  const [out, changes] = check(normalizeBytes(bytes, optionsJson(options)));
  const result = { body, changes: JSON.parse(changes) };
  if (out !== null) result.body = fromBytes(out, form);
  return result;
}

/** What a strict upstream would reject in `body`: `[{ rule, path, message }]`. */
export function validate(body, options = {}) {
  assertReady();
  return JSON.parse(check(validateBytes(bodyBytes(body)[0], optionsJson(options))));
}

/** `value` frozen all the way down. */
function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

let catalog;
/** The rules catalog: `[{ id, profiles, fix, optIn, message, otherMessages, messages, sources, note }]`. */
export function rules() {
  assertReady();
  return (catalog ??= deepFreeze(JSON.parse(ruleCatalog())));
}

let profileList;
/** The profiles: `[{ id, description }]`. */
export function profiles() {
  assertReady();
  return (profileList ??= deepFreeze(JSON.parse(profileCatalog())));
}

let anomalyClasses;
/** The stream anomaly catalog: `[{ code, summary, sdk }]`. */
export function anomalies() {
  assertReady();
  return (anomalyClasses ??= Object.freeze(JSON.parse(glue.anomalyCatalog()).map(Object.freeze)));
}

/** The request headers for an Anthropic call (lowercase names), never both auth headers. */
export function authHeaders(config = {}) {
  assertReady();
  // NOTE: `env` goes as JSON (a Worker's bindings become `{}`); the core reads
  // the two variables it knows and nothing of it is kept.
  const flat = check(glue.authHeaders(optionsJson(config)));
  const headers = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]] = flat[i + 1];
  return headers;
}

/** A key as it may be shown: `sk-ant-…1234`. */
export function redactKey(key) {
  assertReady();
  return glue.redactKey(String(key));
}
