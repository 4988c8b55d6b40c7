// Cloudflare Worker filter in front of a strict Anthropic-compatible upstream
// (LiteLLM, a gateway, the API itself). It forwards only `POST /v1/messages`
// and `POST /v1/messages/count_tokens`, always to UPSTREAM_URL (never an open
// proxy, never following a redirect), normalizes the request history, fixes
// the auth header and sanitizes the streamed reply in flight. Configuration
// (see wrangler.toml and worker.d.ts):
//
//   UPSTREAM_URL        base URL without query or fragment; the route path and query are appended
//   UPSTREAM_AUTH       bearer | passthrough | secret (default bearer)
//   UPSTREAM_KEY        secret mode: the key sent upstream (a Worker secret)
//   CLIENT_KEYS         secret mode: comma-separated keys clients must present
//   KEEP_CLIENT_HEADERS secret mode: credential-like client headers forwarded anyway
//   PROFILE             anthropic | bedrock | bedrock-invoke (default anthropic): which rules normalize()
//   STRICT_FIELDS       "true": also remove every field the block type's schema lacks
//   CAP_CACHE_CONTROL   "true": keep only the last 4 cache_control breakpoints
//   MAX_BODY_BYTES      largest request body accepted (default: the core's, 32 MiB)
//   ON_TRUNCATED        error-event | pass (default error-event): a stream cut short
//   ALLOWED_ORIGINS     comma-separated origins (or *) for browser clients (CORS)
//
// Keys are never logged and never echoed in responses.
// NOTE: through the package's own export conditions (not ./workerd.js), so the
// Worker also loads in Node (and Vitest) for unit tests. That entry loads the
// wasm module proxy.js uses (wasm-full.js).
import { SanitizerError } from 'sse-sanitizer';
import {
  Forwarding,
  ProxyError,
  callUpstream,
  checkOptions,
  defaultMaxBodyBytes,
  errorResponse,
  messagesRoute,
  normalizeBody,
  proxyErrorResponse,
  reply,
} from './proxy.js';

const log = (message) => console.warn(message);

// The error codes of the forwarding settings, by the variable at fault.
const SETTING = {
  'invalid-base-url': 'UPSTREAM_URL',
  'invalid-forward-mode': 'UPSTREAM_AUTH',
  'missing-secret': 'UPSTREAM_KEY and CLIENT_KEYS',
  'invalid-key': 'UPSTREAM_KEY',
};

function parseConfig(env) {
  const misconfigured = (what) => new ProxyError(500, 'api_error', `the Worker is misconfigured: ${what}`);
  const list = (value) => String(value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let forwarding;
  try {
    forwarding = new Forwarding({
      mode: env.UPSTREAM_AUTH || 'bearer',
      upstreamUrl: String(env.UPSTREAM_URL ?? ''),
      upstreamKey: env.UPSTREAM_KEY,
      clientKeys: String(env.CLIENT_KEYS ?? ''),
      keepClientHeaders: String(env.KEEP_CLIENT_HEADERS ?? ''),
    });
  } catch (err) {
    // NOTE: these messages never hold a key (the core redacts).
    if (err instanceof SanitizerError) throw misconfigured(`${SETTING[err.code] ?? 'UPSTREAM_AUTH'}: ${err.message}`);
    throw err;
  }
  const maxBodyBytes = env.MAX_BODY_BYTES ? Number(env.MAX_BODY_BYTES) : defaultMaxBodyBytes();
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) throw misconfigured('MAX_BODY_BYTES must be a positive integer');
  const normalize = {
    profile: env.PROFILE || undefined,
    strictFields: String(env.STRICT_FIELDS ?? '') === 'true',
    capCacheControl: String(env.CAP_CACHE_CONTROL ?? '') === 'true',
    maxBodyBytes,
  };
  // The stream sanitizer follows PROFILE too (whitespace-only text under bedrock).
  const sanitizer = { profile: normalize.profile, onTruncated: env.ON_TRUNCATED || 'error-event' };
  for (const [name, check] of [
    ['PROFILE', () => checkOptions(normalize, {})],
    ['ON_TRUNCATED', () => checkOptions({}, { onTruncated: sanitizer.onTruncated })],
  ]) {
    try {
      check();
    } catch (err) {
      if (err instanceof SanitizerError) throw misconfigured(`${name}: ${err.message}`);
      throw err;
    }
  }
  return {
    upstream: new URL(env.UPSTREAM_URL).href.replace(/\/+$/, ''),
    forwarding,
    normalize,
    sanitizer,
    maxBodyBytes,
    origins: list(env.ALLOWED_ORIGINS),
  };
}

const configs = new WeakMap();

/**
 * The settings from `env`, checked once per `env` (a module Worker sees its
 * env with the first request); a bad one answers every request with a 500
 * api_error and is logged once.
 */
function readConfig(env) {
  let config = configs.get(env);
  if (!config) {
    try {
      config = parseConfig(env);
    } catch (err) {
      if (!(err instanceof ProxyError)) throw err;
      log(`sse-sanitizer: ${err.message}`);
      config = { error: err };
    }
    configs.set(env, config);
  }
  if (config.error) throw config.error;
  return config;
}

/** CORS headers for this request's Origin; empty when there is none or it is not allowed. */
function corsHeaders(request, origins) {
  const origin = request.headers.get('origin');
  if (!origin || !(origins.includes('*') || origins.includes(origin))) return {};
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
  const tooLarge = () => new ProxyError(413, 'request_too_large', `request body is larger than ${max} bytes`);
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

async function forward(request, config, route, cors) {
  const url = new URL(request.url);
  const headers = config.forwarding.headers(request.headers);
  // NOTE: the Worker reads the reply to sanitize it, so it asks for the one
  // coding workerd always decodes itself; the client's own accept-encoding
  // applies to the client's leg, which workerd compresses.
  headers.set('accept-encoding', 'gzip');
  // Bytes in, bytes out: an unchanged body comes back as the same array and
  // is forwarded byte-identical.
  const { body, changes } = normalizeBody(await readBody(request, config.maxBodyBytes), config.normalize);
  let upstream;
  try {
    upstream = await callUpstream(fetch, config.upstream + url.pathname + url.search, { method: 'POST', headers, body });
  } catch (err) {
    if (err instanceof ProxyError) log(`sse-sanitizer: ${err.message}`);
    else return errorResponse(502, 'api_error', 'upstream unreachable', cors);
    throw err;
  }
  return reply(upstream, {
    route,
    sanitizer: config.sanitizer,
    headers: { ...cors, 'x-sse-sanitizer-changes': String(changes.length) },
    makeRedactor: config.forwarding.makeRedactor,
    log,
  });
}

export default {
  async fetch(request, env) {
    let cors = {};
    try {
      const config = readConfig(env);
      cors = corsHeaders(request, config.origins);
      const found = messagesRoute(new URL(request.url).pathname);
      if (!found || found.prefix !== '') return errorResponse(404, 'not_found_error', 'Not Found', cors);
      if (request.method === 'OPTIONS') return preflight(request, cors);
      if (request.method !== 'POST') return errorResponse(404, 'not_found_error', 'Not Found', cors);
      return await forward(request, config, found.route, cors);
    } catch (err) {
      if (err instanceof ProxyError) return proxyErrorResponse(err, cors);
      throw err;
    }
  },
};
