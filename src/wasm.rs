//! The only file that knows wasm-bindgen: the memory interface (input
//! buffers JS writes into, output JS reads in place as `#[repr(C)]` structs) and
//! the error record (`takeError`); options arrive as JSON and are read by the core's
//! `from_json` constructors. The hand-written JS in `js/` wraps these exports
//! into the public API.
//!
//! Without the `history` feature (normalize, validate, rules, auth headers,
//! `sanitizeMessage`), the module holds only the stream path: parser,
//! sanitizer, accumulator; that build is the `sse-sanitizer/stream` entry.

use wasm_bindgen::prelude::*;

use crate::json;
use crate::to_json::ToJson;
#[cfg(feature = "verdict")]
use crate::VerdictError;
#[cfg(feature = "history")]
use crate::{auth, history};
use crate::{claude, sse, AccumulateError, Limits};

// NOTE: the module is single-threaded (no `atomics`), which this allocator requires.
#[cfg(feature = "small-alloc")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(any(feature = "history", feature = "verdict"))]
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

// Registers `crypto.getRandomValues` as the secret of the hash tables
// (`crate::hash`). NOTE: only registered here, when the module loads: it is
// called at the first table, inside a call (workerd refuses random values in
// a Worker's global scope). The stream-only module builds no table.
#[cfg(any(feature = "history", feature = "verdict"))]
#[wasm_bindgen(start)]
fn start() {
    crate::hash::set_entropy(|| {
        let mut bytes = [0u8; 16];
        get_random_values(&mut bytes);
        let (a, b) = bytes.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        [word(a), word(b)]
    });
}

// NOTE: no call of this module throws: a failed one returns `FAILED` (a u32
// result) or `undefined` (any other result) and leaves its error for
// `takeError()`; js/load.js `check` turns it into a `SanitizerError`. No
// `JsValue` crosses the stream path, so the stream-only module has no JS
// objects, externref shims or `js-sys` calls (wasm size).

/// The u32 result of a failed call (never an address or a count). NOTE:
/// js/load.js has the same word; tests/surface.rs checks both.
const FAILED: u32 = u32::MAX;

thread_local! {
    /// The error of the last failed call, as JSON (see [`take_error`]).
    static ERROR: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The error of the last failed call: `{"code", "message"}`, and
/// `"upstreamType"` for an upstream error event; empty once taken.
#[wasm_bindgen(js_name = takeError)]
pub fn take_error() -> String {
    ERROR.with_borrow_mut(std::mem::take)
}

/// The errors of the core, each with its kebab-case code and its text.
trait Coded {
    fn code(&self) -> &'static str;
    fn message(&self) -> String;
    /// The `error.type` of an upstream error event.
    fn upstream_type(&self) -> Option<&str> {
        None
    }
}

macro_rules! coded {
    ($($t:ty),* ; $message:ident) => {$(
        impl Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
            fn message(&self) -> String {
                self.$message()
            }
        }
    )*};
}
// NOTE: the stream path's errors make their text without `core::fmt`
// (`message`), which the stream-only module leaves out.
coded!(crate::SseError, crate::OptionError; message);
#[cfg(feature = "verdict")]
coded!(VerdictError; to_string);
#[cfg(feature = "history")]
coded!(crate::HistoryError, crate::AuthError; to_string);

impl Coded for AccumulateError {
    fn code(&self) -> &'static str {
        AccumulateError::code(self)
    }
    fn message(&self) -> String {
        AccumulateError::message(self)
    }
    fn upstream_type(&self) -> Option<&str> {
        match self {
            AccumulateError::Upstream { error_type, .. } => Some(error_type),
            _ => None,
        }
    }
}

/// Records `e` for [`take_error`].
// NOTE: one copy for every error type (wasm size).
#[inline(never)]
fn record(e: &dyn Coded) {
    let mut json = String::from("{\"code\":\"");
    json.push_str(e.code());
    json.push_str("\",\"message\":");
    json::escape_into(&mut json, &e.message());
    if let Some(t) = e.upstream_type() {
        json.push_str(",\"upstreamType\":");
        json::escape_into(&mut json, t);
    }
    json.push('}');
    ERROR.set(json);
}

/// `Some` of an `Ok`; an error is recorded for [`take_error`].
fn ok<T, E: Coded>(result: Result<T, E>) -> Option<T> {
    result.map_err(|e| record(&e)).ok()
}

/// A u32 result, or [`FAILED`] with the error recorded.
fn word(result: Option<u32>) -> u32 {
    result.unwrap_or(FAILED)
}

/// An error of the binding itself: its code and text.
struct Fault(&'static str, &'static str);

impl Coded for Fault {
    fn code(&self) -> &'static str {
        self.0
    }
    fn message(&self) -> String {
        self.1.into()
    }
}

/// A call on a finished stream.
const FINISHED: Fault = Fault("finished", "the stream was already finished");

// What JS reads from the memory: `#[repr(C)]` structs of u32 words, each word
// read by the camelCase of its field name. NOTE: js/stream-api.js lists the
// same words in the same order (`words(…)`); tests/surface.rs fails when the
// two lists differ.

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

/// Output bytes: what [`WasmSanitizer::push`] and `finish` return the address
/// of.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Output {
    ptr: u32,
    len: u32,
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
#[wasm_bindgen(js_name = WasmParser)]
pub struct WasmParser {
    parser: sse::Parser,
    input: InputBuffer,
    ascii: String,
    wide: String,
    events: Vec<EventRecord>,
    retries: Vec<u32>,
    header: ParsedChunk,
}

#[wasm_bindgen(js_class = WasmParser)]
impl WasmParser {
    /// `options`: a JSON object of [`Limits`].
    pub fn create(options: &str) -> Option<WasmParser> {
        Some(WasmParser {
            parser: sse::Parser::new(ok(Limits::from_json(options))?),
            input: InputBuffer::default(),
            ascii: String::new(),
            wide: String::new(),
            events: Vec::new(),
            retries: Vec::new(),
            header: ParsedChunk::default(),
        })
    }

    /// See [`InputBuffer::reserve`].
    pub fn reserve(&mut self, len: usize) -> u32 {
        self.input.reserve(len)
    }

    /// Parses the `len` bytes JS wrote at the address `reserve` returned.
    pub fn push(&mut self, len: usize) -> u32 {
        word(self.parse(len))
    }

    /// Ends the stream: 1 when an unterminated event was discarded, else 0.
    pub fn finish(self) -> u32 {
        word(ok(self.parser.finish()).map(u32::from))
    }
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
        let parsed = self.parser.push_raw(chunk, &mut |segment| {
            let event = match segment {
                sse::RawSegment::Event { event, .. } => event,
                sse::RawSegment::Retry(ms) => {
                    retries.push(retry(ms));
                    return;
                }
                _ => return,
            };
            let fields = [&*event.event_type, &*event.data, event.last_event_id];
            let is_ascii = fields.iter().all(|f| f.is_ascii());
            let text = if is_ascii { &mut *ascii } else { &mut *wide };
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

/// Where JS writes a chunk before a `push`: one buffer kept across
/// calls, so a chunk costs one copy and no allocation (wasm-bindgen's `&[u8]`
/// argument allocates and frees a buffer per call).
#[derive(Default)]
struct InputBuffer(Vec<u8>);

impl InputBuffer {
    /// Resizes the buffer to `len` bytes (0 frees it); returns its address.
    /// NOTE: the address stays valid (memory growth does not move it) until
    /// the next `reserve`; JS decides when to grow or free it.
    fn reserve(&mut self, len: usize) -> u32 {
        if self.0.len() != len {
            self.0 = vec![0; len];
        }
        addr(self.0.as_ptr())
    }

    fn get(&self, len: usize) -> Option<&[u8]> {
        ok(self.0.get(..len).ok_or(Fault(
            "invalid-input",
            "internal: push length exceeds the reserved input buffer",
        )))
    }
}

/// A linear-memory address as JS sees it (wasm32 pointers are 32-bit).
fn addr<T>(ptr: *const T) -> u32 {
    ptr as usize as u32
}

/// Points `header` at `bytes`; returns the header's address.
fn output(header: &mut Output, bytes: &[u8]) -> u32 {
    *header = Output {
        ptr: addr(bytes.as_ptr()),
        len: bytes.len() as u32,
    };
    addr(header)
}

/// Stream sanitizer. `push` returns 0 when the output of the chunk is the
/// chunk itself (JS then forwards the input buffer, no copy), else the address
/// of an [`Output`].
#[wasm_bindgen(js_name = WasmSanitizer)]
pub struct WasmSanitizer {
    inner: Option<claude::StreamSanitizer>,
    input: InputBuffer,
    out: Vec<u8>,
    header: Output,
    report: Option<claude::Report>,
}

#[wasm_bindgen(js_class = WasmSanitizer)]
impl WasmSanitizer {
    /// `options`: a JSON object, see [`claude::SanitizerOptions::from_json`].
    pub fn create(options: &str) -> Option<WasmSanitizer> {
        let options = ok(claude::SanitizerOptions::from_json(options))?;
        Some(WasmSanitizer {
            inner: Some(claude::StreamSanitizer::new(options)),
            input: InputBuffer::default(),
            out: Vec::new(),
            header: Output::default(),
            report: None,
        })
    }

    /// See [`InputBuffer::reserve`].
    pub fn reserve(&mut self, len: usize) -> u32 {
        self.input.reserve(len)
    }

    /// Sanitizes the `len` bytes JS wrote at the address `reserve` returned;
    /// returns 0 when the output is exactly those bytes, else the address of
    /// an [`Output`].
    pub fn push(&mut self, len: usize) -> u32 {
        word(self.sanitize(len))
    }

    /// Ends the stream; returns the address of an [`Output`] of the last
    /// output bytes. The report is then available from `report()`.
    pub fn finish(&mut self) -> u32 {
        let Some(inner) = ok(self.inner.take().ok_or(FINISHED)) else {
            return FAILED;
        };
        self.out.clear();
        self.report = Some(inner.finish(&mut self.out));
        output(&mut self.header, &self.out)
    }

    /// The report (so far, or final after `finish`) as JSON.
    pub fn report(&self) -> String {
        let report = match (&self.inner, &self.report) {
            (Some(inner), _) => inner.report(),
            (None, Some(report)) => report,
            (None, None) => return "null".into(),
        };
        report.to_json()
    }
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

/// Accumulator fed with raw SSE bytes (`push`) or with events (`push_event`).
#[wasm_bindgen(js_name = WasmAccumulator)]
pub struct WasmAccumulator {
    parser: sse::Parser,
    inner: claude::Accumulator,
    all: bool,
}

#[wasm_bindgen(js_class = WasmAccumulator)]
impl WasmAccumulator {
    /// `options`: a JSON object, see [`claude::AccumulateOptions::from_json`].
    pub fn create(options: &str) -> Option<WasmAccumulator> {
        let options = ok(claude::AccumulateOptions::from_json(options))?;
        Some(WasmAccumulator {
            parser: sse::Parser::new(options.limits),
            inner: options.accumulator(),
            all: options.messages == claude::Messages::All,
        })
    }

    /// Feeds raw SSE bytes: 0, or [`FAILED`].
    pub fn push(&mut self, chunk: &[u8]) -> u32 {
        let inner = &mut self.inner;
        let mut result = Ok(());
        let parsed = self.parser.push_raw(chunk, &mut |segment| {
            if let (sse::RawSegment::Event { event, .. }, Ok(())) = (segment, &result) {
                result = inner.push(&event.event_type, &event.data);
            }
        });
        word(ok(parsed).and_then(|()| ok(result)).map(|()| 0))
    }

    /// Feeds one event: 0, or [`FAILED`].
    #[wasm_bindgen(js_name = pushEvent)]
    pub fn push_event(&mut self, event_type: &str, data: &str) -> u32 {
        word(ok(self.inner.push(event_type, data)).map(|()| 0))
    }

    /// The final message as JSON (with `messages: "all"`, the array of them).
    pub fn finish(self) -> Option<String> {
        let WasmAccumulator { parser, inner, all } = self;
        ok(parser.finish())?;
        // NOTE: `Accumulator::finish` is the last of `finish_all` (one call
        // to it here: wasm size).
        let mut messages = ok(inner.finish_all())?;
        if !all {
            return Some(messages.pop().unwrap_or_default());
        }
        let mut out = String::from("[");
        for (i, message) in messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(message);
        }
        out.push(']');
        Some(out)
    }
}

/// Stream verdict: `push` takes the `len` bytes JS wrote at the address
/// `reserve` returned; `finish` returns the anomalies as JSON.
#[cfg(feature = "verdict")]
#[wasm_bindgen(js_name = WasmValidator)]
pub struct WasmValidator {
    inner: claude::StreamValidator,
    input: InputBuffer,
}

#[cfg(feature = "verdict")]
#[wasm_bindgen(js_class = WasmValidator)]
impl WasmValidator {
    /// `options`: a JSON object of [`Limits`].
    pub fn create(options: &str) -> Option<WasmValidator> {
        Some(WasmValidator {
            inner: claude::StreamValidator::new(ok(Limits::from_json(options))?),
            input: InputBuffer::default(),
        })
    }

    /// See [`InputBuffer::reserve`].
    pub fn reserve(&mut self, len: usize) -> u32 {
        self.input.reserve(len)
    }

    /// 0, or [`FAILED`].
    pub fn push(&mut self, len: usize) -> u32 {
        let chunk = self.input.get(len);
        word(
            chunk
                .and_then(|chunk| ok(self.inner.push(chunk)))
                .map(|()| 0),
        )
    }

    pub fn finish(self) -> Option<String> {
        Some(ok(self.inner.finish())?.to_json())
    }
}

/// The stream anomaly catalog as JSON.
#[cfg(feature = "verdict")]
#[wasm_bindgen(js_name = anomalyCatalog)]
pub fn anomaly_catalog() -> String {
    (&claude::ANOMALIES).to_json()
}

#[cfg(feature = "history")]
/// Normalizes a JSON body: `[bytes | null, changesJson]`, `null` when unchanged.
#[wasm_bindgen(js_name = normalizeBytes)]
pub fn normalize_bytes(body: &[u8], options: &str) -> Option<js_sys::Array> {
    let options = ok(history::NormalizeOptions::from_json(options))?;
    // NOTE: the new body goes to its JS array piece by piece: it is never whole
    // in the wasm memory, which does not shrink after a call.
    let mut out = JsValue::NULL;
    let changes = ok(history::normalize_to(body, &options, |len| {
        let array = js_sys::Uint8Array::new_with_length(len as u32);
        out = array.clone().into();
        let mut at = 0u32;
        move |piece: &[u8]| {
            let end = at + piece.len() as u32;
            array.subarray(at, end).copy_from(piece);
            at = end;
        }
    }))?;
    Some(js_sys::Array::of2(&out, &changes.to_json().into()))
}

#[cfg(feature = "history")]
/// Validates a JSON body; the violations as JSON.
#[wasm_bindgen(js_name = validateBytes)]
pub fn validate_bytes(body: &[u8], options: &str) -> Option<String> {
    let options = ok(history::NormalizeOptions::from_json(options))?;
    let violations = ok(history::validate_bytes(
        body,
        options.profile,
        &options.limits,
    ))?;
    Some(violations.to_json())
}

#[cfg(feature = "history")]
/// The rules catalog as JSON: every row with its upstream answers per profile
/// and the public sources behind them.
#[wasm_bindgen(js_name = ruleCatalog)]
pub fn rule_catalog() -> String {
    (&history::RULES).to_json()
}

#[cfg(feature = "history")]
/// The profiles as JSON: `[{ id, description }]`, in documentation order.
#[wasm_bindgen(js_name = profileCatalog)]
pub fn profile_catalog() -> String {
    crate::to_json::ProfileCatalog.to_json()
}

#[cfg(feature = "history")]
/// Auth headers as `[name, value, name, value, …]`.
#[wasm_bindgen(js_name = authHeaders)]
pub fn auth_headers(config: &str) -> Option<Vec<String>> {
    let config = ok(auth::AuthConfig::from_json(config))?;
    let headers = ok(auth::resolve(&config))?;
    Some(headers.into_iter().flat_map(|(k, v)| [k, v]).collect())
}

#[cfg(feature = "history")]
/// A key as it may be shown (`sk-ant-…1234`).
#[wasm_bindgen(js_name = redactKey)]
pub fn redact_key(key: &str) -> String {
    auth::redact(key)
}

#[cfg(feature = "history")]
/// Sanitizes a non-streaming `Message` JSON body: `[bytes | null, reportJson]`,
/// `null` when unchanged.
#[wasm_bindgen(js_name = sanitizeMessageBytes)]
pub fn sanitize_message_bytes(body: &[u8], options: &str) -> Option<js_sys::Array> {
    let options = ok(claude::SanitizerOptions::from_json(options))?;
    let (out, report) = claude::sanitize_message(body, &options);
    let out = match out {
        std::borrow::Cow::Borrowed(_) => JsValue::NULL,
        std::borrow::Cow::Owned(out) => js_sys::Uint8Array::from(&out[..]).into(),
    };
    Some(js_sys::Array::of2(&out, &report.to_json().into()))
}

// Forwarding proxies (js/proxy.js, shared by the Worker and sanitizingFetch):
// the auth decisions and the secret scrubber of `auth`, and the default limits;
// the request side only (`history` feature).

#[cfg(feature = "history")]
/// [`Limits::max_body_bytes`] by default (the Worker's and the CLI's cap on
/// what they read).
#[wasm_bindgen(js_name = defaultMaxBodyBytes)]
pub fn default_max_body_bytes() -> usize {
    Limits::default().max_body_bytes
}

#[cfg(feature = "history")]
/// A checked [`auth::Forwarding`]: the constructor fails as
/// [`auth::Forwarding::check`] does; the key and header lists are
/// comma-separated.
#[wasm_bindgen(js_name = WasmForwarding)]
pub struct WasmForwarding(auth::Forwarding);

#[cfg(feature = "history")]
fn comma_list(list: &str) -> Vec<String> {
    list.split(',').map(String::from).collect()
}

#[cfg(feature = "history")]
#[wasm_bindgen(js_class = WasmForwarding)]
impl WasmForwarding {
    pub fn create(
        mode: &str,
        upstream_url: String,
        upstream_key: Option<String>,
        client_keys: &str,
        keep_client_headers: &str,
    ) -> Option<WasmForwarding> {
        let forwarding = auth::Forwarding {
            mode: ok(mode.parse())?,
            upstream_url,
            upstream_key,
            client_keys: comma_list(client_keys),
            keep_client_headers: comma_list(keep_client_headers),
        };
        ok(forwarding.check())?;
        Some(WasmForwarding(forwarding))
    }

    /// Upstream headers for client headers, both as `name\nvalue\n…` (a
    /// header value never holds a line break).
    pub fn headers(&self, client: &str) -> Option<String> {
        let mut lines = client.split('\n');
        let mut pairs = Vec::new();
        while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
            pairs.push((name.to_string(), value.to_string()));
        }
        let headers = ok(self.0.headers(&pairs))?;
        let mut out = String::new();
        for (name, value) in headers {
            out.push_str(&name);
            out.push('\n');
            out.push_str(&value);
            out.push('\n');
        }
        Some(out)
    }
}

#[cfg(feature = "history")]
/// [`auth::Redactor`].
#[wasm_bindgen(js_name = WasmRedactor)]
pub struct WasmRedactor(Option<auth::Redactor>);

#[cfg(feature = "history")]
#[wasm_bindgen(js_class = WasmRedactor)]
impl WasmRedactor {
    #[wasm_bindgen(constructor)]
    pub fn new(secret: &str) -> WasmRedactor {
        WasmRedactor(Some(auth::Redactor::new(secret)))
    }

    pub fn push(&mut self, chunk: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(chunk.len());
        ok(self.0.as_mut().ok_or(FINISHED))?.push(chunk, &mut out);
        Some(out)
    }

    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        ok(self.0.take().ok_or(FINISHED))?.finish(&mut out);
        Some(out)
    }
}
