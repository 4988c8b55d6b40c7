// The public API of the whole package (entry `sse-sanitizer`): the stream
// path bound to the full wasm module, plus the request side (normalize,
// validate, rules, auth headers, sanitizeMessage). Every entry (node.js,
// workerd.js, browser.js) loads the module its own way through `loader`, then
// re-exports this. No parsing or rule logic lives here: it converts arguments
// and results.
import { accumulateApi, streamApi, verdictApi } from './stream-api.js';
import { SanitizerError, decoder, optionsJson, toBytes } from './util.js';
import { loader } from './wasm-full.js';

export { SanitizerError };

const { assertReady, pass, takeBody, text } = loader;

/** Loads the wasm module from `source` (URL, bytes, Response, WebAssembly.Module); see load.js. */
export const { init, ready } = loader;

export const { SseParser, createEventStream, StreamSanitizer, createSanitizerStream, sanitize } = streamApi(loader);

export const { accumulate } = accumulateApi(loader);

export const { validateStream } = verdictApi(loader);

const encoder = new TextEncoder();

/**
 * Non-streaming replies: the stream sanitizer's decision on a Message body's
 * `content` (blank text blocks removed, or kept with the placeholder before a
 * thinking block). Returns `{ body, report }`, `body` in the form it was given
 * (the same value when unchanged).
 */
export function sanitizeMessage(body, options = {}) {
  return rewrite((x) => x.sanitize_message, body, options, 'report');
}

/**
 * `{ body, [key] }` of the body export `exportOf(exports)` (normalize,
 * sanitize_message): `key` is what it says (JSON), `body` the new body in the
 * form it was given, or the same value when unchanged.
 */
function rewrite(exportOf, body, options, key) {
  assertReady();
  const [bytes, form] = bodyBytes(body);
  const result = { body, [key]: JSON.parse(text(exportOf(loader.exports)(...pass(bytes, optionsJson(options))))) };
  const out = takeBody();
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
  return rewrite((x) => x.normalize, body, options, 'changes');
}

/** What a strict upstream would reject in `body`: `[{ rule, path, message }]`. */
export function validate(body, options = {}) {
  assertReady();
  return JSON.parse(text(loader.exports.validate(...pass(bodyBytes(body)[0], optionsJson(options)))));
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
  return (catalog ??= deepFreeze(JSON.parse(text(loader.exports.rule_catalog()))));
}

let profileList;
/** The profiles: `[{ id, description }]`. */
export function profiles() {
  assertReady();
  return (profileList ??= deepFreeze(JSON.parse(text(loader.exports.profile_catalog()))));
}

let anomalyClasses;
/** The stream anomaly catalog: `[{ code, summary, sdk }]`. */
export function anomalies() {
  assertReady();
  return (anomalyClasses ??= Object.freeze(JSON.parse(text(loader.exports.anomaly_catalog())).map(Object.freeze)));
}

/** The request headers for an Anthropic call (lowercase names), never both auth headers. */
export function authHeaders(config = {}) {
  assertReady();
  // NOTE: `env` goes as JSON (a Worker's bindings become `{}`); the core reads
  // the two variables it knows and nothing of it is kept.
  return JSON.parse(text(loader.exports.auth_headers(...pass(optionsJson(config)))));
}

/** A key as it may be shown: `sk-ant-…1234`. */
export function redactKey(key) {
  assertReady();
  return text(loader.exports.redact_key(...pass(String(key))));
}
