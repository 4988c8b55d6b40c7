// Compiled (never run) by pkg-tests/types.test.js with `tsc --noEmit`: the
// public types accept what the README shows and refuse misuse. Each
// `@ts-expect-error` fails the compile if the line below it stops being an error.
import {
  accumulate,
  anomalies,
  authHeaders,
  createEventStream,
  createSanitizerStream,
  normalize,
  profiles,
  redactKey,
  rules,
  sanitize,
  sanitizeMessage,
  SanitizerError,
  sanitizingFetch,
  SseParser,
  StreamSanitizer,
  validate,
  validateStream,
  type AnomalyClass,
  type Change,
  type FetchReport,
  type Message,
  type Profile,
  type SanitizeReport,
  type SseEvent,
  type StreamAnomaly,
  type StreamAnomalyCode,
  type Violation,
} from 'sse-sanitizer';
import worker, { type WorkerEnv } from 'sse-sanitizer/worker';
import * as stream from 'sse-sanitizer/stream';
import { init, ready } from 'sse-sanitizer';

declare const response: Response;

// Streams.
const events: ReadableStream<SseEvent> = response.body!.pipeThrough(createEventStream({ maxLineBytes: 1 << 20 }));
let last: SanitizeReport | undefined;
const clean: ReadableStream<Uint8Array> = response.body!.pipeThrough(
  createSanitizerStream({ dropWhitespaceOnlyText: false, onReport: (r) => (last = r) }),
);
const parser = new SseParser();
const parsed: SseEvent[] = parser.push('data: hi\n\n');
const legacy: SseEvent[] = parser.feed('data: old name\n\n');
const discarded: boolean = parser.finish();
const sanitizer = new StreamSanitizer({ maxHeldBytes: 4096 });
const out: Uint8Array = sanitizer.push(new Uint8Array(8));
const { output, report } = sanitizer.finish();
const dropped: number = report.blocksDropped.length + (last?.eventsSeen ?? 0) + output.length;

// One-shot forms keep the input's form.
const asText: string = sanitize('event: ping\ndata: {}\n\n').output;
const asBytes: Uint8Array = sanitize(new Uint8Array(0)).output;
// @ts-expect-error a string in gives a string out
const wrongForm: Uint8Array = sanitize('data: x\n\n').output;
const message: Promise<Message> = accumulate(clean);
const fromEvents: Promise<Message> = accumulate(parsed);
const turns: Promise<Message[]> = accumulate(clean, { messages: 'all' });
// @ts-expect-error every message of a capture comes as an array
const oneOfTurns: Promise<Message> = accumulate(clean, { messages: 'all' });
// @ts-expect-error only 'one' or 'all'
accumulate(clean, { messages: 'last' });
const reply: { body: { type: string }; report: SanitizeReport } = sanitizeMessage({ type: 'message' });
const verdict: StreamAnomaly[] = validateStream('event: ping\ndata: {}\n\n');
const later: Promise<StreamAnomaly[]> = validateStream(new ReadableStream<Uint8Array>());
const raised: boolean = verdict.some((a) => a.sdk === 'raises' && a.code === 'truncated');
// @ts-expect-error not a code of the catalog
const unknownCode: StreamAnomalyCode = 'bad-event';
const classes: string[] = anomalies().map((a: AnomalyClass) => a.summary);

// Histories.
const history = { model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const normalized: { body: typeof history; changes: Change[] } = normalize(history, { profile: 'bedrock', rules: { 'merge-roles': false } });
const bytes: Uint8Array = normalize(new Uint8Array(0)).body;
const violations: Violation[] = validate('{"messages":[]}', { profile: 'anthropic' });
const ids: string[] = rules().map((r) => r.id);
const invokeTexts: readonly string[] | undefined = rules()[0].messages['bedrock-invoke'];
const sources: readonly string[] = rules()[0].sources;
const profileIds: Profile[] = profiles().map((p) => p.id);
validate(history, { profile: 'bedrock-invoke' });
// @ts-expect-error an unknown profile
normalize(history, { profile: 'vertex' });
// @ts-expect-error an unknown rule id
normalize(history, { rules: { 'no-such-rule': false } });
// @ts-expect-error the catalog is read-only
rules().push(rules()[0]);

// Auth and fetch.
const headers: Record<string, string> = authHeaders({ apiKey: 'sk-ant-api03-x', baseURL: 'http://127.0.0.1:4000', authMode: 'bearer' });
const shown: string = redactKey('sk-ant-api03-x');
// @ts-expect-error only the two header modes
authHeaders({ authMode: 'basic' });
const reports: FetchReport[] = [];
const wrapped: (input: string | URL | Request, init?: RequestInit) => Promise<Response> = sanitizingFetch(fetch, {
  auth: false,
  onReport: (r) => reports.push(r),
});

// Errors.
try {
  parser.push('x');
} catch (err) {
  if (err instanceof SanitizerError && err.code === 'max-buffer-exceeded') {
    const code: string = err.code;
    const upstreamType: string | undefined = err.upstreamType;
    void [code, upstreamType];
  }
}

// Loading the module, and the stream-only entry.
const loaded: Promise<void> = init(new URL('https://example.invalid/sse_sanitizer.wasm'));
const fromBytes: Promise<void> = init(new Uint8Array(8));
const waited: Promise<void> = ready;
const streamed: { output: string } = stream.sanitize('data: x\n\n');
const streamReady: Promise<void> = stream.ready.then(() => stream.init());
const streamPlaced: Promise<void> = stream.init(new URL('https://example.invalid/s.wasm'), { accumulate: new Uint8Array(8) });
// @ts-expect-error: the option is `accumulate`
void stream.init(undefined, { accumulator: new Uint8Array(8) });
const streamParser: stream.SseParser = new stream.SseParser();
// @ts-expect-error the stream entry has no request side
stream.normalize({ messages: [] });

// The Worker entry.
const env: WorkerEnv = { UPSTREAM_URL: 'http://127.0.0.1:4000', UPSTREAM_AUTH: 'secret', PROFILE: 'bedrock' };
const answer: Promise<Response> = worker.fetch(new Request('http://127.0.0.1/v1/messages'), env);
// @ts-expect-error UPSTREAM_URL is required
const noUpstream: WorkerEnv = { PROFILE: 'anthropic' };

export {
  events, parsed, legacy, discarded, out, dropped, asText, asBytes, wrongForm, message, fromEvents, turns, oneOfTurns, reply,
  verdict, later, raised, unknownCode, classes,
  normalized, bytes, violations, ids, headers, shown, wrapped, answer, noUpstream,
  loaded, fromBytes, waited, streamed, streamReady, streamPlaced, streamParser,
};
