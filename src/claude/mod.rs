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
//! let (output, report) = sanitize(input.as_bytes(), SanitizerOptions::default());
//! let output = String::from_utf8(output).unwrap();
//! assert!(output.contains("event: ping\n"));         // kept, in place
//! assert!(!output.contains("\"type\":\"text\""));    // the empty text block is gone
//! assert!(output.contains("\"index\":0,\"content_block\":{\"type\":\"tool_use\"")); // renumbered
//! assert_eq!(report.blocks_dropped.len(), 1);
//! ```
//!
//! # What the sanitizer changes
//!
//! Only two things, and only in text blocks it can follow from start to stop:
//!
//! - A text block whose text ends empty (`""` at the start and no or only empty
//!   `text_delta`s) is dropped: its `content_block_start`, deltas and
//!   `content_block_stop` disappear. With
//!   [`SanitizerOptions::drop_whitespace_only_text`] (the default) a block
//!   whose text is only whitespace (`char::is_whitespace`) is dropped too.
//! - After a dropped block, every later `"index"` of the same message is
//!   lowered so indices stay contiguous; only the digits change. A new
//!   `message_start` starts a new numbering.
//!
//! To decide, the events of a text block that starts empty are held back until
//! a delta with visible text (or any other kind of delta) arrives; then they
//! are released in order. Events of other kinds that arrive meanwhile (pings,
//! comments, unknown events) are held with them and always come out, in their
//! original order. Nothing else is ever held: every other event is written out
//! by the [`StreamSanitizer::push`] call that completes it.
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
//!   Rationale: the sanitizer cannot know which block such an event means,
//!   keeping a block never makes a stream worse than it was, and renumbering
//!   past a skew could pair events with the wrong block, so that a second pass
//!   would change the output (found by fuzzing).
//! - A `message_delta`, `message_stop`, `message_start` or `error` while a block
//!   is held releases it unchanged (note `unterminated-block`, or `error-event`).
//! - **Truncation**: at [`StreamSanitizer::finish`] held events are released, a
//!   partial last event (no closing blank line) is passed through unchanged,
//!   and `truncated` is set when the stream ended inside a held block, inside
//!   an event, or after a `message_start` without `message_stop` (and no `error`).
//!   A stream that ends on an `error` event is not truncated, even with a block
//!   open: the error is how it ended (every client raises it), the error
//!   released a held block unchanged before it, and the report notes
//!   `error-event`.
//! - **Limits**: held bytes are bounded by [`Limits::max_held_bytes`]; past it
//!   the held events are released unchanged (the block is kept) and
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

use crate::Limits;
use serde::Serialize;

/// Options of the [`StreamSanitizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SanitizerOptions {
    /// Also drop text blocks whose text is only whitespace. Default `true`
    /// (Anthropic answers such blocks with `text content blocks must contain
    /// non-whitespace text` when a history replays them).
    ///
    /// NOTE: real web-search streams send `" "` blocks between cited text
    /// blocks; dropping them joins the neighbouring sentences when a UI
    /// renders the blocks back to back. Set `false` to keep them.
    pub drop_whitespace_only_text: bool,
    /// Buffer limits; the sanitizer uses `max_line_bytes`, `max_event_bytes`
    /// and `max_held_bytes`.
    pub limits: Limits,
}

impl Default for SanitizerOptions {
    fn default() -> Self {
        SanitizerOptions {
            drop_whitespace_only_text: true,
            limits: Limits::default(),
        }
    }
}

/// What the sanitizer saw and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Events dispatched by the SSE parser (comment-only blocks excluded).
    pub events_seen: u64,
    /// Events dropped or rewritten.
    pub events_changed: u64,
    /// The dropped blocks, in stream order (at most [`Report::MAX_ENTRIES`]).
    pub blocks_dropped: Vec<DroppedBlock>,
    /// Things worth knowing, in stream order (at most [`Report::MAX_ENTRIES`],
    /// then one `report-truncated` note).
    pub notes: Vec<Note>,
    /// The stream ended early: inside a held block, inside an event, or after a
    /// `message_start` with no `message_stop` (and no `error` event). A stream
    /// that ends on an `error` event (and nothing after it but complete events)
    /// is not truncated, even with a content block still open: that block (held
    /// or not) came out unchanged before the error, and `notes` has
    /// `error-event`.
    pub truncated: bool,
}

impl Report {
    /// Bound of `blocks_dropped` and of `notes`, so that the report of an
    /// endless broken stream stays small.
    pub const MAX_ENTRIES: usize = 1000;
}

/// A text block removed from the stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedBlock {
    /// Which message of the stream: the number of `message_start` events seen
    /// before it, minus one (0 for a block before any `message_start`).
    pub message: u32,
    /// Its original `index`.
    pub index: u64,
    /// `"empty-text"` or `"whitespace-text"`.
    pub reason: &'static str,
    /// Bytes removed: its start, deltas and stop, framing included.
    pub bytes: u64,
}

/// A report entry about something the sanitizer passed through or could not do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Stable kebab-case code: `malformed-json`, `non-claude-event`,
    /// `error-event`, `index-skew`, `unterminated-block`, `truncated`,
    /// `held-limit-exceeded`, `max-buffer-exceeded`, `report-truncated`.
    pub code: &'static str,
    /// The 0-based number of the event concerned (for end-of-stream notes: the
    /// number of events seen).
    pub event: u64,
    /// Human-readable detail.
    pub detail: String,
}

/// Sanitizes a whole stream at once; see [`StreamSanitizer`].
pub fn sanitize(input: &[u8], options: SanitizerOptions) -> (Vec<u8>, Report) {
    let mut out = Vec::with_capacity(input.len());
    let mut sanitizer = StreamSanitizer::new(options);
    sanitizer.push(input, &mut out);
    let report = sanitizer.finish(&mut out);
    (out, report)
}
