//! The parser over every real stream in the corpus: same events whole, at
//! 1-byte chunks and at random chunk sizes; every Claude event's data is JSON
//! that round-trips; writing the events back and re-parsing gives them again.

use crate::support::{corpus_streams, random_chunks, seed, XorShift};
use sse_sanitizer::sse::{Event, Parser, Writer};

fn parse(chunks: &[&[u8]]) -> Vec<Event> {
    let mut p = Parser::default();
    let mut events = Vec::new();
    for c in chunks {
        p.push(c, &mut |e| events.push(e)).unwrap();
    }
    p.finish().unwrap();
    events
}

#[test]
fn corpus_streams_parse_the_same_under_any_chunking() {
    let streams = corpus_streams();
    assert!(streams.len() > 250, "corpus has {} streams", streams.len());
    let mut rng = XorShift::new(seed());
    let mut total_events = 0;
    for (name, bytes) in &streams {
        let whole = parse(&[bytes]);
        assert!(!whole.is_empty(), "{name}: no events");
        total_events += whole.len();
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse(&ones), whole, "{name}: 1-byte chunks");
        for max in [7, 64, 1024] {
            let chunks = random_chunks(&mut rng, bytes, max);
            assert_eq!(
                parse(&chunks),
                whole,
                "{name}: random chunks ≤{max} (SSE_SEED={})",
                seed()
            );
        }
    }
    assert!(total_events > 5000, "{total_events} events");
}

#[test]
fn claude_event_data_is_json_that_round_trips() {
    for (name, bytes) in corpus_streams() {
        for event in parse(&[&bytes]) {
            let value: serde_json::Value = serde_json::from_str(&event.data)
                .unwrap_or_else(|e| panic!("{name}: {} is not JSON: {e}", event.event_type));
            let ty = value
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or_else(|| panic!("{name}: no type"));
            // The SSE event name matches the JSON type for every Claude event.
            assert_eq!(ty, event.event_type, "{name}");
            let again: serde_json::Value =
                serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
            assert_eq!(again, value, "{name}");
        }
    }
}

#[test]
fn writer_output_parses_back_to_the_same_events() {
    for (name, bytes) in corpus_streams() {
        let events = parse(&[&bytes]);
        let mut out = Vec::new();
        let mut w = Writer::default();
        for e in &events {
            w.write_with_id(&mut out, &e.event_type, &e.data, &e.last_event_id);
        }
        let back = parse(&[&out]);
        let strip = |v: &[Event]| {
            v.iter()
                .map(|e| {
                    (
                        e.event_type.clone(),
                        e.data.clone(),
                        e.last_event_id.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&back), strip(&events), "{name}");
    }
}

/// Damaged input under any chunking: no panic, no error under the default
/// limits, and exactly the events the spec gives (invalid UTF-8 becomes
/// U+FFFD; a block with no `data` field or no blank line after it dispatches
/// nothing).
#[test]
fn damaged_input_gives_the_same_events_under_any_chunking() {
    let noise: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let cases: Vec<(Vec<u8>, Vec<&str>)> = vec![
        (vec![], vec![]),
        (vec![0xFF; 1000], vec![]),
        (vec![0; 1000], vec![]),
        (b"\r\r\r\n\n\n\r".to_vec(), vec![]),
        (b"{\"type\":\"message_start\"}".to_vec(), vec![]),
        // Bytes 0..=255 in order: line breaks, but never a `data` field.
        (noise, vec![]),
        (b"data: \xFF\xC3\n\n".to_vec(), vec!["\u{FFFD}\u{FFFD}"]),
        (b"data\r\rdata:\0x\n\n".to_vec(), vec!["", "\0x"]),
    ];
    for (input, expected) in cases {
        for chunk in [1, 3, 4096] {
            let chunks: Vec<&[u8]> = input.chunks(chunk).collect();
            let data: Vec<String> = parse(&chunks).into_iter().map(|e| e.data).collect();
            assert_eq!(
                data,
                expected,
                "{:?}… in chunks of {chunk}",
                &input[..input.len().min(16)]
            );
        }
    }
}
