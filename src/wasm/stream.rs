//! The parser's and the stream sanitizer's exports (feature `sanitize`).

use super::*;
use crate::to_json::ToJson;
use crate::{claude, sse, Limits};

/// What [`WasmParser::push`] returns the address of: the events of the chunk
/// in two texts (all-ASCII events, the others), their records, and the
/// `retry` values read.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct ParsedChunk {
    ascii_ptr: u32,
    ascii_len: u32,
    wide_ptr: u32,
    wide_len: u32,
    events_ptr: u32,
    events_count: u32,
    retries_ptr: u32,
    retries_count: u32,
}

/// One event of a [`ParsedChunk`]: the UTF-16 lengths of its type, data and
/// last event id, back to back in its text; its retry + 1 (0: unset); 1 when
/// it is in the second (not all-ASCII) text.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct EventRecord {
    type_len: u32,
    data_len: u32,
    id_len: u32,
    retry: u32,
    wide: u32,
}

fn utf16_len(s: &str) -> u32 {
    // NOTE: in valid UTF-8 every char has exactly one byte that is not a
    // continuation byte (0b10xx_xxxx), and takes two UTF-16 units exactly when
    // its leading byte is ≥ 0xF0. Branch-free, so it vectorizes.
    s.bytes()
        .map(|b| u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0))
        .sum()
}

/// SSE parser. `push` returns 0 when the chunk completed no event and read no
/// `retry`, else the address of a [`ParsedChunk`]. One boundary crossing for
/// all events of a chunk; JS decodes each text once.
// NOTE: the split matters for speed: one non-ASCII byte makes the JS engine
// build a two-byte string of a whole text (≈4× slower to decode, twice the
// memory), and most events of a chunk that has one are ASCII.
struct WasmParser {
    parser: sse::Parser,
    input: InputBuffer,
    ascii: String,
    wide: String,
    events: Vec<EventRecord>,
    retries: Vec<u32>,
    header: ParsedChunk,
}

/// `options`: the length of a JSON object of [`Limits`] (an argument).
#[no_mangle]
pub extern "C" fn parser_create(options: usize) -> u32 {
    create(options, Limits::from_json, |limits| {
        Box::new(WasmParser {
            parser: sse::Parser::new(limits),
            input: InputBuffer::default(),
            ascii: String::new(),
            wide: String::new(),
            events: Vec::new(),
            retries: Vec::new(),
            header: ParsedChunk::default(),
        })
    })
}

/// See [`InputBuffer::reserve`].
#[no_mangle]
pub extern "C" fn parser_reserve(parser: u32, len: usize) -> u32 {
    word(with(parser, |p: &mut WasmParser| p.input.reserve(len)))
}

/// Parses the `len` bytes JS wrote at the address `parser_reserve` returned.
#[no_mangle]
pub extern "C" fn parser_push(parser: u32, len: usize) -> u32 {
    word(with(parser, |p: &mut WasmParser| p.parse(len)))
}

/// Ends the stream and frees the parser: 1 when an unterminated event was
/// discarded, else 0.
#[no_mangle]
pub extern "C" fn parser_finish(parser: u32) -> u32 {
    let parser = release::<WasmParser>(parser);
    word(parser.and_then(|p| ok(p.parser.finish())).map(u32::from))
}

impl WasmParser {
    fn parse(&mut self, len: usize) -> Option<u32> {
        let chunk = self.input.get(len)?;
        let (ascii, wide, events) = (&mut self.ascii, &mut self.wide, &mut self.events);
        let retries = &mut self.retries;
        ascii.clear();
        wide.clear();
        events.clear();
        retries.clear();
        // NOTE: retry values are carried as u32 (+ 1 in a record); larger
        // values saturate.
        let retry = |ms: u64| ms.min(u64::from(u32::MAX - 1)) as u32;
        // NOTE: what the chunk's events take is reserved fallibly (a chunk of
        // tiny events takes several times its size; see `zeroed`): once one
        // does not fit, the rest are passed over and the push is refused.
        let mut full = false;
        let parsed = self.parser.push_raw(chunk, &mut |segment| {
            if full {
                return;
            }
            let event = match segment {
                sse::RawSegment::Event { event, .. } => event,
                sse::RawSegment::Retry(ms) => {
                    full = retries.try_reserve(1).is_err();
                    if !full {
                        retries.push(retry(ms));
                    }
                    return;
                }
                _ => return,
            };
            let fields = [&*event.event_type, &*event.data, event.last_event_id];
            let is_ascii = fields.iter().all(|f| f.is_ascii());
            let text = if is_ascii { &mut *ascii } else { &mut *wide };
            let bytes = fields.iter().map(|f| f.len()).sum();
            full = events.try_reserve(1).is_err() || text.try_reserve(bytes).is_err();
            if full {
                return;
            }
            // NOTE: JS slices UTF-16 units, which equal the bytes for ASCII.
            let [type_len, data_len, id_len] = fields.map(|field| {
                text.push_str(field);
                if is_ascii {
                    field.len() as u32
                } else {
                    utf16_len(field)
                }
            });
            events.push(EventRecord {
                type_len,
                data_len,
                id_len,
                retry: event.retry.map_or(0, |r| retry(r) + 1),
                wide: u32::from(!is_ascii),
            });
        });
        ok(parsed)?;
        if full {
            return ok(Err(TOO_LARGE));
        }
        if self.events.is_empty() && self.retries.is_empty() {
            return Some(0);
        }
        self.header = ParsedChunk {
            ascii_ptr: addr(self.ascii.as_ptr()),
            ascii_len: self.ascii.len() as u32,
            wide_ptr: addr(self.wide.as_ptr()),
            wide_len: self.wide.len() as u32,
            events_ptr: addr(self.events.as_ptr()),
            events_count: self.events.len() as u32,
            retries_ptr: addr(self.retries.as_ptr()),
            retries_count: self.retries.len() as u32,
        };
        Some(addr(&self.header))
    }
}

/// Stream sanitizer. `push` returns 0 when the output of the chunk is the
/// chunk itself (JS then forwards the input buffer, no copy), else the address
/// of an [`Output`].
struct WasmSanitizer {
    inner: Option<claude::StreamSanitizer>,
    input: InputBuffer,
    out: Vec<u8>,
    header: Output,
    report: Option<claude::Report>,
}

/// `options`: the length of a JSON object (an argument), see
/// [`claude::SanitizerOptions::from_json`].
#[no_mangle]
pub extern "C" fn sanitizer_create(options: usize) -> u32 {
    create(options, claude::SanitizerOptions::from_json, |options| {
        Box::new(WasmSanitizer {
            inner: Some(claude::StreamSanitizer::new(options)),
            input: InputBuffer::default(),
            out: Vec::new(),
            header: Output::default(),
            report: None,
        })
    })
}

/// See [`InputBuffer::reserve`].
#[no_mangle]
pub extern "C" fn sanitizer_reserve(sanitizer: u32, len: usize) -> u32 {
    word(with(sanitizer, |s: &mut WasmSanitizer| {
        s.input.reserve(len)
    }))
}

/// Sanitizes the `len` bytes JS wrote at the address `sanitizer_reserve`
/// returned; returns 0 when the output is exactly those bytes, else the
/// address of an [`Output`].
#[no_mangle]
pub extern "C" fn sanitizer_push(sanitizer: u32, len: usize) -> u32 {
    word(with(sanitizer, |s: &mut WasmSanitizer| s.sanitize(len)))
}

/// Ends the stream; returns the address of an [`Output`] of the last output
/// bytes. The report is then available from `sanitizer_report`.
#[no_mangle]
pub extern "C" fn sanitizer_finish(sanitizer: u32) -> u32 {
    word(with(sanitizer, |s: &mut WasmSanitizer| {
        let inner = ok(s.inner.take().ok_or(FINISHED))?;
        s.out.clear();
        s.report = Some(inner.finish(&mut s.out));
        Some(output(&mut s.header, &s.out))
    }))
}

/// The report (so far, or final after `sanitizer_finish`) as JSON text.
#[no_mangle]
pub extern "C" fn sanitizer_report(sanitizer: u32) -> u32 {
    text(with(sanitizer, |s: &mut WasmSanitizer| {
        Some(match (&s.inner, &s.report) {
            (Some(inner), _) => inner.report().to_json(),
            (None, Some(report)) => report.to_json(),
            (None, None) => "null".into(),
        })
    }))
}

impl WasmSanitizer {
    fn sanitize(&mut self, len: usize) -> Option<u32> {
        let inner = ok(self.inner.as_mut().ok_or(FINISHED))?;
        let chunk = self.input.get(len)?;
        self.out.clear();
        inner.push(chunk, &mut self.out);
        if self.out == chunk {
            return Some(0);
        }
        Some(output(&mut self.header, &self.out))
    }
}
