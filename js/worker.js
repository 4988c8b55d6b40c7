// Cloudflare Worker filter in front of a strict Anthropic-compatible upstream
// (LiteLLM, a gateway, the API itself). It forwards only `POST /v1/messages`
// and `POST /v1/messages/count_tokens`, always to UPSTREAM_URL (never an open
// proxy), normalizes the request history, fixes the auth header and sanitizes
// the streamed reply in flight. Configuration (see wrangler.toml):
//
//   UPSTREAM_URL    base URL; the route path and query are appended to it
//   UPSTREAM_AUTH   bearer | passthrough | secret (default bearer)
//   UPSTREAM_KEY    secret mode: the key sent upstream (a Worker secret)
//   CLIENT_KEYS     secret mode: comma-separated keys clients must present
//   PROFILE         anthropic | bedrock (default anthropic): which rules normalize()
//   STRICT_FIELDS   "true": also remove every field the block type's schema lacks
//   MAX_BODY_BYTES  largest request body accepted (default 32 MiB)
//   ALLOWED_ORIGINS comma-separated origins (or *) for browser clients (CORS)
//
// Keys are never logged and never echoed in responses.
// NOTE: through the package's own export conditions (not ./workerd.js), so the
// Worker also loads in Node (and Vitest) for unit tests.
import { authHeaders, createSanitizerStream, normalize, SanitizerError, sanitizeMessage } from 'sse-sanitizer';

const ROUTES = new Set(['/v1/messages', '/v1/messages/count_tokens']);
const AUTH_MODES = new Set(['bearer', 'passthrough', 'secret']);
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

// Request headers never forwarded: hop-by-hop ones, the client's credentials
// (rebuilt by authHeaders), and `origin`, since this Worker is the CORS boundary
// (the Anthropic API treats a request with an Origin as a browser request).
const DROP_REQUEST = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host',
  'content-length', 'x-api-key', 'authorization', 'anthropic-version', 'anthropic-beta', 'origin',
]);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const isDropped = (set, name) => set.has(name) || name.startsWith('proxy-');

const encoder = new TextEncoder();

/** A response in the Anthropic error shape. */
function errorResponse(status, type, message, headers = {}) {
  return new Response(JSON.stringify({ type: 'error', error: { type, message } }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

class HttpError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function readConfig(env) {
  const misconfigured = (what) => new HttpError(500, 'api_error', `the Worker is misconfigured: ${what}`);
  let upstream;
  try {
    upstream = new URL(env.UPSTREAM_URL);
  } catch {
    throw misconfigured('UPSTREAM_URL must be an absolute URL');
  }
  const auth = env.UPSTREAM_AUTH || 'bearer';
  if (!AUTH_MODES.has(auth)) throw misconfigured('UPSTREAM_AUTH must be bearer, passthrough or secret');
  const list = (value) => String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const clientKeys = list(env.CLIENT_KEYS);
  if (auth === 'secret' && (!env.UPSTREAM_KEY || clientKeys.length === 0)) {
    throw misconfigured('UPSTREAM_AUTH=secret needs the UPSTREAM_KEY secret and CLIENT_KEYS');
  }
  const profile = env.PROFILE || 'anthropic';
  if (profile !== 'anthropic' && profile !== 'bedrock') throw misconfigured('PROFILE must be anthropic or bedrock');
  const strictFields = String(env.STRICT_FIELDS ?? '') === 'true';
  const maxBodyBytes = env.MAX_BODY_BYTES ? Number(env.MAX_BODY_BYTES) : DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw misconfigured('MAX_BODY_BYTES must be a positive integer');
  return {
    upstream: upstream.href.replace(/\/+$/, ''),
    auth,
    upstreamKey: env.UPSTREAM_KEY,
    clientKeys,
    profile,
    strictFields,
    maxBodyBytes,
    origins: list(env.ALLOWED_ORIGINS),
  };
}

/** CORS headers for this request's Origin; empty when there is none or it is not allowed. */
function corsHeaders(request, config) {
  const origin = request.headers.get('origin');
  if (!origin || !(config.origins.includes('*') || config.origins.includes(origin))) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'x-sse-sanitizer-changes, request-id, retry-after',
    vary: 'Origin',
  };
}

function preflight(request, cors) {
  if (!cors['access-control-allow-origin']) return errorResponse(403, 'permission_error', 'origin not allowed');
  return new Response(null, {
    status: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': 'POST, OPTIONS',
      // Echoed: the SDKs send a changing set of x-stainless-* headers.
      'access-control-allow-headers': request.headers.get('access-control-request-headers') ?? 'content-type',
      'access-control-max-age': '86400',
    },
  });
}

/** The request body, refused once it passes `max` bytes (whatever content-length claims). */
async function readBody(request, max) {
  const tooLarge = () => new HttpError(413, 'request_too_large', `request body is larger than ${max} bytes`);
  if (Number(request.headers.get('content-length')) > max) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const parts = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(r.value);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** Constant-time string comparison (the length may leak, the content does not). */
function sameKey(a, b) {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ (y[i % y.length] ?? 0);
  return diff === 0;
}

/** The outgoing auth headers for UPSTREAM_AUTH; throws HttpError 400/401. */
function upstreamAuth(request, config) {
  const h = request.headers;
  const apiKey = h.get('x-api-key');
  const bearer = h.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (apiKey !== null && h.has('authorization')) {
    throw new HttpError(400, 'invalid_request_error', 'send either x-api-key or authorization, not both');
  }
  const clientKey = apiKey ?? bearer;
  if (!clientKey) throw new HttpError(401, 'authentication_error', 'x-api-key header is required');
  const common = {
    anthropicVersion: h.get('anthropic-version') ?? undefined,
    anthropicBeta: h.get('anthropic-beta') ?? undefined,
  };
  let authConfig;
  if (config.auth === 'secret') {
    if (!config.clientKeys.some((k) => sameKey(clientKey, k))) {
      throw new HttpError(401, 'authentication_error', 'invalid x-api-key');
    }
    // The header is chosen by the upstream's host (x-api-key for the Anthropic API, Bearer otherwise).
    authConfig = { configuredKey: config.upstreamKey, baseURL: config.upstream };
  } else {
    // An OAuth token (sk-ant-oat…) always goes as Bearer, which adds the OAuth beta.
    const oauth = clientKey.startsWith('sk-ant-oat');
    const authMode = config.auth === 'bearer' || oauth || !apiKey ? 'bearer' : 'api-key';
    authConfig = { apiKey: clientKey, authMode };
  }
  try {
    return authHeaders({ ...authConfig, ...common });
  } catch (err) {
    // NOTE: authHeaders never puts the key into its messages.
    if (err instanceof SanitizerError) throw new HttpError(400, 'invalid_request_error', err.message);
    throw err;
  }
}

/**
 * The client's response headers: the upstream's minus hop-by-hop ones (and its
 * length and encoding when the body is rewritten), plus `extra`.
 */
function responseHeaders(upstream, extra, { bodyChanged }) {
  const headers = new Headers();
  for (const [name, value] of upstream.headers) {
    if (isDropped(DROP_RESPONSE, name)) continue;
    // A rewritten body has another length, and the runtime has already decoded it.
    if (bodyChanged && (name === 'content-length' || name === 'content-encoding')) continue;
    headers.append(name, value);
  }
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return headers;
}

async function forward(request, config, cors) {
  const url = new URL(request.url);
  const auth = upstreamAuth(request, config);
  const original = await readBody(request, config.maxBodyBytes);
  let body;
  let changes;
  try {
    // Bytes in, bytes out: an unchanged body comes back as the same array and
    // is forwarded byte-identical.
    ({ body, changes } = normalize(original, { profile: config.profile, strictFields: config.strictFields, maxBodyBytes: config.maxBodyBytes }));
  } catch (err) {
    if (err instanceof SanitizerError) throw new HttpError(400, 'invalid_request_error', `invalid request body: ${err.message}`);
    throw err;
  }

  const headers = new Headers();
  for (const [name, value] of request.headers) {
    if (!isDropped(DROP_REQUEST, name)) headers.append(name, value);
  }
  for (const [name, value] of Object.entries(auth)) headers.set(name, value);

  let upstream;
  try {
    upstream = await fetch(config.upstream + url.pathname + url.search, { method: 'POST', headers, body });
  } catch {
    return errorResponse(502, 'api_error', 'upstream unreachable', cors);
  }

  const extra = { ...cors, 'x-sse-sanitizer-changes': String(changes.length) };
  const type = upstream.headers.get('content-type') ?? '';
  if (upstream.ok && upstream.body && type.startsWith('text/event-stream')) {
    return new Response(upstream.body.pipeThrough(createSanitizerStream({ profile: config.profile })), {
      status: upstream.status,
      headers: responseHeaders(upstream, extra, { bodyChanged: true }),
    });
  }
  if (upstream.ok && url.pathname === '/v1/messages' && type.startsWith('application/json')) {
    const { body: cleaned } = sanitizeMessage(new Uint8Array(await upstream.arrayBuffer()), { profile: config.profile });
    return new Response(cleaned, {
      status: upstream.status,
      headers: responseHeaders(upstream, extra, { bodyChanged: true }),
    });
  }
  // Errors and anything else: passed through unchanged, streamed.
  return new Response(upstream.body, {
    status: upstream.status,
    headers: responseHeaders(upstream, extra, { bodyChanged: false }),
  });
}

export default {
  async fetch(request, env) {
    let cors = {};
    try {
      const config = readConfig(env);
      cors = corsHeaders(request, config);
      const { pathname } = new URL(request.url);
      if (!ROUTES.has(pathname)) return errorResponse(404, 'not_found_error', 'Not Found', cors);
      if (request.method === 'OPTIONS') return preflight(request, cors);
      if (request.method !== 'POST') return errorResponse(404, 'not_found_error', 'Not Found', cors);
      return await forward(request, config, cors);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err.status, err.type, err.message, cors);
      throw err;
    }
  },
};
