// sanitizingFetch: a fetch wrapper for the Anthropic SDKs. Argument and header
// plumbing only; the request and reply go through the proxy path the Worker
// uses too (proxy.js).
import { SanitizerError, authHeaders, ready } from './core.js';
import { loader } from './wasm-full.js';
import { ProxyError, callUpstream, checkOptions, isJson, mediaType, messagesRoute, normalizeBody, proxyErrorResponse, reply } from './proxy.js';

// What a Request carries that fetch() takes as init options (besides method,
// headers, body, signal and redirect, which are set here).
const REQUEST_OPTIONS = ['cache', 'credentials', 'duplex', 'integrity', 'keepalive', 'mode', 'priority', 'referrer', 'referrerPolicy'];

/**
 * Wraps `fetch` so that Messages API calls (`POST …/v1/messages` and
 * `…/v1/messages/count_tokens`) are made safe for a strict upstream:
 * the JSON request body is normalized, the auth headers follow the auth rules
 * (exactly one of `x-api-key` / `authorization`), and the reply is sanitized:
 * a `text/event-stream` body in flight, a JSON Message whole. Every other
 * request passes through untouched.
 *
 * Every init option the caller gives (an undici `dispatcher`, `keepalive`,
 * `cache`, …) reaches `fetch`, except `redirect`: a Messages call never
 * follows a redirect (the key would go along); the SDK gets a 502 api_error
 * instead, as it does for a body normalize() refuses (a 400
 * invalid_request_error), neither retried. A stream cut before its end ends
 * with an error event (`onTruncated`, default `'error-event'` here).
 *
 * `options`: the normalizer options (`profile`, `strictFields`, `rules`), the
 * sanitizer options (`dropWhitespaceOnlyText`, `onTruncated`), limits, `auth`
 * (an AuthConfig merged under the caller's own key and the request's origin as
 * `baseURL`; `false` leaves the headers alone) and `onReport({ url, changes,
 * response })`, called once per Messages call when its reply has been read to
 * the end.
 */
export function sanitizingFetch(fetch = globalThis.fetch, options = {}) {
  if (typeof fetch !== 'function') throw new TypeError('sanitizingFetch(fetch, options): fetch must be a function');
  const { auth = {}, onReport, ...rest } = options;
  const sanitizer = { onTruncated: 'error-event', ...rest };
  // NOTE: checked now where the module is loaded (Node, workerd), else on the
  // first call (a browser loading it).
  let checked = loader.loaded && (checkOptions(rest, sanitizer), true);

  return async function sanitizedFetch(input, init = {}) {
    // NOTE: decide from the arguments before making a Request: a Request made
    // from a Request takes over (and so uses up) the original's body.
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const method = (init.method ?? (isRequest ? input.method : 'GET')).toUpperCase();
    const url = new URL(isRequest ? input.url : String(input), globalThis.location?.href);
    const found = method === 'POST' && messagesRoute(url.pathname);
    if (!found) return fetch(input, init);
    const request = isRequest ? new Request(input, init) : new Request(url, init);
    const fromRequest = {};
    if (isRequest) for (const name of REQUEST_OPTIONS) if (request[name] !== undefined) fromRequest[name] = request[name];

    const headers = new Headers(request.headers);
    const raw = new Uint8Array(await request.arrayBuffer());
    await ready;
    checked ||= (checkOptions(rest, sanitizer), true);
    try {
      let body = raw;
      let changes = [];
      if (raw.length > 0 && isJson(mediaType(headers.get('content-type') ?? 'application/json'))) ({ body, changes } = normalizeBody(raw, rest));
      if (auth !== false) {
        const resolved = resolveAuth({
          baseURL: url.origin,
          anthropicVersion: headers.get('anthropic-version') ?? undefined,
          anthropicBeta: headers.get('anthropic-beta') ?? undefined,
          ...auth,
          // The caller's own credential first; the core strips a `Bearer ` scheme.
          apiKey: headers.get('x-api-key') || headers.get('authorization') || auth.apiKey,
        });
        headers.delete('x-api-key');
        headers.delete('authorization');
        for (const [name, value] of Object.entries(resolved)) headers.set(name, value);
      }
      headers.delete('content-length');
      const response = await callUpstream(fetch, request.url, { ...fromRequest, ...init, method: 'POST', headers, body, signal: request.signal });
      return await reply(response, {
        route: found.route,
        sanitizer,
        keep: true,
        onReport: (report) => onReport?.({ url: request.url, changes, response: report }),
      });
    } catch (err) {
      if (err instanceof ProxyError) return proxyErrorResponse(err);
      throw err;
    }
  };
}

/** authHeaders(); a configuration it refuses is an error response the SDK does not retry. */
function resolveAuth(config) {
  try {
    return authHeaders(config);
  } catch (err) {
    if (!(err instanceof SanitizerError)) throw err;
    const missing = err.code === 'missing-key';
    throw new ProxyError(missing ? 401 : 400, missing ? 'authentication_error' : 'invalid_request_error', err.message, { retry: false });
  }
}
