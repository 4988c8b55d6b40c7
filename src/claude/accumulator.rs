use super::js;
use super::partial_json::PartialCheck;
use crate::auth::scrub_keys;
use crate::error::AccumulateError;
use crate::json::{self, Kind, Raw};
use crate::text::cat;
use crate::Limits;

/// Builds the final assistant `Message` from a stream's events, with the
/// semantics of the official SDK's `finalMessage()`:
///
/// - `message_start` gives the message; `content_block_start` appends its block;
///   deltas go to `content[index]`;
/// - `text_delta` appends to `text`, `citations_delta` appends to `citations`,
///   `thinking_delta` appends to `thinking`, `signature_delta` replaces
///   `signature`; `input_json_delta` (on `tool_use`, `server_tool_use`,
///   `mcp_tool_use` blocks) is buffered and parsed into `input` at the block's
///   `content_block_stop` with the SDK's partial JSON parser (a tool input cut
///   off mid-JSON keeps every whole value that arrived; no deltas: `input` stays
///   as started; only empty deltas: `{}`). As in the SDK, the text persists
///   after the stop: a delta after the stop adds to it (that input is parsed
///   again at [`Accumulator::finish`]), and a tool block still open at
///   [`Accumulator::finish`] gets the partial parse of what arrived;
/// - `message_delta` merges its `delta` (`stop_reason`, `stop_sequence`, ...)
///   into the message and overwrites the `usage` fields it carries (not summed);
/// - an `error` event is an [`AccumulateError::Upstream`]; `ping` and unknown
///   events are ignored;
/// - no final message without `message_stop` ([`AccumulateError::Incomplete`]).
///
/// The message comes out as JSON text, its keys in the order the SDK's object
/// has them (a field the SDK assigns keeps its first place, and is left out
/// while `undefined`; a tool block's `input` moves last when its deltas
/// arrive); every value the stream sent is kept as written (number text,
/// escapes).
///
/// Events count by their data's `type`, as in the SDK (see
/// [`Accumulator::push`]). A second `message_start` is an error, as in the SDK,
/// unless the accumulator was made with [`Accumulator::concatenated`] for a
/// capture of several turns back to back.
///
/// ```
/// let mut acc = sse_sanitizer::claude::Accumulator::new();
/// acc.push("message_start", r#"{"type":"message_start","message":{"role":"assistant","content":[],"usage":{"output_tokens":1}}}"#)?;
/// acc.push("content_block_start", r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)?;
/// acc.push("content_block_delta", r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#)?;
/// acc.push("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"#)?;
/// acc.push("message_stop", r#"{"type":"message_stop"}"#)?;
/// let message = acc.finish()?;
/// assert_eq!(
///     message,
///     r#"{"role":"assistant","content":[{"type":"text","text":"Hi"}],"usage":{"output_tokens":5},"stop_reason":"end_turn"}"#
/// );
/// # Ok::<(), sse_sanitizer::AccumulateError>(())
/// ```
#[derive(Debug, Default)]
pub struct Accumulator {
    /// Messages finished before the current one ([`Accumulator::concatenated`]).
    done: Vec<String>,
    message: Option<Obj>,
    /// Whether `message_stop` arrived (the SDK has no final message without it).
    stopped: bool,
    concatenated: bool,
}

/// The fields the accumulator assigns, by object: only these are separate
/// entries of an [`Obj`].
const MESSAGE: &[&str] = &[
    "content",
    "usage",
    "stop_reason",
    "stop_sequence",
    "stop_details",
    "container",
    "context_management",
    "input_transformations",
    "model",
];
const USAGE: &[&str] = &[
    "output_tokens",
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
    "iterations",
    "fallback_credit",
    "output_tokens_details",
];
const BLOCK: &[&str] = &[
    "type",
    "text",
    "thinking",
    "citations",
    "signature",
    "content",
    "encrypted_content",
    "input",
];

/// A JSON object being built as the SDK's JS object is: a field keeps the
/// place of its first assignment (a duplicated key in the stream's JSON too:
/// the place of the first, the value of the last, as `JSON.parse` reads it),
/// and a field assigned `undefined` keeps its place unseen. Runs of the other
/// fields are kept as their text, so a lookup costs at most a few entries
/// whatever the object's size.
#[derive(Debug, Default)]
struct Obj {
    entries: Vec<Entry>,
    /// A tool block's `input_json_delta` text.
    tool: Option<Box<ToolInput>>,
}

#[derive(Debug)]
enum Entry {
    /// Fields the accumulator never assigns: `"key":value` pairs of the
    /// stream's text, comma-separated.
    Other(String),
    /// A field it assigns; `None` while `undefined`.
    Field(&'static str, Option<Val>),
}

#[derive(Debug)]
enum Val {
    /// A value as the stream wrote it.
    Json(String),
    /// A string being appended to, unescaped.
    Text(String),
    Obj(Obj),
    List(Vec<Val>),
}

impl Obj {
    /// The object `raw` (a checked JSON object), with `fields` as entries.
    fn from_raw(raw: Raw<'_>, fields: &'static [&'static str]) -> Obj {
        let mut obj = Obj::default();
        for (key, value) in raw.entries() {
            let name = key.str().unwrap_or_default();
            if let Some(&field) = fields.iter().find(|&&f| f == name) {
                obj.set(field, Some(Val::Json(value.text().to_string())));
                continue;
            }
            let text = match obj.entries.last_mut() {
                Some(Entry::Other(text)) => {
                    text.push(',');
                    text
                }
                _ => {
                    obj.entries.push(Entry::Other(String::new()));
                    match obj.entries.last_mut() {
                        Some(Entry::Other(text)) => text,
                        _ => continue,
                    }
                }
            };
            text.push_str(key.text());
            text.push(':');
            text.push_str(value.text());
        }
        obj
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<Val>> {
        self.entries.iter_mut().find_map(|e| match e {
            Entry::Field(f, v) if *f == name => Some(v),
            _ => None,
        })
    }

    fn get(&self, name: &str) -> Option<&Val> {
        self.entries.iter().find_map(|e| match e {
            Entry::Field(f, v) if *f == name => v.as_ref(),
            _ => None,
        })
    }

    /// `obj[name] = value` (`None`: `undefined`).
    fn set(&mut self, name: &'static str, value: Option<Val>) {
        match self.slot(name) {
            Some(slot) => *slot = value,
            None => self.entries.push(Entry::Field(name, value)),
        }
    }

    /// Moves the field `name` (`undefined` when absent) to the end, as the
    /// SDK's copy of a tool block with its lazy `input` does.
    fn move_last(&mut self, name: &'static str) {
        let at = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Field(f, _) if *f == name));
        // NOTE: two runs of other fields may now meet; they stay two entries
        // (no entry is ever added but by `set`), written comma-separated.
        let entry = match at {
            Some(at) => self.entries.remove(at),
            None => Entry::Field(name, None),
        };
        self.entries.push(entry);
    }

    /// The value of a string field (`""` when it is not a string).
    fn str(&self, name: &str) -> String {
        match self.get(name) {
            Some(Val::Text(s)) => s.clone(),
            Some(Val::Json(t)) => Raw::whole(t)
                .str()
                .map(|s| s.into_owned())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn write(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        for entry in &self.entries {
            let (name, value) = match entry {
                Entry::Field(name, Some(value)) => (Some(*name), Some(value)),
                Entry::Field(_, None) => continue,
                Entry::Other(_) => (None, None),
            };
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            match (entry, name, value) {
                (Entry::Other(text), ..) => out.push_str(text),
                (_, Some(name), Some(value)) => {
                    out.push('"');
                    out.push_str(name);
                    out.push_str("\":");
                    value.write(out);
                }
                _ => {}
            }
        }
        out.push('}');
    }

    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

impl Val {
    fn write(&self, out: &mut String) {
        match self {
            Val::Json(text) => out.push_str(text),
            Val::Text(s) => json::escape_into(out, s),
            Val::Obj(obj) => obj.write(out),
            Val::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
        }
    }

    /// The items of an array value (`None` for another kind).
    fn into_list(self, item: impl Fn(Raw<'_>) -> Val) -> Option<Vec<Val>> {
        match self {
            Val::List(items) => Some(items),
            Val::Json(text) => {
                let raw = Raw::whole(&text);
                (raw.kind() == Kind::Arr).then(|| raw.items().map(item).collect())
            }
            _ => None,
        }
    }
}

#[inline(never)] // NOTE: one copy for its many callers (wasm size)
fn json_of(raw: Raw<'_>) -> Val {
    Val::Json(raw.text().to_string())
}

/// A block of `content`: an object, or whatever else the stream put there.
fn block_of(raw: Raw<'_>) -> Val {
    if raw.kind() == Kind::Obj {
        Val::Obj(Obj::from_raw(raw, BLOCK))
    } else {
        json_of(raw)
    }
}

/// A tool block's `input_json_delta` text as the SDK keeps it (its `__json_buf`).
#[derive(Debug)]
struct ToolInput {
    json: String,
    check: PartialCheck,
    /// Deltas arrived since the last `content_block_stop`.
    dirty: bool,
    /// `input` was parsed from the text once already.
    parsed: bool,
    /// `input` is older than the text (parsed again at `finish`).
    stale: bool,
}

impl ToolInput {
    fn new() -> Self {
        ToolInput {
            json: String::new(),
            check: PartialCheck::new(Limits::default().json_depth()),
            dirty: false,
            parsed: false,
            stale: false,
        }
    }

    fn push(&mut self, part: &str) {
        self.json.push_str(part);
        self.check.push(part);
        self.dirty = true;
        self.stale = true;
    }

    /// The input as the SDK parses it (JSON text): `{}` for no text, `None`
    /// when its partial JSON parser throws.
    fn value(&self) -> Option<String> {
        if self.json.is_empty() {
            return Some("{}".into());
        }
        self.check.parse(&self.json)
    }
}

fn tracks_tool_input(block: &Obj) -> bool {
    matches!(
        block.str("type").as_str(),
        "tool_use" | "server_tool_use" | "mcp_tool_use"
    )
}

impl Accumulator {
    /// An empty accumulator for one message, as the SDK reads a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// An accumulator for a capture that holds several turns back to back
    /// (`message_start … message_stop` repeated): a `message_start` after a
    /// `message_stop` starts the next message. A `message_start` while a
    /// message is open is still an error. Read them with
    /// [`Accumulator::finish_all`].
    pub fn concatenated() -> Self {
        Accumulator {
            concatenated: true,
            ..Self::default()
        }
    }

    /// Takes one event: its `event:` name and its data. As in the SDK, a
    /// named event counts by its data's `type` (its name only gates: `ping` is
    /// skipped, `error` is an error), its data must be JSON, and events before
    /// `message_start` are ignored. Unlike the SDK, an unnamed event (`event:`
    /// omitted, as some gateways do) counts too when its data is a JSON object.
    pub fn push(&mut self, event_type: &str, data: &str) -> Result<(), AccumulateError> {
        match event_type {
            "error" => return Err(upstream_error(data)),
            "ping" => return Ok(()),
            _ if data.is_empty() => return Ok(()),
            _ => {}
        }
        let event = match json::read(data) {
            Ok(event) if event.kind() == Kind::Obj => event,
            // NOTE: data of an unnamed event that is not a JSON object is not
            // a Claude event at all (an OpenAI `[DONE]`, say): ignored.
            _ if event_type == "message" => return Ok(()),
            Ok(_) => return Ok(()),
            Err(err) => return Err(invalid(event_type, &err.message())),
        };
        let Some(kind) = event.get("type").and_then(Raw::str) else {
            return Ok(());
        };
        if kind == "error" {
            return Err(upstream_error(data));
        }
        if kind == "message_start" {
            return self.message_start(event);
        }
        let Some(message) = self.message.as_mut() else {
            return Ok(());
        };
        match &*kind {
            "message_delta" => message_delta(message, event),
            "content_block_start" => content_block_start(message, event),
            "content_block_delta" => content_block_delta(message, event),
            "content_block_stop" => content_block_stop(message, event),
            "message_stop" => {
                self.stopped = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The message so far as JSON text (`None` before `message_start`). Tool
    /// inputs are filled in at their block's first `content_block_stop` (after
    /// a later delta, at [`Accumulator::finish`]).
    pub fn message(&self) -> Option<String> {
        self.message.as_ref().map(Obj::to_json)
    }

    /// The final message as JSON text (with [`Accumulator::concatenated`],
    /// the last one). A tool block that never stopped gets the SDK's partial
    /// parse of its input. Like the SDK's `finalMessage()`, fails with
    /// [`AccumulateError::NoMessage`] when the stream had no `message_start`
    /// and [`AccumulateError::Incomplete`] when it ended before `message_stop`
    /// (the partial message stays readable through [`Accumulator::message`]).
    pub fn finish(self) -> Result<String, AccumulateError> {
        let mut all = self.finish_all()?;
        // NOTE: finish_all never returns an empty list.
        Ok(all.pop().unwrap_or_default())
    }

    /// Every message of the stream as JSON text, in order (one unless the
    /// accumulator is [`Accumulator::concatenated`]); the same errors as
    /// [`Accumulator::finish`], for the last message.
    pub fn finish_all(self) -> Result<Vec<String>, AccumulateError> {
        let Accumulator {
            mut done,
            message,
            stopped,
            ..
        } = self;
        let Some(mut message) = message else {
            return Err(AccumulateError::NoMessage);
        };
        if !stopped {
            return Err(AccumulateError::Incomplete);
        }
        fill_tool_inputs(&mut message);
        done.push(message.to_json());
        Ok(done)
    }

    fn message_start(&mut self, event: Raw<'_>) -> Result<(), AccumulateError> {
        if self.message.is_some() && !(self.concatenated && self.stopped) {
            return Err(AccumulateError::UnexpectedMessageStart);
        }
        let Some(raw) = event.get("message").filter(|m| m.kind() == Kind::Obj) else {
            return Err(invalid("message_start", "no `message` object"));
        };
        let mut message = Obj::from_raw(raw, MESSAGE);
        let content = match message.slot("content").map(Option::take) {
            None => Some(Vec::new()),
            Some(value) => value.and_then(|v| v.into_list(block_of)),
        };
        let Some(content) = content else {
            return Err(invalid(
                "message_start",
                "`message.content` is not an array",
            ));
        };
        message.set("content", Some(Val::List(content)));
        if let Some(mut previous) = self.message.replace(message) {
            fill_tool_inputs(&mut previous);
            self.done.push(previous.to_json());
        }
        self.stopped = false;
        Ok(())
    }
}

/// Gives the tool blocks whose input text changed after their last parse (or
/// that never stopped) the SDK's parse of the whole text; an input the SDK's
/// parser refuses stays as it was.
fn fill_tool_inputs(message: &mut Obj) {
    let Some(Some(Val::List(content))) = message.slot("content") else {
        return;
    };
    for block in content {
        let Val::Obj(block) = block else { continue };
        let input = match &block.tool {
            Some(tool) if tool.stale => tool.value(),
            _ => None,
        };
        if let Some(input) = input {
            block.set("input", Some(Val::Json(input)));
        }
    }
}

#[inline(never)] // NOTE: one copy for its many callers (wasm size)
fn invalid(event_type: &str, detail: &str) -> AccumulateError {
    AccumulateError::InvalidJson {
        event_type: event_type.to_string(),
        detail: detail.to_string(),
    }
}

fn upstream_error(data: &str) -> AccumulateError {
    let error = json::read(data).ok().and_then(|v| v.get("error"));
    let field = |name: &str| error.and_then(|e| e.get_str(name));
    AccumulateError::Upstream {
        error_type: scrub_keys(&field("type").unwrap_or("unknown_error".into())),
        // NOTE: upstream texts can quote the credential they refused.
        message: scrub_keys(&field("message").unwrap_or_else(|| {
            let mut end = data.len().min(200);
            while !data.is_char_boundary(end) {
                end -= 1;
            }
            data.get(..end).unwrap_or_default().into()
        })),
    }
}

/// The block at the event's `index`, if it is an object.
fn block_at<'m>(message: &'m mut Obj, event: Raw<'_>) -> Option<(u64, &'m mut Obj)> {
    let index = event
        .get("index")
        .and_then(|i| json::as_u64(i.text().as_bytes()))?;
    let Some(Some(Val::List(content))) = message.slot("content") else {
        return None;
    };
    match content.get_mut(usize::try_from(index).ok()?)? {
        Val::Obj(block) => Some((index, block)),
        _ => None,
    }
}

fn message_delta(message: &mut Obj, event: Raw<'_>) -> Result<(), AccumulateError> {
    // NOTE: mirrors the SDK's BetaMessageStream (the superset of its two
    // stream helpers) field by field: the stop fields are always assigned
    // (absent = undefined), the others only when present and not null; other
    // fields of the event are not message state.
    let delta = event.get("delta").filter(|d| d.kind() == Kind::Obj);
    for key in ["stop_reason", "stop_sequence", "stop_details"] {
        message.set(key, delta.and_then(|d| d.get(key)).map(json_of));
    }
    if let Some(container) = delta.and_then(|d| d.get_some("container")) {
        message.set("container", Some(json_of(container)));
    }
    for key in ["context_management", "input_transformations"] {
        if let Some(value) = event.get_some(key) {
            message.set(key, Some(json_of(value)));
        }
    }
    let usage = event.get("usage").filter(|u| u.kind() == Kind::Obj);
    let target = match message.slot("usage").map(Option::take) {
        Some(Some(Val::Obj(obj))) => obj,
        Some(Some(Val::Json(text))) if Raw::whole(&text).kind() == Kind::Obj => {
            Obj::from_raw(Raw::whole(&text), USAGE)
        }
        _ => Obj::default(),
    };
    let mut target = target;
    target.set(
        "output_tokens",
        usage.and_then(|u| u.get("output_tokens")).map(json_of),
    );
    for &key in &USAGE[1..] {
        if let Some(value) = usage.and_then(|u| u.get_some(key)) {
            target.set(key, Some(json_of(value)));
        }
    }
    message.set("usage", Some(Val::Obj(target)));
    Ok(())
}

fn content_block_start(message: &mut Obj, event: Raw<'_>) -> Result<(), AccumulateError> {
    let Some(block) = event.get("content_block").filter(|b| b.kind() == Kind::Obj) else {
        return Err(invalid("content_block_start", "no `content_block` object"));
    };
    // The final hop's `fallback` block names the model that answered.
    let model = match block.get("type") {
        Some(t) if t.str_eq("fallback") => block.get("to").and_then(|to| to.get("model")),
        _ => None,
    };
    if let Some(Some(Val::List(content))) = message.slot("content") {
        content.push(block_of(block));
    }
    if let Some(model) = model {
        message.set("model", Some(json_of(model)));
    }
    Ok(())
}

fn content_block_delta(message: &mut Obj, event: Raw<'_>) -> Result<(), AccumulateError> {
    let Some(delta) = event.get("delta").filter(|d| d.kind() == Kind::Obj) else {
        return Ok(());
    };
    let Some((_, block)) = block_at(message, event) else {
        return Ok(());
    };
    let delta_type = delta.get_str("type").unwrap_or_default();
    match (&*delta_type, block.str("type").as_str()) {
        ("text_delta", "text") => append(block, "text", delta.get("text")),
        ("thinking_delta", "thinking") => append(block, "thinking", delta.get("thinking")),
        // A compaction delta carries the block's final value: assigned, not appended.
        ("compaction_delta", "compaction") => {
            let content = delta
                .get("content")
                .map_or(Val::Json("null".into()), json_of);
            block.set("content", Some(content));
            if let Some(encrypted) = delta.get("encrypted_content") {
                block.set("encrypted_content", Some(json_of(encrypted)));
            }
        }
        ("signature_delta", "thinking") => {
            if let Some(signature) = delta.get("signature") {
                block.set("signature", Some(json_of(signature)));
            }
        }
        ("citations_delta", "text") => {
            let citation = delta
                .get("citation")
                .map_or(Val::Json("null".into()), json_of);
            let mut citations = block
                .slot("citations")
                .and_then(Option::take)
                .and_then(|c| c.into_list(json_of))
                .unwrap_or_default();
            citations.push(citation);
            block.set("citations", Some(Val::List(citations)));
        }
        ("input_json_delta", _) if tracks_tool_input(block) => {
            // NOTE: the SDK concatenates `partial_json` whatever it is
            // (`undefined` when absent), as JS `+` does.
            let part = js::to_string(delta.get("partial_json"));
            block
                .tool
                .get_or_insert_with(|| Box::new(ToolInput::new()))
                .push(&part);
            block.move_last("input");
        }
        _ => {}
    }
    Ok(())
}

/// Appends the string `add` to the string field `key` (absent counts as "").
fn append(block: &mut Obj, key: &'static str, add: Option<Raw<'_>>) {
    let add = add.and_then(Raw::str).unwrap_or_default();
    let text = match block.slot(key).and_then(Option::take) {
        Some(Val::Text(mut text)) => {
            text.push_str(&add);
            text
        }
        Some(Val::Json(json)) if Raw::whole(&json).kind() == Kind::Str => {
            let mut text = Raw::whole(&json)
                .str()
                .map(|s| s.into_owned())
                .unwrap_or_default();
            text.push_str(&add);
            text
        }
        _ => add.into_owned(),
    };
    block.set(key, Some(Val::Text(text)));
}

fn content_block_stop(message: &mut Obj, event: Raw<'_>) -> Result<(), AccumulateError> {
    let Some((index, block)) = block_at(message, event) else {
        return Ok(());
    };
    if !tracks_tool_input(block) {
        return Ok(());
    }
    // As in the SDK, only a block that got deltas since its last stop parses.
    let Some(tool) = block.tool.as_mut().filter(|t| t.dirty) else {
        return Ok(());
    };
    let refused = !tool.check.is_empty() && tool.check.accepts() != Ok(true);
    let input = if refused { None } else { tool.value() };
    let Some(input) = input else {
        let json = block.tool.take().map(|t| t.json).unwrap_or_default();
        return Err(AccumulateError::InvalidToolInput {
            index,
            detail: scrub_keys(&cat(&[&"tool input is not JSON: ", &json])),
        });
    };
    tool.dirty = false;
    // NOTE: parsing again at every later stop would make a stream that
    // alternates deltas and stops quadratic; such an input is parsed at finish.
    if tool.parsed {
        return Ok(());
    }
    tool.parsed = true;
    tool.stale = false;
    block.set("input", Some(Val::Json(input)));
    Ok(())
}
