use super::Event;
use crate::{Limits, SseError};

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where a block of lines ended, for callers that need the raw bytes of each
/// event (the stream sanitizer). Offsets are into the chunk passed to
/// [`Parser::feed_segments`], just past the terminator of the blank line that
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
    data: Vec<u8>,
    event_type: String,
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
            event_type: String::new(),
            last_event_id: String::new(),
            retry: None,
            reconnection_time: None,
            poisoned: None,
        }
    }

    /// Feeds one chunk; calls `out` for every event it completes, in order.
    pub fn feed(&mut self, chunk: &[u8], out: &mut impl FnMut(Event)) -> Result<(), SseError> {
        self.feed_segments(chunk, &mut |segment| {
            if let Segment::Event { event, .. } = segment {
                out(event)
            }
        })
    }

    /// Like [`Parser::feed`], but reports every block end with its offset in
    /// `chunk`, so a caller can cut the raw bytes into per-event slices.
    pub fn feed_segments(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(Segment),
    ) -> Result<(), SseError> {
        if let Some(err) = &self.poisoned {
            return Err(err.clone());
        }
        let result = self.feed_inner(chunk, out);
        if let Err(err) = &result {
            self.poisoned = Some(err.clone());
            self.line = Vec::new();
            self.data = Vec::new();
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
            || !self.data.is_empty()
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

    fn feed_inner(&mut self, chunk: &[u8], out: &mut impl FnMut(Segment)) -> Result<(), SseError> {
        let mut pos = 0;
        if chunk.is_empty() {
            return Ok(());
        }
        if self.pending_cr {
            self.pending_cr = false;
            if chunk[0] == b'\n' {
                pos = 1;
                if self.pending_cr_closed_block {
                    out(Segment::CrLfTail);
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
                return Ok(());
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
            let closed = if self.line.is_empty() {
                self.process_line(&rest[..i])?
            } else {
                self.check_line_len(self.line.len() + i)?;
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..i]);
                let closed = self.process_line(&line)?;
                line.clear();
                self.line = line;
                closed
            };
            if let Some(event) = closed {
                self.pending_cr_closed_block = self.pending_cr;
                out(match event {
                    Some(event) => Segment::Event { end, event },
                    None => Segment::Empty { end },
                });
            }
            pos = end;
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

    /// Interprets one complete line. Returns `Some(_)` when the line was blank
    /// (a block end), holding the dispatched event if any.
    fn process_line(&mut self, line: &[u8]) -> Result<Option<Option<Event>>, SseError> {
        self.check_line_len(line.len())?;
        if line.is_empty() {
            return Ok(Some(self.dispatch()));
        }
        if line[0] == b':' {
            return Ok(None);
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"data" => {
                if self.data.len() + value.len() + 1 > self.limits.max_event_bytes {
                    return Err(SseError::MaxBufferExceeded {
                        what: "event",
                        limit: self.limits.max_event_bytes,
                    });
                }
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => self.event_type = decode(value.to_vec()),
            b"id" if memchr::memchr(0, value).is_none() => {
                self.last_event_id = decode(value.to_vec());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let n = value.iter().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                self.retry = Some(n);
                self.reconnection_time = Some(n);
            }
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<Event> {
        let retry = self.retry.take();
        if self.data.is_empty() {
            self.event_type.clear();
            return None;
        }
        self.data.pop(); // the trailing LF
        let event_type = if self.event_type.is_empty() {
            String::from("message")
        } else {
            std::mem::take(&mut self.event_type)
        };
        Some(Event {
            event_type,
            data: decode(std::mem::take(&mut self.data)),
            last_event_id: self.last_event_id.clone(),
            retry,
        })
    }
}

/// UTF-8 decode with U+FFFD replacement. Decoding per field value gives the
/// same text as decoding the whole stream: the decoder never folds an ASCII
/// byte (every SSE delimiter is ASCII) into a replacement.
fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}
