//! Conformance of `sse::Parser` with the WHATWG "event stream interpretation",
//! one case per rule of the spec text, each run whole, split at every byte
//! position, at 1-byte chunks and at random points (`SSE_SEED` reproduces).

use crate::support::{random_chunks, seed, XorShift};
use sse_sanitizer::sse::{Event, Parser};
use sse_sanitizer::{Limits, SseError};

/// (what, input, expected events as (type, data, last_event_id, retry))
type Case = (
    &'static str,
    &'static [u8],
    &'static [(&'static str, &'static str, &'static str, Option<u64>)],
);

const CASES: &[Case] = &[
    ("empty input", b"", &[]),
    (
        "single data line",
        b"data: hello\n\n",
        &[("message", "hello", "", None)],
    ),
    (
        "type defaults to message",
        b"data:x\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "event field sets type",
        b"event: ping\ndata: {}\n\n",
        &[("ping", "{}", "", None)],
    ),
    (
        "type resets after dispatch",
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        &[("a", "1", "", None), ("message", "2", "", None)],
    ),
    (
        "only one leading space stripped",
        b"data:  two\n\n",
        &[("message", " two", "", None)],
    ),
    (
        "no space after colon",
        b"data:tight\n\n",
        &[("message", "tight", "", None)],
    ),
    (
        "data lines joined with LF",
        b"data: a\ndata: b\ndata: c\n\n",
        &[("message", "a\nb\nc", "", None)],
    ),
    (
        "empty data line contributes a line",
        b"data\ndata\n\n",
        &[("message", "\n", "", None)],
    ),
    (
        "data: with nothing dispatches empty string",
        b"data:\n\n",
        &[("message", "", "", None)],
    ),
    (
        "field with no colon is whole-line name",
        b"data\n\n",
        &[("message", "", "", None)],
    ),
    (
        "no data: no dispatch, type discarded",
        b"event: x\n\ndata: y\n\n",
        &[("message", "y", "", None)],
    ),
    (
        "comment ignored",
        b": hello\ndata: x\n: again\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "comment-only block dispatches nothing",
        b": keepalive\n\n",
        &[],
    ),
    (
        "unknown field ignored",
        b"foo: bar\ndata: x\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "field names are case sensitive",
        b"Data: x\nDATA: y\n\n",
        &[],
    ),
    (
        "colon inside value kept",
        b"data: a:b: c\n\n",
        &[("message", "a:b: c", "", None)],
    ),
    (
        "CRLF line ends",
        b"event: e\r\ndata: x\r\n\r\n",
        &[("e", "x", "", None)],
    ),
    (
        "lone CR line ends",
        b"event: e\rdata: x\r\r",
        &[("e", "x", "", None)],
    ),
    (
        "mixed line ends",
        b"data: a\rdata: b\r\ndata: c\n\r\n",
        &[("message", "a\nb\nc", "", None)],
    ),
    (
        "CR LF CR is two line ends",
        b"data: x\r\n\rdata: y\n\n",
        &[("message", "x", "", None), ("message", "y", "", None)],
    ),
    (
        "id sets last event id",
        b"id: 7\ndata: x\n\n",
        &[("message", "x", "7", None)],
    ),
    (
        "last event id persists",
        b"id: 7\ndata: x\n\ndata: y\n\n",
        &[("message", "x", "7", None), ("message", "y", "7", None)],
    ),
    (
        "empty id resets",
        b"id: 7\ndata: x\n\nid\ndata: y\n\n",
        &[("message", "x", "7", None), ("message", "y", "", None)],
    ),
    (
        "id with NUL ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        &[("message", "a", "1", None), ("message", "b", "1", None)],
    ),
    (
        "id updated by a block with no data",
        b"id: 9\n\ndata: x\n\n",
        &[("message", "x", "9", None)],
    ),
    (
        "retry digits",
        b"retry: 1500\ndata: x\n\n",
        &[("message", "x", "", Some(1500))],
    ),
    (
        "retry non-digits ignored",
        b"retry: 15a\ndata: x\n\nretry: -1\ndata: y\n\nretry:\ndata: z\n\n",
        &[
            ("message", "x", "", None),
            ("message", "y", "", None),
            ("message", "z", "", None),
        ],
    ),
    (
        "retry with space before digits ignored",
        b"retry:  10\ndata: x\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "leading BOM stripped",
        b"\xEF\xBB\xBFdata: x\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "BOM makes first field a BOM-prefixed name when doubled",
        b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n",
        &[("message", "y", "", None)],
    ),
    (
        "BOM later in the stream is content",
        b"data: \xEF\xBB\xBFx\n\n",
        &[("message", "\u{FEFF}x", "", None)],
    ),
    (
        "partial BOM is content",
        b"\xEF\xBBdata: x\n\ndata: y\n\n",
        &[("message", "y", "", None)],
    ),
    (
        "invalid UTF-8 replaced",
        b"data: a\xFFb\n\n",
        &[("message", "a\u{FFFD}b", "", None)],
    ),
    (
        "truncated multibyte before LF replaced",
        b"data: \xE2\x82\n\n",
        &[("message", "\u{FFFD}", "", None)],
    ),
    (
        "multibyte characters",
        "data: h\u{e9}llo \u{1F600}\n\n".as_bytes(),
        &[("message", "h\u{e9}llo \u{1F600}", "", None)],
    ),
    (
        "NUL in data kept",
        b"data: a\x00b\n\n",
        &[("message", "a\u{0}b", "", None)],
    ),
    (
        "unterminated last event discarded",
        b"data: x\n\ndata: y\n",
        &[("message", "x", "", None)],
    ),
    ("unterminated last line discarded", b"data: x", &[]),
    (
        "many blank lines",
        b"\n\n\ndata: x\n\n\n\n",
        &[("message", "x", "", None)],
    ),
    (
        "event type with trailing space kept",
        b"event: a \ndata: x\n\n",
        &[("a ", "x", "", None)],
    ),
    (
        "not SSE at all",
        b"<html><body>502 Bad Gateway</body></html>\n",
        &[],
    ),
];

fn run(parser: &mut Parser, chunks: &[&[u8]]) -> Vec<Event> {
    let mut events = Vec::new();
    for chunk in chunks {
        parser.push(chunk, &mut |e| events.push(e)).expect("feed");
    }
    events
}

fn expected(case: &Case) -> Vec<Event> {
    case.2
        .iter()
        .map(|(t, d, id, retry)| Event {
            event_type: (*t).into(),
            data: (*d).into(),
            last_event_id: (*id).into(),
            retry: *retry,
        })
        .collect()
}

#[test]
fn conformance_whole() {
    for case in CASES {
        let got = run(&mut Parser::default(), &[case.1]);
        assert_eq!(got, expected(case), "{}", case.0);
    }
}

#[test]
fn conformance_split_at_every_byte() {
    for case in CASES {
        for at in 0..=case.1.len() {
            let (a, b) = case.1.split_at(at);
            let got = run(&mut Parser::default(), &[a, b]);
            assert_eq!(got, expected(case), "{} split at {at}", case.0);
        }
    }
}

#[test]
fn conformance_one_byte_chunks() {
    for case in CASES {
        let chunks: Vec<&[u8]> = case.1.chunks(1).collect();
        assert_eq!(
            run(&mut Parser::default(), &chunks),
            expected(case),
            "{}",
            case.0
        );
    }
}

#[test]
fn conformance_random_splits() {
    let mut rng = XorShift::new(seed());
    for case in CASES {
        for _ in 0..20 {
            let chunks = random_chunks(&mut rng, case.1, 4);
            assert_eq!(
                run(&mut Parser::default(), &chunks),
                expected(case),
                "{} (SSE_SEED={})",
                case.0,
                seed()
            );
        }
    }
}

#[test]
fn split_crlf_is_one_line_end() {
    // "data: x\r" | "\n" | "\r\n": the LF completes the CR, so exactly one event.
    let got = run(&mut Parser::default(), &[b"data: x\r", b"\n", b"\r\n"]);
    assert_eq!(got.len(), 1);
    // And a CR at a chunk end followed by a non-LF is a line end by itself.
    let got = run(&mut Parser::default(), &[b"data: x\r", b"\rdata: y\n\n"]);
    assert_eq!(
        got.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
        ["x", "y"]
    );
}

#[test]
fn multibyte_split_across_chunks_decodes() {
    let text = "data: \u{1F600}\u{e9}\n\n".as_bytes();
    for at in 0..text.len() {
        let got = run(&mut Parser::default(), &[&text[..at], &text[at..]]);
        assert_eq!(got[0].data, "\u{1F600}\u{e9}");
    }
}

#[test]
fn finish_reports_discarded_partial_event() {
    let mut p = Parser::default();
    run(&mut p, &[b"data: x\n\ndata: y"]);
    assert!(p.finish().unwrap());
    let mut p = Parser::default();
    run(&mut p, &[b"data: x\n\n"]);
    assert!(!p.finish().unwrap());
}

#[test]
fn reconnection_time_from_retry_only_block() {
    let mut p = Parser::default();
    assert!(run(&mut p, &[b"retry: 3000\n\n"]).is_empty());
    assert_eq!(p.reconnection_time(), Some(3000));
}

#[test]
fn line_limit_is_a_typed_error_and_poisons() {
    let limits = Limits::default().with_max_line_bytes(16);
    for chunking in [1usize, 5, 100] {
        let mut p = Parser::new(limits);
        let input = b"data: 0123456789abcdefghij\n\n";
        let mut err = None;
        for chunk in input.chunks(chunking) {
            if let Err(e) = p.push(chunk, &mut |_| {}) {
                err = Some(e);
                break;
            }
        }
        let err = err.expect("limit enforced");
        assert_eq!(err.code(), "max-buffer-exceeded");
        assert_eq!(
            err,
            SseError::MaxBufferExceeded {
                what: "line",
                limit: 16
            }
        );
        assert_eq!(p.push(b"data: ok\n\n", &mut |_| {}), Err(err));
    }
}

#[test]
fn event_limit_is_a_typed_error() {
    let limits = Limits::default().with_max_event_bytes(10);
    let mut p = Parser::new(limits);
    let err = p
        .push(b"data: 12345\ndata: 67890\n\n", &mut |_| {})
        .unwrap_err();
    assert_eq!(
        err,
        SseError::MaxBufferExceeded {
            what: "event",
            limit: 10
        }
    );
}

#[test]
fn hundred_megabyte_line_with_one_megabyte_limit_stays_bounded() {
    let limits = Limits::default().with_max_line_bytes(1 << 20);
    let mut p = Parser::new(limits);
    let chunk = vec![b'a'; 64 * 1024];
    p.push(b"data: ", &mut |_| {}).unwrap();
    let mut fed = 6usize;
    let mut failed_at = None;
    while fed < 100 << 20 {
        if let Err(e) = p.push(&chunk, &mut |_| {}) {
            assert_eq!(e.code(), "max-buffer-exceeded");
            failed_at = Some(fed);
            break;
        }
        fed += chunk.len();
    }
    // The error comes as soon as the buffered line passes 1 MiB, not after 100 MB.
    let failed_at = failed_at.expect("error");
    assert!(
        failed_at <= (1 << 20) + chunk.len(),
        "failed at {failed_at}"
    );
}

/// Every valid `retry` field is reported as `Segment::Retry` where its line is
/// read (before its block's event), also in a block that dispatches nothing,
/// in the same order for any split; `feed_bytes` (the sanitizer's path) does
/// not report them.
#[test]
fn retry_fields_are_reported_in_order_also_without_an_event() {
    use sse_sanitizer::sse::Segment;
    let input: &[u8] =
        b"\nretry: 500\n\ndata: first\n\nretry: 50x\n\nretry: 7\nretry: 8\ndata: second\n\nretry:9\r\r";
    let log = |chunks: &[&[u8]]| {
        let mut parser = Parser::default();
        let mut log = Vec::new();
        for chunk in chunks {
            parser
                .push_segments(chunk, &mut |s| match s {
                    Segment::Retry(ms) => log.push(format!("retry {ms}")),
                    Segment::Event { event, .. } => log.push(format!("event {}", event.data)),
                    Segment::Empty { .. } | Segment::CrLfTail => {}
                })
                .unwrap();
        }
        (log, parser.reconnection_time())
    };
    let whole = log(&[input]);
    assert_eq!(
        whole.0,
        [
            "retry 500",
            "event first",
            "retry 7",
            "retry 8",
            "event second",
            "retry 9"
        ]
    );
    assert_eq!(whole.1, Some(9));
    for at in 0..=input.len() {
        assert_eq!(log(&[&input[..at], &input[at..]]), whole, "split at {at}");
    }
    let mut bytes_segments = 0;
    Parser::default()
        .push_bytes(input, &mut |_| bytes_segments += 1)
        .unwrap();
    assert_eq!(bytes_segments, 6, "blocks only");
}
