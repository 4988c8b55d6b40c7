// The one Messages API proxy path, shared by the Worker (worker.js) and
// sanitizingFetch (fetch.js): which calls it handles, the request body, the
// upstream call and the reply. Not part of the public API. The decisions
// (auth, limits, what normalize and the sanitizer do) are the core's; this
// module wires HTTP and streams around them.
import { StreamSanitizer, normalize, sanitizeMessage } from './core.js';
import { inputOf } from './load.js';
import { SanitizerError } from './util.js';
import { loader } from './wasm-full.js';

const { callWithInput, check, owned, pass, text } = loader;

const ROUTES = { '/v1/messages': 'messages', '/v1/messages/count_tokens': 'count_tokens' };

/**
 * The Messages route `pathname` ends with: `{ route, prefix }`, `route` being
 * `messages` or `count_tokens` and `prefix` the path before it (`''` when
 * the path is the route itself); undefined for any other path.
 */
export function messagesRoute(pathname) {
  for (const [path, route] of Object.entries(ROUTES)) {
    if (pathname.endsWith(path)) return { route, prefix: pathname.slice(0, -path.length) };
  }
  return undefined;
}

/** The core's default `maxBodyBytes`. */
export function defaultMaxBodyBytes() {
  return loader.exports.default_max_body_bytes();
}

/** An error that reaches the client as a response in Anthropic's error shape. */
export class ProxyError extends Error {
  constructor(status, type, message, { retry } = {}) {
    super(message);
    this.status = status;
    this.type = type;
    this.retry = retry;
  }
}

/**
 * A response in Anthropic's error shape. `x-should-retry: false` (which the
 * official SDKs obey) when retrying cannot help.
 */
export function errorResponse(status, type, message, headers = {}, { retry } = {}) {
  const extra = retry === false ? { 'x-should-retry': 'false' } : {};
  return new Response(JSON.stringify({ type: 'error', error: { type, message } }), {
    status,
    headers: { ...headers, ...extra, 'content-type': 'application/json' },
  });
}

/** `errorResponse` for a ProxyError. */
export function proxyErrorResponse(err, headers) {
  return errorResponse(err.status, err.type, err.message, headers, { retry: err.retry });
}

/** normalize() of a request body; a body it refuses is a 400 invalid_request_error. */
export function normalizeBody(bytes, options) {
  try {
    return normalize(bytes, options);
  } catch (err) {
    if (err instanceof SanitizerError) throw new ProxyError(400, 'invalid_request_error', `invalid request body: ${err.message}`);
    throw err;
  }
}

/**
 * Checks normalize and sanitizer options the way each request will use them
 * (a dry run on an empty history and stream); throws SanitizerError.
 */
export function checkOptions(normalizeOptions, sanitizerOptions) {
  normalize('[]', normalizeOptions);
  new StreamSanitizer(sanitizerOptions).finish();
}

/** Checked forwarding settings of the Worker; see `auth::Forwarding` in the core. */
export class Forwarding {
  #inner;

  /**
   * `{ mode, upstreamUrl, upstreamKey, clientKeys, keepClientHeaders }`, the
   * lists comma-separated; throws SanitizerError.
   */
  constructor({ mode, upstreamUrl, upstreamKey, clientKeys = '', keepClientHeaders = '' }) {
    const args = pass(String(mode), String(upstreamUrl), String(upstreamKey || ''), String(clientKeys), String(keepClientHeaders));
    this.#inner = owned(this, check(loader.exports.forwarding_create(...args)));
    /** Secret mode: () => a redactor of the upstream key, for every reply. */
    this.makeRedactor = mode === 'secret' ? () => new Redactor(upstreamKey) : undefined;
  }

  /** The upstream request headers for a client's; a refused credential is a 400 or 401. */
  headers(client) {
    let lines = '';
    for (const [name, value] of client) if (!isHopByHop(name) && !NOT_FORWARDED.has(name)) lines += `${name}\n${value}\n`;
    let out;
    try {
      out = text(loader.exports.forwarding_headers(this.#inner, ...pass(lines))).split('\n');
    } catch (e) {
      if (!(e instanceof SanitizerError)) throw e;
      const denied = e.code === 'missing-client-key' || e.code === 'unknown-client-key';
      throw denied ? new ProxyError(401, 'authentication_error', e.message) : new ProxyError(400, 'invalid_request_error', e.message);
    }
    const headers = new Headers();
    for (let i = 0; i + 1 < out.length; i += 2) headers.append(out[i], out[i + 1]);
    return headers;
  }
}

/** Replaces a secret in a byte stream (`auth::Redactor` in the core); `free()` when done. */
class Redactor {
  #input;

  constructor(secret) {
    const x = loader.exports;
    const handle = owned(this, check(x.redactor_create(...pass(String(secret)))));
    this.#input = inputOf(handle, x.redactor_reserve, x.redactor_push);
  }

  /** The bytes `chunk` makes final. */
  push(chunk) {
    return loader.output(callWithInput(this.#live(), chunk)).slice();
  }

  /** The bytes still held. */
  finish() {
    return loader.output(check(loader.exports.redactor_finish(this.#live().handle))).slice();
  }

  // NOTE: a freed handle's slot may hold another object by now.
  #live() {
    if (this.#input === undefined) throw new SanitizerError('finished', 'the redactor was already freed');
    return this.#input;
  }

  free() {
    if (this.#input === undefined) return;
    loader.drop(this, this.#input.handle);
    this.#input = undefined;
  }
}

// Hop-by-hop headers (RFC 9110 7.6.1), never forwarded either way.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const isHopByHop = (name) => HOP_BY_HOP.has(name) || name.startsWith('proxy-');
// Request headers the runtime sets itself, and `origin`: a proxy is the CORS
// boundary (the Anthropic API treats a request with an Origin as a browser request).
const NOT_FORWARDED = new Set(['host', 'content-length', 'origin']);

/**
 * Calls the upstream with `redirect: 'manual'`: a redirect is never followed
 * (the credential would go along to wherever it points, and the reply would
 * come back as the upstream's); it becomes a 502 api_error that says so.
 * Network errors are thrown as they are.
 */
export async function callUpstream(fetch, url, init) {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => {});
    const status = response.status || 'a redirect';
    throw new ProxyError(502, 'api_error', `the upstream answered with a redirect (${status}); redirects are not followed: check the upstream URL`, { retry: false });
  }
  return response;
}

/** The essence of a Content-Type value, lowercase (`text/event-stream`). */
export function mediaType(value) {
  return (value ?? '').split(';')[0].trim().toLowerCase();
}

/** Whether a media type (from mediaType()) is JSON. */
export const isJson = (type) => type === 'application/json' || type.endsWith('+json');

// Content codings every fetch() implementation decodes itself (keeping the
// header), and the DecompressionStream format for the ones it may not have.
const FETCH_DECODES = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'zstd']);
const FORMATS = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate' };

/** Whether `bytes` start like data in `coding` (not yet decoded). */
function looksEncoded(bytes, coding) {
  const [a, b, c, d] = bytes;
  if (coding === 'gzip' || coding === 'x-gzip') return a === 0x1f && b === 0x8b;
  // A zlib header: method 8 and a check over the first two bytes.
  if (coding === 'deflate') return (a & 0x0f) === 8 && ((a << 8) | b) % 31 === 0;
  if (coding === 'zstd') return a === 0x28 && b === 0xb5 && c === 0x2f && d === 0xfd;
  return false;
}

function supportsFormat(format) {
  try {
    new DecompressionStream(format);
    return true;
  } catch {
    return false;
  }
}

/** `reader`'s stream again, `first` in front. */
function prepend(first, reader) {
  return new ReadableStream(
    {
      start(controller) {
        if (first.length > 0) controller.enqueue(first);
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * The body of `response` decoded: `{ body, decoded }`, `decoded` false when
 * it is still in a content coding nobody here can read (then `body` is the
 * bytes as they came, to pass on with their header).
 * NOTE: fetch() decodes the codings it supports but keeps the header, and
 * which ones it supports depends on the runtime (workerd: gzip and br, not
 * deflate); so the first bytes tell: still in the coding's format → decode
 * here when DecompressionStream can; otherwise the runtime did it.
 */
async function decodedBody(response) {
  const codings = (response.headers.get('content-encoding') ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 || !response.body) return { body: response.body, decoded: true };
  const reader = response.body.getReader();
  let first = new Uint8Array(0);
  while (first.length < 4) {
    const { done, value } = await reader.read();
    if (done) break;
    first = concat(first, value);
  }
  const body = prepend(first, reader);
  if (!looksEncoded(first, codings.at(-1))) return { body, decoded: codings.every((c) => FETCH_DECODES.has(c)) };
  const formats = codings.map((c) => FORMATS[c]).reverse();
  if (!formats.every((f) => f && supportsFormat(f))) return { body, decoded: false };
  return { body: formats.reduce((stream, f) => stream.pipeThrough(new DecompressionStream(f)), body), decoded: true };
}

/** Whether `tail` (the last bytes written) ends an SSE event (or nothing was written). */
function atEventEnd(tail) {
  const n = tail.length;
  if (n === 0) return true;
  const last2 = n >= 2 ? String.fromCharCode(tail[n - 2], tail[n - 1]) : '';
  return last2 === '\n\n' || last2 === '\r\r' || (n >= 4 && String.fromCharCode(...tail.subarray(n - 4)) === '\r\n\r\n');
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(a, b) {
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * `source` through the sanitizer (when `sanitizer` options are given) and the
 * redactor (when given), pulled as the client reads. When the source ends or
 * fails (a reset upstream), the sanitizer finishes: what it held comes out
 * (with `onTruncated: 'error-event'`, one error event after it) and the
 * stream closes cleanly. When it passed the rest of a stream through after a
 * too-long line, a closing SSE comment says so (clients ignore comments; a
 * person reading the capture sees it). `onEnd(report, error)` is called once.
 */
function transformBody(source, { sanitizer: options, redactor, onEnd }) {
  const reader = source.getReader();
  const sanitizer = options && new StreamSanitizer(options);
  let tail = new Uint8Array(0);
  let cancelled = false;
  const emit = (controller, bytes) => {
    const out = redactor ? redactor.push(bytes) : bytes;
    if (out.length === 0) return false;
    controller.enqueue(out);
    tail = out.length >= 4 ? out.slice(-4) : concat(tail, out).slice(-4);
    return true;
  };
  const end = (controller, error) => {
    let report = null;
    if (sanitizer) {
      const { output, report: final } = sanitizer.finish();
      report = final;
      emit(controller, output);
      const overflow = report.notes.find((n) => n.code === 'max-buffer-exceeded');
      if (overflow && atEventEnd(tail)) emit(controller, encoder.encode(`: sse-sanitizer: max-buffer-exceeded: ${overflow.detail}\n\n`));
    }
    if (redactor) {
      const rest = redactor.finish();
      redactor.free();
      if (rest.length > 0) controller.enqueue(rest);
    }
    onEnd?.(report, error);
    controller.close();
  };
  return new ReadableStream(
    {
      // NOTE: loops until it enqueues or ends: a pull that enqueues nothing
      // (the sanitizer holding a partial event) is not called again.
      async pull(controller) {
        for (;;) {
          let r;
          try {
            r = await reader.read();
          } catch (err) {
            if (!cancelled) end(controller, err);
            return;
          }
          // NOTE: a read pending when the client cancelled ends here, after
          // cancel() finished the sanitizer and freed the redactor.
          if (cancelled) return;
          if (r.done) return end(controller);
          if (emit(controller, sanitizer ? sanitizer.push(r.value) : r.value)) return;
        }
      },
      cancel(reason) {
        cancelled = true;
        // NOTE: frees the sanitizer's wasm memory now rather than at GC.
        sanitizer?.finish();
        redactor?.free();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** `bytes` with the secret replaced, by a redactor from `makeRedactor`. */
function redactAll(makeRedactor, bytes) {
  const redactor = makeRedactor();
  const out = concat(redactor.push(bytes), redactor.finish());
  redactor.free();
  return out;
}

/** The client's headers for `upstream`'s: hop-by-hop ones dropped, `extra` set, the secret redacted. */
function replyHeaders(upstream, { extra, rewritten, makeRedactor }) {
  const headers = new Headers();
  for (const [name, value] of upstream.headers) {
    if (isHopByHop(name)) continue;
    // A rewritten body has another length, and is no longer encoded; a
    // redacted one may have another length.
    if ((rewritten || makeRedactor) && name === 'content-length') continue;
    if (rewritten && name === 'content-encoding') continue;
    headers.append(name, makeRedactor ? decoder.decode(redactAll(makeRedactor, encoder.encode(value))) : value);
  }
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return headers;
}

/**
 * The client's response for an upstream response. `options`:
 *   route         'messages' | 'count_tokens'
 *   sanitizer     the sanitizer options
 *   headers       extra response headers
 *   keep          return `upstream` itself when its body needs nothing (then without `headers`)
 *   makeRedactor  () => a redactor of the secret to scrub from every reply, headers and body
 *   onReport      (report | null), called once, when the reply has been read to its end
 *   log           (message): what the operator should know and the client cannot see
 * An OK `text/event-stream` reply of the messages route is decoded and
 * sanitized in flight (see transformBody for its end); an OK JSON one is read
 * whole and sanitized (cut off: a 502 api_error). Either in a content coding
 * nobody here can decode passes with its header, unsanitized (logged).
 * Anything else passes as it came.
 */
export async function reply(upstream, { route, sanitizer, headers: extra = {}, keep = false, makeRedactor, onReport, log }) {
  const type = mediaType(upstream.headers.get('content-type'));
  const ours = upstream.ok && upstream.body !== null && route === 'messages';
  const isStream = ours && type === 'text/event-stream';
  const isMessage = ours && isJson(type);
  const respond = (body, rewritten) =>
    new Response(body, { status: upstream.status, statusText: upstream.statusText, headers: replyHeaders(upstream, { extra, rewritten, makeRedactor }) });
  if (!isStream && !isMessage) {
    onReport?.(null);
    if (keep && !makeRedactor) return upstream;
    return respond(makeRedactor && upstream.body ? transformBody(upstream.body, { redactor: makeRedactor() }) : upstream.body, false);
  }

  const { body, decoded } = await decodedBody(upstream);
  if (!decoded) {
    log?.(`sse-sanitizer: content-encoding ${upstream.headers.get('content-encoding')} cannot be decoded here; the reply passes unsanitized`);
    onReport?.(null);
    return respond(makeRedactor ? transformBody(body, { redactor: makeRedactor() }) : body, false);
  }
  if (isMessage) {
    let bytes;
    try {
      bytes = new Uint8Array(await new Response(body).arrayBuffer());
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      log?.(`sse-sanitizer: the upstream reply was cut off: ${err?.message ?? err}`);
      throw new ProxyError(502, 'api_error', 'the upstream reply was cut off before its end');
    }
    const { body: out, report } = sanitizeMessage(bytes, sanitizer);
    onReport?.(report);
    return respond(makeRedactor ? redactAll(makeRedactor, out) : out, true);
  }
  const onEnd = (report, error) => {
    if (report.truncated) log?.(`sse-sanitizer: the upstream stream was truncated (${error ? `failed: ${error?.message ?? error}` : 'ended early'})`);
    for (const note of report.notes) if (note.code === 'max-buffer-exceeded') log?.(`sse-sanitizer: max-buffer-exceeded: ${note.detail}`);
    onReport?.(report);
  };
  return respond(transformBody(body, { sanitizer, redactor: makeRedactor?.(), onEnd }), true);
}
