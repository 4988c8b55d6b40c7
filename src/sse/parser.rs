use std::borrow::Cow;

use super::Event;
use crate::text::lossy;
use crate::{Limits, SseError};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where a block of lines ended, for callers that need the raw bytes of each
/// event (the stream sanitizer). Offsets are into the chunk passed to
/// [`Parser::push_segments`], just past the terminator of the blank line that
/// closed the block.
#[derive(Debug)]
pub enum Segment {
    /// A block ended and dispatched this event.
    Event {
        /// Offset just past the block's closing blank line.
        end: usize,
        /// The dispatched event.
        event: Event,
    },
    /// A block ended without dispatching (no `data` field: comments, `id` or
    /// `retry` only, or a stray blank line).
    Empty {
        /// Offset just past the block's closing blank line.
        end: usize,
    },
    /// The first byte of this chunk is the LF of a CRLF whose CR closed the
    /// previous block at the end of the previous chunk. It belongs to that
    /// block's raw bytes.
    CrLfTail,
    /// A valid `retry` field was read: the reconnection time is now this many
    /// milliseconds. Reported as its line is read, so before the event of its
    /// block, and also when the block dispatches no event (the event then
    /// carries it as [`Event::retry`] too).
    Retry(u64),
}

/// A dispatched event borrowed from the parser and the current chunk: no
/// allocation when the text is valid UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// The `event` field, `"message"` when the block had none.
    pub event_type: Cow<'a, str>,
    /// The `data` lines joined with LF.
    pub data: Cow<'a, str>,
    /// The last event ID buffer at dispatch time.
    pub last_event_id: &'a str,
    /// The `retry` value set in this event's block, if any.
    pub retry: Option<u64>,
}

impl EventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> Event {
        Event {
            event_type: self.event_type.clone().into_owned(),
            data: self.data.clone().into_owned(),
            last_event_id: self.last_event_id.to_owned(),
            retry: self.retry,
        }
    }
}

/// [`Segment`] with a borrowed event, from [`Parser::push_raw`].
#[derive(Debug)]
pub enum RawSegment<'a> {
    /// A block ended and dispatched this event.
    Event {
        /// Offset just past the block's closing blank line.
        end: usize,
        /// The dispatched event.
        event: EventRef<'a>,
    },
    /// A block ended without dispatching.
    Empty {
        /// Offset just past the block's closing blank line.
        end: usize,
    },
    /// See [`Segment::CrLfTail`].
    CrLfTail,
    /// See [`Segment::Retry`].
    Retry(u64),
}

/// A dispatched event as the raw bytes of its fields, not decoded: for
/// callers that only look at ASCII structure (the stream sanitizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBytes<'a> {
    /// The `event` field, `b"message"` when the block had none.
    pub event_type: &'a [u8],
    /// The `data` lines joined with LF, as received (not UTF-8 checked).
    pub data: &'a [u8],
    /// The last event ID buffer at dispatch time.
    pub last_event_id: &'a str,
    /// The `retry` value set in this event's block, if any.
    pub retry: Option<u64>,
}

/// [`Segment`] with undecoded event bytes, from [`Parser::push_bytes`]
/// (which does not report `retry` fields; see [`Segment::Retry`]).
#[derive(Debug)]
pub enum ByteSegment<'a> {
    /// A block ended and dispatched this event.
    Event {
        /// Offset just past the block's closing blank line.
        end: usize,
        /// The dispatched event.
        event: EventBytes<'a>,
    },
    /// A block ended without dispatching.
    Empty {
        /// Offset just past the block's closing blank line.
        end: usize,
    },
    /// See [`Segment::CrLfTail`].
    CrLfTail,
}

/// What `push_inner` reports: a block end, or a `retry` field.
enum Out<'a> {
    Segment(ByteSegment<'a>),
    Retry(u64),
}

/// What a line was, for `push_inner`.
enum Line {
    Blank,
    Retry(u64),
    Other,
}

/// Incremental WHATWG event-stream parser.
///
/// Feed it chunks split anywhere (inside a line, a CRLF, a UTF-8 sequence or
/// the BOM); it yields the same events as for the whole input. Only the
/// unconsumed tail (the current incomplete line and the current event's data)
/// is buffered, and each byte is scanned once.
///
/// After a [`SseError::MaxBufferExceeded`] the parser is poisoned: every later
/// call returns the same error.
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    /// Bytes of a leading BOM matched so far; `None` once the start is decided.
    bom_matched: Option<usize>,
    /// The incomplete line carried over from the previous chunk.
    line: Vec<u8>,
    /// The previous chunk ended with a CR: an LF at the start of the next chunk
    /// is part of that line end.
    pending_cr: bool,
    /// ... and that CR closed a block (see [`Segment::CrLfTail`]).
    pending_cr_closed_block: bool,
    /// The current event's data lines joined with LF (no trailing LF), except
    /// while `data_in_chunk` holds them.
    data: Vec<u8>,
    /// The event's single data line so far, as a range of the current chunk.
    data_in_chunk: Option<(usize, usize)>,
    data_lines: usize,
    event_type: Vec<u8>,
    last_event_id: String,
    retry: Option<u64>,
    reconnection_time: Option<u64>,
    poisoned: Option<SseError>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new(Limits::default())
    }
}

/// What `push_raw` reports for `item`: the event's fields decoded (lossy UTF-8).
// NOTE: one copy for every caller of `push_raw` (wasm size).
#[inline(never)]
fn raw_segment(item: Out<'_>) -> RawSegment<'_> {
    match item {
        Out::Segment(ByteSegment::Event { end, event }) => RawSegment::Event {
            end,
            event: EventRef {
                event_type: lossy(event.event_type),
                data: lossy(event.data),
                last_event_id: event.last_event_id,
                retry: event.retry,
            },
        },
        Out::Segment(ByteSegment::Empty { end }) => RawSegment::Empty { end },
        Out::Segment(ByteSegment::CrLfTail) => RawSegment::CrLfTail,
        Out::Retry(ms) => RawSegment::Retry(ms),
    }
}

impl Parser {
    /// A parser with the given limits (`max_line_bytes`, `max_event_bytes`).
    pub fn new(limits: Limits) -> Self {
        Parser {
            limits,
            bom_matched: Some(0),
            line: Vec::new(),
            pending_cr: false,
            pending_cr_closed_block: false,
            data: Vec::new(),
            data_in_chunk: None,
            data_lines: 0,
            event_type: Vec::new(),
            last_event_id: String::new(),
            retry: None,
            reconnection_time: None,
            poisoned: None,
        }
    }

    /// Pushes one chunk (split anywhere); calls `out` for every event it
    /// completes, in order.
    pub fn push(&mut self, chunk: &[u8], out: &mut impl FnMut(Event)) -> Result<(), SseError> {
        self.push_raw(chunk, &mut |segment| {
            if let RawSegment::Event { event, .. } = segment {
                out(event.to_event())
            }
        })
    }

    /// The old name of [`Parser::push`].
    #[deprecated(
        since = "0.1.0",
        note = "renamed to `push`, the verb of every chunked input"
    )]
    pub fn feed(&mut self, chunk: &[u8], out: &mut impl FnMut(Event)) -> Result<(), SseError> {
        self.push(chunk, out)
    }

    /// Like [`Parser::push`], but reports every block end with its offset in
    /// `chunk`, so a caller can cut the raw bytes into per-event slices.
    pub fn push_segments(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(Segment),
    ) -> Result<(), SseError> {
        self.push_raw(chunk, &mut |segment| {
            out(match segment {
                RawSegment::Event { end, event } => Segment::Event {
                    end,
                    event: event.to_event(),
                },
                RawSegment::Empty { end } => Segment::Empty { end },
                RawSegment::CrLfTail => Segment::CrLfTail,
                RawSegment::Retry(ms) => Segment::Retry(ms),
            })
        })
    }

    /// Like [`Parser::push_segments`] with borrowed events: the fastest path.
    pub fn push_raw(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(RawSegment<'_>),
    ) -> Result<(), SseError> {
        self.push_guarded(chunk, &mut |item| out(raw_segment(item)))
    }

    /// Like [`Parser::push_raw`] without UTF-8 decoding of the event's fields
    /// (and without [`Segment::Retry`] reports).
    pub fn push_bytes(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(ByteSegment<'_>),
    ) -> Result<(), SseError> {
        self.push_guarded(chunk, &mut |item| {
            if let Out::Segment(segment) = item {
                out(segment)
            }
        })
    }

    /// `push_inner`, poisoning the parser on an error.
    // NOTE: `dyn`, so that the parser's body is compiled once, not once per
    // caller (the callback runs per block, not per byte).
    fn push_guarded(&mut self, chunk: &[u8], out: &mut dyn FnMut(Out<'_>)) -> Result<(), SseError> {
        if let Some(err) = &self.poisoned {
            return Err(err.clone());
        }
        let result = self.push_inner(chunk, out);
        if let Err(err) = &result {
            self.poisoned = Some(err.clone());
            self.line = Vec::new();
            self.data = Vec::new();
            self.data_in_chunk = None;
        }
        result
    }

    /// Ends the stream. Per the spec an unterminated last event is discarded;
    /// returns whether there was such a partial event (or line) to discard.
    pub fn finish(self) -> Result<bool, SseError> {
        if let Some(err) = self.poisoned {
            return Err(err);
        }
        let partial_bom = matches!(self.bom_matched, Some(n) if n > 0);
        Ok(!self.line.is_empty()
            || self.data_lines > 0
            || !self.event_type.is_empty()
            || partial_bom)
    }

    /// The reconnection time from the latest valid `retry` field, if any.
    pub fn reconnection_time(&self) -> Option<u64> {
        self.reconnection_time
    }

    /// The last event ID buffer (persists across events).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    fn data_len(&self) -> usize {
        match self.data_in_chunk {
            Some((start, end)) => end - start,
            None => self.data.len(),
        }
    }

    /// Ends a block at `end` (offset in `chunk`), dispatching its event if it
    /// has data, and resets the per-event buffers.
    fn dispatch(&mut self, chunk: &[u8], end: usize, out: &mut dyn FnMut(Out<'_>)) {
        let retry = self.retry.take();
        if self.data_lines == 0 {
            self.event_type.clear();
            out(Out::Segment(ByteSegment::Empty { end }));
            return;
        }
        let data = match self.data_in_chunk.take() {
            Some((start, stop)) => &chunk[start..stop],
            None => &self.data[..],
        };
        let event_type = if self.event_type.is_empty() {
            b"message"
        } else {
            &self.event_type[..]
        };
        out(Out::Segment(ByteSegment::Event {
            end,
            event: EventBytes {
                event_type,
                data,
                last_event_id: &self.last_event_id,
                retry,
            },
        }));
        self.data.clear();
        self.data_lines = 0;
        self.event_type.clear();
    }

    fn push_inner(&mut self, chunk: &[u8], out: &mut dyn FnMut(Out<'_>)) -> Result<(), SseError> {
        let mut pos = 0;
        if chunk.is_empty() {
            return Ok(());
        }
        if self.pending_cr {
            self.pending_cr = false;
            if chunk[0] == b'\n' {
                pos = 1;
                if self.pending_cr_closed_block {
                    out(Out::Segment(ByteSegment::CrLfTail));
                }
            }
            self.pending_cr_closed_block = false;
        }
        if let Some(matched) = self.bom_matched {
            // NOTE: the BOM is only ever stripped at the very start of the stream,
            // so `line` is empty here and a partial BOM that turns out not to be
            // one can be put back as the start of the first line.
            let mut matched = matched;
            while pos < chunk.len() && matched < 3 && chunk[pos] == BOM[matched] {
                matched += 1;
                pos += 1;
            }
            if matched == 3 {
                self.bom_matched = None;
            } else if pos == chunk.len() {
                self.bom_matched = Some(matched);
                return Ok(());
            } else {
                self.bom_matched = None;
                self.line.extend_from_slice(&BOM[..matched]);
            }
        }
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            let Some(i) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.check_line_len(self.line.len() + rest.len())?;
                self.line.extend_from_slice(rest);
                break;
            };
            let mut end = pos + i + 1;
            if rest[i] == b'\r' {
                if end < chunk.len() {
                    if chunk[end] == b'\n' {
                        end += 1;
                    }
                } else {
                    self.pending_cr = true;
                }
            }
            let kind = if self.line.is_empty() {
                self.process_line(chunk, &rest[..i], Some(pos))?
            } else {
                self.check_line_len(self.line.len() + i)?;
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..i]);
                let kind = self.process_line(chunk, &line, None)?;
                line.clear();
                self.line = line;
                kind
            };
            match kind {
                Line::Blank => {
                    self.pending_cr_closed_block = self.pending_cr;
                    self.dispatch(chunk, end, out);
                }
                Line::Retry(ms) => out(Out::Retry(ms)),
                Line::Other => {}
            }
            pos = end;
        }
        // NOTE: a data value still pointing into this chunk must be copied
        // before the chunk goes away.
        if let Some((start, end)) = self.data_in_chunk.take() {
            self.data.extend_from_slice(&chunk[start..end]);
        }
        Ok(())
    }

    fn check_line_len(&self, len: usize) -> Result<(), SseError> {
        if len > self.limits.max_line_bytes {
            return Err(SseError::MaxBufferExceeded {
                what: "line",
                limit: self.limits.max_line_bytes,
            });
        }
        Ok(())
    }

    /// Interprets one complete line; `offset` is where it starts in the current
    /// chunk when it lies wholly inside it. Says whether it was blank or a
    /// valid `retry`.
    fn process_line(
        &mut self,
        chunk: &[u8],
        line: &[u8],
        offset: Option<usize>,
    ) -> Result<Line, SseError> {
        self.check_line_len(line.len())?;
        if line.is_empty() {
            return Ok(Line::Blank);
        }
        if line[0] == b':' {
            return Ok(Line::Other);
        }
        let (field, value_start) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let start = colon + 1;
                let start = start + usize::from(line.get(start) == Some(&b' '));
                (&line[..colon], start)
            }
            None => (line, line.len()),
        };
        let value = &line[value_start..];
        match field {
            b"data" => {
                let len = self.data_len() + usize::from(self.data_lines > 0) + value.len();
                if len > self.limits.max_event_bytes {
                    return Err(SseError::MaxBufferExceeded {
                        what: "event",
                        limit: self.limits.max_event_bytes,
                    });
                }
                match offset {
                    // The common case: the first data line of the event, inside
                    // the chunk. Keep a range instead of copying.
                    Some(offset) if self.data_lines == 0 => {
                        self.data_in_chunk = Some((offset + value_start, offset + line.len()));
                    }
                    _ => {
                        if let Some((start, end)) = self.data_in_chunk.take() {
                            self.data.extend_from_slice(&chunk[start..end]);
                        }
                        if self.data_lines > 0 {
                            self.data.push(b'\n');
                        }
                        self.data.extend_from_slice(value);
                    }
                }
                self.data_lines += 1;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"id" if memchr::memchr(0, value).is_none() => {
                self.last_event_id = decode(value.to_vec());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let n = value.iter().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                self.retry = Some(n);
                self.reconnection_time = Some(n);
                return Ok(Line::Retry(n));
            }
            _ => {}
        }
        Ok(Line::Other)
    }
}

/// UTF-8 decode with U+FFFD replacement. Decoding per field value gives the
/// same text as decoding the whole stream: the decoder never folds an ASCII
/// byte (every SSE delimiter is ASCII) into a replacement.
fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => lossy(e.as_bytes()).into_owned(),
    }
}
