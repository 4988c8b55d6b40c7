use super::js;
use super::partial_json::PartialCheck;
use crate::auth::scrub_keys;
use crate::error::AccumulateError;
use crate::Limits;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

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
/// assert_eq!(message["content"][0]["text"], "Hi");
/// assert_eq!(message["usage"]["output_tokens"], 5);
/// # Ok::<(), sse_sanitizer::AccumulateError>(())
/// ```
#[derive(Debug, Default)]
pub struct Accumulator {
    /// Messages finished before the current one ([`Accumulator::concatenated`]).
    done: Vec<Value>,
    message: Option<Value>,
    /// The `input_json_delta` text of the current message's tool blocks, by index.
    tools: BTreeMap<u64, ToolInput>,
    /// Whether `message_stop` arrived (the SDK has no final message without it).
    stopped: bool,
    concatenated: bool,
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

    /// The input as the SDK parses it: `{}` for no text, `None` when its
    /// partial JSON parser throws.
    fn value(&self) -> Option<Value> {
        if self.json.is_empty() {
            return Some(Value::Object(Map::new()));
        }
        self.check.parse(&self.json)
    }
}

fn tracks_tool_input(block: &Map<String, Value>) -> bool {
    matches!(
        block.get("type").and_then(Value::as_str),
        Some("tool_use" | "server_tool_use" | "mcp_tool_use")
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
        let event = match serde_json::from_str::<Value>(data) {
            Ok(Value::Object(event)) => event,
            // NOTE: data of an unnamed event that is not a JSON object is not
            // a Claude event at all (an OpenAI `[DONE]`, say): ignored.
            _ if event_type == "message" => return Ok(()),
            Ok(_) => return Ok(()),
            Err(err) => return Err(invalid(event_type, &err.to_string())),
        };
        let Some(Value::String(kind)) = event.get("type") else {
            return Ok(());
        };
        let kind = kind.clone();
        if kind == "error" {
            return Err(upstream_error(data));
        }
        if kind == "message_start" {
            return self.message_start(event);
        }
        let Some(Value::Object(message)) = self.message.as_mut() else {
            return Ok(());
        };
        match kind.as_str() {
            "message_delta" => message_delta(message, event),
            "content_block_start" => content_block_start(message, event),
            "content_block_delta" => {
                content_block_delta(message, &mut self.tools, event);
                Ok(())
            }
            "content_block_stop" => content_block_stop(message, &mut self.tools, &event),
            "message_stop" => {
                self.stopped = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The message so far (`None` before `message_start`). Tool inputs are
    /// filled in at their block's first `content_block_stop` (after a later
    /// delta, at [`Accumulator::finish`]).
    pub fn message(&self) -> Option<&Value> {
        self.message.as_ref()
    }

    /// The final message (with [`Accumulator::concatenated`], the last one).
    /// A tool block that never stopped gets the SDK's partial parse of its
    /// input. Like the SDK's `finalMessage()`, fails with
    /// [`AccumulateError::NoMessage`] when the stream had no `message_start`
    /// and [`AccumulateError::Incomplete`] when it ended before `message_stop`
    /// (the partial message stays readable through [`Accumulator::message`]).
    pub fn finish(self) -> Result<Value, AccumulateError> {
        let mut all = self.finish_all()?;
        // NOTE: finish_all never returns an empty list.
        Ok(all.pop().unwrap_or(Value::Null))
    }

    /// Every message of the stream, in order (one unless the accumulator is
    /// [`Accumulator::concatenated`]); the same errors as
    /// [`Accumulator::finish`], for the last message.
    pub fn finish_all(self) -> Result<Vec<Value>, AccumulateError> {
        let Accumulator {
            mut done,
            message,
            tools,
            stopped,
            ..
        } = self;
        let Some(mut message) = message else {
            return Err(AccumulateError::NoMessage);
        };
        if !stopped {
            return Err(AccumulateError::Incomplete);
        }
        fill_tool_inputs(&mut message, tools);
        done.push(message);
        Ok(done)
    }

    fn message_start(&mut self, mut event: Map<String, Value>) -> Result<(), AccumulateError> {
        if self.message.is_some() && !(self.concatenated && self.stopped) {
            return Err(AccumulateError::UnexpectedMessageStart);
        }
        let Some(Value::Object(mut message)) = event.remove("message") else {
            return Err(invalid("message_start", "no `message` object"));
        };
        let content = message
            .entry("content")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !content.is_array() {
            return Err(invalid(
                "message_start",
                "`message.content` is not an array",
            ));
        }
        if let Some(mut previous) = self.message.replace(Value::Object(message)) {
            fill_tool_inputs(&mut previous, std::mem::take(&mut self.tools));
            self.done.push(previous);
        }
        self.stopped = false;
        Ok(())
    }
}

/// Gives the tool blocks whose input text changed after their last parse (or
/// that never stopped) the SDK's parse of the whole text; an input the SDK's
/// parser refuses stays as it was.
fn fill_tool_inputs(message: &mut Value, tools: BTreeMap<u64, ToolInput>) {
    for (index, tool) in tools {
        let block = usize::try_from(index)
            .ok()
            .and_then(|i| message.get_mut("content")?.get_mut(i)?.as_object_mut());
        if let (true, Some(block), Some(input)) = (tool.stale, block, tool.value()) {
            block.insert("input".to_string(), input);
        }
    }
}

fn invalid(event_type: &str, detail: &str) -> AccumulateError {
    AccumulateError::InvalidJson {
        event_type: event_type.to_string(),
        detail: detail.to_string(),
    }
}

fn upstream_error(data: &str) -> AccumulateError {
    let parsed = serde_json::from_str::<Value>(data).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let field = |name: &str| error.and_then(|e| e.get(name)).and_then(Value::as_str);
    AccumulateError::Upstream {
        error_type: scrub_keys(field("type").unwrap_or("unknown_error")),
        // NOTE: upstream texts can quote the credential they refused.
        message: scrub_keys(field("message").unwrap_or_else(|| {
            let mut end = data.len().min(200);
            while !data.is_char_boundary(end) {
                end -= 1;
            }
            &data[..end]
        })),
    }
}

/// The message's content array (`message_start` made sure there is one).
fn content(message: &mut Map<String, Value>) -> Option<&mut Vec<Value>> {
    message.get_mut("content").and_then(Value::as_array_mut)
}

fn index_of(event: &Map<String, Value>) -> Option<u64> {
    event.get("index").and_then(Value::as_u64)
}

fn message_delta(
    message: &mut Map<String, Value>,
    mut event: Map<String, Value>,
) -> Result<(), AccumulateError> {
    // NOTE: mirrors the SDK's BetaMessageStream (the superset of its two
    // stream helpers) field by field: the stop fields are always taken (absent
    // = unset), the others only when present and not null; other fields of
    // the event are not message state.
    let mut delta = match event.remove("delta") {
        Some(Value::Object(delta)) => delta,
        _ => Map::new(),
    };
    for key in ["stop_reason", "stop_sequence", "stop_details"] {
        match delta.remove(key) {
            Some(value) => message.insert(key.to_string(), value),
            None => message.remove(key),
        };
    }
    if let Some(container) = delta.remove("container").filter(|v| !v.is_null()) {
        message.insert("container".to_string(), container);
    }
    for key in ["context_management", "input_transformations"] {
        if let Some(value) = event.remove(key).filter(|v| !v.is_null()) {
            message.insert(key.to_string(), value);
        }
    }
    let mut usage = match event.remove("usage") {
        Some(Value::Object(usage)) => usage,
        _ => Map::new(),
    };
    let target = message
        .entry("usage")
        .or_insert_with(|| Value::Object(Map::new()));
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        match usage.remove("output_tokens") {
            Some(value) => target.insert("output_tokens".to_string(), value),
            None => target.remove("output_tokens"),
        };
        for key in [
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "server_tool_use",
            "iterations",
            "fallback_credit",
            "output_tokens_details",
        ] {
            if let Some(value) = usage.remove(key).filter(|v| !v.is_null()) {
                target.insert(key.to_string(), value);
            }
        }
    }
    Ok(())
}

fn content_block_start(
    message: &mut Map<String, Value>,
    mut event: Map<String, Value>,
) -> Result<(), AccumulateError> {
    match (event.remove("content_block"), content(message)) {
        (Some(block @ Value::Object(_)), Some(content)) => {
            // The final hop's `fallback` block names the model that answered.
            let model = match block.get("type").and_then(Value::as_str) {
                Some("fallback") => block.get("to").and_then(|to| to.get("model")).cloned(),
                _ => None,
            };
            content.push(block);
            if let Some(model) = model {
                message.insert("model".to_string(), model);
            }
            Ok(())
        }
        (_, None) => Err(invalid(
            "content_block_start",
            "`message.content` is not an array",
        )),
        _ => Err(invalid("content_block_start", "no `content_block` object")),
    }
}

fn content_block_delta(
    message: &mut Map<String, Value>,
    tools: &mut BTreeMap<u64, ToolInput>,
    mut event: Map<String, Value>,
) {
    let Some(index) = index_of(&event) else {
        return;
    };
    let Some(Value::Object(mut delta)) = event.remove("delta") else {
        return;
    };
    let Some(block) = usize::try_from(index)
        .ok()
        .and_then(|i| content(message)?.get_mut(i))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let block_type = block.get("type").and_then(Value::as_str).unwrap_or("");
    let delta_type = delta.get("type").and_then(Value::as_str).unwrap_or("");
    match (delta_type, block_type) {
        ("text_delta", "text") => append(block, "text", delta.get("text")),
        ("thinking_delta", "thinking") => append(block, "thinking", delta.get("thinking")),
        // A compaction delta carries the block's final value: assigned, not appended.
        ("compaction_delta", "compaction") => {
            let content = delta.remove("content").unwrap_or(Value::Null);
            block.insert("content".to_string(), content);
            if let Some(encrypted) = delta.remove("encrypted_content") {
                block.insert("encrypted_content".to_string(), encrypted);
            }
        }
        ("signature_delta", "thinking") => {
            if let Some(signature) = delta.remove("signature") {
                block.insert("signature".to_string(), signature);
            }
        }
        ("citations_delta", "text") => {
            let citation = delta.remove("citation").unwrap_or(Value::Null);
            match block.get_mut("citations") {
                Some(Value::Array(citations)) => citations.push(citation),
                _ => {
                    block.insert("citations".to_string(), Value::Array(vec![citation]));
                }
            }
        }
        ("input_json_delta", _) if tracks_tool_input(block) => {
            // NOTE: the SDK concatenates `partial_json` whatever it is
            // (`undefined` when absent), as JS `+` does.
            let part = js::to_string(delta.get("partial_json"));
            tools
                .entry(index)
                .or_insert_with(ToolInput::new)
                .push(&part);
        }
        _ => {}
    }
}

/// Appends the string `add` to the string field `key` (absent counts as "").
fn append(block: &mut Map<String, Value>, key: &str, add: Option<&Value>) {
    let add = add.and_then(Value::as_str).unwrap_or("");
    match block.get_mut(key) {
        Some(Value::String(text)) => text.push_str(add),
        _ => {
            block.insert(key.to_string(), Value::String(add.to_string()));
        }
    }
}

fn content_block_stop(
    message: &mut Map<String, Value>,
    tools: &mut BTreeMap<u64, ToolInput>,
    event: &Map<String, Value>,
) -> Result<(), AccumulateError> {
    let Some(index) = index_of(event) else {
        return Ok(());
    };
    let Some(block) = usize::try_from(index)
        .ok()
        .and_then(|i| content(message)?.get_mut(i))
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    if !tracks_tool_input(block) {
        return Ok(());
    }
    // As in the SDK, only a block that got deltas since its last stop parses.
    let Some(tool) = tools.get_mut(&index).filter(|t| t.dirty) else {
        return Ok(());
    };
    if !tool.check.is_empty() && tool.check.accepts() != Ok(true) {
        let tool = tools.remove(&index);
        let json = tool.map(|t| t.json).unwrap_or_default();
        return Err(AccumulateError::InvalidToolInput {
            index,
            detail: scrub_keys(&format!("tool input is not JSON: {json}")),
        });
    }
    tool.dirty = false;
    // NOTE: parsing again at every later stop would make a stream that
    // alternates deltas and stops quadratic; such an input is parsed at finish.
    if tool.parsed {
        return Ok(());
    }
    match tool.value() {
        Some(input) => {
            block.insert("input".to_string(), input);
            tool.parsed = true;
            tool.stale = false;
            Ok(())
        }
        None => {
            let json = tools.remove(&index).map(|t| t.json).unwrap_or_default();
            Err(AccumulateError::InvalidToolInput {
                index,
                detail: scrub_keys(&format!("tool input is not JSON: {json}")),
            })
        }
    }
}
