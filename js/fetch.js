// sanitizingFetch: a fetch wrapper for the Anthropic SDKs. Only argument and
// header plumbing lives here; the work is done by normalize(), authHeaders(),
// createSanitizerStream() and sanitizeMessage().
import { authHeaders, createSanitizerStream, normalize, ready, sanitizeMessage } from './core.js';

const MESSAGES = /\/v1\/messages(\/count_tokens)?\/?$/;

/** The credential the caller already put on the request, without its scheme. */
function callerKey(headers) {
  const apiKey = headers.get('x-api-key');
  if (apiKey) return apiKey;
  const authorization = headers.get('authorization');
  return authorization ? authorization.replace(/^bearer\s+/i, '') : undefined;
}

/**
 * Wraps `fetch` so that Messages API calls (`POST …/v1/messages` and
 * `…/v1/messages/count_tokens`) are made safe for a strict upstream:
 * the JSON request body is normalized, the auth headers follow the auth rules
 * (exactly one of `x-api-key` / `authorization`), and the reply is sanitized:
 * a `text/event-stream` body through `createSanitizerStream()`, a JSON Message
 * through `sanitizeMessage()`. Every other request passes through untouched.
 *
 * `options`: the normalizer options (`profile`, `strictFields`, `rules`), the
 * sanitizer options (`dropWhitespaceOnlyText`), limits, `auth` (an AuthConfig
 * merged under the caller's own key and the request's origin as `baseURL`;
 * `false` leaves the headers alone) and `onReport({ url, changes, response })`,
 * called once per Messages call when its reply has been read to the end.
 */
export function sanitizingFetch(fetch = globalThis.fetch, options = {}) {
  if (typeof fetch !== 'function') throw new TypeError('sanitizingFetch(fetch, options): fetch must be a function');
  const { auth = {}, onReport, ...rest } = options;

  return async function sanitizedFetch(input, init = {}) {
    // NOTE: decide from the arguments before making a Request: a Request made
    // from a Request takes over (and so uses up) the original's body.
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const method = (init.method ?? (isRequest ? input.method : 'GET')).toUpperCase();
    const url = new URL(isRequest ? input.url : String(input), globalThis.location?.href);
    if (method !== 'POST' || !MESSAGES.test(url.pathname)) return fetch(input, init);
    const request = isRequest ? new Request(input, init) : new Request(url, init);
    const countTokens = url.pathname.replace(/\/$/, '').endsWith('/count_tokens');

    const headers = new Headers(request.headers);
    const raw = new Uint8Array(await request.arrayBuffer());
    await ready;
    let body = raw;
    let changes = [];
    if (raw.length > 0 && /json/i.test(headers.get('content-type') ?? 'application/json')) {
      ({ body, changes } = normalize(raw, rest));
    }
    if (auth !== false) {
      const key = callerKey(headers);
      const resolved = authHeaders({
        baseURL: url.origin,
        anthropicVersion: headers.get('anthropic-version') ?? undefined,
        anthropicBeta: headers.get('anthropic-beta') ?? undefined,
        ...auth,
        apiKey: key ?? auth.apiKey,
      });
      headers.delete('x-api-key');
      headers.delete('authorization');
      for (const [name, value] of Object.entries(resolved)) headers.set(name, value);
    }
    headers.delete('content-length');

    const response = await fetch(request.url, {
      method: 'POST',
      headers,
      body,
      signal: request.signal,
      redirect: request.redirect,
    });
    const report = (responseReport) => onReport?.({ url: request.url, changes, response: responseReport });
    const type = response.headers.get('content-type') ?? '';
    if (countTokens || !response.ok || !response.body) {
      report(null);
      return response;
    }
    const responseHeaders = new Headers(response.headers);
    responseHeaders.delete('content-length');
    const init2 = { status: response.status, statusText: response.statusText, headers: responseHeaders };
    if (type.includes('text/event-stream')) {
      const stream = response.body.pipeThrough(createSanitizerStream({ ...rest, onReport: report }));
      return new Response(stream, init2);
    }
    if (type.includes('json')) {
      const { body: out, report: messageReport } = sanitizeMessage(new Uint8Array(await response.arrayBuffer()), rest);
      report(messageReport);
      return new Response(out, init2);
    }
    report(null);
    return response;
  };
}
