//! Claude (Anthropic Messages API) streams: a sanitizer (bytes → bytes) and an
//! accumulator (events → the final assistant `Message`).
//!
//! ```
//! use sse_sanitizer::claude::{sanitize, SanitizerOptions};
//! let input = concat!(
//!     "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[]}}\n\n",
//!     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
//!     "event: ping\ndata: {\"type\": \"ping\"}\n\n",
//!     "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
//!     "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n",
//! );
//! let (output, report) = sanitize(input.as_bytes(), &SanitizerOptions::default());
//! let output = String::from_utf8(output).unwrap();
//! assert!(output.contains("event: ping\n"));         // kept, in place
//! assert!(!output.contains("\"type\":\"text\""));    // the empty text block is gone
//! assert!(output.contains("\"index\":0,\"content_block\":{\"type\":\"tool_use\"")); // renumbered
//! assert_eq!(report.blocks_dropped.len(), 1);
//! ```
//!
//! # What the sanitizer changes
//!
//! Only these things, and only in text blocks it can follow from start to stop:
//!
//! - A text block whose text ends empty (`""` at the start and no or only empty
//!   `text_delta`s) is dropped: its `content_block_start`, deltas and
//!   `content_block_stop` disappear. Under [`Profile::Bedrock`] a block whose
//!   text is only whitespace (`char::is_whitespace`) is dropped too; under
//!   [`Profile::Anthropic`] (the default) it passes, as the API accepts it.
//! - **Signed thinking never moves.** A blank block whose removal would move a
//!   thinking (or redacted_thinking) block is kept in place instead, and one
//!   `text_delta` event carrying [`SanitizerOptions::placeholder`] is inserted
//!   before its `content_block_stop` (`""` becomes `"..."`, `"\n\n"` becomes
//!   `"\n\n..."`). That is the case when the next block of the message is a
//!   thinking block, whatever the profile (whitespace too: LiteLLM strips
//!   whitespace-only blocks, which would move it), and when a thinking block
//!   already came earlier in the message (interleaved thinking: another may
//!   follow) for a block that would otherwise be dropped. Each such block gets
//!   a [`ReplacedBlock`] entry (rule `thinking-position`).
//!   NOTE (residual case): a blank block with no thinking block before it,
//!   followed by a block of another kind (say a tool_use) and only then by a
//!   thinking block, is dropped when that other block starts; the sanitizer
//!   does not hold a whole message to see that far ahead. The history
//!   normalizer, which sees whole messages, keeps such a block.
//! - After a dropped block, every later `"index"` of the same message is
//!   lowered so indices stay contiguous; only the digits change. A new
//!   `message_start` starts a new numbering.
//! - A Claude event sent without an `event:` line (data only) gets one
//!   ([`SanitizerOptions::event_names`], on by default): the official SDK
//!   ignores unnamed events, so a data-only reply would vanish.
//! - With [`OnTruncated::ErrorEvent`], a stream cut short gets one `error`
//!   event appended at its end.
//!
//! To decide, the events of a text block that starts blank are held back until
//! a delta with visible text (or any other kind of delta) arrives, then released
//! in order; a block that ends blank stays held until the next block starts
//! (or the message ends), which tells whether a thinking block follows. Events
//! of other kinds that arrive meanwhile (pings, comments, unknown events) are
//! held with them and always come out, in their original order. Nothing else
//! is ever held: every other event is written out by the
//! [`StreamSanitizer::push`] call that completes it.
//!
//! Everything else passes through byte for byte: framing, JSON spacing, line
//! endings, comments, thinking blocks (even `thinking: ""`), tool and server
//! tool blocks, unknown block and event types, malformed JSON, `error` events.
//!
//! # Policies for broken streams
//!
//! - **Index skew** (a real recorded stream starts a block at index N and sends
//!   its deltas and stop at N+1): a held block is dropped only when its start,
//!   deltas and stop all carry the same index with no other block's event in
//!   between. Any `content_block_*` event with another index while a block is
//!   held releases the held events unchanged and notes `index-skew`, as does an
//!   event that names the index of a block already dropped; the rest of that
//!   message then passes through unchanged (no drops, no renumbering).
//!   A `content_block_start` that reuses the index of a dropped block is not
//!   a skew: it is a new block in that place (note `index-reused`), so the
//!   index no longer counts as dropped and nothing after it is renumbered
//!   for that drop.
//!   Rationale: the sanitizer cannot know which block such an event means,
//!   keeping a block never makes a stream worse than it was, and renumbering
//!   past a skew could pair events with the wrong block, so that a second pass
//!   would change the output (found by fuzzing).
//! - A `message_delta`, `message_stop`, `message_start` or `error` while a block
//!   is held releases it unchanged (note `unterminated-block`, or `error-event`);
//!   blocks that ended blank are decided there (no thinking block follows).
//! - **Truncation**: at [`StreamSanitizer::finish`] held events are released, a
//!   partial last event (no closing blank line) is passed through unchanged,
//!   and `truncated` is set when the stream ended inside a held block, inside
//!   an event, or after a `message_start` without `message_stop` (and no `error`).
//!   A stream that ends on an `error` event is not truncated, even with a block
//!   open: the error is how it ended (every client raises it), the error
//!   released a held block unchanged before it, and the report notes
//!   `error-event`.
//! - **Limits**: held bytes are bounded by [`Limits::max_held_bytes`]; past it
//!   the held events are released unchanged (an open block is kept, blocks
//!   that ended blank are decided as if no thinking block followed) and
//!   `held-limit-exceeded` is noted. When an SSE line or event exceeds
//!   [`Limits::max_line_bytes`] / [`Limits::max_event_bytes`] (or one event's
//!   raw bytes exceed their sum), the sanitizer releases what it holds and
//!   passes the rest of the stream through unchanged (note `max-buffer-exceeded`):
//!   it never loses bytes and never grows without bound.
//! - Malformed JSON is noted (`malformed-json`) when it is seen: in events that
//!   the sanitizer inspects (block starts, events of held blocks, renumbered
//!   events, and any event whose top-level `type` cannot be read). Deltas that
//!   need no change are not parsed at all, for speed. A `message_start`,
//!   `message_delta` or `message_stop` that is not valid JSON is noted and
//!   passed through without starting, updating or ending a message (the SDK
//!   throws on it or skips it).
//!
//! The output is the same for any chunking of the input, and sanitizing twice
//! gives the same bytes as sanitizing once, unless the first pass noted an
//! `index-skew` after dropping a block: past a skew the rest of the message
//! passes unchanged, but the blocks before it were already dropped and
//! renumbered, so in the output the skewed event can seem to belong to a block
//! it did not belong to, and a second pass may drop a blank block the first
//! one kept. (The one corpus stream with a real skew has no drop before it.)
//!
//! # After an error
//!
//! Neither type is ever poisoned into refusing input:
//!
//! - [`StreamSanitizer::push`] never fails. After `max-buffer-exceeded` the
//!   instance is in pass-through for the rest of its stream, for good: every
//!   later byte is written out as it comes, nothing more is dropped and no
//!   later index is renumbered (so a message that had a block dropped before
//!   the limit keeps a gap in its indices from there on; the report says so).
//!   After `held-limit-exceeded` only that block is given up on (kept as it
//!   came); the instance goes on sanitizing, later blocks included.
//! - [`Accumulator::push`] returning an error leaves the accumulator as it
//!   was before that event (for `invalid-tool-input`, the block keeps the
//!   `input` it started with and its buffered JSON is discarded). It accepts
//!   further events; whether to go on after an `upstream-error` is the
//!   caller's choice (the SDK stops).
//!
//! # Memory
//!
//! The sanitizer keeps the unfinished SSE block of the last chunk (at most
//! `max_event_bytes + max_line_bytes`), the held events (at most
//! `max_held_bytes` plus the event that crossed it), the report (at most
//! [`Report::MAX_ENTRIES`] entries per list), and 8 bytes per dropped block of
//! the current message. It never parses JSON into a tree: events are
//! classified by a scan of their top-level keys, and only an event about to
//! be dropped or rewritten is checked with a full (non-allocating) parse.

mod accumulator;
mod js;
mod message;
mod partial_json;
mod sanitizer;
mod scan;
mod verdict;

pub use accumulator::Accumulator;
pub use message::sanitize_message;
pub use sanitizer::StreamSanitizer;
pub use verdict::{
    validate_stream, Anomaly, AnomalyClass, SdkOutcome, StreamValidator, ANOMALIES, MAX_ANOMALIES,
};

use crate::error::OptionError;
use crate::options::Options;
use crate::{BlankText, KeptReason, Limits, Placeholder, Profile};
use serde::Serialize;

/// Options of the [`StreamSanitizer`] (and of [`sanitize_message`]).
/// `SanitizerOptions::default()`: profile `anthropic`, placeholder `"..."`,
/// truncation passed through, default [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SanitizerOptions {
    /// Which upstream's rules decide what is blank. Default
    /// [`Profile::Anthropic`]: only empty text blocks are dropped (the API
    /// accepts whitespace-only text next to other content, and real web-search
    /// streams send `" "` blocks between cited text). [`Profile::Bedrock`]:
    /// whitespace-only blocks are dropped too. (The JS option
    /// `dropWhitespaceOnlyText: true` is `bedrock`, `false` is `anthropic`.)
    pub profile: Profile,
    /// Appended to a blank text block that is kept because a thinking block
    /// comes (or may come) after it. Default `"..."`.
    pub placeholder: Placeholder,
    /// What to do at the end of a stream cut short. Default
    /// [`OnTruncated::Pass`].
    pub on_truncated: OnTruncated,
    /// Record what became of every SSE block in [`Report::trace`] (for
    /// devtools). Default `false`.
    pub trace: bool,
    /// Add an `event: <type>` line to a Claude event sent as data only (its
    /// data is valid JSON with a known Claude event `type`, its frame has no
    /// `event` line at all): the official SDK ignores events without a name,
    /// so such a reply disappears. `data: [DONE]`, anything not a Claude
    /// event and frames with an `event` line of their own pass as they are.
    /// Default `true`.
    pub event_names: bool,
    /// Buffer limits; the sanitizer uses `max_line_bytes`, `max_event_bytes`
    /// and `max_held_bytes`.
    pub limits: Limits,
}

impl Default for SanitizerOptions {
    fn default() -> Self {
        SanitizerOptions {
            profile: Profile::default(),
            placeholder: Placeholder::default(),
            on_truncated: OnTruncated::default(),
            trace: false,
            event_names: true,
            limits: Limits::default(),
        }
    }
}

impl SanitizerOptions {
    /// Options from a JSON options object, as the JS API takes them:
    /// `profile`, `placeholderText`, `onTruncated` (`"pass"`,
    /// `"error-event"`), `trace`, `eventNames`, the [`Limits`] keys, and the
    /// old `dropWhitespaceOnlyText` (`true` is `bedrock`, `false` is
    /// `anthropic`; `profile` wins).
    ///
    /// ```
    /// use sse_sanitizer::{claude::SanitizerOptions, Profile};
    /// let options = SanitizerOptions::from_json(r#"{"profile": "bedrock", "trace": true}"#).unwrap();
    /// assert_eq!((options.profile, options.trace), (Profile::Bedrock, true));
    /// let err = SanitizerOptions::from_json(r#"{"onTruncated": "drop"}"#).unwrap_err();
    /// assert_eq!(err.to_string(), r#"invalid option `onTruncated`: expected "pass" or "error-event""#);
    /// ```
    pub fn from_json(json: &str) -> Result<Self, OptionError> {
        let options = Options::parse(json)?;
        let mut out = SanitizerOptions {
            limits: Limits::from_options(&options)?,
            ..SanitizerOptions::default()
        };
        if let Some(drop) = options.bool("dropWhitespaceOnlyText")? {
            out.profile = if drop {
                Profile::Bedrock
            } else {
                Profile::Anthropic
            };
        }
        if let Some(profile) = options.string("profile")? {
            out.profile = profile.parse()?;
        }
        if let Some(text) = options.string("placeholderText")? {
            out.placeholder = Placeholder::new(&text)?;
        }
        let on_truncated = |s: &str| match s {
            "pass" => Some(OnTruncated::Pass),
            "error-event" => Some(OnTruncated::ErrorEvent),
            _ => None,
        };
        if let Some(mode) =
            options.one_of("onTruncated", "\"pass\" or \"error-event\"", on_truncated)?
        {
            out.on_truncated = mode;
        }
        out.trace = options.bool("trace")?.unwrap_or(out.trace);
        out.event_names = options.bool("eventNames")?.unwrap_or(out.event_names);
        Ok(out)
    }
}

/// What the sanitizer does at the end of a stream that was cut short (no
/// `message_stop` after a `message_start`, no `error` event, or a partial last
/// event): [`Report::truncated`] is set either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnTruncated {
    /// Release what is held and end there (default): the output is the input,
    /// byte for byte, as far as it went; only the report says it was cut.
    ///
    /// NOTE: the default, because a stream's consumer may be a recorder or a
    /// UI that shows partial text, and because the sanitizer promises to
    /// change nothing it does not document; the Worker and `sanitizingFetch`,
    /// whose clients cannot read the report, default to `ErrorEvent`.
    #[default]
    Pass,
    /// Also append one Anthropic-shaped event, `event: error` with data
    /// `{"type":"error","error":{"type":"api_error","message":"stream
    /// truncated: …"}}`, so that every Anthropic client raises an error
    /// instead of keeping a partial turn as if it were complete.
    ErrorEvent,
}

/// Options of an [`Accumulator`] fed raw bytes (the JS `accumulate()`).
/// `AccumulateOptions::default()`: one message, default [`Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccumulateOptions {
    /// One message ([`Accumulator::new`]) or every message of a capture of
    /// several turns ([`Accumulator::concatenated`]).
    pub messages: Messages,
    /// The SSE parser's limits.
    pub limits: Limits,
}

kebab_enum! {
    /// See [`AccumulateOptions::messages`].
    #[derive(Default)]
    pub enum Messages {
        /// One message, as the official SDK reads a stream (default).
        #[default]
        One = "one",
        /// Every message of turns back to back.
        All = "all",
    }
}

impl AccumulateOptions {
    /// Options from a JSON options object: `messages` (`"one"`, `"all"`) and
    /// the [`Limits`] keys.
    pub fn from_json(json: &str) -> Result<Self, OptionError> {
        let options = Options::parse(json)?;
        let messages = options.one_of("messages", "\"one\" or \"all\"", Messages::parse)?;
        Ok(AccumulateOptions {
            messages: messages.unwrap_or_default(),
            limits: Limits::from_options(&options)?,
        })
    }

    /// The accumulator these options ask for.
    pub fn accumulator(&self) -> Accumulator {
        match self.messages {
            Messages::One => Accumulator::new(),
            Messages::All => Accumulator::concatenated(),
        }
    }
}

/// What the sanitizer saw and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Events dispatched by the SSE parser (comment-only blocks excluded).
    pub events_seen: u64,
    /// Events dropped or rewritten (their `index`), and placeholder deltas added.
    pub events_changed: u64,
    /// Events that got an `event:` line ([`SanitizerOptions::event_names`]).
    pub events_named: u64,
    /// The dropped blocks, in stream order (at most [`Report::MAX_ENTRIES`]).
    pub blocks_dropped: Vec<DroppedBlock>,
    /// The blank blocks kept with the placeholder appended, because removing
    /// them would (or could) move a thinking block; in stream order (at most
    /// [`Report::MAX_ENTRIES`]).
    pub blocks_replaced: Vec<ReplacedBlock>,
    /// Things worth knowing, in stream order (at most [`Report::MAX_ENTRIES`],
    /// then one `report-truncated` note).
    pub notes: Vec<Note>,
    /// The stream ended early: inside a held block, inside an event, or after a
    /// `message_start` with no `message_stop` (and no `error` event). When it
    /// ended on an `error` event (the upstream's own way to end a stream),
    /// even with a block open, it is not truncated: the error is the end.
    pub truncated: bool,
    /// With [`SanitizerOptions::trace`]: what became of every SSE block, in
    /// stream order (at most [`Report::MAX_TRACE`], then one `truncated`
    /// entry). Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<TraceEntry>,
}

impl Report {
    /// Bound of `blocks_dropped` and of `notes`, so that the report of an
    /// endless broken stream stays small.
    pub const MAX_ENTRIES: usize = 1000;
    /// Bound of `trace`.
    pub const MAX_TRACE: usize = 1 << 20;
}

/// What became of one SSE block (an event, a comment-only block) or what was
/// added, in [`Report::trace`]. Byte ranges are `[start, end)` offsets into
/// the whole input and the whole output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceEntry {
    /// The 0-based event number (as in [`Note::event`]); `None` for a
    /// comment-only block or an added event.
    pub event: Option<u64>,
    /// What happened to it.
    pub action: TraceAction,
    /// Its bytes in the input; `None` for an added event.
    pub input: Option<[u64; 2]>,
    /// Its bytes in the output; `None` when dropped.
    pub output: Option<[u64; 2]>,
    /// The content block `index` it carries (as in the input), for events
    /// the sanitizer looked at closely (held, renumbered, added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The `index` it carries in the output, when renumbered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_index: Option<u64>,
    /// Held back, then released (or dropped) when this event arrived (the
    /// number of events seen: at the end of the stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<u64>,
    /// Why: the rule of a drop (`empty-text`, `whitespace-text`) or of an
    /// added event (`thinking-position`, `truncated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

impl TraceEntry {
    pub(crate) fn new(action: TraceAction, event: Option<u64>) -> Self {
        TraceEntry {
            event,
            action,
            input: None,
            output: None,
            index: None,
            new_index: None,
            held_until: None,
            rule: None,
        }
    }
}

kebab_enum! {
    /// See [`TraceEntry::action`].
    #[non_exhaustive]
    pub enum TraceAction {
        /// Written out unchanged.
        Kept = "kept",
        /// Written out with its `index` lowered.
        Renumbered = "renumbered",
        /// Written out with an `event:` line added
        /// ([`SanitizerOptions::event_names`]).
        Named = "named",
        /// Removed (a blank text block's event).
        Dropped = "dropped",
        /// Added by the sanitizer: a placeholder `text_delta`, or the `error`
        /// event of [`OnTruncated::ErrorEvent`].
        Inserted = "inserted",
        /// Passed through undecided after a buffer limit, or a partial last
        /// event.
        Passed = "passed",
        /// The trace stopped here ([`Report::MAX_TRACE`] entries).
        Truncated = "truncated",
    }
}

/// A text block removed from the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedBlock {
    /// Which message of the stream: the number of `message_start` events seen
    /// before it, minus one (0 for a block before any `message_start`).
    pub message: u32,
    /// Its original `index`.
    pub index: u64,
    /// What made it blank (`"empty-text"` or `"whitespace-text"` in JSON).
    pub reason: BlankText,
    /// Bytes removed: its start, deltas and stop, framing included.
    pub bytes: u64,
}

/// A blank text block kept in place, with the placeholder appended, so that
/// the thinking blocks after it keep their indices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplacedBlock {
    /// Which message of the stream (as in [`DroppedBlock::message`]).
    pub message: u32,
    /// Its original `index`.
    pub index: u64,
    /// The catalog rule: `"thinking-position"`.
    pub rule: &'static str,
    /// What it was (`"empty-text"` or `"whitespace-text"` in JSON).
    pub blank: BlankText,
    /// Why it was not dropped.
    pub reason: KeptReason,
}

/// A report entry about something the sanitizer passed through or could not do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What it is about.
    pub code: NoteCode,
    /// The 0-based number of the event concerned (for end-of-stream notes: the
    /// number of events seen).
    pub event: u64,
    /// Human-readable detail.
    pub detail: String,
}

kebab_enum! {
    /// See [`Note::code`].
    #[non_exhaustive]
    pub enum NoteCode {
        /// An event's data is not JSON (or not the shape its type needs);
        /// passed through unchanged.
        MalformedJson = "malformed-json",
        /// Not a Claude event (another API's stream, `[DONE]`, an event name
        /// that disagrees with its data's type); passed through unchanged.
        NonClaudeEvent = "non-claude-event",
        /// An `error` event from the upstream; passed through.
        ErrorEvent = "error-event",
        /// An event's `index` is not the one the blocks so far lead to; it
        /// and the rest of its message pass unrenumbered.
        IndexSkew = "index-skew",
        /// A `content_block_start` reuses the index of a dropped block; it
        /// takes that place.
        IndexReused = "index-reused",
        /// A block still open at `message_stop`.
        UnterminatedBlock = "unterminated-block",
        /// The stream ended early (see [`Report::truncated`]).
        Truncated = "truncated",
        /// A held block outgrew [`Limits::max_held_bytes`]; released undecided.
        HeldLimitExceeded = "held-limit-exceeded",
        /// A line or an event outgrew its limit; the rest of the stream passes
        /// through unread.
        MaxBufferExceeded = "max-buffer-exceeded",
        /// [`Report::MAX_ENTRIES`] notes were listed; later ones are not.
        ReportTruncated = "report-truncated",
    }
}

/// Sanitizes a whole stream at once; see [`StreamSanitizer`].
pub fn sanitize(input: &[u8], options: &SanitizerOptions) -> (Vec<u8>, Report) {
    let mut out = Vec::with_capacity(input.len());
    let mut sanitizer = StreamSanitizer::new(options.clone());
    sanitizer.push(input, &mut out);
    let report = sanitizer.finish(&mut out);
    (out, report)
}
