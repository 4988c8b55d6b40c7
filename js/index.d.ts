/** Resource limits; every field optional, defaults documented per field. */
export interface Limits {
  /** Longest SSE line in bytes. Default 8 MiB. */
  maxLineBytes?: number;
  /** Largest SSE event (sum of its data lines) in bytes. Default 16 MiB. */
  maxEventBytes?: number;
  /** Bytes the stream sanitizer may hold back while deciding on a text block. Default 1 MiB. */
  maxHeldBytes?: number;
  /** Deepest JSON nesting accepted. Default 128. */
  maxJsonDepth?: number;
  /** Largest request body normalize/validate accept, in bytes. Default 32 MiB. */
  maxBodyBytes?: number;
}

/** Stable kebab-case error codes. */
export type SanitizerErrorCode =
  | 'max-buffer-exceeded'
  | 'invalid-input'
  | 'finished'
  | (string & {});

/** The one error class of the package. */
export declare class SanitizerError extends Error {
  constructor(code: SanitizerErrorCode, message: string, options?: ErrorOptions);
  readonly name: 'SanitizerError';
  readonly code: SanitizerErrorCode;
}

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

/** Incremental WHATWG event-stream parser. */
export declare class SseParser {
  constructor(options?: Limits);
  /** Feeds a chunk (split anywhere); returns the events it completed. Throws SanitizerError `max-buffer-exceeded`. */
  feed(chunk: BytesLike): SseEvent[];
  /** Ends the stream; true when an unterminated last event was discarded. */
  finish(): boolean;
}

/** `response.body.pipeThrough(createEventStream())` → a stream of SseEvent. */
export declare function createEventStream(options?: Limits): TransformStream<BytesLike, SseEvent>;
