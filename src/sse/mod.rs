//! WHATWG "event stream interpretation": an incremental parser (bytes in, events
//! out) and a writer (events → bytes).
//!
//! ```
//! use sse_sanitizer::sse::Parser;
//! let mut parser = Parser::default();
//! let mut events = Vec::new();
//! parser.push(b"event: ping\ndata: {\"type\"", &mut |e| events.push(e)).unwrap();
//! parser.push(b":\"ping\"}\n\n", &mut |e| events.push(e)).unwrap();
//! assert_eq!(events[0].event_type, "ping");
//! assert_eq!(events[0].data, r#"{"type":"ping"}"#);
//! ```
//!
//! After [`SseError::MaxBufferExceeded`](crate::SseError::MaxBufferExceeded)
//! (a line or an event past its limit) a [`Parser`] is poisoned: every later
//! `push*` call and `finish` return the same error, and it buffers nothing
//! more. Start a new parser for a new stream. Invalid UTF-8 and NUL bytes are
//! never errors (U+FFFD replacement; an `id` holding NUL is ignored).

mod parser;
mod writer;

pub use parser::{ByteSegment, EventBytes, EventRef, Parser, RawSegment, Segment};
pub use writer::Writer;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event` field, `"message"` when the block had none.
    pub event_type: String,
    /// The `data` lines joined with LF.
    pub data: String,
    /// The last event ID buffer at dispatch time: the latest `id` field seen on
    /// this stream (it persists across events), empty when none was seen.
    pub last_event_id: String,
    /// The `retry` value set in this event's block (all ASCII digits), if any.
    pub retry: Option<u64>,
}
