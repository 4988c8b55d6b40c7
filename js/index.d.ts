/** Resource limits; every field optional, defaults documented per field. */
export interface Limits {
  /** Longest SSE line in bytes. Default 8 MiB. */
  maxLineBytes?: number;
  /** Largest SSE event (sum of its data lines) in bytes. Default 16 MiB. */
  maxEventBytes?: number;
  /** Bytes the stream sanitizer may hold back while deciding on a text block. Default 1 MiB. */
  maxHeldBytes?: number;
  /** Deepest JSON nesting accepted. Default 128; values above 1024 count as 1024. */
  maxJsonDepth?: number;
  /** Largest request body normalize/validate accept, in bytes. Default 32 MiB. */
  maxBodyBytes?: number;
}

/** Stable kebab-case error codes. */
export type SanitizerErrorCode =
  | 'max-buffer-exceeded'
  | 'invalid-input'
  | 'finished'
  | 'invalid-json'
  | 'invalid-shape'
  | 'max-depth-exceeded'
  | 'body-too-large'
  | 'invalid-option'
  | 'upstream-error'
  | 'unexpected-message-start'
  | 'invalid-tool-input'
  | 'no-message'
  | 'incomplete-stream'
  | 'missing-key'
  | 'invalid-base-url'
  | 'invalid-key'
  | 'invalid-auth-mode'
  | 'invalid-header-value'
  | 'invalid-forward-mode'
  | 'missing-secret'
  | 'conflicting-credentials'
  | 'missing-client-key'
  | 'unknown-client-key'
  | 'not-ready'
  | 'wasm-load-failed'
  | (string & {});

/** The one error class of the package. */
export declare class SanitizerError extends Error {
  constructor(code: SanitizerErrorCode, message: string, options?: ErrorOptions);
  readonly name: 'SanitizerError';
  readonly code: SanitizerErrorCode;
  /** For `upstream-error`: the upstream's `error.type`, e.g. `overloaded_error`. */
  readonly upstreamType?: string;
}

// ---------------------------------------------------------------------------
// Loading the WebAssembly module

/**
 * Where {@link init} takes the wasm module from: its URL, a Response (or a
 * promise of one, e.g. `fetch(url)`), its bytes, or a compiled module.
 */
export type InitSource =
  | string
  | URL
  | Request
  | Response
  | BufferSource
  | WebAssembly.Module
  | Promise<Response | BufferSource | WebAssembly.Module>;

/**
 * Loads the WebAssembly module, once; later calls are no-ops. Without an
 * argument, from the file the package ships in its `pkg/` folder. Node and
 * Cloudflare Workers load it synchronously on import, so call this only where
 * a bundler did not ship the file: bytes or a `WebAssembly.Module` load
 * synchronously (the API is usable as soon as this returns).
 */
export declare function init(source?: InitSource): Promise<void>;

/**
 * Resolves once the module has loaded; rejects (SanitizerError
 * `wasm-load-failed`) when the first load fails. In browsers, `await ready`
 * before the synchronous calls (they throw `not-ready` before); the streams,
 * `accumulate()` and `sanitizingFetch()` wait for it on their own. (In
 * `sse-sanitizer/stream`, `accumulate()` loads a module of its own instead,
 * at its first call; its failure rejects that call, not `ready`.)
 */
export declare const ready: Promise<void>;

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event` field; `"message"` when absent. */
  type: string;
  /** The data lines joined with LF. */
  data: string;
  /** The latest `id` seen on the stream (persists across events); `""` when none. */
  lastEventId: string;
  /** Present when this event's block set a valid `retry` (milliseconds). */
  retry?: number;
}

export type BytesLike = Uint8Array | ArrayBuffer | ArrayBufferView | string;

/** Options of {@link SseParser} and {@link createEventStream}. */
export interface SseParserOptions extends Limits {
  /**
   * Called with the new reconnection time (ms) for every valid `retry` field, in stream
   * order, also in blocks that dispatch no event (an event whose block set one carries it
   * as `retry` too). The calls for a chunk come during its `push()`, after its events are
   * read, before `push()` returns them.
   */
  onRetry?: (ms: number) => void;
}

/**
 * Incremental WHATWG event-stream parser. Like {@link StreamSanitizer}: `push(chunk)` takes the
 * next chunk and returns what it completed; `finish()` ends the stream and returns what only the
 * end can tell (the parser holds no event back, so: whether it discarded an unterminated one).
 */
export declare class SseParser {
  constructor(options?: SseParserOptions);
  /** Pushes a chunk (split anywhere); returns the events it completed. Throws SanitizerError `max-buffer-exceeded`. */
  push(chunk: BytesLike): SseEvent[];
  /** @deprecated The old name of {@link SseParser.push}. */
  feed(chunk: BytesLike): SseEvent[];
  /** Ends the stream; true when an unterminated last event was discarded (the spec drops it). */
  finish(): boolean;
}

/** `response.body.pipeThrough(createEventStream())` → a stream of SseEvent. */
export declare function createEventStream(options?: SseParserOptions): TransformStream<BytesLike, SseEvent>;

// ---------------------------------------------------------------------------
// Claude streams

/** Options of the stream sanitizer. */
export interface SanitizerOptions extends Limits {
  /**
   * Which upstream's rules decide what is blank. Default `"anthropic"`: only
   * empty text blocks are dropped (the API accepts whitespace-only text next to
   * other content). `"bedrock"`: whitespace-only blocks are dropped too.
   */
  profile?: Profile;
  /**
   * Signed thinking never moves: a blank text block whose removal would move a
   * thinking block (the next block is one, or one came earlier in the message) is
   * kept in place and this text is appended to it (`""` → `"..."`, `"\n\n"` →
   * `"\n\n..."`), else the API answers "`thinking` or `redacted_thinking` blocks
   * in the latest assistant message cannot be modified". Non-blank, at most 64
   * bytes. Default `"..."`.
   */
  placeholderText?: string;
  /**
   * A stream cut before `message_stop`: `"pass"` (default) ends there (only the
   * report says so); `"error-event"` appends one Anthropic `error` event so every
   * client raises an error instead of keeping a partial turn.
   */
  onTruncated?: 'pass' | 'error-event';
  /** Record what became of every SSE block in `report.trace` (devtools). Default `false`. */
  trace?: boolean;
  /**
   * Add `event: <type>` to a Claude event sent as data only (the official SDK ignores
   * events without a name, so such a reply vanishes); `data: [DONE]` and non-Claude
   * events pass as they are. Default `true`.
   */
  eventNames?: boolean;
  /**
   * @deprecated The old name of the whitespace rule: `true` is `profile: "bedrock"`,
   * `false` is `profile: "anthropic"`; `profile` wins when both are given.
   */
  dropWhitespaceOnlyText?: boolean;
}

/** Options of {@link createSanitizerStream}. */
export interface SanitizerStreamOptions extends SanitizerOptions {
  /** Called once, when the stream ends, with the final report. */
  onReport?: (report: SanitizeReport) => void;
}

/** A text block the sanitizer removed. */
export interface DroppedBlock {
  /** Which message of the stream (0-based count of `message_start` events before it, minus one). */
  message: number;
  /** Its original `index`. */
  index: number;
  reason: 'empty-text' | 'whitespace-text';
  /** Bytes removed (start, deltas and stop, framing included). */
  bytes: number;
}

/** A blank text block kept in place, with the placeholder appended, so that the thinking blocks after it keep their indices. */
export interface ReplacedBlock {
  /** Which message of the stream (as in {@link DroppedBlock}). */
  message: number;
  /** Its original `index`. */
  index: number;
  /** The catalog rule. */
  rule: 'thinking-position';
  /** What it was. */
  blank: 'empty-text' | 'whitespace-text';
  /** `thinking-follows`: the next block is a thinking block; `thinking-earlier`: one came earlier in the message and another may follow. */
  reason: 'thinking-follows' | 'thinking-earlier';
}

/**
 * What became of one SSE block (an event or a comment-only block), or what the
 * sanitizer added. Byte ranges are `[start, end)` offsets into the whole input and
 * the whole output.
 */
export interface TraceEntry {
  /** 0-based event number (as in notes); `null` for a comment-only block or an added event. */
  event: number | null;
  action: 'kept' | 'renumbered' | 'named' | 'dropped' | 'inserted' | 'passed' | 'truncated';
  input: [number, number] | null;
  output: [number, number] | null;
  /** The content block `index` it carries in the input (events looked at closely). */
  index?: number;
  /** The `index` it carries in the output, when renumbered. */
  newIndex?: number;
  /** Held back, then released (or dropped) when this event arrived (events seen: at the end). */
  heldUntil?: number;
  /** Why: a drop's rule (`empty-text`, `whitespace-text`) or an insertion's (`thinking-position`, `truncated`). */
  rule?: string;
}

/** Something the sanitizer passed through unchanged or could not do. */
export interface ReportNote {
  code:
    | 'malformed-json'
    | 'non-claude-event'
    | 'error-event'
    | 'index-skew'
    | 'index-reused'
    | 'unterminated-block'
    | 'truncated'
    | 'held-limit-exceeded'
    | 'max-buffer-exceeded'
    | 'report-truncated'
    | (string & {});
  /** 0-based number of the event concerned. */
  event: number;
  detail: string;
}

/** What the sanitizer saw and did. `blocksDropped`, `blocksReplaced` and `notes` hold at most 1000 entries each. */
export interface SanitizeReport {
  eventsSeen: number;
  /** Events dropped or rewritten (their index), and placeholder deltas added. */
  eventsChanged: number;
  /** Events that got an `event:` line (`eventNames`). */
  eventsNamed: number;
  blocksDropped: DroppedBlock[];
  /** Blank blocks kept with the placeholder because removing them would move a thinking block. */
  blocksReplaced: ReplacedBlock[];
  notes: ReportNote[];
  /**
   * The stream ended early (inside a held block or an event, or without `message_stop`).
   * A stream that ends on an `error` event is not truncated, even with a block open.
   */
  truncated: boolean;
  /** With `trace: true`: every SSE block's fate, in stream order (at most 1,048,576 entries). */
  trace?: TraceEntry[];
}

/**
 * Incremental sanitizer: bytes in, bytes out. `push(chunk)` returns the bytes the chunk makes
 * final; `finish()` ends the stream and returns what only the end can tell: the bytes still held
 * and the final report.
 */
export declare class StreamSanitizer {
  constructor(options?: SanitizerOptions);
  /** The bytes this chunk makes final; the chunk itself when nothing in it changed. */
  push(chunk: BytesLike): Uint8Array;
  /** Ends the stream: what was still held, and the final report. */
  finish(): { output: Uint8Array; report: SanitizeReport };
  /** The report so far. */
  readonly report: SanitizeReport;
}

/** `response.body.pipeThrough(createSanitizerStream())`: one wasm call and at most one output chunk per input chunk. */
export declare function createSanitizerStream(options?: SanitizerStreamOptions): TransformStream<BytesLike, Uint8Array>;

/** One-shot sanitize; `output` is a string when `input` is one. */
export declare function sanitize(input: string, options?: SanitizerOptions): { output: string; report: SanitizeReport };
export declare function sanitize(
  input: Uint8Array | ArrayBuffer | ArrayBufferView,
  options?: SanitizerOptions,
): { output: Uint8Array; report: SanitizeReport };

/**
 * Non-streaming replies: the stream sanitizer's decision on a Message body's
 * `content`: blank text blocks removed (empty ones; whitespace-only ones too
 * under `bedrock`), except before a thinking block, where they keep their place
 * with the placeholder appended. `body` comes back in the form it was
 * given, the same value when unchanged (also when it is not a Message: an error
 * reply passes through, with a note in the report).
 */
export declare function sanitizeMessage<T extends RequestBody>(body: T, options?: SanitizerOptions): { body: T; report: SanitizeReport };

/** A content block of a Message (the known types typed loosely; unknown types pass through). */
export type ContentBlock =
  | { type: 'text'; text: string; citations?: unknown[] | null; [key: string]: unknown }
  | { type: 'thinking'; thinking: string; signature: string; [key: string]: unknown }
  | { type: 'redacted_thinking'; data: string; [key: string]: unknown }
  | { type: 'tool_use' | 'server_tool_use'; id: string; name: string; input: unknown; [key: string]: unknown }
  | { type: string; [key: string]: unknown };

/** The final assistant message, as `finalMessage()` of the official SDK returns it. */
export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: ContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: { input_tokens: number; output_tokens: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** What {@link accumulate} reads: the raw stream, chunks of it, or its events. */
export type AccumulateInput =
  | BytesLike
  | ReadableStream<BytesLike | SseEvent>
  | AsyncIterable<BytesLike | SseEvent>
  | Iterable<Pick<SseEvent, 'type' | 'data'>>;

export interface AccumulateOptions extends Limits {
  /**
   * `"one"` (default): one message, as the SDK reads a stream (a second `message_start`
   * rejects with `unexpected-message-start`). `"all"`: a capture of several turns back to
   * back (`message_start … message_stop` repeated) gives every message, in order.
   */
  messages?: 'one' | 'all';
}

/**
 * Folds a Claude stream into its final Message. Input: the raw stream (string or bytes),
 * a ReadableStream or async iterable of chunks, or an iterable of {@link SseEvent}.
 * Rejects with SanitizerError `upstream-error` (its `upstreamType` set, e.g.
 * `overloaded_error`) when the stream carried an `error` event; other codes:
 * `invalid-json`, `unexpected-message-start`,
 * `invalid-tool-input`, `no-message`, `incomplete-stream` (no `message_stop`, as the
 * SDK's `finalMessage()` rejects it too), `max-buffer-exceeded`, `invalid-option`;
 * `wasm-load-failed` when its wasm module could not be loaded (in
 * `sse-sanitizer/stream`, a module of its own that its first call loads).
 */
export declare function accumulate(input: AccumulateInput, options: AccumulateOptions & { messages: 'all' }): Promise<Message[]>;
export declare function accumulate(input: AccumulateInput, options?: AccumulateOptions & { messages?: 'one' }): Promise<Message>;
export declare function accumulate(input: AccumulateInput, options?: AccumulateOptions): Promise<Message | Message[]>;

/** Every code of the stream anomaly catalog (see {@link anomalies}). */
export type StreamAnomalyCode =
  | 'unnamed-event'
  | 'event-name-mismatch'
  | 'malformed-json'
  | 'error-event'
  | 'invalid-event'
  | 'second-message-start'
  | 'concatenated-message'
  | 'message-start-with-content'
  | 'start-reusing-index'
  | 'start-index-gap'
  | 'delta-without-start'
  | 'delta-kind-mismatch'
  | 'delta-after-stop'
  | 'stop-without-start'
  | 'unterminated-block'
  | 'invalid-tool-input'
  | 'event-outside-message'
  | 'truncated'
  | 'no-message'
  | 'too-many-anomalies';

/** One anomaly of a stream, with what the official SDK (1.12, `beta.messages.stream()`) does about it. */
export interface StreamAnomaly {
  code: StreamAnomalyCode;
  /** 0-based number of the frame (frames with a `data` line or a non-empty `event` line); at the end, the frame count. */
  event: number;
  /** The content block index concerned, if any. */
  index: number | null;
  /**
   * With `sdk: 'raises'`: the exact error text the SDK raises (V8's wording for TypeErrors;
   * for `malformed-json` and `invalid-tool-input` the engine's SyntaxError is described).
   * Otherwise: what is wrong and what the SDK does instead.
   */
  message: string;
  /** `raises`: the SDK fails here (at most one per stream); `silent`: it reads on; `unreached`: it failed earlier. */
  sdk: 'raises' | 'silent' | 'unreached';
}

/** A row of the stream anomaly catalog. */
export interface AnomalyClass {
  code: StreamAnomalyCode;
  /** What is wrong. */
  summary: string;
  /** What the SDK does about it. */
  sdk: string;
}

/**
 * The stream verdict: every anomaly of a Claude stream, in stream order (at most 1000, then
 * `too-many-anomalies`). Synchronous for a string or bytes; a Promise for a ReadableStream
 * or an (async) iterable of chunks. Throws SanitizerError `max-buffer-exceeded` or
 * `max-depth-exceeded` past a limit.
 */
export declare function validateStream(input: BytesLike, options?: Limits): StreamAnomaly[];
export declare function validateStream(
  input: ReadableStream<BytesLike> | AsyncIterable<BytesLike> | Iterable<BytesLike>,
  options?: Limits,
): Promise<StreamAnomaly[]>;

/** The stream anomaly catalog (frozen). */
export declare function anomalies(): readonly AnomalyClass[];

// ---------------------------------------------------------------------------
// Request histories

/**
 * Which upstream's rules apply: `anthropic` (the Anthropic API, and Vertex AI: same texts),
 * `bedrock` (Amazon Bedrock Converse, through a gateway that translates Anthropic bodies),
 * `bedrock-invoke` (Amazon Bedrock InvokeModel: the Anthropic body as is). See {@link profiles}.
 */
export type Profile = 'anthropic' | 'bedrock' | 'bedrock-invoke';

/** Every rule id of the catalog (see {@link rules}); `normalize` refuses any other with `invalid-option`. */
export type RuleId =
  | 'empty-text'
  | 'whitespace-text'
  | 'thinking-position'
  | 'cache-control-on-empty'
  | 'foreign-field'
  | 'unknown-field'
  | 'bedrock-unsupported-field'
  | 'tool-input-string'
  | 'tool-result-error-empty'
  | 'empty-message'
  | 'merge-roles'
  | 'tool-result-first'
  | 'missing-tool-result'
  | 'orphan-tool-result'
  | 'final-trailing-whitespace'
  | 'empty-system'
  | 'thinking-untouched'
  | 'cache-control-limit'
  | 'cache-ttl-order'
  | 'duplicate-tool-use-id'
  | 'tool-use-id-pattern'
  | 'server-tool-id-pattern'
  | 'server-tool-pairing'
  | 'tool-name-pattern'
  | 'tools-required'
  | 'url-source'
  | 'unknown-role'
  | 'system-message-placement'
  | 'system-role-unsupported'
  | 'too-many-media'
  | 'many-image-dimensions'
  | 'sampling-exclusive'
  | 'prefill-unsupported'
  | 'thinking-first'
  | 'thinking-final-block'
  | 'thinking-disabled';

export interface NormalizeOptions extends Limits {
  /** Which upstream's rules apply. Default `"anthropic"`. */
  profile?: Profile;
  /** Also remove fields that no schema of the block type has (rule `unknown-field`). Default `false`. */
  strictFields?: boolean;
  /**
   * Keep only the last 4 `cache_control` breakpoints (tools, then system, then messages) when a
   * request has more, removing the earlier ones (rule `cache-control-limit`). Default `false`.
   */
  capCacheControl?: boolean;
  /** Switch repairing rules off: `{ "merge-roles": false }`. Default: all on. */
  rules?: Partial<Record<RuleId, boolean>>;
  /** Appended to a blank text block kept before a thinking block (rule `thinking-position`). Default `"..."`. */
  placeholderText?: string;
}

export interface ValidateOptions extends Limits {
  /** Default `"anthropic"`. */
  profile?: Profile;
}

/** One thing the normalizer did. */
export interface Change {
  rule: RuleId;
  /** JSON Pointer (RFC 6901) into the INPUT body. */
  path: string;
  /** `omitted`: more changes of one rule than a report lists (1000); the detail gives how many. */
  action: 'removed' | 'moved' | 'parsed' | 'inserted' | 'converted' | 'trimmed' | 'merged' | 'replaced' | 'omitted' | (string & {});
  /** Human-readable, holding any removed value. */
  detail: string;
}

/** One thing the strict upstream would reject. */
export interface Violation {
  rule: RuleId;
  /** JSON Pointer (RFC 6901) into the body. */
  path: string;
  /** The exact text the upstream answers. */
  message: string;
  /**
   * Present when the obvious fix is wrong: for a blank text block before a thinking
   * block, removing it moves the thinking block (refused too); for a merge that
   * would move the latest assistant message's thinking blocks, the merge is left undone.
   */
  hint?: string;
}

/** A row of the rules catalog. */
export interface Rule {
  id: RuleId;
  profiles: Profile[];
  /** What the normalizer does; `null` for validator-only rules. */
  fix: string | null;
  /** The option that must be on for the fix to run (e.g. `strictFields`), `null` when the fix is on by default. */
  optIn: string | null;
  /** The upstream answer it prevents (a template: `{m}`, `{b}`… are indices), under `anthropic`. */
  message: string;
  otherMessages: string[];
  /** The upstream answers under each profile the rule applies to, the main one first. */
  messages: Partial<Record<Profile, string[]>>;
  /** The public evidence behind the texts and profiles: an address and what it shows. */
  sources: string[];
  /** What the evidence leaves open (unverified text, profiles without evidence), or `null`. */
  note: string | null;
}

/** A row of the profile list. */
export interface ProfileInfo {
  id: Profile;
  description: string;
}

/** A request body: an object, a JSON string or its bytes. */
export type RequestBody = Record<string, unknown> | unknown[] | string | Uint8Array | ArrayBuffer | ArrayBufferView;

/**
 * Makes a request body (or a bare messages array) safe for a strict upstream.
 * `body` comes back in the form it was given, the same value when unchanged.
 * Throws SanitizerError `invalid-json`, `invalid-shape`, `max-depth-exceeded`,
 * `body-too-large`, `invalid-option`, `invalid-input`.
 */
export declare function normalize<T extends RequestBody>(body: T, options?: NormalizeOptions): { body: T; changes: Change[] };

/** Everything a strict upstream would reject, with its exact answer. */
export declare function validate(body: RequestBody, options?: ValidateOptions): Violation[];

/** The rules catalog (frozen). */
export declare function rules(): readonly Rule[];

/** The profiles, in documentation order (frozen). */
export declare function profiles(): readonly ProfileInfo[];

// ---------------------------------------------------------------------------
// Auth

export interface AuthConfig {
  /** The key passed to the call; wins over every other source. */
  apiKey?: string;
  /** The key configured once (client options, a Worker secret). */
  configuredKey?: string;
  /** Where `ANTHROPIC_API_KEY` / `ANTHROPIC_AUTH_TOKEN` are read from, e.g. `process.env`. */
  env?: { ANTHROPIC_API_KEY?: string; ANTHROPIC_AUTH_TOKEN?: string; [name: string]: string | undefined };
  /** Where requests go; anything but api.anthropic.com sends `Authorization: Bearer`. */
  baseURL?: string;
  /** Forces the header. */
  authMode?: 'api-key' | 'bearer';
  /** Default `"2023-06-01"`. */
  anthropicVersion?: string;
  /** Betas already wanted (comma-separated); the OAuth beta is merged in. */
  anthropicBeta?: string;
}

/**
 * The headers (lowercase names) for an Anthropic call: exactly one of `x-api-key`
 * or `authorization`, `anthropic-version`, and `anthropic-beta` when needed.
 * Throws SanitizerError `missing-key`, `invalid-base-url`, `invalid-key`,
 * `invalid-auth-mode`, `invalid-header-value`; never with the key in the message.
 */
export declare function authHeaders(config?: AuthConfig): Record<string, string>;

/** A key as it may be shown: `sk-ant-…1234`. */
export declare function redactKey(key: string): string;

// ---------------------------------------------------------------------------
// fetch

/** What {@link sanitizingFetch} did for one Messages API call. */
export interface FetchReport {
  url: string;
  /** Changes made to the request body. */
  changes: Change[];
  /** What the sanitizer did to the reply; `null` for error replies and `count_tokens`. */
  response: SanitizeReport | null;
}

export interface SanitizingFetchOptions extends NormalizeOptions, SanitizerOptions {
  /**
   * Auth rules: merged under the caller's own key (the SDK's `x-api-key` or
   * `authorization`) with the request's origin as `baseURL`. `false` leaves the
   * auth headers as the caller set them. Default `{}`.
   */
  auth?: AuthConfig | false;
  /** Called once per Messages API call, when its reply has been read to the end. */
  onReport?: (report: FetchReport) => void;
}

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch for the SDKs: `new Anthropic({ fetch: sanitizingFetch(fetch) })`,
 * `createAnthropic({ fetch: sanitizingFetch(fetch) })`. Messages API calls get a
 * normalized body, auth headers per the auth rules and a sanitized reply; every
 * other request passes through untouched.
 *
 * Every init option reaches `fetch` (an undici `dispatcher`, `keepalive`,
 * `cache`, …) except `redirect`: a Messages call never follows a redirect
 * (the key would go along); it answers a 502 `api_error` the SDKs do not
 * retry. A body `normalize()` refuses answers a 400 `invalid_request_error`.
 * A reply stream cut before its end ends with one `error` event
 * (`onTruncated`, default `'error-event'` here). Options are checked when the
 * wrapper is made (SanitizerError).
 */
export declare function sanitizingFetch(fetch?: FetchLike, options?: SanitizingFetchOptions): FetchLike;
