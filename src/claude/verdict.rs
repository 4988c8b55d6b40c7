//! The stream verdict: every anomaly of a Claude stream, each with what the
//! official TypeScript SDK does about it.
//!
//! "The SDK" is `@anthropic-ai/sdk` 1.12 (the version this project pins)
//! reading the raw bytes the way `client.beta.messages.stream(…).finalMessage()`
//! does: its SSE decoder, its `Stream`, and `BetaMessageStream`, the stream
//! helper that knows every block type (`client.messages.stream()` differs only
//! on beta block types and on the text of a tool input error). The verdict
//! simulates that code on the bytes, so for each anomaly it can say whether
//! the SDK raises on it (with the SDK's exact error text) or goes on without
//! noticing, usually losing or misplacing data.
//!
//! ```
//! use sse_sanitizer::claude::{validate_stream, SdkOutcome};
//! use sse_sanitizer::Limits;
//! let stream = concat!(
//!     "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[],\"usage\":{}}}\n\n",
//!     "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
//! );
//! let anomalies = validate_stream(stream.as_bytes(), Limits::default())?;
//! assert_eq!(anomalies[0].code, "delta-without-start");
//! assert_eq!(anomalies[0].sdk, SdkOutcome::Raises);
//! assert_eq!(anomalies[0].message, "Cannot read properties of undefined (reading 'type')");
//! assert_eq!(anomalies[1].code, "truncated");
//! assert_eq!(anomalies[1].sdk, SdkOutcome::Unreached);
//! # Ok::<(), sse_sanitizer::VerdictError>(())
//! ```
//!
//! # How the SDK reads a stream (what the verdict simulates)
//!
//! - Its SSE decoder is not the WHATWG one: a frame without an `event:` line is
//!   skipped (gateways that send `data:` lines only lose the whole reply), a
//!   frame with an `event:` line but no data is still yielded, a `U+FEFF` is
//!   stripped from the start of every line, and `id:` / `retry:` are ignored.
//! - A frame named `ping` is skipped; one named `error` raises an `APIError`
//!   whose message is the body's `message` or else the body's JSON text; any
//!   other named frame with data is `JSON.parse`d (a failure raises) and
//!   handled by its data's `type`, whatever its name.
//! - Blocks live in an array: `content_block_start` appends, whatever its
//!   `index`; deltas and stops use `content.at(index)`; a delta whose block is
//!   missing or of another kind is dropped; a `message_start` while there is a
//!   message (even a stopped one) raises; a field it reads that is missing
//!   raises a `TypeError` (V8's wording is given; other engines word it
//!   differently).
//! - A tool input is parsed at its block's `content_block_stop` with the SDK's
//!   partial JSON parser; a failure raises (the `SyntaxError` inside the text
//!   depends on the engine, so that part of the message is described).
//! - At the end of the request the content is mapped once more (a block that
//!   is `null` raises there too); then `finalMessage()` raises when no
//!   `message_stop` was read.
//!
//! The SDK raises at most once: the first anomaly it raises on is
//! [`SdkOutcome::Raises`]; the anomalies after it are
//! [`SdkOutcome::Unreached`] (the simulation goes on, as if the SDK had not
//! stopped, so that every anomaly is listed; a `message_start` after the
//! error starts a new message).
//!
//! Frames without an `event:` line are reported (`unnamed-event`) and
//! otherwise ignored, as the SDK ignores them.
//!
//! # Memory and time
//!
//! Linear time whatever the chunking; the verdict is the same for any split
//! of the input. It keeps the unfinished line and frame (bounded by
//! [`Limits::max_line_bytes`] and [`Limits::max_event_bytes`]), one small
//! entry per content block of the current message (tool blocks: one bit per
//! open JSON container of their input, up to [`Limits::max_json_depth`]), and
//! at most [`MAX_ANOMALIES`] anomalies.

use super::js;
use super::partial_json::{PartialCheck, TooDeep};
use crate::json::{self, Code, Kind, Raw};
use crate::{text, Limits, SseError, VerdictError};
use serde::Serialize;
use std::borrow::Cow;

/// One class of anomaly: a row of [`ANOMALIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AnomalyClass {
    /// Stable kebab-case code; part of the API ([`Anomaly::code`]).
    pub code: &'static str,
    /// What is wrong.
    pub summary: &'static str,
    /// What the SDK does about it (its exact error text where it raises one).
    pub sdk: &'static str,
}

macro_rules! catalog {
    ($($name:ident = $code:literal, $summary:literal, $sdk:literal;)*) => {
        $(const $name: &str = $code;)*
        /// THE anomaly catalog: every code [`validate_stream`] can report.
        pub static ANOMALIES: &[AnomalyClass] = &[$(AnomalyClass { code: $code, summary: $summary, sdk: $sdk }),*];
    };
}

catalog! {
    UNNAMED_EVENT = "unnamed-event",
        "a frame with a Claude event's data but no `event:` line (OpenAI-style relays and some gateways send them)",
        "skips it: its decoder reads named events only (with no named `message_start` at all it raises `request ended without sending any chunks`)";
    EVENT_NAME_MISMATCH = "event-name-mismatch",
        "an `event:` name that is a Claude event type other than the data's `type`",
        "reads the event by its data's `type`; under the name `ping` it skips it";
    MALFORMED_JSON = "malformed-json",
        "a named frame whose data is not JSON",
        "raises the JS engine's `JSON.parse` SyntaxError (its wording depends on the engine; the message describes it)";
    ERROR_EVENT = "error-event",
        "an `event: error` frame (an upstream error mid-stream), or an error payload under another name",
        "raises an `APIError` whose message is the body's JSON text (`{\"type\":\"error\",\"error\":{…}}`), or its top-level `message` when it has one; under another name it ignores the error";
    INVALID_EVENT = "invalid-event",
        "an event without a field the SDK reads (`message`, `message.content`, `message.usage`, `delta`, `usage`, `content_block`) or with one of another type, or an `index` that is not a non-negative integer",
        "raises a TypeError here or at a later event (V8: `Cannot read properties of undefined (reading 'push')`, …), or ignores the event";
    SECOND_MESSAGE_START = "second-message-start",
        "a `message_start` while a message is open (before its `message_stop`)",
        "raises `Unexpected event order, got message_start before receiving \"message_stop\"`";
    CONCATENATED_MESSAGE = "concatenated-message",
        "a `message_start` after a `message_stop`: several turns back to back, as recorded captures often are (`accumulate(input, { messages: 'all' })` reads each)",
        "raises `Unexpected event order, got message_start before receiving \"message_stop\"`";
    MESSAGE_START_WITH_CONTENT = "message-start-with-content",
        "a `message_start` whose `message.content` already holds blocks",
        "keeps them and appends the stream's blocks after them, so the stream's indices must count on from them";
    START_REUSING_INDEX = "start-reusing-index",
        "a `content_block_start` with an index an earlier block of the message already has",
        "appends the block at the next position; later events naming that index reach the earlier block";
    START_INDEX_GAP = "start-index-gap",
        "a `content_block_start` whose index skips positions",
        "appends the block at the next position, not at its index: events naming its index miss it";
    DELTA_WITHOUT_START = "delta-without-start",
        "a `content_block_delta` for an index with no block",
        "drops the delta; when the message has no block at all it raises `Cannot read properties of undefined (reading 'type')`";
    DELTA_KIND_MISMATCH = "delta-kind-mismatch",
        "a delta of a kind its block does not take (a `text_delta` for a `tool_use` block, …)",
        "drops the delta";
    DELTA_AFTER_STOP = "delta-after-stop",
        "a delta for a block already stopped (or that came whole in `message_start`)",
        "applies it to the finished block";
    STOP_WITHOUT_START = "stop-without-start",
        "a `content_block_stop` for an index that is not open (never started, or stopped already)",
        "ignores it";
    UNTERMINATED_BLOCK = "unterminated-block",
        "a block still open at `message_stop`",
        "keeps it as it is (a tool input is parsed when first read)";
    INVALID_TOOL_INPUT = "invalid-tool-input",
        "a tool block's `input_json_delta` text that the SDK's partial JSON parser refuses at the block's `content_block_stop`",
        "raises `Unable to parse tool parameter JSON from model. Please retry your request or adjust your prompt. Error: SyntaxError: …. JSON: …` (the SyntaxError's wording depends on the engine)";
    EVENT_OUTSIDE_MESSAGE = "event-outside-message",
        "a block or message event before any `message_start`, or after `message_stop`",
        "ignores it before `message_start`; after `message_stop` it changes the finished message, which `finalMessage()` shows only if another `message_stop` follows";
    TRUNCATED = "truncated",
        "the stream ends before the `message_stop` of its message (and not on an `error` event), or inside a frame",
        "`finalMessage()` raises `stream ended without producing a Message with role=assistant` when no `message_stop` was read";
    NO_MESSAGE = "no-message",
        "no `message_start` that the SDK reads",
        "raises `request ended without sending any chunks`";
    TOO_MANY_ANOMALIES = "too-many-anomalies",
        "more than `MAX_ANOMALIES` anomalies: the rest are not listed (the one the SDK raises on always is)",
        "-";
}

/// The most anomalies listed; then one `too-many-anomalies` entry (the
/// anomaly the SDK raises on is listed even past it).
pub const MAX_ANOMALIES: usize = 1000;

kebab_enum! {
    /// What the SDK does about one anomaly.
    pub enum SdkOutcome {
        /// The SDK raises here; [`Anomaly::message`] is its error text.
        Raises = "raises",
        /// The SDK goes on without raising because of it.
        Silent = "silent",
        /// The SDK raised at an earlier anomaly and never reads this one.
        Unreached = "unreached",
    }
}

/// One anomaly of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// Its class, a code of [`ANOMALIES`].
    pub code: &'static str,
    /// The 0-based number of the frame concerned (frames the SDK's decoder
    /// yields: those with a `data` line or a non-empty `event` line; at the end
    /// of the stream, the number of frames).
    pub event: u64,
    /// The content block index concerned (the event's `index`), if any.
    pub index: Option<u64>,
    /// With [`SdkOutcome::Raises`], the exact error text the SDK raises
    /// (V8's wording for TypeErrors); otherwise what is wrong and what the SDK
    /// does.
    pub message: String,
    /// What the SDK does about it.
    pub sdk: SdkOutcome,
}

/// Validates a whole stream at once; see [`StreamValidator`].
pub fn validate_stream(input: &[u8], limits: Limits) -> Result<Vec<Anomaly>, VerdictError> {
    let mut validator = StreamValidator::new(limits);
    validator.push(input)?;
    validator.finish()
}

/// Incremental stream verdict: [`StreamValidator::push`] chunks split
/// anywhere, then [`StreamValidator::finish`] for the anomalies.
#[derive(Debug)]
pub struct StreamValidator {
    decoder: Decoder,
    model: Model,
}

impl StreamValidator {
    /// A validator with the given limits (`max_line_bytes`,
    /// `max_event_bytes`, `max_json_depth`).
    pub fn new(limits: Limits) -> Self {
        StreamValidator {
            decoder: Decoder::new(limits),
            model: Model::new(limits.json_depth()),
        }
    }

    /// Reads one chunk. Fails when a line, a frame or a JSON nesting exceeds
    /// its limit; the validator is then done (later calls fail the same way).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), VerdictError> {
        if let Some(err) = &self.model.poisoned {
            return Err(err.clone());
        }
        let model = &mut self.model;
        let result = self
            .decoder
            .push(chunk, &mut |name, data| model.frame(name, data))
            .map_err(VerdictError::Sse);
        // NOTE: the model's error came first when both are set: the decoder
        // stops at its own error, but goes on past a frame the model refused,
        // so the same stream split otherwise would report the model's
        // (fuzz accumulator-fb26aed9).
        let result = match &model.poisoned {
            Some(err) => Err(err.clone()),
            None => result,
        };
        if let Err(err) = &result {
            self.model.poisoned = Some(err.clone());
        }
        result
    }

    /// The anomalies so far (those of the end of the stream come with
    /// [`StreamValidator::finish`]).
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.model.anomalies
    }

    /// Ends the stream; returns every anomaly, in stream order.
    pub fn finish(self) -> Result<Vec<Anomaly>, VerdictError> {
        let StreamValidator { decoder, mut model } = self;
        if let Some(err) = model.poisoned {
            return Err(err);
        }
        model.end(decoder.finish());
        Ok(model.anomalies)
    }
}

/// The SDK's SSE decoder (see the module docs), on bytes.
#[derive(Debug)]
struct Decoder {
    limits: Limits,
    line: Vec<u8>,
    /// The last chunk ended with a CR: an LF first in the next one ends nothing.
    pending_cr: bool,
    event: Option<Vec<u8>>,
    data: Vec<u8>,
    data_lines: usize,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl Decoder {
    fn new(limits: Limits) -> Self {
        Decoder {
            limits,
            line: Vec::new(),
            pending_cr: false,
            event: None,
            data: Vec::new(),
            data_lines: 0,
        }
    }

    fn push(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(Option<&[u8]>, &[u8]),
    ) -> Result<(), SseError> {
        let mut pos = 0;
        if std::mem::take(&mut self.pending_cr) && chunk.first() == Some(&b'\n') {
            pos = 1;
        }
        while pos < chunk.len() {
            let rest = &chunk[pos..];
            let Some(i) = memchr::memchr2(b'\r', b'\n', rest) else {
                self.check_line(self.line.len() + rest.len())?;
                self.line.extend_from_slice(rest);
                break;
            };
            let mut end = pos + i + 1;
            if rest[i] == b'\r' {
                match chunk.get(end) {
                    Some(b'\n') => end += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            if self.line.is_empty() {
                self.line_done(&rest[..i], out)?;
            } else {
                self.check_line(self.line.len() + i)?;
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&rest[..i]);
                self.line_done(&line, out)?;
                line.clear();
                self.line = line;
            }
            pos = end;
        }
        Ok(())
    }

    fn check_line(&self, len: usize) -> Result<(), SseError> {
        if len > self.limits.max_line_bytes {
            return Err(SseError::MaxBufferExceeded {
                what: "line",
                limit: self.limits.max_line_bytes,
            });
        }
        Ok(())
    }

    fn line_done(
        &mut self,
        line: &[u8],
        out: &mut impl FnMut(Option<&[u8]>, &[u8]),
    ) -> Result<(), SseError> {
        self.check_line(line.len())?;
        let line = line.strip_prefix(BOM).unwrap_or(line);
        if line.is_empty() {
            // NOTE: `event:` with an empty value is falsy in the SDK's check, but
            // a frame with data and such a line is still named ("").
            if self.data_lines > 0 || self.event.as_ref().is_some_and(|e| !e.is_empty()) {
                out(self.event.as_deref(), &self.data);
            }
            self.event = None;
            self.data.clear();
            self.data_lines = 0;
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(0) => return Ok(()),
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.event = Some(value.to_vec()),
            b"data" => {
                let len = self.data.len() + usize::from(self.data_lines > 0) + value.len();
                if len > self.limits.max_event_bytes {
                    return Err(SseError::MaxBufferExceeded {
                        what: "event",
                        limit: self.limits.max_event_bytes,
                    });
                }
                if self.data_lines > 0 {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.data_lines += 1;
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the stream ended inside a frame that would have been yielded.
    fn finish(self) -> bool {
        let line = self.line.strip_prefix(BOM).unwrap_or(&self.line);
        let partial_field = line.starts_with(b"data") || line.starts_with(b"event");
        self.data_lines > 0 || self.event.is_some_and(|e| !e.is_empty()) || partial_field
    }
}

/// A content block as the SDK holds it.
#[derive(Debug)]
enum Block {
    /// `undefined` (a `content_block_start` without `content_block`).
    Undefined,
    Null,
    /// A string, number or boolean.
    Primitive,
    Object {
        /// Its `type`, when a string.
        kind: Option<Box<str>>,
        /// Started and not stopped.
        open: bool,
        /// A tool block's `input_json_delta` text so far.
        tool: Option<Box<ToolInput>>,
    },
}

#[derive(Debug)]
struct ToolInput {
    check: PartialCheck,
    /// The block's `input` is still the SDK's lazy parse, not done yet.
    pending: bool,
    /// The start of the text, for the message.
    head: String,
}

/// `message.content` of the current message as the SDK holds it.
#[derive(Debug)]
enum Content {
    Undefined,
    Null,
    Array(Vec<Block>),
    /// A string: `at` works, `push` and `map` do not (its UTF-16 length).
    Str(usize),
    /// A number, boolean or object: neither `at`, `push` nor `map` exists.
    Other,
}

/// A value the SDK assigns properties on (`message`, `message.usage`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Undefined,
    Null,
    Object,
    /// A primitive, as V8 names it (`number '5'`).
    Primitive(String),
}

impl Target {
    /// The TypeError of `target.field = …`, if any.
    fn set_error(&self, field: &str) -> Option<String> {
        match self {
            Target::Undefined => Some(format!(
                "Cannot set properties of undefined (setting '{field}')"
            )),
            Target::Null => Some(format!("Cannot set properties of null (setting '{field}')")),
            Target::Primitive(desc) => Some(format!("Cannot create property '{field}' on {desc}")),
            Target::Object => None,
        }
    }
}

#[derive(Debug)]
struct Message {
    target: Target,
    content: Content,
    usage: Target,
    stopped: bool,
}

#[derive(Debug)]
struct Model {
    max_depth: usize,
    anomalies: Vec<Anomaly>,
    listed: usize,
    frames: u64,
    message: Option<Message>,
    /// The SDK raised (it reads nothing more).
    failed: bool,
    /// A `message_stop` went through the SDK without raising.
    received: bool,
    error_event: bool,
    poisoned: Option<VerdictError>,
}

const CLAUDE_EVENTS: [&str; 8] = [
    "message_start",
    "message_delta",
    "message_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "ping",
    "error",
];

const RAISE_ORDER: &str =
    "Unexpected event order, got message_start before receiving \"message_stop\"";

fn is_tool(kind: &str) -> bool {
    matches!(kind, "tool_use" | "server_tool_use" | "mcp_tool_use")
}

/// The block type a delta type applies to.
fn delta_target(delta: &str) -> Option<&'static str> {
    match delta {
        "text_delta" | "citations_delta" => Some("text"),
        "thinking_delta" | "signature_delta" => Some("thinking"),
        "input_json_delta" => Some("tool_use"),
        "compaction_delta" => Some("compaction"),
        _ => None,
    }
}

/// `undefined` or `null`, as V8 names it.
fn nullish(v: Option<Raw<'_>>) -> Option<&'static str> {
    match v {
        None => Some("undefined"),
        Some(v) if v.kind() == Kind::Null => Some("null"),
        _ => None,
    }
}

fn read_error(of: &str, field: &str) -> String {
    format!("Cannot read properties of {of} (reading '{field}')")
}

/// A non-negative integer index (`1.0` is one: JS numbers have no other kind).
fn index_of(v: Option<Raw<'_>>) -> Option<u64> {
    let v = v.filter(|v| v.kind() == Kind::Num)?;
    let n: f64 = v.text().parse().ok()?;
    (n >= 0.0 && n.fract() == 0.0 && n < 9_007_199_254_740_992.0).then_some(n as u64)
}

fn target_of(v: Option<Raw<'_>>) -> Target {
    match v {
        None => Target::Undefined,
        Some(v) => match v.kind() {
            Kind::Null => Target::Null,
            Kind::Obj | Kind::Arr => Target::Object,
            _ => Target::Primitive(js::describe_primitive(v)),
        },
    }
}

impl Model {
    fn new(max_depth: usize) -> Self {
        Model {
            max_depth,
            anomalies: Vec::new(),
            listed: 0,
            frames: 0,
            message: None,
            failed: false,
            received: false,
            error_event: false,
            poisoned: None,
        }
    }

    fn push(&mut self, code: &'static str, index: Option<u64>, message: String, sdk: SdkOutcome) {
        if sdk != SdkOutcome::Raises {
            if self.listed == MAX_ANOMALIES {
                self.listed += 1;
                let message =
                    format!("more than {MAX_ANOMALIES} anomalies; the rest are not listed");
                self.anomalies.push(Anomaly {
                    code: TOO_MANY_ANOMALIES,
                    event: self.frames,
                    index: None,
                    message,
                    sdk: SdkOutcome::Silent,
                });
            }
            if self.listed > MAX_ANOMALIES {
                return;
            }
            self.listed += 1;
        }
        let event = self.frames;
        self.anomalies.push(Anomaly {
            code,
            event,
            index,
            message,
            sdk,
        });
    }

    /// An anomaly of the stream; `raise` is the SDK's error when it raises on it.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn anomaly(
        &mut self,
        code: &'static str,
        index: Option<u64>,
        what: String,
        raise: Option<String>,
    ) {
        match raise {
            Some(text) if !self.failed => {
                self.failed = true;
                self.push(code, index, text, SdkOutcome::Raises);
            }
            _ => {
                let sdk = if self.failed {
                    SdkOutcome::Unreached
                } else {
                    SdkOutcome::Silent
                };
                self.push(code, index, what, sdk);
            }
        }
    }

    /// The SDK raises here because of an anomaly reported earlier.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn raise(&mut self, code: &'static str, index: Option<u64>, text: String) {
        if !self.failed {
            self.failed = true;
            self.push(code, index, text, SdkOutcome::Raises);
        }
    }

    fn frame(&mut self, name: Option<&[u8]>, data: &[u8]) {
        if self.poisoned.is_some() {
            return;
        }
        let data = text::lossy(data);
        let name = name.map(text::lossy);
        self.frame_text(name.as_deref(), &data);
        self.frames += 1;
    }

    /// The data of a frame the SDK may skip: too deep is not an error here.
    fn peek<'d>(&self, data: &'d str) -> Option<Raw<'d>> {
        if !data.trim_start().starts_with('{') {
            return None;
        }
        json::validate(data, self.max_depth).ok()?;
        Some(Raw::root(data))
    }

    fn parse<'d>(&mut self, data: &'d str) -> Option<Raw<'d>> {
        match json::validate(data, self.max_depth) {
            Ok(()) => Some(Raw::root(data)),
            Err(e) if e.code == Code::Depth => {
                self.poisoned = Some(VerdictError::MaxDepthExceeded {
                    limit: self.max_depth,
                });
                None
            }
            Err(_) => None,
        }
    }

    fn frame_text(&mut self, name: Option<&str>, data: &str) {
        let claude_type = |root: Raw<'_>| {
            let kind = root.get("type").and_then(|t| t.str())?;
            CLAUDE_EVENTS
                .contains(&kind.as_ref())
                .then(|| kind.into_owned())
        };
        match name {
            None => {
                let Some(root) = self.peek(data) else { return };
                if let Some(kind) = claude_type(root).filter(|k| k != "ping") {
                    let index = index_of(root.get("index"));
                    let what =
                        format!("a `{kind}` frame without an `event:` line: the SDK skips it");
                    self.anomaly(UNNAMED_EVENT, index, what, None);
                }
            }
            Some("ping") => {
                let Some(root) = self.peek(data) else { return };
                if let Some(kind) = claude_type(root).filter(|k| k != "ping") {
                    let index = index_of(root.get("index"));
                    let what = format!(
                        "a `{kind}` event named `ping`: the SDK skips every event of that name"
                    );
                    self.anomaly(EVENT_NAME_MISMATCH, index, what, None);
                }
            }
            Some("error") => {
                self.error_event = true;
                let text = self.api_error_message(data);
                let what = format!("an `error` event: {text}");
                self.anomaly(ERROR_EVENT, None, what, Some(text));
            }
            Some(name) => {
                if data.is_empty() {
                    return;
                }
                let Some(root) = self.parse(data) else {
                    if self.poisoned.is_none() {
                        let what = format!(
                            "the data of this `{name}` event is not JSON: JSON.parse throws (SDK: a SyntaxError worded by the JS engine): {}",
                            preview(data)
                        );
                        self.anomaly(MALFORMED_JSON, None, what.clone(), Some(what));
                    }
                    return;
                };
                let kind = root.get("type").and_then(|t| t.str());
                let index = index_of(root.get("index"));
                if CLAUDE_EVENTS.contains(&name) && kind.as_deref() != Some(name) {
                    let read = match kind.as_deref() {
                        Some(k) => format!("the SDK reads it as `{k}`"),
                        None => "its data has no `type`: the SDK ignores it".into(),
                    };
                    let what =
                        format!("an event named `{name}` whose data is not a `{name}`: {read}");
                    self.anomaly(EVENT_NAME_MISMATCH, index, what, None);
                } else if kind.as_deref() == Some("error") {
                    let what = format!(
                        "an error payload under the name `{name}`: the SDK ignores it and reads on"
                    );
                    self.anomaly(ERROR_EVENT, None, what, None);
                }
                self.event(root);
            }
        }
    }

    /// The message of the SDK's `APIError` for an `error` frame with this data.
    fn api_error_message(&self, data: &str) -> String {
        // NOTE: the SDK's body is `safeJSON(data) ?? data`: `null` keeps the raw text.
        let stringify = |raw: Raw<'_>| match json::read(raw.text()) {
            Ok(v) => {
                let mut out = String::new();
                js::stringify(v, &mut out);
                out
            }
            Err(_) => raw.text().to_string(),
        };
        let body = json::validate(data, self.max_depth)
            .ok()
            .map(|()| Raw::root(data))
            .filter(|v| v.kind() != Kind::Null);
        let Some(body) = body else {
            return if data.is_empty() {
                "(no status code or body)".into()
            } else {
                json::escape(data)
            };
        };
        let message = body.get("message").filter(|m| js::truthy(Some(*m)));
        match message {
            Some(m) if m.kind() == Kind::Str => m.str().map(|s| s.into_owned()).unwrap_or_default(),
            Some(m) => stringify(m),
            None if js::truthy(Some(body)) => stringify(body),
            None => "(no status code or body)".into(),
        }
    }

    fn event(&mut self, root: Raw<'_>) {
        if root.kind() == Kind::Null {
            let text = read_error("null", "type");
            self.anomaly(
                INVALID_EVENT,
                None,
                "an event whose data is `null`".into(),
                Some(text),
            );
            return;
        }
        if root.kind() != Kind::Obj {
            return;
        }
        let Some(kind) = root.get("type").and_then(|t| t.str()) else {
            return;
        };
        let index = index_of(root.get("index"));
        if kind == "message_start" {
            return self.message_start(root);
        }
        let lifecycle = matches!(
            kind.as_ref(),
            "message_delta"
                | "message_stop"
                | "content_block_start"
                | "content_block_delta"
                | "content_block_stop"
        );
        let stopped = match &self.message {
            None => {
                if lifecycle {
                    let what = format!("a `{kind}` before any `message_start`: the SDK ignores it");
                    self.anomaly(EVENT_OUTSIDE_MESSAGE, index, what, None);
                }
                return;
            }
            Some(m) => m.stopped,
        };
        if lifecycle && stopped {
            let what = format!(
                "a `{kind}` after `message_stop`: the SDK applies it to the finished message"
            );
            self.anomaly(EVENT_OUTSIDE_MESSAGE, index, what, None);
        }
        match kind.as_ref() {
            "message_delta" => self.message_delta(root),
            "message_stop" => self.message_stop(),
            "content_block_start" => self.block_start(root),
            "content_block_delta" => self.block_delta(root),
            "content_block_stop" => self.block_stop(root),
            _ => {}
        }
    }

    fn message_start(&mut self, root: Raw<'_>) {
        if let Some(m) = &self.message {
            let (code, what) = if m.stopped {
                (
                    CONCATENATED_MESSAGE,
                    "a `message_start` after `message_stop`: another turn in the same stream",
                )
            } else {
                (
                    SECOND_MESSAGE_START,
                    "a `message_start` while the message is open",
                )
            };
            self.anomaly(code, None, what.into(), Some(RAISE_ORDER.into()));
        }
        let message = root.get("message");
        if !js::truthy(message) {
            let what = "a `message_start` without a `message` object: the SDK ignores it (and so every event up to the next one)";
            self.anomaly(INVALID_EVENT, None, what.into(), None);
            return;
        }
        let message = message.unwrap_or(root);
        let target = target_of(Some(message));
        let (content, usage) = match message.kind() {
            Kind::Obj => (message.get("content"), message.get("usage")),
            _ => (None, None),
        };
        let content = match content {
            None => Content::Undefined,
            Some(c) => match c.kind() {
                Kind::Null => Content::Null,
                Kind::Arr => Content::Array(c.items().map(|b| block_of(b, false)).collect()),
                Kind::Str => Content::Str(c.str().map_or(0, |s| s.encode_utf16().count())),
                _ => Content::Other,
            },
        };
        let usage = target_of(usage);
        if let Target::Primitive(desc) = &target {
            let what = format!("`message_start.message` is the {desc}: the SDK fails at the next event that reads it");
            self.anomaly(INVALID_EVENT, None, what, None);
        } else if message.kind() == Kind::Arr {
            let what = "`message_start.message` is an array: the SDK fails at the next event that reads it";
            self.anomaly(INVALID_EVENT, None, what.into(), None);
        } else {
            match &content {
                Content::Array(blocks) if !blocks.is_empty() => {
                    let what = format!(
                        "`message_start` carries {} content block(s): the SDK keeps them, and the stream's blocks must count on from index {}",
                        blocks.len(),
                        blocks.len()
                    );
                    self.anomaly(MESSAGE_START_WITH_CONTENT, None, what, None);
                }
                Content::Array(_) => {}
                _ => {
                    let what = "`message.content` is not an array: the SDK fails at the first block event or at `message_stop`";
                    self.anomaly(INVALID_EVENT, None, what.into(), None);
                }
            }
            if usage != Target::Object {
                let what = "`message.usage` is not an object: the SDK fails at `message_delta`";
                self.anomaly(INVALID_EVENT, None, what.into(), None);
            }
        }
        self.message = Some(Message {
            target,
            content,
            usage,
            stopped: false,
        });
    }

    fn message_delta(&mut self, root: Raw<'_>) {
        self.object_field(
            root,
            "message_delta",
            "delta",
            "stop_reason",
            "reads no stop reason from it",
        );
        let Some(message) = &self.message else { return };
        if let Some(text) = message.target.set_error("stop_reason") {
            self.raise(INVALID_EVENT, None, text);
        }
        self.object_field(
            root,
            "message_delta",
            "usage",
            "output_tokens",
            "sets `output_tokens` to undefined",
        );
        let usage_error = self
            .message
            .as_ref()
            .and_then(|m| m.usage.set_error("output_tokens"));
        if let Some(text) = usage_error {
            self.raise(INVALID_EVENT, None, text);
        }
    }

    /// `event.field` must be an object: the SDK reads `event.field.read` (a
    /// TypeError when it is missing; `otherwise` says what a primitive does).
    fn object_field(
        &mut self,
        root: Raw<'_>,
        event: &str,
        field: &str,
        read: &str,
        otherwise: &str,
    ) {
        let value = root.get(field);
        if let Some(of) = nullish(value) {
            let what = format!("a `{event}` without `{field}`");
            self.anomaly(INVALID_EVENT, None, what, Some(read_error(of, read)));
        } else if value.is_some_and(|v| v.kind() != Kind::Obj) {
            let what = format!("a `{event}` whose `{field}` is not an object: the SDK {otherwise}");
            self.anomaly(INVALID_EVENT, None, what, None);
        }
    }

    fn message_stop(&mut self) {
        let Some(message) = &mut self.message else {
            return;
        };
        message.stopped = true;
        let raise = map_error(&message.content);
        let mut open = Vec::new();
        if let Content::Array(blocks) = &mut message.content {
            for (i, b) in blocks.iter_mut().enumerate() {
                if let Block::Object { open: o @ true, .. } = b {
                    *o = false;
                    open.push(i as u64);
                }
            }
        }
        for index in open {
            let what =
                "a block still open at `message_stop`: the SDK keeps it as it is".to_string();
            self.anomaly(UNTERMINATED_BLOCK, Some(index), what, None);
        }
        match raise {
            Some(text) => self.raise(INVALID_EVENT, None, text),
            None if !self.failed => self.received = true,
            None => {}
        }
    }

    fn block_start(&mut self, root: Raw<'_>) {
        let index = root.get("index");
        let at = index_of(index);
        let block = root.get("content_block");
        let Some(message) = &mut self.message else {
            return;
        };
        let mut raise = None;
        let mut position = None;
        match &mut message.content {
            Content::Undefined => raise = Some(read_error("undefined", "push")),
            Content::Null => raise = Some(read_error("null", "push")),
            Content::Str(_) | Content::Other => {
                raise = Some("snapshot.content.push is not a function".to_string())
            }
            Content::Array(blocks) => {
                position = Some(blocks.len() as u64);
                blocks.push(match block {
                    None => Block::Undefined,
                    Some(b) => block_of(b, true),
                });
            }
        }
        if let Some(text) = raise {
            self.raise(INVALID_EVENT, at, text);
        }
        if let Some(of) = nullish(block) {
            let what = "a `content_block_start` without `content_block`".to_string();
            self.anomaly(INVALID_EVENT, at, what, Some(read_error(of, "type")));
        } else if block.is_some_and(|b| b.kind() != Kind::Obj) {
            let what = "a `content_block_start` whose `content_block` is not an object: the SDK keeps it as a block";
            self.anomaly(INVALID_EVENT, at, what.into(), None);
        } else if let Some(b) =
            block.filter(|b| b.get("type").is_some_and(|t| t.str_eq("fallback")))
        {
            if let Some(of) = nullish(b.get("to")) {
                let what = "a `fallback` block without `to`".to_string();
                self.anomaly(INVALID_EVENT, at, what, Some(read_error(of, "model")));
            }
        }
        match (at, position) {
            (None, _) => {
                let what = "a `content_block_start` whose `index` is not a non-negative integer"
                    .to_string();
                self.anomaly(INVALID_EVENT, None, what, None);
            }
            (Some(i), Some(p)) if i < p => {
                let what = format!(
                    "a `content_block_start` for index {i}, which an earlier block has: the SDK appends it at position {p}, and events naming index {i} reach the earlier block"
                );
                self.anomaly(START_REUSING_INDEX, at, what, None);
            }
            (Some(i), Some(p)) if i > p => {
                let what = format!(
                    "a `content_block_start` for index {i} where the next position is {p}: the SDK appends it at position {p}, and events naming index {i} miss it"
                );
                self.anomaly(START_INDEX_GAP, at, what, None);
            }
            _ => {}
        }
    }

    /// A delta's or stop's `index`: as given, as a non-negative integer, and
    /// the position `content.at(index)` reads (raising where the SDK raises).
    fn locate<'j>(&mut self, root: Raw<'j>) -> (Option<Raw<'j>>, Option<u64>, Option<usize>) {
        let index = root.get("index");
        let at = index_of(index);
        let position = self.at(index).unwrap_or_else(|text| {
            self.raise(INVALID_EVENT, at, text);
            None
        });
        (index, at, position)
    }

    /// `content.at(index)` as the SDK reads it: the position, or the TypeError.
    fn at(&self, index: Option<Raw<'_>>) -> Result<Option<usize>, String> {
        match self.message.as_ref().map(|m| &m.content) {
            None => Ok(None),
            Some(Content::Undefined) => Err(read_error("undefined", "at")),
            Some(Content::Null) => Err(read_error("null", "at")),
            Some(Content::Other) => Err("snapshot.content.at is not a function".into()),
            Some(Content::Str(len)) => Ok(js::at(index, *len)),
            Some(Content::Array(blocks)) => Ok(js::at(index, blocks.len())),
        }
    }

    fn blocks(&mut self) -> Option<&mut Vec<Block>> {
        match self.message.as_mut().map(|m| &mut m.content) {
            Some(Content::Array(blocks)) => Some(blocks),
            _ => None,
        }
    }

    fn block_delta(&mut self, root: Raw<'_>) {
        let (index, at, position) = self.locate(root);
        let delta = root.get("delta");
        if let Some(of) = nullish(delta) {
            let what = "a `content_block_delta` without `delta`".to_string();
            self.anomaly(INVALID_EVENT, at, what, Some(read_error(of, "type")));
            return;
        }
        let delta = delta.unwrap_or(root);
        let delta_type = match delta.kind() {
            Kind::Obj => delta.get("type").and_then(|t| t.str()),
            _ => None,
        };
        let Some(delta_type) = delta_type else {
            let what =
                "a `content_block_delta` whose `delta` has no `type`: the SDK drops it".to_string();
            return self.anomaly(INVALID_EVENT, at, what, None);
        };
        let target = delta_target(&delta_type);
        // The SDK's own bookkeeping: a tool input grows.
        let array_index = js::is_array_index(index);
        let max_depth = self.max_depth;
        if let (Some(p), "input_json_delta", true) = (position, delta_type.as_ref(), array_index) {
            if let Some(Block::Object {
                kind: Some(kind),
                tool,
                ..
            }) = self.blocks().and_then(|b| b.get_mut(p))
            {
                if is_tool(kind) {
                    let part = js::text_of(delta.get("partial_json"));
                    let tool = tool.get_or_insert_with(|| {
                        Box::new(ToolInput {
                            check: PartialCheck::new(max_depth),
                            pending: false,
                            head: String::new(),
                        })
                    });
                    tool.check.push(&part);
                    tool.pending = true;
                    if tool.head.len() < 200 {
                        let mut end = part.len().min(200 - tool.head.len());
                        while !part.is_char_boundary(end) {
                            end -= 1;
                        }
                        tool.head.push_str(&part[..end]);
                    }
                }
            }
        }
        // NOTE: the SDK then reads the type of the LAST block for the event it
        // emits; with no block at all that read raises.
        let last_missing = target.is_some()
            && match self.message.as_ref().map(|m| &m.content) {
                Some(Content::Array(blocks)) => match blocks.last() {
                    None | Some(Block::Undefined) => Some("undefined"),
                    Some(Block::Null) => Some("null"),
                    _ => None,
                },
                Some(Content::Str(0)) => Some("undefined"),
                _ => None,
            }
            .is_some();
        let last_error = || {
            let last = match self.message.as_ref().map(|m| &m.content) {
                Some(Content::Array(blocks)) => blocks.last(),
                _ => None,
            };
            read_error(
                if matches!(last, Some(Block::Null)) {
                    "null"
                } else {
                    "undefined"
                },
                "type",
            )
        };
        let Some(i) = at else {
            let what =
                "a `content_block_delta` whose `index` is not a non-negative integer".to_string();
            let raise = last_missing.then(last_error);
            return self.anomaly(INVALID_EVENT, None, what, raise);
        };
        let found = match self.message.as_ref().map(|m| &m.content) {
            Some(Content::Array(blocks)) => classify_delta(blocks, i, &delta_type, target),
            _ => None,
        };
        let raise = last_missing.then(last_error);
        match found {
            Some((code, what)) => self.anomaly(code, at, what, raise),
            None => {
                if let Some(text) = raise {
                    self.raise(INVALID_EVENT, at, text);
                }
            }
        }
    }

    fn block_stop(&mut self, root: Raw<'_>) {
        let (_, at, position) = self.locate(root);
        // The SDK parses a tool input whose deltas it has not parsed yet.
        let mut tool_error = None;
        let mut too_deep = false;
        if let Some(Block::Object {
            kind: Some(kind),
            tool: Some(tool),
            ..
        }) = position.and_then(|p| self.blocks()?.get_mut(p))
        {
            if is_tool(kind) && std::mem::take(&mut tool.pending) && !tool.check.is_empty() {
                match tool.check.accepts() {
                    Ok(true) => {}
                    Ok(false) => tool_error = Some(tool.head.clone()),
                    Err(TooDeep) => too_deep = true,
                }
            }
        }
        if too_deep {
            self.poisoned = Some(VerdictError::MaxDepthExceeded {
                limit: self.max_depth,
            });
            return;
        }
        if let Some(head) = tool_error {
            let ellipsis = if head.len() >= 200 { "…" } else { "" };
            let text = format!(
                "Unable to parse tool parameter JSON from model. Please retry your request or adjust your prompt. Error: SyntaxError: (worded by the JS engine). JSON: {head}{ellipsis}"
            );
            let block = position.unwrap_or_default();
            let what = format!(
                "the input of tool block {block} is not JSON the SDK can complete: {head}{ellipsis}"
            );
            self.anomaly(INVALID_TOOL_INPUT, at, what, Some(text));
        }
        let Some(i) = at else {
            let what =
                "a `content_block_stop` whose `index` is not a non-negative integer".to_string();
            return self.anomaly(INVALID_EVENT, None, what, None);
        };
        let Some(blocks) = self.blocks() else { return };
        let what = match blocks.get_mut(i as usize) {
            None => format!(
                "a `content_block_stop` for index {i}, which has no block: the SDK ignores it"
            ),
            Some(Block::Object {
                open: open @ true, ..
            }) => {
                *open = false;
                return;
            }
            Some(_) => format!(
                "a `content_block_stop` for block {i}, which is not open: the SDK ignores it"
            ),
        };
        self.anomaly(STOP_WITHOUT_START, at, what, None);
    }

    fn end(&mut self, partial_frame: bool) {
        // NOTE: at the end of the request the SDK maps the message's content
        // once more, stopped or not.
        if let Some(text) = self.message.as_ref().and_then(|m| map_error(&m.content)) {
            self.raise(INVALID_EVENT, None, text);
        }
        let open = self.message.as_ref().is_some_and(|m| !m.stopped) && !self.error_event;
        if !self.failed && self.message.is_none() && !self.received {
            self.raise(
                NO_MESSAGE,
                None,
                "request ended without sending any chunks".into(),
            );
            return;
        }
        let raise = (!self.received)
            .then(|| "stream ended without producing a Message with role=assistant".to_string());
        if open || partial_frame || raise.is_some() && !self.failed {
            let what = match (open, partial_frame) {
                (true, true) => "the stream ends inside a frame, before `message_stop`".to_string(),
                (true, false) => "the stream ends before `message_stop`".to_string(),
                (false, true) => "the stream ends inside a frame (no closing blank line): the SDK discards that frame".to_string(),
                (false, false) => "the SDK read no `message_stop`: its `finalMessage()` has no message".to_string(),
            };
            self.anomaly(TRUNCATED, None, what, raise);
        }
    }
}

/// The TypeError of the SDK's `maybeParseBetaMessage`, which maps the content
/// reading each block's `type` (at `message_stop` and at the end).
fn map_error(content: &Content) -> Option<String> {
    match content {
        Content::Undefined => Some(read_error("undefined", "map")),
        Content::Null => Some(read_error("null", "map")),
        Content::Str(_) | Content::Other => Some("message.content.map is not a function".into()),
        Content::Array(blocks) => blocks.iter().find_map(|b| match b {
            Block::Null => Some(read_error("null", "type")),
            Block::Undefined => Some(read_error("undefined", "type")),
            _ => None,
        }),
    }
}

/// What is wrong with a delta of type `delta` (for blocks of type `target`)
/// sent to block `i`, if anything.
fn classify_delta(
    blocks: &[Block],
    i: u64,
    delta: &str,
    target: Option<&str>,
) -> Option<(&'static str, String)> {
    let block = usize::try_from(i).ok().and_then(|i| blocks.get(i));
    match block {
        None => Some((
            DELTA_WITHOUT_START,
            format!("a `{delta}` for index {i}, which has no block: the SDK drops it"),
        )),
        Some(Block::Object { kind, open, .. }) => {
            let kind = kind.as_deref();
            let fits = |t: &str| kind == Some(t) || t == "tool_use" && kind.is_some_and(is_tool);
            match target {
                Some(t) if !fits(t) => Some((
                    DELTA_KIND_MISMATCH,
                    format!("a `{delta}` for a `{}` block: the SDK drops it", kind.unwrap_or("untyped")),
                )),
                _ if !open => Some((
                    DELTA_AFTER_STOP,
                    format!("a `{delta}` for block {i}, which is finished: the SDK applies it to the finished block"),
                )),
                _ => None,
            }
        }
        Some(_) => Some((
            DELTA_KIND_MISMATCH,
            format!("a `{delta}` for block {i}, which is not an object: the SDK drops it"),
        )),
    }
}

/// A block of `message.content` or of a `content_block_start`.
fn block_of(v: Raw<'_>, open: bool) -> Block {
    match v.kind() {
        Kind::Null => Block::Null,
        Kind::Obj | Kind::Arr => Block::Object {
            kind: match v.kind() {
                Kind::Obj => v
                    .get("type")
                    .and_then(|t| t.str())
                    .map(|t| t.into_owned().into_boxed_str()),
                _ => None,
            },
            open,
            tool: None,
        },
        _ => Block::Primitive,
    }
}

/// The start of a text, for a message.
fn preview(data: &str) -> Cow<'_, str> {
    if data.len() <= 120 {
        return Cow::Borrowed(data);
    }
    let mut end = 120;
    while !data.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &data[..end]))
}
