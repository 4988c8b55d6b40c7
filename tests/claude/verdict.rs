//! The stream verdict on a table of crafted and corpus-derived streams, one or
//! more per anomaly class, each with its expected verdict, run whole and at
//! every split point (pkg-tests/verdict.test.js checks the same classes, the
//! whole corpus and seeded mutations against the official SDK itself).

use crate::support::corpus_dir;
use crate::support::stream::{
    block_stop, json_delta, message_end, message_start, text_delta, text_start, tool_start,
};
use sse_sanitizer::claude::{validate_stream, Anomaly, SdkOutcome, StreamValidator, ANOMALIES};
use sse_sanitizer::Limits;

/// `code@event[index] sdk`, and the message when the SDK raises.
fn show(anomalies: &[Anomaly]) -> Vec<String> {
    anomalies
        .iter()
        .map(|a| {
            let index = a.index.map(|i| format!("[{i}]")).unwrap_or_default();
            let sdk = match a.sdk {
                SdkOutcome::Raises => format!("raises: {}", a.message),
                SdkOutcome::Silent => "silent".into(),
                SdkOutcome::Unreached => "unreached".into(),
            };
            format!("{}@{}{index} {sdk}", a.code, a.event)
        })
        .collect()
}

fn verdict(input: &[u8]) -> Vec<Anomaly> {
    validate_stream(input, Limits::default()).unwrap()
}

/// The verdict of `input` fed in two pieces cut at `at`.
fn split_verdict(input: &[u8], at: usize) -> Vec<Anomaly> {
    let mut v = StreamValidator::new(Limits::default());
    v.push(&input[..at]).unwrap();
    v.push(&input[at..]).unwrap();
    v.finish().unwrap()
}

fn corpus(path: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(path)).unwrap()
}

fn crafted() -> Vec<(&'static str, String)> {
    let text = |i| text_start(i, "");
    let td = |i| text_delta(i, "hi");
    let (tool, json, stop) = (tool_start, json_delta, block_stop);
    let s = &message_start();
    let e = &message_end();
    vec![
        ("clean", format!("{s}{}{}{}{e}", text(0), td(0), stop(0))),
        ("clean, CRLF and a BOM on every line", format!("{s}{}{}{}{e}", text(0), td(0), stop(0)).replace("data:", "\u{feff}data:").replace('\n', "\r\n")),
        ("unnamed-event", format!("{s}{}{}{}{e}", text(0), td(0).replacen("event: content_block_delta\n", "", 1), stop(0))),
        ("event-name-mismatch", format!("{s}{}{}{}{e}", text(0), td(0).replacen("event: content_block_delta", "event: ping", 1), stop(0))),
        ("malformed-json", format!("{s}{}event: content_block_delta\ndata: {{\"type\":\n\n{}{e}", text(0), stop(0))),
        ("error-event", format!("{s}{}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n", text(0))),
        ("invalid-event", format!("{}{}{e}", s.replacen("\"content\":[],", "", 1), text(0))),
        ("second-message-start", format!("{s}{}{s}{e}", text(0))),
        ("concatenated-message", format!("{s}{e}{s}{e}")),
        ("message-start-with-content", format!("{}{}{}{}{e}", s.replacen("\"content\":[]", "\"content\":[{\"type\":\"text\",\"text\":\"a\"}]", 1), text(1), td(1), stop(1))),
        ("start-reusing-index", format!("{s}{}{}{}{}{}{e}", text(0), stop(0), text(0), td(0), stop(0))),
        ("start-index-gap", format!("{s}{}{}{}{e}", text(2), td(2), stop(2))),
        ("delta-without-start, no block at all", format!("{s}{}{e}", td(0))),
        ("delta-without-start", format!("{s}{}{}{}{e}", text(0), td(1), stop(0))),
        ("delta-kind-mismatch", format!("{s}{}{}{}{e}", text(0), json(0, "{}"), stop(0))),
        ("delta-after-stop", format!("{s}{}{}{}{e}", text(0), stop(0), td(0))),
        ("stop-without-start", format!("{s}{}{}{}{e}", text(0), stop(0), stop(0))),
        ("unterminated-block", format!("{s}{}{}{e}", text(0), td(0))),
        ("invalid-tool-input", format!("{s}{}{}{}{e}", tool(0), json(0, "{\"a\": 1}}"), stop(0))),
        ("a tool input cut short is what the SDK completes", format!("{s}{}{}{}{e}", tool(0), json(0, "{\"lines\": [\"a\", \"b"), stop(0))),
        ("event-outside-message", format!("{}{s}{e}{}", stop(0), td(0))),
        ("truncated", format!("{s}{}{}", text(0), td(0))),
        ("truncated inside a frame", format!("{s}{e}event: ping\ndata: {{}}")),
        ("no-message", "data: {\"choices\":[]}\n\ndata: [DONE]\n\n".to_string()),
    ]
}

fn corpus_derived() -> Vec<(&'static str, Vec<u8>)> {
    let tool =
        corpus("streams/chatlas__test_provider_anthropic_test_anthropic_tool_variations.0.sse");
    let text = String::from_utf8(tool.clone()).unwrap();
    let unnamed: String = text
        .lines()
        .filter(|l| !l.starts_with("event:"))
        .map(|l| format!("{l}\n"))
        .collect();
    vec![
        ("a recorded tool stream", tool.clone()),
        ("the same without its `event:` lines (a data-only relay)", unnamed.into_bytes()),
        ("the same cut in the middle of its tool input", tool[..tool.len() / 2].to_vec()),
        ("the same twice back to back (a multi-request capture)", [tool.clone(), tool.clone()].concat()),
        ("a hand-written out-of-order fixture", corpus("handwritten/streams/anthropic-sdk-python__out_of_order_response.sse")),
        ("a message_start with prepopulated content", corpus("handwritten/streams/vercel-ai__anthropic-message-start-prepopulated-content.sse")),
        ("a message_start without content", corpus("handwritten/streams/vercel-ai__issue-18331-sequential-messages.sse")),
        ("a tool input missing its opening brace", corpus("handwritten/streams/vercel-ai__anthropic-code-execution-20250825-empty-first-delta.sse")),
        ("a spliced message_start", corpus("handwritten/streams/vercel-ai__spliced-message-start.sse")),
    ]
}

/// The expected verdict of every case, by name.
const EXPECTED: &[(&str, &[&str])] = &[
    ("clean", &[]),
    ("clean, CRLF and a BOM on every line", &[]),
    ("unnamed-event", &["unnamed-event@2[0] silent"]),
    ("event-name-mismatch", &["event-name-mismatch@2[0] silent"]),
    ("malformed-json", &["malformed-json@2 raises: the data of this `content_block_delta` event is not JSON: JSON.parse throws (SDK: a SyntaxError worded by the JS engine): {\"type\":"]),
    ("error-event", &["error-event@2 raises: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"]),
    ("invalid-event", &["invalid-event@0 silent", "invalid-event@1[0] raises: Cannot read properties of undefined (reading 'push')"]),
    ("second-message-start", &["second-message-start@2 raises: Unexpected event order, got message_start before receiving \"message_stop\""]),
    ("concatenated-message", &["concatenated-message@3 raises: Unexpected event order, got message_start before receiving \"message_stop\""]),
    ("message-start-with-content", &["message-start-with-content@0 silent"]),
    ("start-reusing-index", &["start-reusing-index@3[0] silent", "delta-after-stop@4[0] silent", "stop-without-start@5[0] silent", "unterminated-block@7[1] silent"]),
    ("start-index-gap", &["start-index-gap@1[2] silent", "delta-without-start@2[2] silent", "stop-without-start@3[2] silent", "unterminated-block@5[0] silent"]),
    ("delta-without-start, no block at all", &["delta-without-start@1[0] raises: Cannot read properties of undefined (reading 'type')"]),
    ("delta-without-start", &["delta-without-start@2[1] silent"]),
    ("delta-kind-mismatch", &["delta-kind-mismatch@2[0] silent"]),
    ("delta-after-stop", &["delta-after-stop@3[0] silent"]),
    ("stop-without-start", &["stop-without-start@3[0] silent"]),
    ("unterminated-block", &["unterminated-block@4[0] silent"]),
    ("invalid-tool-input", &["invalid-tool-input@3[0] raises: Unable to parse tool parameter JSON from model. Please retry your request or adjust your prompt. Error: SyntaxError: (worded by the JS engine). JSON: {\"a\": 1}}"]),
    ("a tool input cut short is what the SDK completes", &[]),
    ("event-outside-message", &["event-outside-message@0[0] silent", "event-outside-message@4[0] silent", "delta-without-start@4[0] raises: Cannot read properties of undefined (reading 'type')"]),
    ("truncated", &["truncated@3 raises: stream ended without producing a Message with role=assistant"]),
    ("truncated inside a frame", &["truncated@3 silent"]),
    ("no-message", &["no-message@2 raises: request ended without sending any chunks"]),
    ("a recorded tool stream", &[]),
    ("the same without its `event:` lines (a data-only relay)", &["unnamed-event@0 silent", "unnamed-event@1[0] silent", "unnamed-event@2[0] silent", "unnamed-event@3[0] silent", "unnamed-event@4 silent", "unnamed-event@5 silent", "no-message@6 raises: request ended without sending any chunks"]),
    ("the same cut in the middle of its tool input", &["truncated@1 raises: stream ended without producing a Message with role=assistant"]),
    ("the same twice back to back (a multi-request capture)", &["concatenated-message@6 raises: Unexpected event order, got message_start before receiving \"message_stop\""]),
    ("a hand-written out-of-order fixture", &["start-index-gap@1[1] silent", "truncated@2 raises: stream ended without producing a Message with role=assistant"]),
    ("a message_start with prepopulated content", &["message-start-with-content@0 silent"]),
    ("a message_start without content", &["invalid-event@0 silent", "invalid-event@1[0] raises: Cannot read properties of undefined (reading 'push')", "concatenated-message@6 unreached", "invalid-event@6 unreached"]),
    ("a tool input missing its opening brace", &["invalid-tool-input@5[0] raises: Unable to parse tool parameter JSON from model. Please retry your request or adjust your prompt. Error: SyntaxError: (worded by the JS engine). JSON: \"command\":\"view\",\"path\":\"/tmp/a.txt\"}"]),
    ("a spliced message_start", &["second-message-start@7 raises: Unexpected event order, got message_start before receiving \"message_stop\""]),
];

#[test]
fn every_case_has_its_verdict_whole_and_at_every_split_point() {
    let cases: Vec<(&str, Vec<u8>)> = crafted()
        .into_iter()
        .map(|(n, s)| (n, s.into_bytes()))
        .chain(corpus_derived())
        .collect();
    assert_eq!(cases.len(), EXPECTED.len());
    for ((name, input), (expected_name, expected)) in cases.iter().zip(EXPECTED) {
        assert_eq!(name, expected_name);
        let whole = verdict(input);
        assert_eq!(show(&whole), *expected, "{name}");
        for at in 0..=input.len() {
            assert_eq!(split_verdict(input, at), whole, "{name}, split at {at}");
        }
        let mut ones = StreamValidator::new(Limits::default());
        for byte in input.chunks(1) {
            ones.push(byte).unwrap();
        }
        assert_eq!(ones.finish().unwrap(), whole, "{name}, byte by byte");
        assert!(
            whole.iter().filter(|a| a.sdk == SdkOutcome::Raises).count() <= 1,
            "{name}"
        );
    }
}

#[test]
fn the_table_covers_every_class_of_the_catalog() {
    let mut seen: Vec<&str> = EXPECTED
        .iter()
        .flat_map(|(_, v)| v.iter())
        .map(|s| s.split('@').next().unwrap())
        .chain(["too-many-anomalies"])
        .collect();
    seen.sort();
    seen.dedup();
    let mut all: Vec<&str> = ANOMALIES.iter().map(|a| a.code).collect();
    all.sort();
    assert_eq!(seen, all);
    for class in ANOMALIES {
        assert!(
            !class.summary.is_empty() && !class.sdk.is_empty(),
            "{}",
            class.code
        );
    }
}

#[test]
fn an_endless_broken_stream_lists_at_most_max_anomalies_and_still_the_raise() {
    let frame = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n";
    let input = frame.repeat(3000);
    let anomalies = verdict(input.as_bytes());
    let max = sse_sanitizer::claude::MAX_ANOMALIES;
    assert_eq!(anomalies.len(), max + 2);
    assert_eq!(anomalies[max].code, "too-many-anomalies");
    assert_eq!(anomalies[max + 1].code, "no-message");
    assert_eq!(anomalies[max + 1].sdk, SdkOutcome::Raises);
}

#[test]
fn limits_are_typed_errors_and_the_validator_stays_failed() {
    let limits = Limits::default().with_max_line_bytes(32);
    let mut v = StreamValidator::new(limits);
    let err = v.push(&[b'x'; 40]).unwrap_err();
    assert_eq!(err.code(), "max-buffer-exceeded");
    assert_eq!(v.push(b"\n\n").unwrap_err(), err);
    assert_eq!(v.finish().unwrap_err(), err);
    let deep = format!(
        "{}event: foo\ndata: {}{}\n\n",
        message_start(),
        "[".repeat(200),
        "]".repeat(200)
    );
    let err = validate_stream(deep.as_bytes(), Limits::default()).unwrap_err();
    assert_eq!(err.code(), "max-depth-exceeded");
    // A tool input nested past the limit too (its text is checked, never parsed whole).
    let deep_tool = format!(
        "{}{}{}{}{}",
        message_start(),
        tool_start(0),
        json_delta(0, &"[".repeat(200)),
        block_stop(0),
        message_end()
    );
    let err = validate_stream(deep_tool.as_bytes(), Limits::default()).unwrap_err();
    assert_eq!(err.code(), "max-depth-exceeded");
}

/// The first limit the stream trips is the error, however it is split: a
/// frame nested too deep, then a line over the limit in the same chunk, is
/// `max-depth-exceeded` whole as in two pushes (fuzz accumulator-fb26aed9).
#[test]
fn the_first_limit_tripped_is_the_error_at_every_split() {
    let limits = Limits::default()
        .with_max_line_bytes(1000)
        .with_max_json_depth(8);
    let deep = format!(
        "{}event: foo\ndata: {}{}\n\n",
        message_start(),
        "[".repeat(20),
        "]".repeat(20)
    );
    let input = format!("{deep}data: {}\n\n", "x".repeat(2000));
    for at in 0..=input.len() {
        let mut v = StreamValidator::new(limits);
        let (a, b) = input.as_bytes().split_at(at);
        let err = v.push(a).and_then(|()| v.push(b)).unwrap_err();
        assert_eq!(err.code(), "max-depth-exceeded", "split at {at}: {err}");
    }
}

#[test]
fn time_is_linear_in_the_input_whatever_its_shape() {
    // A tool block that alternates deltas and stops: every stop checks the
    // input, which would be quadratic if the input were parsed again each time.
    let mut input = message_start() + &tool_start(0);
    input.push_str(&json_delta(0, "{\"a\": ["));
    for _ in 0..100_000 {
        input.push_str(&json_delta(0, "1, "));
        input.push_str(&block_stop(0));
    }
    let anomalies = verdict(input.as_bytes());
    assert!(anomalies.iter().all(|a| a.code == "delta-after-stop"
        || a.code == "stop-without-start"
        || a.code.starts_with("too-many")
        || a.code == "truncated"));
}
