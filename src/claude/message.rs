//! Non-streaming replies: the stream sanitizer's drop, applied to a whole
//! `Message` JSON body.

use std::borrow::Cow;

use serde_json::Value;

use super::{DroppedBlock, Note, NoteCode, ReplacedBlock, Report, SanitizerOptions};
use crate::{is_thinking, BlankText, KeptReason};

/// The stream sanitizer's decision, applied to the `content` of a whole
/// `Message` JSON body: empty text blocks (and under `bedrock` whitespace-only
/// ones) are removed, except that a blank block with a thinking block after it
/// keeps its place and gets the placeholder appended (here the whole message
/// is known, so exactly the blocks whose removal would move a thinking block).
///
/// Returns the body itself (`Cow::Borrowed`) when nothing changes, including
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
                NoteCode::NonClaudeEvent,
                "the body is not a JSON object".into(),
            ));
            return (Cow::Borrowed(body), report);
        }
        Err(err) => {
            report
                .notes
                .push(note(NoteCode::MalformedJson, err.to_string()));
            return (Cow::Borrowed(body), report);
        }
    };
    let Some(Value::Array(content)) = message.get_mut("content") else {
        report.notes.push(note(
            NoteCode::NonClaudeEvent,
            "the body has no `content` array".into(),
        ));
        return (Cow::Borrowed(body), report);
    };
    // NOTE: one pass from the end, so "a thinking block comes later" is known
    // at each block without a rescan.
    let mut thinking_later = false;
    let mut drop = vec![false; content.len()];
    for (index, block) in content.iter_mut().enumerate().rev() {
        let ty = block
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if is_thinking(ty) {
            thinking_later = true;
            continue;
        }
        let Some(blank) = blank_text(block) else {
            continue;
        };
        let droppable = blank == BlankText::Empty || options.profile.rejects_whitespace_text();
        if thinking_later {
            append_placeholder(block, options.placeholder.as_str());
            report.blocks_replaced.push(ReplacedBlock {
                message: 0,
                index: index as u64,
                rule: "thinking-position",
                blank,
                reason: KeptReason::ThinkingFollows,
            });
        } else if droppable {
            drop[index] = true;
            report.blocks_dropped.push(DroppedBlock {
                message: 0,
                index: index as u64,
                reason: blank,
                bytes: serde_json::to_vec(block).map_or(0, |b| b.len() as u64),
            });
        }
    }
    if report.blocks_dropped.is_empty() && report.blocks_replaced.is_empty() {
        return (Cow::Borrowed(body), report);
    }
    report.blocks_dropped.reverse();
    report.blocks_replaced.reverse();
    report.blocks_dropped.truncate(Report::MAX_ENTRIES);
    report.blocks_replaced.truncate(Report::MAX_ENTRIES);
    let mut at = 0;
    content.retain(|_| {
        at += 1;
        !drop[at - 1]
    });
    report.events_changed = 1;
    // NOTE: serializing a Value parsed from JSON cannot fail.
    let out = serde_json::to_vec(&message).unwrap_or_else(|_| body.to_vec());
    (Cow::Owned(out), report)
}

/// What makes a text block blank, or `None` for any other block.
fn blank_text(block: &Value) -> Option<BlankText> {
    if block.get("type").and_then(Value::as_str) != Some("text") {
        return None;
    }
    match block.get("text") {
        None | Some(Value::Null) => Some(BlankText::Empty),
        Some(Value::String(s)) if s.is_empty() => Some(BlankText::Empty),
        Some(Value::String(s)) if s.chars().all(char::is_whitespace) => Some(BlankText::Whitespace),
        _ => None,
    }
}

fn append_placeholder(block: &mut Value, placeholder: &str) {
    if let Some(o) = block.as_object_mut() {
        let text = match o.get("text") {
            Some(Value::String(s)) => format!("{s}{placeholder}"),
            _ => placeholder.to_string(),
        };
        o.insert("text".into(), Value::String(text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;

    fn run(body: &str, profile: Profile) -> (String, Report) {
        let options = SanitizerOptions {
            profile,
            ..Default::default()
        };
        let (out, report) = sanitize_message(body.as_bytes(), &options);
        (String::from_utf8(out.into_owned()).unwrap(), report)
    }

    #[test]
    fn drops_empty_and_whitespace_text_blocks() {
        let body = r#"{"id":"m","content":[{"type":"text","text":""},{"type":"tool_use","id":"t","name":"f","input":{"n":1.50}},{"type":"text","text":" \n"},{"type":"text"}],"usage":{"output_tokens":3}}"#;
        let (out, report) = run(body, Profile::Bedrock);
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
            [
                (0, BlankText::Empty),
                (2, BlankText::Whitespace),
                (3, BlankText::Empty)
            ]
        );
        let (out, report) = run(body, Profile::Anthropic);
        assert!(out.contains(r#"{"type":"text","text":" \n"}"#));
        assert_eq!(report.blocks_dropped.len(), 3 - 1);
    }

    #[test]
    fn blank_blocks_before_thinking_keep_their_place() {
        let body = r#"{"content":[{"type":"text","text":"\n\n"},{"type":"thinking","thinking":"a","signature":"s1"},{"type":"text","text":""},{"type":"redacted_thinking","data":"d"},{"type":"text","text":""},{"type":"text","text":"answer"}]}"#;
        for profile in Profile::ALL {
            let (out, report) = run(body, profile);
            assert_eq!(
                out,
                r#"{"content":[{"type":"text","text":"\n\n..."},{"type":"thinking","thinking":"a","signature":"s1"},{"type":"text","text":"..."},{"type":"redacted_thinking","data":"d"},{"type":"text","text":"answer"}]}"#,
                "{profile}"
            );
            let replaced: Vec<_> = report
                .blocks_replaced
                .iter()
                .map(|b| (b.index, b.blank))
                .collect();
            assert_eq!(
                replaced,
                [(0, BlankText::Whitespace), (2, BlankText::Empty)]
            );
            assert_eq!(report.blocks_dropped[0].index, 4);
        }
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
