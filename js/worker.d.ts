/** The Worker's bindings (see wrangler.toml and the header of worker.js). */
export interface WorkerEnv {
  /**
   * Base URL of the strict upstream (absolute http(s), without credentials,
   * query or fragment: a Worker with one answers every request with a 500
   * api_error); the route path and query are appended. Redirects from it are
   * never followed: the client gets a 502 api_error.
   */
  UPSTREAM_URL: string;
  /** Default `"bearer"`. */
  UPSTREAM_AUTH?: 'bearer' | 'passthrough' | 'secret';
  /** `secret` mode: the key sent upstream (a Worker secret). */
  UPSTREAM_KEY?: string;
  /** `secret` mode: comma-separated keys clients must present. */
  CLIENT_KEYS?: string;
  /**
   * `secret` mode: comma-separated credential-like client headers (`cookie`,
   * `x-forwarded-for`, other services' API keys and tokens) forwarded anyway.
   * Default none: they are dropped.
   */
  KEEP_CLIENT_HEADERS?: string;
  /** Which rules normalize() applies. Default `"anthropic"`. */
  PROFILE?: 'anthropic' | 'bedrock' | 'bedrock-invoke';
  /** `"true"`: also remove every field the block type's schema lacks. */
  STRICT_FIELDS?: string;
  /** `"true"`: keep only the last 4 `cache_control` breakpoints when a request has more. */
  CAP_CACHE_CONTROL?: string;
  /** Largest request body accepted, in bytes. Default: the core's `maxBodyBytes`, 32 MiB. */
  MAX_BODY_BYTES?: string;
  /**
   * A reply stream cut before `message_stop` (a reset upstream, a timeout):
   * `"error-event"` (default) ends it with one Anthropic-shaped `error` event,
   * so the client raises an error instead of keeping a partial turn; `"pass"`
   * ends it where it was cut. Logged either way.
   */
  ON_TRUNCATED?: 'error-event' | 'pass';
  /** Comma-separated origins (or `*`) allowed for browser clients. */
  ALLOWED_ORIGINS?: string;
}

/** The module Worker: `POST /v1/messages` and `/v1/messages/count_tokens` only. */
declare const worker: {
  fetch(request: Request, env: WorkerEnv): Promise<Response>;
};
export default worker;
