//! Hostile input: every case ends in a typed error or a report entry, with
//! bounded memory, never a panic. Peak heap is measured per case by a counting
//! global allocator (the tests run one at a time); run
//! `cargo test --test hostile -- --nocapture` to see the figures.
//!
//! Sizes are real (a 100 MB line, a 50 MB body, millions of events) but the
//! input is generated and fed in big chunks, so the suite stays fast in debug.

mod support;

use serde_json::{json, Value};
use sse_sanitizer::claude::{
    sanitize, Accumulator, NoteCode, Report, SanitizerOptions, StreamSanitizer,
};
use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::sse::{Event, Parser};
use sse_sanitizer::{AccumulateError, HistoryError, Limits, SseError};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use support::stream::{
    block_stop, event, message_start, message_stop, text_delta, text_start, MESSAGE_START,
};
use support::{corpus_dir, message_value};

const MB: usize = 1 << 20;

/// One hostile test at a time, so that each peak belongs to one test (VmHWM
/// is per process): every test holds this lock from its first line.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts live heap bytes and their peak, so that each test's figure is its
/// own (RSS keeps pages the allocator already freed).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call goes straight to `System`; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn vm_hwm_mib() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<usize>().ok()? / 1024)
}

/// Runs `f` and returns the peak of live heap bytes above the live bytes at
/// the start, in MiB. Prints it with the time taken and the process's VmHWM
/// (peak RSS so far, Linux).
fn peak_mib(name: &str, f: impl FnOnce()) -> usize {
    let start = LIVE.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    let t = Instant::now();
    f();
    let rise = PEAK.load(Ordering::Relaxed).saturating_sub(start) / MB;
    let hwm = vm_hwm_mib().map_or("n/a".to_string(), |m| format!("{m} MiB"));
    println!(
        "{name}: peak heap +{rise} MiB, {:.1} s, process VmHWM {hwm}",
        t.elapsed().as_secs_f64()
    );
    rise
}

fn assert_peak_below(rise: usize, mib: usize) {
    assert!(rise < mib, "peak heap rose by {rise} MiB (bound {mib} MiB)");
}

/// A sanitizer run that counts output bytes instead of keeping them.
fn sanitize_stream(
    options: SanitizerOptions,
    chunks: impl Iterator<Item = Vec<u8>>,
) -> (u64, u64, Report) {
    let mut sanitizer = StreamSanitizer::new(options);
    let (mut fed, mut written) = (0u64, 0u64);
    let mut out = Vec::new();
    for chunk in chunks {
        fed += chunk.len() as u64;
        sanitizer.push(&chunk, &mut out);
        written += out.len() as u64;
        out.clear();
    }
    let report = sanitizer.finish(&mut out);
    written += out.len() as u64;
    (fed, written, report)
}

fn accumulate(events: &[Event]) -> Result<Value, AccumulateError> {
    let mut acc = Accumulator::new();
    for e in events {
        acc.push(&e.event_type, &e.data)?;
    }
    acc.finish().map(|m| message_value(&m))
}

fn events_of(bytes: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut parser = Parser::default();
    parser.push(bytes, &mut |e| events.push(e)).unwrap();
    parser.finish().unwrap();
    events
}

/// A 100 MB line, fed in 1 MiB chunks with default limits: the parser stops
/// at 8 MiB with `max-buffer-exceeded` and stays poisoned; the sanitizer
/// notes it and passes every byte through; memory stays near the limits.
#[test]
fn hundred_megabyte_line() {
    let _serial = serial();
    let total = 100 * MB;
    let chunks = || {
        let head = message_start() + "data: ";
        std::iter::once(head.into_bytes()).chain((0..total / MB).map(|_| vec![b'a'; MB]))
    };

    let rise = peak_mib("100 MB line, parser", || {
        let mut parser = Parser::default();
        let mut events = 0;
        let mut error = None;
        for chunk in chunks() {
            if let Err(e) = parser.push(&chunk, &mut |_| events += 1) {
                error = Some(e);
                break;
            }
        }
        let limit = Limits::default().max_line_bytes;
        let expected = SseError::MaxBufferExceeded {
            what: "line",
            limit,
        };
        assert_eq!(error.as_ref(), Some(&expected));
        assert_eq!(events, 1);
        // Poisoned: every later call gives the same error.
        assert_eq!(parser.push(b"\n\n", &mut |_| ()), Err(expected.clone()));
        assert_eq!(parser.finish(), Err(expected));
    });
    assert_peak_below(rise, 40);

    let rise = peak_mib("100 MB line, sanitizer", || {
        let (fed, written, report) = sanitize_stream(SanitizerOptions::default(), chunks());
        assert_eq!(fed, written, "every byte passes through");
        assert_eq!(report.events_seen, 1);
        let codes: Vec<_> = report.notes.iter().map(|n| n.code).collect();
        assert_eq!(codes, ["max-buffer-exceeded"]);
    });
    assert_peak_below(rise, 80);
}

/// 10 000 nested arrays inside an event's data: no stack overflow anywhere.
#[test]
fn ten_thousand_deep_json_in_sse_data() {
    let _serial = serial();
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let cases = [
        // In a delta of a held (so far empty) text block: valid JSON, so the
        // block is dropped; the accumulator's serde_json stops at depth 128.
        message_start()
            + &text_start("0", "")
            + &event(
                "content_block_delta",
                &format!(
                    r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":""}},"x":{deep}}}"#
                ),
            )
            + &block_stop("0")
            + &message_stop(),
        // As the started block itself, and as an unknown event.
        message_start()
            + &event(
                "content_block_start",
                &format!(r#"{{"type":"content_block_start","index":0,"content_block":{deep}}}"#),
            )
            + &event("whatever", &deep)
            + &message_stop(),
        // As a tool input, stopped and unstopped.
        message_start()
            + &event(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#,
            )
            + &event(
                "content_block_delta",
                &format!(
                    r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta","partial_json":"{deep}"}}}}"#
                ),
            )
            + &block_stop("0"),
        message_start()
            + &event(
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}"#,
            )
            + &event(
                "content_block_delta",
                &format!(
                    r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"input_json_delta","partial_json":"{}"}}}}"#,
                    "[".repeat(10_000)
                ),
            ),
    ];
    let rise = peak_mib("10k-deep JSON in SSE data", || {
        for (i, input) in cases.iter().enumerate() {
            let (out, report) = sanitize(input.as_bytes(), &SanitizerOptions::default());
            if i == 0 {
                assert_eq!(report.blocks_dropped.len(), 1);
                assert_eq!(out, (message_start() + &message_stop()).as_bytes());
            } else {
                assert_eq!(report.blocks_dropped, vec![], "case {i}");
                assert_eq!(out, input.as_bytes(), "case {i}");
            }
            match (i, accumulate(&events_of(input.as_bytes()))) {
                (0 | 1, Err(AccumulateError::InvalidJson { .. })) => {}
                (2, Err(AccumulateError::InvalidToolInput { index: 0, .. })) => {}
                // No message_stop: no final message, as in the SDK.
                (3, Err(AccumulateError::Incomplete)) => {}
                (i, other) => panic!("case {i}: {other:?}"),
            }
        }
    });
    assert_peak_below(rise, 20);
}

/// 10 000 nested arrays in a request body: `max-depth-exceeded`, both ways.
#[test]
fn ten_thousand_deep_request_body() {
    let _serial = serial();
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let body = format!(
        r#"{{"messages":[{{"role":"user","content":[{{"type":"text","text":"x","y":{deep}}}]}}]}}"#
    );
    let rise = peak_mib("10k-deep request body", || {
        let limits = Limits::default();
        let expected = HistoryError::MaxDepthExceeded {
            limit: limits.max_json_depth,
        };
        let e = normalize_bytes(body.as_bytes(), &NormalizeOptions::default()).unwrap_err();
        assert_eq!((e.code(), &e), ("max-depth-exceeded", &expected));
        let e = validate_bytes(body.as_bytes(), Profile::Anthropic, &limits).unwrap_err();
        assert_eq!(e, expected);
        // A bare array too.
        let e = validate_bytes(deep.as_bytes(), Profile::Bedrock, &limits).unwrap_err();
        assert_eq!(e, expected);
    });
    assert_peak_below(rise, 20);
}

/// Invalid UTF-8 and NUL bytes in every field, in JSON strings and in keys.
#[test]
fn invalid_utf8_and_nul_everywhere() {
    let _serial = serial();
    let dirt: [&[u8]; 6] = [
        b"\xFF",
        b"\xC3",
        b"\xED\xA0\x80",
        b"\0",
        b"\xEF\xBB",
        b"\x80\0\xFE",
    ];
    let clean = message_start()
        + &text_start("0", "")
        + &text_delta("0", "hi")
        + &block_stop("0")
        + &text_start("1", "")
        + &block_stop("1")
        + &message_stop();
    let clean = clean.as_bytes();
    peak_mib("invalid UTF-8 and NUL", || {
        for d in dirt {
            // Insert the bytes at every position of a stream with one droppable block.
            for at in 0..=clean.len() {
                let mut input = clean[..at].to_vec();
                input.extend_from_slice(d);
                input.extend_from_slice(&clean[at..]);
                let (out, report) = sanitize(&input, &SanitizerOptions::default());
                if report.blocks_dropped.is_empty() && report.events_changed == 0 {
                    assert_eq!(out, input);
                }
                let mut events = Vec::new();
                let mut parser = Parser::default();
                parser.push(&input, &mut |e| events.push(e)).unwrap();
                let _ = parser.finish();
                for e in &events {
                    assert!(!e.last_event_id.contains('\0'));
                }
                let _ = accumulate(&events);
            }
        }
        // Request bodies: invalid UTF-8 is invalid JSON; NUL escapes are data.
        let body = "{\"messages\":[{\"role\":\"user\",\"content\":\"\u{0}\\u0000\"}]}";
        assert!(normalize_bytes(body.as_bytes(), &NormalizeOptions::default()).is_err());
        let body = br#"{"messages":[{"role":"user","content":"\u0000"}]}"#;
        let (out, changes) = normalize_bytes(body, &NormalizeOptions::default()).unwrap();
        assert!(changes.is_empty() && out.as_ref() == body);
        for d in dirt.iter().filter(|d| **d != b"\0") {
            let mut body = br#"{"messages":[{"role":"user","content":"x"#.to_vec();
            body.extend_from_slice(d);
            body.extend_from_slice(br#""}]}"#);
            let e = normalize_bytes(&body, &NormalizeOptions::default()).unwrap_err();
            assert_eq!(e.code(), "invalid-json");
            let e = validate_bytes(&body, Profile::Anthropic, &Limits::default()).unwrap_err();
            assert_eq!(e.code(), "invalid-json");
        }
    });
}

/// A real stream (with a real empty text block) cut at every byte, through
/// the sanitizer and the accumulator.
#[test]
fn real_stream_truncated_at_every_byte() {
    let _serial = serial();
    let input = std::fs::read(
        corpus_dir()
            .join("streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse"),
    )
    .unwrap();
    let (_, full) = sanitize(&input, &SanitizerOptions::default());
    assert_eq!(full.blocks_dropped.len(), 1);
    peak_mib("real stream cut at every byte", || {
        for at in 0..=input.len() {
            let prefix = &input[..at];
            let (out, report) = sanitize(prefix, &SanitizerOptions::default());
            if report.blocks_dropped.is_empty() && report.events_changed == 0 {
                assert_eq!(out, prefix, "cut at {at}");
            }
            let complete = at == input.len() || at == 0;
            assert!(complete || report.truncated, "cut at {at}: {report:?}");
            // In two pieces, cut again in the middle: the same result.
            let mut s = StreamSanitizer::new(SanitizerOptions::default());
            let mut out2 = Vec::new();
            s.push(&prefix[..at / 2], &mut out2);
            s.push(&prefix[at / 2..], &mut out2);
            s.finish(&mut out2);
            assert_eq!(out2, out, "cut at {at}");

            let mut events = Vec::new();
            let mut parser = Parser::default();
            parser.push(prefix, &mut |e| events.push(e)).unwrap();
            parser.finish().unwrap();
            match accumulate(&events) {
                Ok(message) => assert_eq!(message["role"], "assistant"),
                Err(e) => assert!(
                    matches!(e, AccumulateError::NoMessage | AccumulateError::Incomplete),
                    "cut at {at}: {e:?}"
                ),
            }
        }
    });
}

/// A "billion laughs" stream: millions of tiny events and dropped blocks. The
/// report stays bounded; the per-message drop list grows by 8 bytes a block.
#[test]
fn millions_of_tiny_events() {
    let _serial = serial();
    let rise = peak_mib("2 million tiny events", || {
        // 2 million unnamed non-Claude events, each a note the report caps.
        let chunk = b"data:x\n\n".repeat(64 * 1024);
        let (fed, written, report) =
            sanitize_stream(SanitizerOptions::default(), (0..32).map(|_| chunk.clone()));
        assert_eq!(fed, written);
        assert_eq!(report.events_seen, 2 * MB as u64);
        assert_eq!(report.notes.len(), Report::MAX_ENTRIES + 1);
        assert_eq!(report.notes.last().unwrap().code, "report-truncated");
    });
    assert_peak_below(rise, 30);

    let rise = peak_mib("100 000 empty text blocks", || {
        let blocks = 100_000;
        let one = |i: usize| (text_start(i, "") + &block_stop(i)).into_bytes();
        let visible = text_start("100000", "") + &text_delta("100000", "x") + &block_stop("100000");
        let chunks = std::iter::once(message_start().into_bytes())
            .chain(
                (0..blocks)
                    .step_by(1000)
                    .map(|i| (i..i + 1000).flat_map(one).collect()),
            )
            .chain(std::iter::once((visible + &message_stop()).into_bytes()));
        let mut sanitizer = StreamSanitizer::new(SanitizerOptions::default());
        let mut out = Vec::new();
        for chunk in chunks {
            sanitizer.push(&chunk, &mut out);
        }
        let report = sanitizer.finish(&mut out);
        assert_eq!(report.blocks_dropped.len(), Report::MAX_ENTRIES);
        assert_eq!(report.events_changed, 2 * blocks as u64 + 3);
        // All that is left: the visible block, renumbered to 0.
        let expected =
            message_start() + &text_start("0", "") + &text_delta("0", "x") + &block_stop("0");
        assert_eq!(String::from_utf8(out).unwrap(), expected + &message_stop());
    });
    assert_peak_below(rise, 30);

    peak_mib("200 000 text deltas, accumulated", || {
        let mut acc = Accumulator::new();
        acc.push("message_start", MESSAGE_START).unwrap();
        let start =
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#;
        acc.push("content_block_start", start).unwrap();
        let delta =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#;
        for _ in 0..200_000 {
            acc.push("content_block_delta", delta).unwrap();
        }
        acc.push("message_stop", r#"{"type":"message_stop"}"#)
            .unwrap();
        let message = message_value(&acc.finish().unwrap());
        assert_eq!(
            message["content"][0]["text"].as_str().unwrap().len(),
            200_000
        );
    });
}

/// Indices that are not u64s: passed through, never renumbered, never a panic.
#[test]
fn absurd_indices() {
    let _serial = serial();
    for index in [
        "1e300",
        "-1",
        "\"3\"",
        "18446744073709551616",
        "1.0",
        "null",
        "{}",
    ] {
        // After a dropped block, so that renumbering is active.
        let input = message_start()
            + &text_start("0", "")
            + &block_stop("0")
            + &text_start(index, "")
            + &text_delta(index, "x")
            + &block_stop(index)
            + &message_stop();
        let (out, report) = sanitize(input.as_bytes(), &SanitizerOptions::default());
        let expected = message_start()
            + &text_start(index, "")
            + &text_delta(index, "x")
            + &block_stop(index)
            + &message_stop();
        assert_eq!(String::from_utf8(out).unwrap(), expected, "index {index}");
        assert_eq!(report.blocks_dropped.len(), 1);
        // The accumulator appends the started block and ignores the delta it
        // cannot place.
        let message = accumulate(&events_of(input.as_bytes())).unwrap();
        assert_eq!(message["content"][1]["text"], "", "index {index}");
    }
    // u64::MAX is a valid index: renumbered to u64::MAX - 1.
    let max = u64::MAX.to_string();
    let input = message_start() + &text_start("0", "") + &block_stop("0") + &block_stop(&max);
    let (out, _) = sanitize(input.as_bytes(), &SanitizerOptions::default());
    let expected = message_start() + &block_stop(u64::MAX - 1);
    assert_eq!(String::from_utf8(out).unwrap(), expected);
}

/// A second `message_start`: the accumulator refuses it (as the SDK does); the
/// sanitizer treats it as a new message (indices restart) and drops nothing
/// it should not.
#[test]
fn duplicated_message_start() {
    let _serial = serial();
    let input = message_start()
        + &text_start("0", "")
        + &message_start()
        + &text_start("0", "")
        + &block_stop("0")
        + &text_start("1", "")
        + &text_delta("1", "x")
        + &block_stop("1")
        + &message_stop();
    let (out, report) = sanitize(input.as_bytes(), &SanitizerOptions::default());
    let expected = message_start()
        + &text_start("0", "")
        + &message_start()
        + &text_start("0", "")
        + &text_delta("0", "x")
        + &block_stop("0")
        + &message_stop();
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(report.notes[0].code, "unterminated-block");
    assert_eq!(report.blocks_dropped[0].message, 1);
    assert_eq!(
        accumulate(&events_of(input.as_bytes())),
        Err(AccumulateError::UnexpectedMessageStart)
    );
}

/// A 50 MB request body: `body-too-large` under the default 32 MiB limit;
/// normalized (and its empty block removed) once the limit is raised.
#[test]
fn fifty_megabyte_request_body() {
    let _serial = serial();
    let text = "a".repeat(50 * MB);
    let body = json!({"messages": [
        {"role": "user", "content": text},
        {"role": "assistant", "content": [{"type": "text", "text": ""}, {"type": "text", "text": "ok"}]},
        {"role": "user", "content": "more"},
    ]})
    .to_string()
    .into_bytes();
    drop(text);
    let rise = peak_mib("50 MB request body", || {
        let e = normalize_bytes(&body, &NormalizeOptions::default()).unwrap_err();
        assert_eq!(
            e,
            HistoryError::BodyTooLarge {
                size: body.len(),
                limit: 32 * MB
            }
        );
        let e = validate_bytes(&body, Profile::Anthropic, &Limits::default()).unwrap_err();
        assert_eq!(e.code(), "body-too-large");

        let limits = Limits::default().with_max_body_bytes(64 * MB);
        let options = NormalizeOptions {
            limits,
            ..Default::default()
        };
        let (out, changes) = normalize_bytes(&body, &options).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].rule, "empty-text");
        assert_eq!(
            out.len(),
            body.len() - r#"{"type":"text","text":""},"#.len()
        );
        assert!(validate_bytes(&out, Profile::Anthropic, &limits)
            .unwrap()
            .is_empty());
    });
    // The indexer's node table (it reserves 1 byte per input byte) plus the
    // output copy: about twice the body, never more.
    assert_peak_below(rise, 2 * 50 + 10);
}

/// What an instance does after a limit (see the `claude` module docs): after
/// `max-buffer-exceeded`, pass-through for good; after `held-limit-exceeded`,
/// only that block is kept and later blocks are still dropped.
#[test]
fn state_after_limits() {
    let _serial = serial();
    let empty_block = text_start("1", "") + &block_stop("1");
    let options = SanitizerOptions {
        limits: Limits::default()
            .with_max_line_bytes(300)
            .with_max_held_bytes(400),
        ..Default::default()
    };

    let long_line = format!("data: {}\n\n", "a".repeat(400));
    let input =
        message_start() + &text_start("0", "") + &block_stop("0") + &long_line + &empty_block;
    let (out, report) = sanitize(input.as_bytes(), &options);
    let expected = message_start() + &long_line + &empty_block;
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    let codes: Vec<_> = report.notes.iter().map(|n| n.code).collect();
    assert!(codes.contains(&NoteCode::MaxBufferExceeded), "{codes:?}");
    assert_eq!(report.blocks_dropped.len(), 1);

    let pings = event("ping", r#"{"type":"ping"}"#).repeat(10);
    let held_too_long = text_start("0", "") + &pings + &block_stop("0");
    let input = message_start() + &held_too_long + &empty_block + &message_stop();
    let (out, report) = sanitize(input.as_bytes(), &options);
    let expected = message_start() + &held_too_long + &message_stop();
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert_eq!(report.notes[0].code, "held-limit-exceeded");
    assert_eq!(report.blocks_dropped[0].index, 1);
}

/// Bodies of many tiny items (`[1,1,…]`, `{}`) in every list the history
/// engine holds per item (messages, a message's blocks, the system prompt, a
/// tool_result's content, an orphan tool_result's content made into blocks):
/// refused with `invalid-shape`, heap within twice the body plus a constant.
/// Real items of the same lists at the same size are not refused.
#[test]
fn bodies_of_tiny_items() {
    let _serial = serial();
    let n = 8 * MB;
    let many = |item: &str, room: usize| vec![item; room / (item.len() + 1)].join(",");
    let tiny = [
        (
            "messages",
            format!(r#"{{"model":"m","messages":[{}]}}"#, many("1", n)),
        ),
        (
            "empty messages",
            format!(r#"{{"model":"m","messages":[{}]}}"#, many("{}", n)),
        ),
        (
            "blocks",
            format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":[{}]}}]}}"#,
                many("1", n)
            ),
        ),
        (
            "system",
            format!(
                r#"{{"model":"m","system":[{}],"messages":[{{"role":"user","content":"q"}}]}}"#,
                many("{}", n)
            ),
        ),
        (
            "tool_result content",
            format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":"q"}},{{"role":"assistant","content":[{{"type":"tool_use","id":"t","name":"f","input":{{}}}}]}},{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{}]}}]}}]}}"#,
                many("1", n)
            ),
        ),
        (
            "orphan tool_result content",
            format!(
                r#"{{"model":"m","messages":[{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{}]}}]}}]}}"#,
                many("1", n)
            ),
        ),
    ];
    for (name, body) in &tiny {
        let rise = peak_mib(name, || {
            let e = normalize_bytes(body.as_bytes(), &NormalizeOptions::default()).unwrap_err();
            assert_eq!(e.code(), "invalid-shape", "{name}: {e}");
            let e = validate_bytes(body.as_bytes(), Profile::Anthropic, &Limits::default())
                .unwrap_err();
            assert_eq!(e.code(), "invalid-shape", "{name}: {e}");
        });
        assert_peak_below(rise, 2 * 8 + 5);
    }
    // A breakpoint on a tool among millions of tiny items, one more than the
    // cap allows: the fix would hold the whole tools list.
    let cc = r#"{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}"#;
    let tools = format!(
        r#"{{"model":"m","tools":[{{"name":"t","input_schema":{{}},"cache_control":{{"type":"ephemeral"}}}},{}],"messages":[{{"role":"user","content":[{cc},{cc},{cc},{cc}]}}]}}"#,
        many("1", n)
    );
    let options = NormalizeOptions {
        cap_cache_control: true,
        ..Default::default()
    };
    let rise = peak_mib("tools", || {
        let e = normalize_bytes(tools.as_bytes(), &options).unwrap_err();
        assert_eq!(e.code(), "invalid-shape", "tools: {e}");
    });
    assert_peak_below(rise, 2 * 8 + 5);

    let real = [
        format!(
            r#"{{"model":"m","messages":[{}]}}"#,
            many(r#"{"role":"user","content":"q"}"#, n)
        ),
        format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":[{}]}}]}}"#,
            many(r#"{"type":"text","text":""}"#, n)
        ),
        format!(
            r#"{{"model":"m","system":[{}],"messages":[{{"role":"user","content":"q"}}]}}"#,
            many(r#"{"type":"text","text":""}"#, n)
        ),
        format!(
            r#"{{"model":"m","messages":[{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t","content":[{}]}}]}}]}}"#,
            many(r#"{"type":"text","text":""}"#, n)
        ),
    ];
    for (i, body) in real.iter().enumerate() {
        let (_, changes) = normalize_bytes(body.as_bytes(), &NormalizeOptions::default()).unwrap();
        // The first (one-word user messages) needs no change for Anthropic.
        assert_eq!(changes.is_empty(), i == 0);
        validate_bytes(body.as_bytes(), Profile::Anthropic, &Limits::default()).unwrap();
    }
}
