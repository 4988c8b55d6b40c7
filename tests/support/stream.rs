//! Builders of crafted Claude streams, one canonical form of each event: the
//! framing (`event:` line, one `data:` line, blank line) and the JSON layout
//! (compact, keys in the API's order) of the live API.

use std::fmt::Display;

/// One SSE event: `event: {name}`, `data: {data}`, a blank line.
pub fn event(name: &str, data: &str) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The data of the `message_start` of [`message_start`].
pub const MESSAGE_START: &str = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-opus-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}"#;

pub fn message_start() -> String {
    event("message_start", MESSAGE_START)
}

/// `message_delta` (stop reason `end_turn`) and `message_stop`.
pub fn message_end() -> String {
    event(
        "message_delta",
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":9}}"#,
    ) + &message_stop()
}

pub fn message_stop() -> String {
    event("message_stop", r#"{"type":"message_stop"}"#)
}

/// The live API's ping (note the space after the colon).
pub fn ping() -> String {
    event("ping", r#"{"type": "ping"}"#)
}

/// An `overloaded_error` event.
pub fn overloaded() -> String {
    event(
        "error",
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    )
}

/// `content_block_start` of a text block; `text` is JSON string content
/// (write `\\n` for a line feed). `index` is any JSON number text.
pub fn text_start(index: impl Display, text: &str) -> String {
    event(
        "content_block_start",
        &format!(
            r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"text","text":"{text}"}}}}"#
        ),
    )
}

/// A `text_delta`; `text` as in [`text_start`].
pub fn text_delta(index: impl Display, text: &str) -> String {
    event(
        "content_block_delta",
        &format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        ),
    )
}

/// An `input_json_delta` carrying `partial` (any text, escaped here).
pub fn json_delta(index: impl Display, partial: &str) -> String {
    let partial = serde_json::to_string(partial).unwrap();
    event(
        "content_block_delta",
        &format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"input_json_delta","partial_json":{partial}}}}}"#
        ),
    )
}

pub fn block_stop(index: impl Display) -> String {
    event(
        "content_block_stop",
        &format!(r#"{{"type":"content_block_stop","index":{index}}}"#),
    )
}

/// `content_block_start` of a tool_use block (`toolu_1`, tool `f`, input `{}`).
pub fn tool_start(index: impl Display) -> String {
    event(
        "content_block_start",
        &format!(
            r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":"toolu_1","name":"f","input":{{}}}}}}"#
        ),
    )
}

/// A whole text block: a `""` start, one delta per item, the stop.
pub fn text_block(index: u64, deltas: &[&str]) -> String {
    let mut s = text_start(index, "");
    for d in deltas {
        s += &text_delta(index, d);
    }
    s + &block_stop(index)
}

/// A whole thinking block: start, one `thinking_delta`, the `signature_delta`, stop.
pub fn thinking_block(index: u64, signature: &str) -> String {
    event(
        "content_block_start",
        &format!(
            r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"thinking","thinking":"","signature":""}}}}"#
        ),
    ) + &event(
        "content_block_delta",
        &format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"thinking_delta","thinking":"hmm"}}}}"#
        ),
    ) + &event(
        "content_block_delta",
        &format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"signature_delta","signature":"{signature}"}}}}"#
        ),
    ) + &block_stop(index)
}

/// A whole tool_use block with no input deltas.
pub fn tool_block(index: u64) -> String {
    tool_start(index) + &block_stop(index)
}

/// The `text_delta` the sanitizer adds to a blank block kept before a
/// thinking block (the default placeholder).
pub fn placeholder_delta(index: u64) -> String {
    text_delta(index, "...")
}

/// [`text_block`] as the sanitizer keeps it: the placeholder before its stop.
pub fn kept_block(index: u64, deltas: &[&str]) -> String {
    let block = text_block(index, deltas);
    let stop = block.rfind("event: content_block_stop").unwrap();
    format!(
        "{}{}{}",
        &block[..stop],
        placeholder_delta(index),
        &block[stop..]
    )
}

/// A whole stream: `message_start`, `body`, `message_delta`, `message_stop`.
pub fn message(body: &str) -> String {
    message_start() + body + &message_end()
}
