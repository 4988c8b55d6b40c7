//! The parser cases of the peer conformance vectors (tests/peer-vectors:
//! eventsource-parser's and the official SDK's suites) on `sse::Parser`: the
//! WHATWG events and `retry` values of every case, fed in the peer's pieces,
//! whole and byte by byte. pkg-tests/peer-vectors.test.js judges every case
//! (the peers' own assertions too) through the package.

use serde_json::Value;
use sse_sanitizer::sse::{Parser, Segment};
use sse_sanitizer::Limits;
use std::path::PathBuf;

fn suite(name: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/peer-vectors/{name}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A case's pieces as bytes (see tests/peer-vectors/README.md and the node test).
fn pieces(chunks: &Value) -> Vec<Vec<u8>> {
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let mut out = Vec::new();
    for piece in chunks.as_array().unwrap() {
        match piece {
            Value::String(s) => out.push(s.clone().into_bytes()),
            Value::Object(o) if o.contains_key("hex") => out.push(hex(o["hex"].as_str().unwrap())),
            Value::Object(o) if o.contains_key("repeat") => {
                for _ in 0..o["times"].as_u64().unwrap() {
                    out.push(o["repeat"].as_str().unwrap().as_bytes().to_vec());
                }
            }
            Value::Object(o) if o.contains_key("text") => {
                let text: String = o["text"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| match p {
                        Value::String(s) => s.clone(),
                        _ => p["rep"]
                            .as_str()
                            .unwrap()
                            .repeat(p["n"].as_u64().unwrap() as usize),
                    })
                    .collect();
                out.push(text.into_bytes());
            }
            _ => panic!("unknown piece {piece}"),
        }
    }
    out
}

fn limits(options: Option<&Value>) -> Limits {
    let mut limits = Limits::default();
    if let Some(n) = options.and_then(|o| o["maxLineBytes"].as_u64()) {
        limits.max_line_bytes = n as usize;
    }
    if let Some(n) = options.and_then(|o| o["maxEventBytes"].as_u64()) {
        limits.max_event_bytes = n as usize;
    }
    limits
}

/// Events (type, data, lastEventId, retry) and retries, or the error code.
type Run = Result<(Vec<(String, String, String, Option<u64>)>, Vec<u64>), String>;

fn run(limits: Limits, chunks: &[&[u8]]) -> Run {
    let mut parser = Parser::new(limits);
    let (mut events, mut retries) = (Vec::new(), Vec::new());
    for chunk in chunks {
        parser
            .push_segments(chunk, &mut |s| match s {
                Segment::Event { event, .. } => events.push((
                    event.event_type,
                    event.data,
                    event.last_event_id,
                    event.retry,
                )),
                Segment::Retry(ms) => retries.push(ms),
                Segment::Empty { .. } | Segment::CrLfTail => {}
            })
            .map_err(|e| e.code().to_string())?;
    }
    parser.finish().map_err(|e| e.code().to_string())?;
    Ok((events, retries))
}

fn check(case: &Value) {
    let id = case["id"].as_str().unwrap();
    let pieces = pieces(&case["chunks"]);
    let limits = limits(case.get("options"));
    let as_given: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
    let whole_bytes = pieces.concat();
    let result = run(limits, &as_given);
    if let Some(throws) = case["expect"].get("throws") {
        assert_eq!(
            result,
            Err(throws["code"].as_str().unwrap().to_string()),
            "{id}"
        );
        return;
    }
    let (events, retries) = result.unwrap_or_else(|e| panic!("{id}: {e}"));
    let whatwg = &case["whatwg"];
    let want: Vec<u64> = whatwg["retries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_u64().unwrap())
        .collect();
    assert_eq!(retries, want, "{id}: retries");
    let refs = whatwg["events"].as_array().unwrap();
    assert_eq!(events.len(), refs.len(), "{id}: events");
    for ((ty, data, id_, retry), r) in events.iter().zip(refs) {
        assert_eq!(ty, r["type"].as_str().unwrap(), "{id}");
        assert_eq!(id_, r["lastEventId"].as_str().unwrap(), "{id}");
        assert_eq!(*retry, r.get("retry").and_then(Value::as_u64), "{id}");
        match r.get("data") {
            Some(d) => assert_eq!(data, d.as_str().unwrap(), "{id}"),
            // A huge data: its length in UTF-16 units (its SHA-256 is checked in node).
            None => assert_eq!(
                data.encode_utf16().count() as u64,
                r["data_length"].as_u64().unwrap(),
                "{id}"
            ),
        }
    }
    assert_eq!(
        run(limits, &[&whole_bytes]),
        Ok((events.clone(), retries.clone())),
        "{id}: whole"
    );
    if whole_bytes.len() <= 64 << 10 {
        let ones: Vec<&[u8]> = whole_bytes.chunks(1).collect();
        assert_eq!(
            run(limits, &ones),
            Ok((events, retries)),
            "{id}: byte by byte"
        );
    }
}

#[test]
fn eventsource_parser_cases_give_the_whatwg_events_and_retries() {
    let suite = suite("eventsource-parser");
    let cases = suite["cases"].as_array().unwrap();
    assert!(cases.len() > 60);
    cases.iter().for_each(check);
}

#[test]
fn official_sdk_decoder_cases_give_the_whatwg_events_and_retries() {
    let suite = suite("anthropic-sdk");
    let cases: Vec<&Value> = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "parser")
        .collect();
    assert!(cases.len() > 20);
    cases.into_iter().for_each(check);
}
