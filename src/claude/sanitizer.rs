use super::scan::{self, Blank};
use super::{DroppedBlock, Note, Report, SanitizerOptions};
use crate::sse::{ByteSegment, EventBytes, Parser};

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
        if core.passthrough {
            out.extend_from_slice(chunk);
            return;
        }
        let mut start = 0;
        let result = self.parser.feed_bytes(chunk, &mut |segment| match segment {
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
    }

    /// Ends the stream: releases anything held, passes a partial last event
    /// through unchanged, and returns the final report.
    pub fn finish(self, out: &mut Vec<u8>) -> Report {
        let StreamSanitizer { parser, mut core } = self;
        if !core.passthrough {
            // NOTE: an error here means the parser is poisoned, which only
            // happens after `overflow` switched to pass-through.
            let partial = parser.finish().unwrap_or(false);
            core.end(partial, out);
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

/// The event's kind, from its data's top-level `type`, as the SDK and the
/// accumulator count events. An `event:` name other than the default
/// `message` must agree with the data's `type`. Data without a `type` is a
/// `ping` or an `error` by its name (the SDK gates those by name), else
/// nothing to the SDK: it must not start, end or renumber a block (fuzz
/// regression accumulator-324520ba).
fn classify(event: &EventBytes<'_>) -> Kind {
    let data = event.data;
    let name = event.event_type;
    match scan::find_keys(data, [b"type"]) {
        Ok([Some(r)]) => {
            let ty = &data[r];
            if ty[0] != b'"' {
                Kind::Foreign("its `type` is not a string")
            } else if name != b"message" && !scan::is_str(ty, name) {
                Kind::Foreign("its `event:` name and its data `type` disagree")
            } else {
                KINDS
                    .iter()
                    .find(|(k, _)| scan::is_str(ty, k.as_bytes()))
                    .map_or(Kind::Unknown, |&(_, kind)| kind)
            }
        }
        Ok([None]) => match name {
            b"ping" => Kind::Ping,
            b"error" => Kind::Error,
            _ => Kind::Foreign("its data has no `type`"),
        },
        Err(_) if data.trim_ascii_start().starts_with(b"{") => Kind::Malformed,
        Err(_) => Kind::Foreign("its data is not a JSON object"),
    }
}

fn valid_json(data: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(data).is_ok()
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

#[derive(Debug)]
struct Hold {
    /// The block's original index.
    index: u64,
    whitespace: bool,
    own_events: u64,
    /// Own events whose index was rewritten (changed if released).
    own_rewritten: u64,
    /// Original bytes of the block's own events.
    own_bytes: u64,
}

/// A held block of bytes, ending at `end` in `Core::held`.
#[derive(Debug, Clone, Copy)]
struct Part {
    end: usize,
    /// Part of the held text block (else an event that arrived meanwhile).
    own: bool,
}

#[derive(Debug, Default)]
struct Message {
    /// `message_start` events seen so far.
    count: u32,
    /// Original indices of the dropped blocks of this message, sorted.
    dropped: Vec<u64>,
    /// Index skew seen: no more drops in this message.
    skewed: bool,
    /// A `message_start` with no `message_stop` yet.
    open: bool,
    /// An `error` event came after the `message_start`.
    errored: bool,
}

#[derive(Debug)]
struct Core {
    options: SanitizerOptions,
    report: Report,
    /// Largest raw SSE block accepted before switching to pass-through.
    raw_limit: usize,
    /// Raw bytes of the block in progress that came in earlier chunks.
    carry: Vec<u8>,
    hold: Option<Hold>,
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
}

impl Core {
    fn new(options: SanitizerOptions) -> Self {
        Core {
            raw_limit: options
                .limits
                .max_event_bytes
                .saturating_add(options.limits.max_line_bytes),
            options,
            report: Report::default(),
            carry: Vec::new(),
            hold: None,
            held: Vec::new(),
            parts: Vec::new(),
            held_measure: 0,
            last: Last::Emitted,
            last_drop_recorded: false,
            msg: Message::default(),
            at_start: true,
            passthrough: false,
            scratch: Vec::new(),
        }
    }

    fn note(&mut self, event: u64, code: &'static str, detail: impl FnOnce() -> String) {
        let notes = &mut self.report.notes;
        if notes.len() < Report::MAX_ENTRIES {
            notes.push(Note {
                code,
                event,
                detail: crate::auth::scrub_keys(&detail()),
            });
        } else if notes.len() == Report::MAX_ENTRIES {
            notes.push(Note {
                code: "report-truncated",
                event,
                detail: format!(
                    "more than {} notes; the rest are omitted",
                    Report::MAX_ENTRIES
                ),
            });
        }
    }

    /// Keeps the unfinished tail of a chunk for the next one.
    fn keep(&mut self, rest: &[u8], out: &mut Vec<u8>) {
        if self.passthrough {
            out.extend_from_slice(rest);
            return;
        }
        self.carry.extend_from_slice(rest);
        if self.carry.len() > self.raw_limit {
            self.overflow(&[], out);
        }
    }

    /// A buffer limit was hit: release everything and pass the rest through.
    /// A line or event past the limits: everything from here passes through.
    fn overflow(&mut self, rest: &[u8], out: &mut Vec<u8>) {
        if !self.passthrough {
            self.passthrough = true;
            self.release(out);
            out.extend_from_slice(&self.carry);
            self.carry = Vec::new();
            let n = self.report.events_seen;
            // NOTE: one text whichever limit tripped: the parser's line/event
            // limit or the raw block limit can trip first depending on where
            // the chunks end, and the report must not depend on chunking
            // (fuzz regression sanitizer-ccfa702b).
            self.note(n, "max-buffer-exceeded", || {
                "an SSE line or event exceeds the buffer limits (max_line_bytes, max_event_bytes); passing the rest of the stream through unchanged".to_string()
            });
        }
        out.extend_from_slice(rest);
    }

    /// One complete SSE block whose last bytes are `tail`.
    fn block(&mut self, tail: &[u8], event: Option<&EventBytes<'_>>, out: &mut Vec<u8>) {
        if self.passthrough {
            out.extend_from_slice(tail);
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
        match kind {
            // The hot path: a delta needs nothing unless a block is held or
            // this message is being renumbered.
            Kind::Delta if self.hold.is_none() && self.msg.dropped.is_empty() => {
                self.emit(raw, out)
            }
            kind @ (Kind::Start | Kind::Delta | Kind::Stop) => {
                self.content_block(kind, raw, event, n, out)
            }
            Kind::Ping | Kind::Unknown => self.other(raw, n, out),
            Kind::Malformed => {
                self.note(n, "malformed-json", || {
                    format!(
                        "`{}` event data is not valid JSON",
                        String::from_utf8_lossy(event.event_type)
                    )
                });
                self.other(raw, n, out);
            }
            Kind::Foreign(why) => {
                self.note(n, "non-claude-event", || {
                    format!(
                        "`{}` event passed through: {why}",
                        String::from_utf8_lossy(event.event_type)
                    )
                });
                self.other(raw, n, out);
            }
            Kind::Error => {
                self.release(out);
                self.msg.errored = true;
                self.note(n, "error-event", || error_detail(event.data));
                self.emit(raw, out);
            }
            Kind::MessageStart => {
                self.end_hold("message_start", n, out);
                let msg = &mut self.msg;
                msg.count = msg.count.saturating_add(1);
                msg.dropped.clear();
                msg.skewed = false;
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
            Kind::Start => scan::find_keys(data, [b"index".as_slice(), b"content_block"]),
            Kind::Delta => scan::find_keys(data, [b"index".as_slice(), b"delta"]),
            _ => scan::find_keys(data, [b"index"]).map(|[i]| [i, None]),
        };
        let Ok([index, body]) = scanned else {
            self.malformed(raw, event, n, out);
            return;
        };
        let index = index.and_then(|r| scan::as_u64(&data[r]));
        let body = body.map(|r| &data[r]);

        if let Some(hold) = &self.hold {
            let held = hold.index;
            if index == Some(held) && kind != Kind::Start {
                if kind == Kind::Stop {
                    self.held_stop(raw, event, n, out);
                } else {
                    self.held_delta(raw, event, held, body, n, out);
                }
                return;
            }
            // NOTE: index skew. Another block's event (or a second start, or
            // an event without a usable index) while a block is held: which
            // block it means is unknowable, so the held block is kept as it
            // came and nothing more is dropped in this message.
            self.release(out);
            self.msg.skewed = true;
            self.note(n, "index-skew", || match index {
                Some(i) => format!(
                    "text block {held} was held when a {} for index {i} arrived; released unchanged",
                    String::from_utf8_lossy(event.event_type)
                ),
                None => format!(
                    "text block {held} was held when a {} without a usable index arrived; released unchanged",
                    String::from_utf8_lossy(event.event_type)
                ),
            });
        }

        let Some(i) = index else {
            self.emit(raw, out);
            return;
        };
        // NOTE: a start that reuses the index of a dropped block is judged like
        // any other: keeping a blank block there would leave a stream that a
        // second pass changes (fuzz regression sanitizer-d3fb143e).
        if kind == Kind::Start && !self.msg.skewed {
            if let Some(blank) = self.droppable_start(body) {
                if valid_json(event.data) {
                    self.begin_hold(raw, i, blank, n, out);
                } else {
                    self.malformed(raw, event, n, out);
                }
                return;
            }
        }
        self.emit_renumbered(raw, i, event.data, n, out);
    }

    /// Whether a `content_block_start`'s block is a text block that may turn
    /// out empty: text absent, `null`, `""` (or whitespace), no citations.
    fn droppable_start(&self, body: Option<&[u8]>) -> Option<Blank> {
        let block = body?;
        let [ty] = scan::find_keys(block, [b"type"]).ok()?;
        if !scan::is_str(&block[ty?], b"text") {
            return None;
        }
        let [text, citations] = scan::find_keys(block, [b"text".as_slice(), b"citations"]).ok()?;
        if let Some(c) = citations {
            let c = &block[c];
            let empty_array = c.starts_with(b"[") && c[1..c.len() - 1].trim_ascii().is_empty();
            if c != b"null" && !empty_array {
                return None;
            }
        }
        self.droppable(scan::blank(text.map(|r| &block[r])))
    }

    fn droppable(&self, blank: Blank) -> Option<Blank> {
        match blank {
            Blank::Empty => Some(Blank::Empty),
            Blank::Whitespace if self.options.drop_whitespace_only_text => Some(Blank::Whitespace),
            _ => None,
        }
    }

    /// Notes an event that would have been changed but is not valid JSON,
    /// releases what is held and writes the event out unchanged.
    fn malformed(&mut self, raw: &[u8], event: &EventBytes<'_>, n: u64, out: &mut Vec<u8>) {
        self.release(out);
        self.note(n, "malformed-json", || {
            format!(
                "`{}` event data is not valid JSON; passed through unchanged",
                String::from_utf8_lossy(event.event_type)
            )
        });
        self.emit(raw, out);
    }

    /// The `content_block_stop` of the held block: it ended blank.
    fn held_stop(&mut self, raw: &[u8], event: &EventBytes<'_>, n: u64, out: &mut Vec<u8>) {
        if valid_json(event.data) {
            self.drop_block(raw, out);
        } else {
            self.malformed(raw, event, n, out);
        }
    }

    /// A delta of the held block (`delta` is its raw `delta` value).
    fn held_delta(
        &mut self,
        raw: &[u8],
        event: &EventBytes<'_>,
        index: u64,
        delta: Option<&[u8]>,
        n: u64,
        out: &mut Vec<u8>,
    ) {
        let blank = delta
            .and_then(|delta| {
                let [ty, text] = scan::find_keys(delta, [b"type".as_slice(), b"text"]).ok()?;
                let text = &delta[text?];
                scan::is_str(&delta[ty?], b"text_delta").then(|| scan::blank(Some(text)))
            })
            .and_then(|blank| self.droppable(blank));
        match blank {
            Some(_) if !valid_json(event.data) => self.malformed(raw, event, n, out),
            Some(blank) => {
                if let Some(hold) = &mut self.hold {
                    hold.whitespace |= blank == Blank::Whitespace;
                    hold.own_events += 1;
                    hold.own_bytes += raw.len() as u64;
                }
                self.hold_own(raw, index, n, out);
            }
            None => {
                // Visible text (or another kind of delta): the block stays.
                self.release(out);
                self.emit_renumbered(raw, index, event.data, n, out);
            }
        }
    }

    fn begin_hold(&mut self, raw: &[u8], index: u64, blank: Blank, n: u64, out: &mut Vec<u8>) {
        self.held.clear();
        self.parts.clear();
        self.held_measure = 0;
        self.hold = Some(Hold {
            index,
            whitespace: blank == Blank::Whitespace,
            own_events: 1,
            own_rewritten: 0,
            own_bytes: raw.len() as u64,
        });
        self.hold_own(raw, index, n, out);
    }

    /// Appends one of the held block's own events, renumbered if needed.
    fn hold_own(&mut self, raw: &[u8], index: u64, n: u64, out: &mut Vec<u8>) {
        let rewritten = match self.new_index(index, n) {
            Some(new) => scan::rewrite_index(raw, new, &mut self.scratch, &mut self.held),
            None => false,
        };
        if rewritten {
            if let Some(hold) = &mut self.hold {
                hold.own_rewritten += 1;
            }
        } else {
            self.held.extend_from_slice(raw);
        }
        self.push_part(raw, true, n, out);
    }

    /// An event that is not part of a text block: held in place while a block
    /// is held, else written out.
    fn other(&mut self, raw: &[u8], n: u64, out: &mut Vec<u8>) {
        if self.hold.is_some() {
            self.held.extend_from_slice(raw);
            self.push_part(raw, false, n, out);
        } else {
            self.emit(raw, out);
        }
    }

    fn push_part(&mut self, raw: &[u8], own: bool, n: u64, out: &mut Vec<u8>) {
        self.parts.push(Part {
            end: self.held.len(),
            own,
        });
        self.last = Last::Held;
        self.held_measure += measure(raw);
        if self.held_measure > self.options.limits.max_held_bytes {
            let index = self.hold.as_ref().map_or(0, |h| h.index);
            self.release(out);
            let limit = self.options.limits.max_held_bytes;
            self.note(n, "held-limit-exceeded", || {
                format!(
                    "text block {index} held more than {limit} bytes undecided; released unchanged"
                )
            });
        }
    }

    /// Writes the held events out as they came (the block is kept).
    fn release(&mut self, out: &mut Vec<u8>) {
        if let Some(hold) = self.hold.take() {
            out.extend_from_slice(&self.held);
            self.held.clear();
            self.parts.clear();
            self.report.events_changed += hold.own_rewritten;
            if self.last == Last::Held {
                self.last = Last::Emitted;
            }
        }
    }

    fn end_hold(&mut self, what: &str, n: u64, out: &mut Vec<u8>) {
        if let Some(hold) = &self.hold {
            let index = hold.index;
            self.release(out);
            self.note(n, "unterminated-block", || {
                format!("text block {index} had no content_block_stop before {what}; released unchanged")
            });
        }
    }

    /// The held block ended empty: writes out only the other events held with
    /// it; `stop` (its `content_block_stop`) goes too.
    fn drop_block(&mut self, stop: &[u8], out: &mut Vec<u8>) {
        let Some(hold) = self.hold.take() else {
            return;
        };
        let mut start = 0;
        for part in &self.parts {
            if !part.own {
                out.extend_from_slice(&self.held[start..part.end]);
            }
            start = part.end;
        }
        self.held.clear();
        self.parts.clear();
        self.report.events_changed += hold.own_events + 1;
        let dropped = &mut self.msg.dropped;
        let at = dropped.partition_point(|&d| d < hold.index);
        if dropped.get(at) != Some(&hold.index) {
            dropped.insert(at, hold.index);
        }
        self.last = Last::Dropped;
        self.last_drop_recorded = self.report.blocks_dropped.len() < Report::MAX_ENTRIES;
        if self.last_drop_recorded {
            self.report.blocks_dropped.push(DroppedBlock {
                message: self.msg.count.saturating_sub(1),
                index: hold.index,
                reason: if hold.whitespace {
                    "whitespace-text"
                } else {
                    "empty-text"
                },
                bytes: hold.own_bytes + stop.len() as u64,
            });
        }
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
                self.note(n, "index-skew", || {
                    format!(
                        "an event uses index {index} of a dropped block; passed through unchanged"
                    )
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
                self.note(n, "malformed-json", || {
                    "event data is not valid JSON; not renumbered".to_string()
                });
            } else if scan::rewrite_index(raw, new, &mut self.scratch, out) {
                self.report.events_changed += 1;
                self.last = Last::Emitted;
                return;
            }
        }
        self.emit(raw, out);
    }

    fn emit(&mut self, raw: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(raw);
        self.last = Last::Emitted;
    }

    /// The LF of a CRLF whose CR closed the previous block in the previous chunk.
    fn crlf_tail(&mut self, out: &mut Vec<u8>) {
        match self.last {
            Last::Emitted => out.push(b'\n'),
            Last::Held => {
                self.held.push(b'\n');
                if let Some(part) = self.parts.last_mut() {
                    part.end += 1;
                    if part.own {
                        if let Some(hold) = &mut self.hold {
                            hold.own_bytes += 1;
                        }
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
        let cause = if let Some(hold) = &self.hold {
            Some(format!(
                "the stream ended inside text block {}; held events released unchanged",
                hold.index
            ))
        } else if partial {
            Some("the stream ended inside an event; passed through unchanged".to_string())
        } else if self.msg.open && !self.msg.errored {
            Some("the stream ended before message_stop".to_string())
        } else {
            None
        };
        self.release(out);
        out.extend_from_slice(&self.carry);
        self.carry.clear();
        if let Some(cause) = cause {
            self.report.truncated = true;
            self.note(n, "truncated", || cause);
        }
    }
}

/// `type: message` of an `error` event, else (the start of) its data.
fn error_detail(data: &[u8]) -> String {
    let parsed = serde_json::from_slice::<serde_json::Value>(data).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    match error.and_then(|e| e.get("type")).and_then(|t| t.as_str()) {
        Some(ty) => {
            let message = error
                .and_then(|e| e.get("message"))
                .and_then(|m| m.as_str())
                .unwrap_or("");
            format!("{ty}: {message}")
        }
        None => String::from_utf8_lossy(&data[..data.len().min(200)]).into_owned(),
    }
}
