use super::scan;
use super::{
    DroppedBlock, Note, NoteCode, OnTruncated, ReplacedBlock, Report, SanitizerOptions,
    TraceAction, TraceEntry,
};
use crate::json::{self, Blank};
use crate::policy::{BlankText, KeptReason};
use crate::sse::{ByteSegment, EventBytes, Parser};
use crate::text::{self, cat};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental Claude stream sanitizer: bytes in, bytes out. See the
/// [module documentation](super) for what it changes and why.
///
/// ```
/// use sse_sanitizer::claude::{SanitizerOptions, StreamSanitizer};
/// let mut sanitizer = StreamSanitizer::new(SanitizerOptions::default());
/// let mut out = Vec::new();
/// sanitizer.push(b"event: ping\ndata: {\"type\": \"ping\"}\n", &mut out);
/// sanitizer.push(b"\n", &mut out);
/// let report = sanitizer.finish(&mut out);
/// assert_eq!(out, b"event: ping\ndata: {\"type\": \"ping\"}\n\n");
/// assert_eq!(report.events_seen, 1);
/// ```
#[derive(Debug)]
pub struct StreamSanitizer {
    parser: Parser,
    core: Core,
}

impl StreamSanitizer {
    /// A sanitizer for one stream.
    pub fn new(options: SanitizerOptions) -> Self {
        StreamSanitizer {
            parser: Parser::new(options.limits),
            core: Core::new(options),
        }
    }

    /// Feeds one chunk and appends to `out` everything that this chunk makes
    /// final: every event it completes, except the events of a text block
    /// that is still undecided (and events that arrive while one is).
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let core = &mut self.core;
        if let Some(t) = &mut core.tracer {
            t.origin = out.len();
        }
        if core.passthrough {
            core.pass(chunk, out);
            core.end_call(out);
            return;
        }
        let mut start = 0;
        let result = self.parser.push_bytes(chunk, &mut |segment| match segment {
            ByteSegment::CrLfTail => {
                core.crlf_tail(out);
                start = 1;
            }
            ByteSegment::Event { end, event } => {
                core.block(&chunk[start..end], Some(&event), out);
                start = end;
            }
            ByteSegment::Empty { end } => {
                core.block(&chunk[start..end], None, out);
                start = end;
            }
        });
        let rest = &chunk[start..];
        match result {
            Ok(()) => core.keep(rest, out),
            Err(_) => core.overflow(rest, out),
        }
        core.end_call(out);
    }

    /// Ends the stream: releases anything held, passes a partial last event
    /// through unchanged, and returns the final report.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Report {
        // NOTE: before the error event of `OnTruncated::ErrorEvent`, a partial
        // last event is ended (a line end and a blank line) and sanitized as
        // the complete event it then is: the output must be what a second
        // pass over it gives (idempotence; fuzz regression sanitizer-1887be29).
        let complete_partial = self.core.options.on_truncated == OnTruncated::ErrorEvent
            && !self.core.passthrough
            && !self.core.carry.is_empty();
        if complete_partial {
            // The two added bytes are not input: the trace's ranges end at
            // the input's end (see `Core::record`).
            if let Some(t) = &mut self.core.tracer {
                t.input_end = Some(t.input_at + self.core.carry.len() as u64);
            }
            self.push(b"\n\n", out);
            if let Some(t) = &mut self.core.tracer {
                t.input_at = t.input_end.unwrap_or(t.input_at);
            }
        }
        let StreamSanitizer { parser, mut core } = self;
        if let Some(t) = &mut core.tracer {
            t.origin = out.len();
        }
        // NOTE: an error here means the parser is poisoned, which only happens
        // after `overflow` switched to pass-through. A partial event that
        // overflowed when it was ended still gets its error event.
        let partial = parser.finish().unwrap_or(false) || complete_partial;
        if !core.passthrough || complete_partial {
            core.end(partial, out);
        }
        if let Some(t) = core.tracer.take() {
            core.report.trace = t.entries;
        }
        core.report
    }

    /// The report so far.
    pub fn report(&self) -> &Report {
        &self.core.report
    }
}

/// What the top-level `type` says an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    MessageStart,
    MessageDelta,
    MessageStop,
    Start,
    Delta,
    Stop,
    Ping,
    Error,
    /// A `type` this crate does not know: passed through silently.
    Unknown,
    /// Data that starts like a JSON object but cannot be scanned.
    Malformed,
    /// Not a Claude event: no JSON object, no `type`, or an `event:` name
    /// that contradicts the data's `type`.
    Foreign(&'static str),
}

const KINDS: [(&str, Kind); 8] = [
    ("content_block_delta", Kind::Delta),
    ("content_block_start", Kind::Start),
    ("content_block_stop", Kind::Stop),
    ("ping", Kind::Ping),
    ("message_delta", Kind::MessageDelta),
    ("message_start", Kind::MessageStart),
    ("message_stop", Kind::MessageStop),
    ("error", Kind::Error),
];

impl Kind {
    /// The event name of a Claude event kind.
    fn name(self) -> Option<&'static str> {
        KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(name, _)| *name)
    }
}

/// `raw` (one SSE block without an `event` field) with an `event: <name>`
/// line first, in the block's own line ending.
fn add_event_line(raw: &[u8], name: &str, out: &mut Vec<u8>) {
    let eol: &[u8] = match memchr::memchr2(b'\r', b'\n', raw) {
        Some(p) if raw[p] == b'\n' => b"\n",
        Some(p) if raw.get(p + 1) == Some(&b'\n') => b"\r\n",
        _ => b"\r",
    };
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(eol);
    out.extend_from_slice(raw);
}

/// Whether a raw SSE block has an `event` field line (even an empty one).
fn has_event_field(raw: &[u8]) -> bool {
    scan::lines(raw).any(|line| {
        line.strip_prefix(b"event")
            .is_some_and(|rest| rest.is_empty() || rest[0] == b':')
    })
}

/// The event's kind, from its data's top-level `type`, as the SDK and the
/// accumulator count events. An `event:` name other than the default
/// `message` must agree with the data's `type`. Data without a `type` is a
/// `ping` or an `error` by its name (the SDK gates those by name), else
/// nothing to the SDK: it must not start, end or renumber a block (fuzz
/// regression accumulator-324520ba).
fn classify(event: &EventBytes<'_>) -> Kind {
    let data = event.data;
    let name = event.event_type;
    // NOTE: the SDK raises on any `event: error`, whatever its data (plain
    // text from a gateway included): it ends the message for every client.
    if name == b"error" {
        return Kind::Error;
    }
    match json::find_keys(data, [b"type"]) {
        Ok([Some(r)]) => {
            let ty = &data[r];
            if ty[0] != b'"' {
                Kind::Foreign("its `type` is not a string")
            } else if name != b"message" && !json::is_str(ty, name) {
                Kind::Foreign("its `event:` name and its data `type` disagree")
            } else {
                KINDS
                    .iter()
                    .find(|(k, _)| json::is_str(ty, k.as_bytes()))
                    .map_or(Kind::Unknown, |&(_, kind)| kind)
            }
        }
        Ok([None]) if name == b"ping" => Kind::Ping,
        Ok([None]) => Kind::Foreign("its data has no `type`"),
        Err(_) if data.trim_ascii_start().starts_with(b"{") => Kind::Malformed,
        Err(_) => Kind::Foreign("its data is not a JSON object"),
    }
}

/// Whether `data` is JSON (as `JSON.parse` reads it, any nesting).
fn valid_json(data: &[u8]) -> bool {
    json::check(data, json::Reader::Ignore, usize::MAX).is_ok()
}

/// Raw length for the held-bytes bound, not counting the LF of a final CRLF,
/// so that the bound trips at the same event whether or not that LF arrived
/// in the same chunk.
fn measure(raw: &[u8]) -> usize {
    raw.len() - usize::from(raw.ends_with(b"\r\n"))
}

/// Where the last completed block went (for the LF of a CRLF split across
/// chunks, which belongs to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Emitted,
    Held,
    Dropped,
}

/// A text block that started blank and is held while undecided. See the
/// [module documentation](super) for the decision.
#[derive(Debug)]
struct Candidate {
    /// The block's original index.
    index: u64,
    /// Its text so far holds whitespace (else it is empty).
    whitespace: bool,
    /// Its `content_block_stop` came: it ended blank, and waits for the
    /// start of the next block (is it a thinking block?) to be decided.
    stopped: bool,
    /// Its own events, and their original bytes.
    events: u64,
    bytes: u64,
}

/// What becomes of a held candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Released as it came (only its index renumbered).
    Keep,
    Drop,
    /// Kept, with the placeholder text appended before its stop.
    Placeholder(KeptReason),
}

/// A held SSE block, ending at `end` in `Core::held`.
#[derive(Debug, Clone, Copy)]
struct Part {
    end: usize,
    /// The candidate (position in `Core::group`) this event belongs to; `None`
    /// for an event of another kind that arrived meanwhile.
    owner: Option<usize>,
    /// The event's original block index (own events).
    index: u64,
    /// The event's number, for notes.
    event: u64,
    /// It is an event (else a comment-only block), for the trace.
    is_event: bool,
    /// It got an `event:` line, for the trace.
    named: bool,
    /// Where it is in the input, for the trace.
    input: [u64; 2],
    /// It is its candidate's `content_block_stop`.
    stop: bool,
}

/// The per-block trace, when [`SanitizerOptions::trace`] is set.
#[derive(Debug, Default)]
struct Tracer {
    entries: Vec<TraceEntry>,
    /// Absolute input offset of the next SSE block.
    input_at: u64,
    /// Absolute output offset of `out[origin]` in the current call.
    out_base: u64,
    /// `out.len()` when the current call began.
    origin: usize,
    /// The block being processed: its event number (`None`: comment-only)
    /// and input range.
    current: (Option<u64>, [u64; 2]),
    /// The `passed` entry that pass-through bytes extend.
    passed: Option<usize>,
    /// Where the input ends, once `finish` added the bytes that end a partial
    /// last event (so that ranges stay inside the input).
    input_end: Option<u64>,
}

impl Tracer {
    fn at(&self, out: &[u8]) -> u64 {
        self.out_base + (out.len() - self.origin) as u64
    }
}

#[derive(Debug, Default)]
struct Message {
    /// `message_start` events seen so far.
    count: u32,
    /// Original indices of the dropped blocks of this message, sorted.
    dropped: Vec<u64>,
    /// Index skew seen: no more drops in this message.
    skewed: bool,
    /// A thinking or redacted_thinking block started in this message.
    thinking: bool,
    /// A `message_start` with no `message_stop` yet.
    open: bool,
    /// An `error` event came after the `message_start`.
    errored: bool,
}

#[derive(Debug)]
struct Core {
    options: SanitizerOptions,
    /// The placeholder as a JSON string literal.
    placeholder_json: String,
    report: Report,
    /// Largest raw SSE block accepted before switching to pass-through.
    raw_limit: usize,
    /// Raw bytes of the block in progress that came in earlier chunks.
    carry: Vec<u8>,
    /// The held candidates, in stream order: all stopped but maybe the last.
    group: Vec<Candidate>,
    held: Vec<u8>,
    parts: Vec<Part>,
    /// `measure` of the held bytes.
    held_measure: usize,
    last: Last,
    /// The last dropped block is in `report.blocks_dropped`.
    last_drop_recorded: bool,
    msg: Message,
    /// No block has been completed yet (a leading BOM is still ahead).
    at_start: bool,
    /// After a buffer limit: everything passes through unchanged.
    passthrough: bool,
    scratch: Vec<u8>,
    /// The current event with its `event:` line added (event_names).
    named: Vec<u8>,
    /// The current event got an `event:` line.
    named_current: bool,
    tracer: Option<Tracer>,
}

/// What a `content_block_start` starts, as far as holding goes.
enum Starts {
    /// A text block whose text may end blank.
    Candidate(Blank),
    Thinking,
    Other,
}

impl Core {
    fn new(options: SanitizerOptions) -> Self {
        let trace = options.trace;
        Core {
            raw_limit: options
                .limits
                .max_event_bytes
                .saturating_add(options.limits.max_line_bytes),
            placeholder_json: json::escape(options.placeholder.as_str()),
            options,
            report: Report::default(),
            carry: Vec::new(),
            group: Vec::new(),
            held: Vec::new(),
            parts: Vec::new(),
            held_measure: 0,
            last: Last::Emitted,
            last_drop_recorded: false,
            msg: Message::default(),
            at_start: true,
            passthrough: false,
            scratch: Vec::new(),
            named: Vec::new(),
            named_current: false,
            tracer: trace.then(Tracer::default),
        }
    }

    /// Records a trace entry (when tracing), up to [`Report::MAX_TRACE`].
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn record(&mut self, mut entry: TraceEntry) {
        let Some(t) = &mut self.tracer else { return };
        if let (Some(end), Some(r)) = (t.input_end, &mut entry.input) {
            if r[1] > end {
                *r = [r[0].min(end), end];
                entry.rule = Some("truncated");
            }
        }
        if t.entries.len() < Report::MAX_TRACE {
            t.entries.push(entry);
        } else if t.entries.len() == Report::MAX_TRACE {
            t.entries
                .push(TraceEntry::new(TraceAction::Truncated, None));
        }
    }

    /// An entry for the block being processed, written at `out[from..]`.
    fn record_current(&mut self, action: TraceAction, from: Option<u64>, out: &[u8]) {
        let Some(t) = &self.tracer else { return };
        let action = match action {
            TraceAction::Kept if self.named_current => TraceAction::Named,
            action => action,
        };
        let (event, input) = t.current;
        let output = from.map(|from| [from, t.at(out)]);
        self.record(TraceEntry {
            event,
            input: Some(input),
            output,
            ..TraceEntry::new(action, None)
        });
    }

    fn out_at(&self, out: &[u8]) -> Option<u64> {
        self.tracer.as_ref().map(|t| t.at(out))
    }

    /// The end of a `push`/`finish` call: the output offsets move on.
    fn end_call(&mut self, out: &[u8]) {
        if let Some(t) = &mut self.tracer {
            t.out_base = t.at(out);
            t.origin = out.len();
        }
    }

    /// Writes bytes that pass through after a buffer limit (or a partial last
    /// event), extending the trace's `passed` entry.
    fn pass(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let from = self.out_at(out);
        out.extend_from_slice(bytes);
        let Some(t) = &mut self.tracer else { return };
        let len = bytes.len() as u64;
        let to = t.at(out);
        let end = t.input_end;
        match t.passed.and_then(|i| t.entries.get_mut(i)) {
            Some(e) => {
                if let Some(input) = &mut e.input {
                    input[1] += len;
                    if let Some(end) = end.filter(|&end| input[1] > end) {
                        *input = [input[0].min(end), end];
                        e.rule = Some("truncated");
                    }
                }
                if let Some(output) = &mut e.output {
                    output[1] = to;
                }
            }
            None => {
                let at = t.input_at;
                t.passed = Some(t.entries.len());
                self.record(TraceEntry {
                    input: Some([at, at + len]),
                    output: from.map(|f| [f, to]),
                    ..TraceEntry::new(TraceAction::Passed, None)
                });
            }
        }
        if let Some(t) = &mut self.tracer {
            t.input_at += len;
        }
    }

    /// Notes `code` at `event`; `detail` is made only while the report takes notes.
    fn note(&mut self, event: u64, code: NoteCode, detail: impl FnOnce() -> String) {
        let detail = (self.report.notes.len() < Report::MAX_ENTRIES).then(detail);
        self.push_note(event, code, detail);
    }

    // NOTE: one copy, not one per note (wasm size).
    #[inline(never)]
    fn push_note(&mut self, event: u64, code: NoteCode, detail: Option<String>) {
        let notes = &mut self.report.notes;
        if let Some(detail) = detail {
            notes.push(Note {
                code,
                event,
                detail: crate::auth::scrub_keys(&detail),
            });
        } else if notes.len() == Report::MAX_ENTRIES {
            notes.push(Note {
                code: NoteCode::ReportTruncated,
                event,
                detail: cat(&[
                    &"more than ",
                    &Report::MAX_ENTRIES,
                    &" notes; the rest are omitted",
                ]),
            });
        }
    }

    /// The index of the candidate still open (no stop yet), if any.
    fn open_index(&self) -> Option<u64> {
        self.group.last().filter(|c| !c.stopped).map(|c| c.index)
    }

    /// Keeps the unfinished tail of a chunk for the next one.
    fn keep(&mut self, rest: &[u8], out: &mut Vec<u8>) {
        if self.passthrough {
            self.pass(rest, out);
            return;
        }
        self.carry.extend_from_slice(rest);
        if self.carry.len() > self.raw_limit {
            self.overflow(&[], out);
        }
    }

    /// A line or event past the limits: everything from here passes through.
    fn overflow(&mut self, rest: &[u8], out: &mut Vec<u8>) {
        if !self.passthrough {
            self.settle(false, out);
            self.passthrough = true;
            let carry = std::mem::take(&mut self.carry);
            self.pass(&carry, out);
            let n = self.report.events_seen;
            // NOTE: one text whichever limit tripped: the parser's line/event
            // limit or the raw block limit can trip first depending on where
            // the chunks end, and the report must not depend on chunking
            // (fuzz regression sanitizer-ccfa702b).
            self.note(n, NoteCode::MaxBufferExceeded, || {
                "an SSE line or event exceeds the buffer limits (max_line_bytes, max_event_bytes); passing the rest of the stream through unchanged".to_string()
            });
        }
        self.pass(rest, out);
    }

    /// One complete SSE block whose last bytes are `tail`.
    fn block(&mut self, tail: &[u8], event: Option<&EventBytes<'_>>, out: &mut Vec<u8>) {
        if self.passthrough {
            self.pass(tail, out);
        } else if self.carry.is_empty() {
            self.process(tail, event, out);
        } else {
            let mut raw = std::mem::take(&mut self.carry);
            raw.extend_from_slice(tail);
            self.process(&raw, event, out);
            if !self.passthrough {
                raw.clear();
                self.carry = raw;
            }
        }
    }

    fn process(&mut self, raw: &[u8], event: Option<&EventBytes<'_>>, out: &mut Vec<u8>) {
        // NOTE: `measure`, not the length: a block ending in CRLF is complete
        // at its CR when the LF is in the next chunk, so its length differs by
        // one with chunking (fuzz regression sanitizer-b1818bf8). A carried
        // prefix is never longer than this measure, so `keep` agrees.
        if measure(raw) > self.raw_limit {
            self.overflow(raw, out);
            return;
        }
        if let Some(t) = &mut self.tracer {
            let at = t.input_at;
            t.input_at += raw.len() as u64;
            let event = event.map(|_| self.report.events_seen);
            t.current = (event, [at, at + raw.len() as u64]);
        }
        let raw = if std::mem::take(&mut self.at_start) && raw.starts_with(BOM) {
            // NOTE: the BOM goes out first so that dropping the first block
            // could never take it along.
            out.extend_from_slice(BOM);
            &raw[BOM.len()..]
        } else {
            raw
        };
        let Some(event) = event else {
            let n = self.report.events_seen;
            self.named_current = false;
            self.other(raw, n, out);
            return;
        };
        let n = self.report.events_seen;
        self.report.events_seen += 1;
        // NOTE: a message event that is not valid JSON starts, updates or ends
        // nothing for any consumer (the SDK throws on it or skips it), so it
        // must not reset the message's drops and renumbering either: deltas
        // after it would keep indices that no longer exist (fuzz regression
        // accumulator-8565cbb2). One parse per message event, which is rare.
        let kind = match classify(event) {
            Kind::MessageStart | Kind::MessageDelta | Kind::MessageStop
                if !valid_json(event.data) =>
            {
                Kind::Malformed
            }
            kind => kind,
        };
        // NOTE: the SDK only sees events by their `event:` name; a Claude
        // event sent as data only (some gateways, OpenAI-style relays) gets
        // its name line added, and from here on is that named event.
        let name = kind.name().filter(|_| {
            self.options.event_names
                && event.event_type == b"message"
                && !has_event_field(raw)
                && valid_json(event.data)
        });
        self.named_current = name.is_some();
        match name {
            Some(name) => {
                let mut named = std::mem::take(&mut self.named);
                named.clear();
                add_event_line(raw, name, &mut named);
                self.report.events_named += 1;
                self.dispatch(kind, &named, event, n, out);
                self.named = named;
            }
            None => self.dispatch(kind, raw, event, n, out),
        }
    }

    fn dispatch(
        &mut self,
        kind: Kind,
        raw: &[u8],
        event: &EventBytes<'_>,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        match kind {
            // The hot path: a delta needs nothing unless a block is held or
            // this message is being renumbered.
            Kind::Delta if self.group.is_empty() && self.msg.dropped.is_empty() => {
                self.emit(raw, out)
            }
            kind @ (Kind::Start | Kind::Delta | Kind::Stop) => {
                self.content_block(kind, raw, event, n, out)
            }
            Kind::Ping | Kind::Unknown => self.other(raw, n, out),
            Kind::Malformed => {
                self.note(n, NoteCode::MalformedJson, || {
                    cat(&[
                        &"`",
                        &text::lossy(event.event_type),
                        &"` event data is not valid JSON",
                    ])
                });
                self.other(raw, n, out);
            }
            Kind::Foreign(why) => {
                self.note(n, NoteCode::NonClaudeEvent, || {
                    cat(&[
                        &"`",
                        &text::lossy(event.event_type),
                        &"` event passed through: ",
                        &why,
                    ])
                });
                self.other(raw, n, out);
            }
            Kind::Error => {
                self.settle(false, out);
                self.msg.errored = true;
                self.note(n, NoteCode::ErrorEvent, || error_detail(event.data));
                self.emit(raw, out);
            }
            Kind::MessageStart => {
                self.end_hold("message_start", n, out);
                let msg = &mut self.msg;
                msg.count = msg.count.saturating_add(1);
                msg.dropped.clear();
                msg.skewed = false;
                msg.thinking = false;
                msg.open = true;
                msg.errored = false;
                self.emit(raw, out);
            }
            Kind::MessageDelta => {
                self.end_hold("message_delta", n, out);
                self.emit(raw, out);
            }
            Kind::MessageStop => {
                self.end_hold("message_stop", n, out);
                self.msg.open = false;
                self.emit(raw, out);
            }
        }
    }

    fn content_block(
        &mut self,
        kind: Kind,
        raw: &[u8],
        event: &EventBytes<'_>,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        let data = event.data;
        let scanned = match kind {
            Kind::Start => json::find_keys(data, [b"index".as_slice(), b"content_block"]),
            Kind::Delta => json::find_keys(data, [b"index".as_slice(), b"delta"]),
            _ => json::find_keys(data, [b"index"]).map(|[i]| [i, None]),
        };
        let Ok([index, body]) = scanned else {
            self.malformed(raw, event, n, out);
            return;
        };
        let index = index.and_then(|r| json::as_u64(&data[r]));
        let body = body.map(|r| &data[r]);
        let starts = match kind {
            Kind::Start => self.starts(body),
            _ => Starts::Other,
        };

        if let Some(open) = self.open_index() {
            if index == Some(open) && kind != Kind::Start {
                if kind == Kind::Stop {
                    self.held_stop(raw, event, open, n, out);
                } else {
                    self.held_delta(raw, event, open, body, n, out);
                }
                return;
            }
            // NOTE: index skew. Another block's event (or a second start, or
            // an event without a usable index) while a block is held: which
            // block it means is unknowable, so the held block is kept as it
            // came and nothing more is dropped in this message.
            self.settle(false, out);
            self.msg.skewed = true;
            self.note(n, NoteCode::IndexSkew, || match index {
                Some(i) => cat(&[
                    &"text block ",
                    &open,
                    &" was held when a ",
                    &text::lossy(event.event_type),
                    &" for index ",
                    &i,
                    &" arrived; released unchanged",
                ]),
                None => cat(&[
                    &"text block ",
                    &open,
                    &" was held when a ",
                    &text::lossy(event.event_type),
                    &" without a usable index arrived; released unchanged",
                ]),
            });
        } else if !self.group.is_empty() {
            // Blank blocks that ended wait for the next start: a thinking
            // block keeps them (with the placeholder), another blank text
            // block joins them, anything else decides them.
            match starts {
                Starts::Thinking => self.settle(true, out),
                Starts::Candidate(_) if index.is_some() && !self.msg.skewed => {}
                _ => self.settle(false, out),
            }
        }

        let Some(i) = index else {
            self.emit(raw, out);
            return;
        };
        if kind == Kind::Start && !self.msg.skewed {
            // NOTE: a start that reuses the index of a dropped block (a
            // gateway that numbers from its own view of the message) has one
            // reading: a new block in that place, which the SDK appends where
            // the dropped one would have been. That index stops counting as
            // dropped, so this block and those after it keep their numbers.
            if let Ok(at) = self.msg.dropped.binary_search(&i) {
                self.msg.dropped.remove(at);
                self.note(n, NoteCode::IndexReused, || reused_index(i));
            }
            match starts {
                // NOTE: a start that reuses the index of a dropped block is
                // judged like any other: keeping a blank block there would
                // leave a stream that a second pass changes (fuzz regression
                // sanitizer-d3fb143e).
                Starts::Candidate(blank) => {
                    if valid_json(event.data) {
                        self.begin_hold(raw, i, blank, n, out);
                    } else {
                        self.malformed(raw, event, n, out);
                    }
                    return;
                }
                Starts::Thinking => self.msg.thinking = true,
                Starts::Other => {}
            }
        }
        self.emit_renumbered(raw, i, event.data, n, out);
    }

    /// What a `content_block_start`'s block (its raw `content_block`) is: a
    /// text block that may turn out blank (text absent, `null`, `""` or
    /// whitespace, no citations), a thinking block, or something else.
    fn starts(&self, body: Option<&[u8]>) -> Starts {
        let Some(block) = body else {
            return Starts::Other;
        };
        let Ok([Some(ty)]) = json::find_keys(block, [b"type"]) else {
            return Starts::Other;
        };
        let ty = &block[ty];
        if json::is_str(ty, b"thinking") || json::is_str(ty, b"redacted_thinking") {
            return Starts::Thinking;
        }
        if !json::is_str(ty, b"text") {
            return Starts::Other;
        }
        let Ok([text, citations]) = json::find_keys(block, [b"text".as_slice(), b"citations"])
        else {
            return Starts::Other;
        };
        if let Some(c) = citations {
            let c = &block[c];
            let empty_array = c.starts_with(b"[") && c[1..c.len() - 1].trim_ascii().is_empty();
            if c != b"null" && !empty_array {
                return Starts::Other;
            }
        }
        match json::blank_raw(text.map(|r| &block[r])) {
            Blank::Text => Starts::Other,
            blank => Starts::Candidate(blank),
        }
    }

    /// Notes an event that would have been changed but is not valid JSON,
    /// releases what is held and writes the event out unchanged.
    fn malformed(&mut self, raw: &[u8], event: &EventBytes<'_>, n: u64, out: &mut Vec<u8>) {
        self.settle(false, out);
        self.note(n, NoteCode::MalformedJson, || {
            cat(&[
                &"`",
                &text::lossy(event.event_type),
                &"` event data is not valid JSON; passed through unchanged",
            ])
        });
        self.emit(raw, out);
    }

    /// The `content_block_stop` of the open candidate: it ended blank; it
    /// stays held until the next block starts.
    fn held_stop(
        &mut self,
        raw: &[u8],
        event: &EventBytes<'_>,
        index: u64,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        if !valid_json(event.data) {
            self.malformed(raw, event, n, out);
            return;
        }
        if let Some(c) = self.group.last_mut() {
            c.stopped = true;
        }
        self.hold_own(raw, index, true, n, out);
    }

    /// A delta of the open candidate (`delta` is its raw `delta` value).
    fn held_delta(
        &mut self,
        raw: &[u8],
        event: &EventBytes<'_>,
        index: u64,
        delta: Option<&[u8]>,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        let blank = delta.and_then(|delta| {
            let [ty, text] = json::find_keys(delta, [b"type".as_slice(), b"text"]).ok()?;
            let text = &delta[text?];
            json::is_str(&delta[ty?], b"text_delta").then(|| json::blank_raw(Some(text)))
        });
        match blank {
            Some(Blank::Empty | Blank::Whitespace) if !valid_json(event.data) => {
                self.malformed(raw, event, n, out)
            }
            Some(blank @ (Blank::Empty | Blank::Whitespace)) => {
                if let Some(c) = self.group.last_mut() {
                    c.whitespace |= blank == Blank::Whitespace;
                }
                self.hold_own(raw, index, false, n, out);
            }
            _ => {
                // Visible text (or another kind of delta): the block stays.
                self.settle(false, out);
                self.emit_renumbered(raw, index, event.data, n, out);
            }
        }
    }

    fn begin_hold(&mut self, raw: &[u8], index: u64, blank: Blank, n: u64, out: &mut Vec<u8>) {
        self.group.push(Candidate {
            index,
            whitespace: blank == Blank::Whitespace,
            stopped: false,
            events: 0,
            bytes: 0,
        });
        self.hold_own(raw, index, false, n, out);
    }

    /// Holds one of the open candidate's own events.
    fn hold_own(&mut self, raw: &[u8], index: u64, stop: bool, n: u64, out: &mut Vec<u8>) {
        let owner = self.group.len() - 1;
        let c = &mut self.group[owner];
        c.events += 1;
        c.bytes += raw.len() as u64;
        self.push_part(raw, Some(owner), index, stop, n, out);
    }

    /// An event that is not part of a text block: held in place while a block
    /// is held, else written out.
    fn other(&mut self, raw: &[u8], n: u64, out: &mut Vec<u8>) {
        if self.group.is_empty() {
            self.emit(raw, out);
        } else {
            self.push_part(raw, None, 0, false, n, out);
        }
    }

    fn push_part(
        &mut self,
        raw: &[u8],
        owner: Option<usize>,
        index: u64,
        stop: bool,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        self.held.extend_from_slice(raw);
        let (is_event, input) = self
            .tracer
            .as_ref()
            .map_or((false, [0, 0]), |t| (t.current.0.is_some(), t.current.1));
        self.parts.push(Part {
            end: self.held.len(),
            owner,
            index,
            event: n,
            is_event,
            named: self.named_current,
            input,
            stop,
        });
        self.last = Last::Held;
        self.held_measure += measure(raw);
        let limit = self.options.limits.max_held_bytes;
        if self.held_measure <= limit {
            return;
        }
        // NOTE: first the blocks that ended blank are decided as if no
        // thinking block followed (each alone never crossed the limit: they
        // are let go of so that a long run of them is not held whole); only
        // when the open block alone still crosses it is it released unchanged.
        let ended = self.group.len() - usize::from(self.open_index().is_some());
        if ended > 0 {
            let first = self.group[0].index;
            self.settle_first(ended, false, out);
            // (After a thinking block they were given the placeholder instead:
            // nothing moves, nothing to note.)
            if !self.msg.thinking {
                self.note(n, NoteCode::HeldLimitExceeded, || {
                    cat(&[
                        &"blank text blocks from ",
                        &first,
                        &" on were decided before the next block started (more than ",
                        &limit,
                        &" bytes held); a thinking block after them would move",
                    ])
                });
            }
        }
        if self.held_measure > limit {
            let index = self.group.last().map_or(0, |c| c.index);
            self.settle(false, out);
            self.note(n, NoteCode::HeldLimitExceeded, || {
                cat(&[
                    &"text block ",
                    &index,
                    &" held more than ",
                    &limit,
                    &" bytes undecided; released unchanged",
                ])
            });
        }
    }

    /// What becomes of candidate `c`, given whether the block after the
    /// group is a thinking block.
    fn outcome(&self, c: &Candidate, thinking_follows: bool) -> Outcome {
        if !c.stopped {
            return Outcome::Keep;
        }
        let droppable = !c.whitespace || self.options.profile.rejects_whitespace_text();
        if thinking_follows {
            Outcome::Placeholder(KeptReason::ThinkingFollows)
        } else if droppable && self.msg.thinking {
            Outcome::Placeholder(KeptReason::ThinkingEarlier)
        } else if droppable {
            Outcome::Drop
        } else {
            Outcome::Keep
        }
    }

    /// Decides every held candidate; see [`Core::settle_first`].
    fn settle(&mut self, thinking_follows: bool, out: &mut Vec<u8>) {
        self.settle_first(self.group.len(), thinking_follows, out);
    }

    /// Decides the first `count` held candidates and writes out what stays
    /// of everything held before the next candidate's first event, in order:
    /// the events of other kinds held meanwhile always, a candidate's own
    /// events unless it is dropped (renumbered past earlier drops), the
    /// placeholder delta before the stop of a block that keeps it. The rest
    /// stays held.
    fn settle_first(&mut self, count: usize, thinking_follows: bool, out: &mut Vec<u8>) {
        if count == 0 {
            return;
        }
        let outcomes: Vec<Outcome> = self.group[..count]
            .iter()
            .map(|c| self.outcome(c, thinking_follows))
            .collect();
        let message = self.msg.count.saturating_sub(1);
        for (c, outcome) in self.group[..count].iter().zip(&outcomes) {
            let blank = if c.whitespace {
                BlankText::Whitespace
            } else {
                BlankText::Empty
            };
            match *outcome {
                Outcome::Drop => {
                    let dropped = &mut self.msg.dropped;
                    let at = dropped.partition_point(|&d| d < c.index);
                    if dropped.get(at) != Some(&c.index) {
                        dropped.insert(at, c.index);
                    }
                    self.report.events_changed += c.events;
                    self.last_drop_recorded =
                        self.report.blocks_dropped.len() < Report::MAX_ENTRIES;
                    if self.last_drop_recorded {
                        self.report.blocks_dropped.push(DroppedBlock {
                            message,
                            index: c.index,
                            reason: blank,
                            bytes: c.bytes,
                        });
                    }
                }
                Outcome::Placeholder(reason) => {
                    self.report.events_changed += 1;
                    if self.report.blocks_replaced.len() < Report::MAX_ENTRIES {
                        self.report.blocks_replaced.push(ReplacedBlock {
                            message,
                            index: c.index,
                            rule: "thinking-position",
                            blank,
                            reason,
                        });
                    }
                }
                Outcome::Keep => {}
            }
        }
        // The event whose arrival decided (the end of the stream: events seen).
        let decided_by = self
            .tracer
            .as_ref()
            .map_or(0, |t| t.current.0.unwrap_or(self.report.events_seen));
        // A kept block of the group that has the index of a dropped one took
        // its place (see `index-reused` in `content_block`).
        let at_event = self.report.events_seen.saturating_sub(1);
        for (k, outcome) in outcomes.iter().enumerate() {
            let index = self.group[k].index;
            if *outcome == Outcome::Drop {
                continue;
            }
            if let Ok(at) = self.msg.dropped.binary_search(&index) {
                self.msg.dropped.remove(at);
                self.note(at_event, NoteCode::IndexReused, || reused_index(index));
            }
        }
        let mut held = std::mem::take(&mut self.held);
        let mut parts = std::mem::take(&mut self.parts);
        let split = parts
            .iter()
            .position(|p| p.owner.is_some_and(|k| k >= count))
            .unwrap_or(parts.len());
        let mut start = 0;
        let mut last = Last::Emitted;
        for part in &parts[..split] {
            let bytes = &held[start..part.end];
            start = part.end;
            let outcome = part.owner.map_or(Outcome::Keep, |k| outcomes[k]);
            last = if outcome == Outcome::Drop {
                Last::Dropped
            } else {
                Last::Emitted
            };
            let kept = if part.named {
                TraceAction::Named
            } else {
                TraceAction::Kept
            };
            let mut entry = TraceEntry {
                event: part.is_event.then_some(part.event),
                input: Some(part.input),
                held_until: Some(decided_by),
                index: part.owner.map(|_| part.index),
                ..TraceEntry::new(kept, None)
            };
            match (part.owner, outcome) {
                (None, _) => {
                    let from = self.out_at(out);
                    out.extend_from_slice(bytes);
                    entry.output = from.map(|f| [f, f + bytes.len() as u64]);
                }
                (Some(k), Outcome::Drop) => {
                    entry.action = TraceAction::Dropped;
                    entry.rule = Some(
                        if self.group[k].whitespace {
                            BlankText::Whitespace
                        } else {
                            BlankText::Empty
                        }
                        .as_str(),
                    );
                }
                (Some(_), outcome) => {
                    let new = self.new_index(part.index, part.event);
                    if part.stop && matches!(outcome, Outcome::Placeholder(_)) {
                        self.placeholder_event(bytes, new.unwrap_or(part.index), out);
                    }
                    let from = self.out_at(out);
                    let rewritten = new
                        .is_some_and(|new| scan::rewrite_index(bytes, new, &mut self.scratch, out));
                    if rewritten {
                        self.report.events_changed += 1;
                        entry.action = TraceAction::Renumbered;
                        entry.new_index = new;
                    } else {
                        out.extend_from_slice(bytes);
                    }
                    entry.output = from.map(|f| [f, self.out_at(out).unwrap_or(f)]);
                }
            }
            self.record(entry);
        }
        // What stays held: the parts from `split` on, shifted to the front.
        held.drain(..start);
        parts.drain(..split);
        self.held_measure = 0;
        let mut from = 0;
        for part in &mut parts {
            part.end -= start;
            part.owner = part.owner.map(|k| k - count);
            self.held_measure += measure(&held[from..part.end]);
            from = part.end;
        }
        self.last = if parts.is_empty() { last } else { Last::Held };
        self.held = held;
        self.parts = parts;
        self.group.drain(..count);
    }

    /// Writes the `text_delta` of the placeholder for block `index` (as it is
    /// numbered in the output), framed like `stop`, the block's
    /// `content_block_stop`: the same line ending, an `event:` line if it has
    /// one or if data-only events get their names (`event_names`).
    fn placeholder_event(&mut self, stop: &[u8], index: u64, out: &mut Vec<u8>) {
        let from = self.out_at(out);
        let eol: &[u8] = match memchr::memchr2(b'\r', b'\n', stop) {
            Some(p) if stop[p] == b'\n' => b"\n",
            Some(p) if stop.get(p + 1) == Some(&b'\n') => b"\r\n",
            _ => b"\r",
        };
        // NOTE: under `event_names` a data-only placeholder would be named by
        // a second pass (not idempotent) when the stop itself stays unnamed,
        // as one with an empty `event` field does (fuzz sanitizer-d7dc6532).
        let named =
            self.options.event_names || scan::lines(stop).any(|line| line.starts_with(b"event:"));
        if named {
            out.extend_from_slice(b"event: content_block_delta");
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(b"data: {\"type\":\"content_block_delta\",\"index\":");
        crate::text::push_decimal_bytes(out, index);
        out.extend_from_slice(b",\"delta\":{\"type\":\"text_delta\",\"text\":");
        out.extend_from_slice(self.placeholder_json.as_bytes());
        out.extend_from_slice(b"}}");
        out.extend_from_slice(eol);
        out.extend_from_slice(eol);
        if let Some(from) = from {
            let to = self.out_at(out).unwrap_or(from);
            self.record(TraceEntry {
                output: Some([from, to]),
                index: Some(index),
                rule: Some("thinking-position"),
                ..TraceEntry::new(TraceAction::Inserted, None)
            });
        }
    }

    /// A message event: decides what is held; an open candidate is released
    /// unchanged (it never got its stop).
    fn end_hold(&mut self, what: &str, n: u64, out: &mut Vec<u8>) {
        if let Some(index) = self.open_index() {
            self.note(n, NoteCode::UnterminatedBlock, || {
                cat(&[
                    &"text block ",
                    &index,
                    &" had no content_block_stop before ",
                    &what,
                    &"; released unchanged",
                ])
            });
        }
        self.settle(false, out);
    }

    /// The index an event of block `index` gets after the drops so far in
    /// this message, when it changes.
    fn new_index(&mut self, index: u64, n: u64) -> Option<u64> {
        // NOTE: after a skew nothing more of the message is rewritten: a
        // renumbered event could then pair up with a block it never belonged
        // to, and a second pass would change the output (not idempotent).
        if self.msg.dropped.is_empty() || self.msg.skewed {
            return None;
        }
        match self.msg.dropped.binary_search(&index) {
            Ok(_) => {
                self.msg.skewed = true;
                self.note(n, NoteCode::IndexSkew, || {
                    cat(&[
                        &"an event uses index ",
                        &index,
                        &" of a dropped block; passed through unchanged",
                    ])
                });
                None
            }
            Err(0) => None,
            Err(below) => Some(index - below as u64),
        }
    }

    fn emit_renumbered(&mut self, raw: &[u8], index: u64, data: &[u8], n: u64, out: &mut Vec<u8>) {
        if let Some(new) = self.new_index(index, n) {
            if !valid_json(data) {
                self.note(n, NoteCode::MalformedJson, || {
                    "event data is not valid JSON; not renumbered".to_string()
                });
            } else {
                let from = self.out_at(out);
                if scan::rewrite_index(raw, new, &mut self.scratch, out) {
                    self.report.events_changed += 1;
                    self.last = Last::Emitted;
                    if self.tracer.is_some() {
                        self.record_current(TraceAction::Renumbered, from, out);
                        if let Some(e) = self.tracer.as_mut().and_then(|t| t.entries.last_mut()) {
                            e.index = Some(index);
                            e.new_index = Some(new);
                        }
                    }
                    return;
                }
            }
        }
        self.emit(raw, out);
    }

    fn emit(&mut self, raw: &[u8], out: &mut Vec<u8>) {
        let from = self.out_at(out);
        out.extend_from_slice(raw);
        self.last = Last::Emitted;
        if self.tracer.is_some() {
            self.record_current(TraceAction::Kept, from, out);
        }
    }

    /// The LF of a CRLF whose CR closed the previous block in the previous chunk.
    fn crlf_tail(&mut self, out: &mut Vec<u8>) {
        if let Some(t) = &mut self.tracer {
            t.input_at += 1;
            if self.last != Last::Held {
                if let Some(e) = t.entries.last_mut() {
                    if let Some(input) = &mut e.input {
                        input[1] += 1;
                    }
                    if let Some(output) = &mut e.output {
                        output[1] += 1;
                    }
                }
            }
        }
        match self.last {
            Last::Emitted => out.push(b'\n'),
            Last::Held => {
                self.held.push(b'\n');
                if let Some(part) = self.parts.last_mut() {
                    part.end += 1;
                    part.input[1] += 1;
                    if let Some(c) = part.owner.and_then(|k| self.group.get_mut(k)) {
                        c.bytes += 1;
                    }
                }
            }
            Last::Dropped => {
                if self.last_drop_recorded {
                    if let Some(block) = self.report.blocks_dropped.last_mut() {
                        block.bytes += 1;
                    }
                }
            }
        }
    }

    fn end(&mut self, partial: bool, out: &mut Vec<u8>) {
        let n = self.report.events_seen;
        let cause = if let Some(index) = self.open_index() {
            Some(cat(&[
                &"the stream ended inside text block ",
                &index,
                &"; held events released unchanged",
            ]))
        } else if partial {
            Some("the stream ended inside an event; passed through unchanged".to_string())
        } else if self.msg.open && !self.msg.errored {
            Some("the stream ended before message_stop".to_string())
        } else {
            None
        };
        if let Some(t) = &mut self.tracer {
            t.current.0 = None;
        }
        self.settle(false, out);
        let carry = std::mem::take(&mut self.carry);
        if !carry.is_empty() {
            self.pass(&carry, out);
        }
        if let Some(cause) = cause {
            self.report.truncated = true;
            let added = self.options.on_truncated == OnTruncated::ErrorEvent;
            if added {
                let from = self.out_at(out);
                truncation_error_event(&cause, out);
                if let Some(from) = from {
                    let to = self.out_at(out).unwrap_or(from);
                    self.record(TraceEntry {
                        output: Some([from, to]),
                        rule: Some("truncated"),
                        ..TraceEntry::new(TraceAction::Inserted, None)
                    });
                }
            }
            self.note(n, NoteCode::Truncated, || {
                if added {
                    cat(&[&cause, &"; an `error` event was appended"])
                } else {
                    cause
                }
            });
        }
    }
}

/// The note of a `content_block_start` that reuses the index of a dropped block.
fn reused_index(index: u64) -> String {
    cat(&[
        &"a content_block_start reuses index ",
        &index,
        &" of a dropped block; it takes that place",
    ])
}

/// Appends the Anthropic-shaped `error` event that tells every client the
/// stream was cut (see [`OnTruncated::ErrorEvent`]; a partial last event was
/// ended before, in `finish`).
fn truncation_error_event(cause: &str, out: &mut Vec<u8>) {
    let message = cat(&[
        &"stream truncated: ",
        &cause,
        &" (error event added by sse-sanitizer)",
    ]);
    out.extend_from_slice(
        b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":",
    );
    out.extend_from_slice(json::escape(&message).as_bytes());
    out.extend_from_slice(b"}}\n\n");
}

/// `type: message` of an `error` event, else (the start of) its data.
fn error_detail(data: &[u8]) -> String {
    let error = json::read_bytes(data).ok().and_then(|v| v.get("error"));
    match error.and_then(|e| e.get_str("type")) {
        Some(ty) => {
            let message = error.and_then(|e| e.get_str("message")).unwrap_or_default();
            cat(&[&ty, &": ", &message])
        }
        None => text::lossy(&data[..data.len().min(200)]).into_owned(),
    }
}
