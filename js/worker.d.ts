/** The Worker's bindings (see wrangler.toml and the header of worker.js). */
export interface WorkerEnv {
  /** Base URL of the strict upstream; the route path and query are appended. */
  UPSTREAM_URL: string;
  /** Default `"bearer"`. */
  UPSTREAM_AUTH?: 'bearer' | 'passthrough' | 'secret';
  /** `secret` mode: the key sent upstream (a Worker secret). */
  UPSTREAM_KEY?: string;
  /** `secret` mode: comma-separated keys clients must present. */
  CLIENT_KEYS?: string;
  /** Which rules normalize() applies. Default `"anthropic"`. */
  PROFILE?: 'anthropic' | 'bedrock';
  /** `"true"`: also remove every field the block type's schema lacks. */
  STRICT_FIELDS?: string;
  /** Largest request body accepted. Default 32 MiB. */
  MAX_BODY_BYTES?: string;
  /** Comma-separated origins (or `*`) allowed for browser clients. */
  ALLOWED_ORIGINS?: string;
}

/** The module Worker: `POST /v1/messages` and `/v1/messages/count_tokens` only. */
declare const worker: {
  fetch(request: Request, env: WorkerEnv): Promise<Response>;
};
export default worker;
