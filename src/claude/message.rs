//! Non-streaming replies: the stream sanitizer's drop, applied to a whole
//! `Message` JSON body.

use std::borrow::Cow;

use serde_json::Value;

use super::{DroppedBlock, Note, Report, SanitizerOptions};

/// Removes the empty (and, with [`SanitizerOptions::drop_whitespace_only_text`],
/// whitespace-only) text blocks from the `content` of a `Message` JSON body.
///
/// Returns the body itself (`Cow::Borrowed`) when nothing is removed, including
/// when it is not a JSON object with a `content` array (an error reply, say):
/// such a body gets a `malformed-json` or `non-claude-event` note and passes
/// unchanged. A changed body is re-serialized compactly, keeping key order and
/// number text.
pub fn sanitize_message<'a>(body: &'a [u8], options: &SanitizerOptions) -> (Cow<'a, [u8]>, Report) {
    let mut report = Report::default();
    let note = |code, detail: String| Note {
        code,
        event: 0,
        detail,
    };
    // NOTE: serde_json stops at 128 levels of nesting, so depth is bounded.
    let mut message = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(message)) => message,
        Ok(_) => {
            report.notes.push(note(
                "non-claude-event",
                "the body is not a JSON object".into(),
            ));
            return (Cow::Borrowed(body), report);
        }
        Err(err) => {
            report.notes.push(note("malformed-json", err.to_string()));
            return (Cow::Borrowed(body), report);
        }
    };
    let Some(Value::Array(content)) = message.get_mut("content") else {
        report.notes.push(note(
            "non-claude-event",
            "the body has no `content` array".into(),
        ));
        return (Cow::Borrowed(body), report);
    };
    let mut index = 0u64;
    content.retain(|block| {
        let reason = drop_reason(block, options);
        if let Some(reason) = reason {
            if report.blocks_dropped.len() < Report::MAX_ENTRIES {
                report.blocks_dropped.push(DroppedBlock {
                    message: 0,
                    index,
                    reason,
                    bytes: serde_json::to_vec(block).map_or(0, |b| b.len() as u64),
                });
            }
        }
        index += 1;
        reason.is_none()
    });
    if report.blocks_dropped.is_empty() {
        return (Cow::Borrowed(body), report);
    }
    report.events_changed = 1;
    // NOTE: serializing a Value parsed from JSON cannot fail.
    let out = serde_json::to_vec(&message).unwrap_or_else(|_| body.to_vec());
    (Cow::Owned(out), report)
}

fn drop_reason(block: &Value, options: &SanitizerOptions) -> Option<&'static str> {
    if block.get("type").and_then(Value::as_str) != Some("text") {
        return None;
    }
    match block.get("text") {
        None | Some(Value::Null) => Some("empty-text"),
        Some(Value::String(s)) if s.is_empty() => Some("empty-text"),
        Some(Value::String(s))
            if options.drop_whitespace_only_text && s.chars().all(char::is_whitespace) =>
        {
            Some("whitespace-text")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &str, drop_ws: bool) -> (String, Report) {
        let options = SanitizerOptions {
            drop_whitespace_only_text: drop_ws,
            ..Default::default()
        };
        let (out, report) = sanitize_message(body.as_bytes(), &options);
        (String::from_utf8(out.into_owned()).unwrap(), report)
    }

    #[test]
    fn drops_empty_and_whitespace_text_blocks() {
        let body = r#"{"id":"m","content":[{"type":"text","text":""},{"type":"tool_use","id":"t","name":"f","input":{"n":1.50}},{"type":"text","text":" \n"},{"type":"text"}],"usage":{"output_tokens":3}}"#;
        let (out, report) = run(body, true);
        assert_eq!(
            out,
            r#"{"id":"m","content":[{"type":"tool_use","id":"t","name":"f","input":{"n":1.50}}],"usage":{"output_tokens":3}}"#
        );
        let dropped: Vec<_> = report
            .blocks_dropped
            .iter()
            .map(|b| (b.index, b.reason))
            .collect();
        assert_eq!(
            dropped,
            [(0, "empty-text"), (2, "whitespace-text"), (3, "empty-text")]
        );
        let (out, report) = run(body, false);
        assert!(out.contains(r#"{"type":"text","text":" \n"}"#));
        assert_eq!(report.blocks_dropped.len(), 3 - 1);
    }

    #[test]
    fn unchanged_bodies_are_borrowed() {
        for body in [
            r#"{ "content": [ {"type": "text", "text": "hi"} ] }"#,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            "not json",
            "[]",
        ] {
            let (out, report) = sanitize_message(body.as_bytes(), &SanitizerOptions::default());
            assert!(matches!(out, Cow::Borrowed(b) if b == body.as_bytes()));
            assert!(report.blocks_dropped.is_empty());
        }
    }
}
