//! Regression tests for bugs found by the fuzz targets (`fuzz/`), the
//! property suite (`tests/properties/`) and the hostile-input suite
//! (`tests/hostile.rs`). Each test names what it broke.

use serde_json::{json, Value};
use sse_sanitizer::claude::{sanitize, SanitizerOptions};
use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::Limits;

fn normalize(body: &Value) -> (Value, Vec<sse_sanitizer::history::Change>) {
    let raw = serde_json::to_vec(body).unwrap();
    let (out, changes) = normalize_bytes(&raw, &NormalizeOptions::default()).unwrap();
    (serde_json::from_slice(&out).unwrap(), changes)
}

/// Normalizer, "nothing lost" and "no change reported that is not made": the
/// user message after a tool_use had no `content` (here a mangled key), the
/// normalizer reported an inserted tool_result that the output did not hold.
#[test]
fn no_tool_result_inserted_into_a_message_without_content() {
    let body = json!({"messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {"role": "user", "\u{0}content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]},
    ]});
    let (out, changes) = normalize(&body);
    assert_eq!(changes, vec![]);
    assert_eq!(out, body);
}

/// Normalizer, "nothing lost": a tool_result that came after text in a turn
/// whose first user message has `content: null` was moved "to the start" of
/// that message, which cannot hold blocks, and vanished from the output.
#[test]
fn no_tool_result_moved_into_a_message_without_content() {
    let body = json!({"messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
        {"role": "user", "content": null},
        {"role": "user", "content": [
            {"type": "text", "text": "here:"},
            {"type": "tool_result", "tool_use_id": "t1", "content": "r"},
        ]},
    ]});
    let (out, changes) = normalize(&body);
    assert!(out.to_string().contains(r#""tool_use_id":"t1""#), "{out}");
    assert!(
        changes.iter().all(|c| c.rule != "tool-result-first"),
        "{changes:#?}"
    );
    // The validator still says what the upstream would refuse.
    let raw = serde_json::to_vec(&out).unwrap();
    let left = validate_bytes(&raw, Profile::Anthropic, &Limits::default()).unwrap();
    assert!(
        left.iter().any(|v| v.rule == "tool-result-first"),
        "{left:#?}"
    );
}

/// Sanitizer, "indices stay contiguous": an index of 20 digits (10^19 ..=
/// u64::MAX) was read as no index at all, so after a dropped block it was
/// not renumbered (the accumulator reads it as the u64 it is).
#[test]
fn twenty_digit_index_is_renumbered() {
    let ev = |name: &str, data: &str| format!("event: {name}\ndata: {data}\n\n");
    let input = ev(
        "message_start",
        r#"{"type":"message_start","message":{"content":[]}}"#,
    ) + &ev(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ) + &ev(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    ) + &ev(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":18446744073709551615}"#,
    );
    let (out, report) = sanitize(input.as_bytes(), &SanitizerOptions::default());
    assert_eq!(report.blocks_dropped.len(), 1);
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.ends_with("\"index\":18446744073709551614}\n\n"),
        "{out}"
    );
}
