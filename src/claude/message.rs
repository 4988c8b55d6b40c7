//! Non-streaming replies: the stream sanitizer's drop, applied to a whole
//! `Message` JSON body.

use std::borrow::Cow;

use super::{DroppedBlock, Note, NoteCode, ReplacedBlock, Report, SanitizerOptions};
use crate::json::{self, Kind, ObjEdit, Raw};
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
/// unchanged. In a changed body only the `content` array is written anew
/// (compact); its blocks, and everything around it, keep their exact text.
pub fn sanitize_message<'a>(body: &'a [u8], options: &SanitizerOptions) -> (Cow<'a, [u8]>, Report) {
    let mut report = Report::default();
    let note = |code, detail: String| Note {
        code,
        event: 0,
        detail,
    };
    // NOTE: read as serde_json reads a `Value` (at most 127 levels deep).
    let message = match json::read_bytes(body) {
        Ok(message) if message.kind() == Kind::Obj => message,
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
    let Some(content) = message.get("content").filter(|c| c.kind() == Kind::Arr) else {
        report.notes.push(note(
            NoteCode::NonClaudeEvent,
            "the body has no `content` array".into(),
        ));
        return (Cow::Borrowed(body), report);
    };
    let blocks: Vec<Raw<'_>> = content.items().collect();
    // The new text of each block: `None` when dropped.
    let mut texts: Vec<Option<Cow<'_, str>>> =
        blocks.iter().map(|b| Some(b.text().into())).collect();
    // NOTE: one pass from the end, so "a thinking block comes later" is known
    // at each block without a rescan.
    let mut thinking_later = false;
    for (index, block) in blocks.iter().enumerate().rev() {
        if is_thinking(&block.type_name()) {
            thinking_later = true;
            continue;
        }
        let Some(blank) = blank_text(*block) else {
            continue;
        };
        let droppable = blank == BlankText::Empty || options.profile.rejects_whitespace_text();
        if thinking_later {
            let mut edit = ObjEdit::default();
            let text = block.get_str("text").unwrap_or_default();
            edit.set("text", json::escape(&(text + options.placeholder.as_str())));
            texts[index] = Some(edit.apply(*block).into());
            report.blocks_replaced.push(ReplacedBlock {
                message: 0,
                index: index as u64,
                rule: "thinking-position",
                blank,
                reason: KeptReason::ThinkingFollows,
            });
        } else if droppable {
            texts[index] = None;
            report.blocks_dropped.push(DroppedBlock {
                message: 0,
                index: index as u64,
                reason: blank,
                bytes: block.text().len() as u64,
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
    report.events_changed = 1;
    let (start, end) = (content.offset(), content.offset() + content.text().len());
    let mut out = Vec::with_capacity(body.len());
    out.extend_from_slice(&body[..start]);
    out.push(b'[');
    for (i, text) in texts.iter().flatten().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(text.as_bytes());
    }
    out.push(b']');
    out.extend_from_slice(&body[end..]);
    (Cow::Owned(out), report)
}

/// What makes a text block blank, or `None` for any other block.
fn blank_text(block: Raw<'_>) -> Option<BlankText> {
    if !block.get("type")?.str_eq("text") {
        return None;
    }
    match block.get("text") {
        None => Some(BlankText::Empty),
        Some(t) if t.kind() == Kind::Null => Some(BlankText::Empty),
        Some(t) => match json::blank_of(&t.str()?) {
            json::Blank::Empty => Some(BlankText::Empty),
            json::Blank::Whitespace => Some(BlankText::Whitespace),
            json::Blank::Text => None,
        },
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
