//! Entry points: input forms, errors, limits, byte preservation, no panics.

use crate::support::{seed, XorShift};
use serde_json::{json, Value};
use sse_sanitizer::history::{
    normalize, normalize_bytes, validate, validate_bytes, NormalizeOptions, Profile, RULES,
};
use sse_sanitizer::{HistoryError, Limits};
use std::borrow::Cow;

#[test]
fn untouched_parts_keep_their_exact_bytes() {
    let body = r#"{ "model" : "m", "temperature": 0.50, "meta": {"z": 1, "a": 1e2},
 "messages": [ {"role": "user", "content": [ {"type": "text", "text": "caf\u00e9 \"q\""}, {"type":"text","text":""} ]},
  {"role": "assistant", "content": "ok", "x":   1.000} ] , "tail": [1.0] }"#;
    let (out, changes) = normalize_bytes(body.as_bytes(), &NormalizeOptions::default()).unwrap();
    assert_eq!(changes.len(), 1);
    let out = std::str::from_utf8(&out).unwrap();
    assert_eq!(
        out,
        r#"{"model":"m","temperature":0.50,"meta":{"z": 1, "a": 1e2},"messages":[{"role":"user","content":[{"type": "text", "text": "caf\u00e9 \"q\""}]},{"role": "assistant", "content": "ok", "x":   1.000}],"tail":[1.0]}"#
    );
}

#[test]
fn value_path_keeps_order_and_numbers_and_returns_the_same_value() {
    let body: Value = serde_json::from_str(
        r#"{"z":1.50,"messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"hi"}]}],"a":100000000000000000000001}"#,
    )
    .unwrap();
    let (out, changes) = normalize(body.clone(), &NormalizeOptions::default()).unwrap();
    assert_eq!(changes[0].path, "/messages/0/content/0");
    assert_eq!(
        out.to_string(),
        r#"{"z":1.50,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"a":100000000000000000000001}"#
    );
    let (same, none) = normalize(out.clone(), &NormalizeOptions::default()).unwrap();
    assert!(none.is_empty() && same == out);
    assert!(validate(&out, Profile::Anthropic).unwrap().is_empty());
}

#[test]
fn bare_array_paths_have_no_messages_prefix() {
    let body =
        json!([{"role": "user", "content": [{"type": "text"}, {"type": "text", "text": "x"}]}]);
    let v = validate(&body, Profile::Anthropic).unwrap();
    assert_eq!(v[0].path, "/0/content/0");
    let (out, c) = normalize(body, &NormalizeOptions::default()).unwrap();
    assert_eq!(c[0].path, "/0/content/0");
    assert_eq!(
        out,
        json!([{"role": "user", "content": [{"type": "text", "text": "x"}]}])
    );
}

#[test]
fn errors_have_codes_and_positions() {
    let o = NormalizeOptions::default();
    let e = normalize_bytes(b"{\"messages\": [\n  {\"role\": }]}", &o).unwrap_err();
    match &e {
        HistoryError::InvalidJson {
            line,
            column,
            offset,
            ..
        } => {
            assert_eq!((*line, *column), (2, 12));
            assert_eq!(*offset, 26);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.code(), "invalid-json");
    assert_eq!(
        normalize_bytes(b"\xff", &o).unwrap_err().code(),
        "invalid-json"
    );
    assert_eq!(
        normalize_bytes(b"{\"model\": 1}", &o).unwrap_err().code(),
        "invalid-shape"
    );
    assert_eq!(
        normalize_bytes(b"{\"messages\": {}}", &o)
            .unwrap_err()
            .code(),
        "invalid-shape"
    );
    assert_eq!(
        normalize_bytes(b"\"x\"", &o).unwrap_err().code(),
        "invalid-shape"
    );
    let deep = format!("{{\"messages\": [{}{}]}}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        normalize_bytes(deep.as_bytes(), &o).unwrap_err(),
        HistoryError::MaxDepthExceeded { limit: 128 }
    );
    let small = NormalizeOptions {
        limits: Limits::default().with_max_body_bytes(10),
        ..o.clone()
    };
    assert_eq!(
        normalize_bytes(b"{\"messages\": []}", &small).unwrap_err(),
        HistoryError::BodyTooLarge {
            size: 16,
            limit: 10
        }
    );
    assert_eq!(
        "vertex".parse::<Profile>().unwrap_err().code(),
        "invalid-option"
    );
    assert_eq!("bedrock".parse::<Profile>().unwrap(), Profile::Bedrock);
    // Shallow limit honoured by validate_bytes too.
    let limits = Limits::default().with_max_json_depth(3);
    let body = br#"{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}"#;
    assert_eq!(
        validate_bytes(body, Profile::Anthropic, &limits)
            .unwrap_err()
            .code(),
        "max-depth-exceeded"
    );
}

#[test]
fn catalog_is_complete_and_every_fixable_rule_can_be_disabled() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    for id in [
        "empty-text",
        "whitespace-text",
        "cache-control-on-empty",
        "foreign-field",
        "tool-input-string",
        "empty-message",
        "merge-roles",
        "tool-result-first",
        "missing-tool-result",
        "orphan-tool-result",
        "final-trailing-whitespace",
        "empty-system",
        "thinking-untouched",
        "duplicate-tool-use-id",
        "tool-use-id-pattern",
        "tool-name-pattern",
        "tools-required",
        "unknown-role",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
    let body = br#"{"system":"","messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"a"}]},{"role":"assistant","content":"b "}]}"#;
    let all_off = NormalizeOptions {
        disabled_rules: RULES.iter().map(|r| r.id.to_string()).collect(),
        ..Default::default()
    };
    let (out, changes) = normalize_bytes(body, &all_off).unwrap();
    assert!(changes.is_empty() && matches!(out, Cow::Borrowed(_)));
}

/// No input makes the entry points panic: truncations and byte flips of real
/// bodies, and odd shapes.
#[test]
fn no_panics_on_damaged_input() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/requests.jsonl"),
    )
    .unwrap();
    let mut rng = XorShift::new(seed());
    let odd = [
        r#"{"messages":[null,1,"x",[],{"role":"user"},{"role":"user","content":{}},{"content":[]}]}"#,
        r#"{"messages":[{"role":"user","content":[null,1,"s",{"type":1},{"type":"tool_result"},{"type":"tool_use","input":[1]}]}],"system":[null,{"type":"text","text":""}],"tools":[{"name":1},null]}"#,
        r#"{"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a"}]},{"role":"assistant","content":[{"type":"tool_use","id":"a"}]},{"role":"user","content":""},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a"}]}],"thinking":{"type":"enabled"}}"#,
        r#"[{"role":"user","content":"\ud800 \u0000"},{"role":"assistant","content":[{"type":"text","text":" \u2003"}]}]"#,
    ];
    let mut bodies: Vec<Vec<u8>> = odd.iter().map(|s| s.as_bytes().to_vec()).collect();
    for line in text.lines().take(60) {
        let body = serde_json::from_str::<Value>(line).unwrap()["body"]
            .to_string()
            .into_bytes();
        for _ in 0..20 {
            let mut b = body.clone();
            let at = rng.below(b.len());
            match rng.below(3) {
                0 => b.truncate(at),
                1 => b[at] = rng.next() as u8,
                _ => {
                    b.remove(at);
                }
            }
            bodies.push(b);
        }
    }
    for b in &bodies {
        for profile in [Profile::Anthropic, Profile::Bedrock] {
            let o = NormalizeOptions {
                profile,
                strict_fields: true,
                ..Default::default()
            };
            if let Ok((out, _)) = normalize_bytes(b, &o) {
                let (_, again) = normalize_bytes(&out, &o).unwrap();
                assert!(again.is_empty(), "{}", String::from_utf8_lossy(b));
            }
            let _ = validate_bytes(b, profile, &Limits::default());
        }
    }
}

#[test]
fn pointers_escape_and_duplicate_keys_read_like_json_parse() {
    let body = br#"{"messages":[{"role":"user","content":[{"type":"text","text":"x","a/b~c":1}]}],"messages":[{"role":"user","content":[{"type":"text","text":"y","a/b~c":1}]}]}"#;
    let o = NormalizeOptions {
        strict_fields: true,
        ..Default::default()
    };
    let (out, changes) = normalize_bytes(body, &o).unwrap();
    assert_eq!(changes[0].path, "/messages/0/content/0/a~1b~0c");
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["messages"][0]["content"][0],
        json!({"type": "text", "text": "y"})
    );
    assert!(validate_bytes(&out, Profile::Anthropic, &Limits::default())
        .unwrap()
        .is_empty());
}

#[test]
fn normalize_to_hands_on_in_pieces_what_normalize_bytes_returns() {
    use sse_sanitizer::history::normalize_to;
    let options = NormalizeOptions::default();
    // Unchanged: `begin` is not called.
    let clean = br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#;
    let changes =
        normalize_to(clean, &options, |_| -> fn(&[u8]) { panic!("begin called") }).unwrap();
    assert!(changes.is_empty());

    // Blank blocks, each beside a kept one, around a text larger than a piece
    // (handed on as it is),
    // and a missing tool result (the body grows).
    let big = "x".repeat(200_000);
    let blanks =
        vec![r#"{"type":"text","text":""},{"type":"text","text":"kept"}"#; 10_000].join(",");
    let body = format!(
        r#"{{"model":"m","messages":[{{"role":"user","content":[{blanks},{{"type":"text","text":"{big}"}},{blanks}]}},{{"role":"assistant","content":[{{"type":"tool_use","id":"toolu_1","name":"f","input":{{}}}}]}},{{"role":"user","content":"ok"}}]}}"#
    );
    let (whole, expected) = normalize_bytes(body.as_bytes(), &options).unwrap();
    assert!(matches!(whole, Cow::Owned(_)) && !expected.is_empty());
    let mut announced = None;
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    let changes = normalize_to(body.as_bytes(), &options, |len| {
        announced = Some(len);
        |piece: &[u8]| pieces.push(piece.to_vec())
    })
    .unwrap();
    assert_eq!(changes, expected);
    assert_eq!(announced, Some(whole.len()));
    assert_eq!(pieces.concat(), whole.as_ref());
    assert!(pieces.len() > 3, "{} pieces", pieces.len());
    for piece in &pieces {
        assert!(
            piece.len() <= 64 * 1024 || piece.starts_with(b"{\"type\":\"text\",\"text\":\"xxx"),
            "a piece of {} bytes",
            piece.len()
        );
    }
}
