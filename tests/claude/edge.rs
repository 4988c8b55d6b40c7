//! Broken, hostile and huge streams: no panic, no lost bytes, bounded
//! buffering, and a report that says what happened.

use crate::support::claude::*;
use crate::support::stream::{
    block_stop, event, message_end, message_start, overloaded, ping, text_delta, text_start,
};
use crate::support::{corpus_file, seed, XorShift};
use sse_sanitizer::claude::{
    sanitize, Accumulator, NoteCode, Report, SanitizerOptions, StreamSanitizer,
};
use sse_sanitizer::Profile;
use sse_sanitizer::{AccumulateError, Limits};

fn codes(report: &Report) -> Vec<NoteCode> {
    report.notes.iter().map(|n| n.code).collect()
}
/// The options these cases run with: the `bedrock` profile, under which both
/// empty and whitespace-only text blocks are blank (the stricter rule).
fn default() -> SanitizerOptions {
    SanitizerOptions {
        profile: Profile::Bedrock,
        ..SanitizerOptions::default()
    }
}
/// Whole, 1-byte and random chunks agree; returns the whole run.
fn sanitize_all_ways(input: &[u8], options: &SanitizerOptions) -> (Vec<u8>, Report) {
    let whole = sanitize(input, options);
    let bytewise = run_chunked(input, &[1], options);
    assert!(bytewise.0 == whole.0, "1-byte chunks differ");
    assert_eq!(bytewise.1, whole.1, "1-byte chunks differ");
    let mut rng = XorShift::new(seed() ^ input.len() as u64);
    let sizes = random_sizes(&mut rng, 100);
    let chunked = run_chunked(input, &sizes, options);
    assert!(
        chunked.0 == whole.0,
        "chunks {sizes:?} differ (SSE_SEED={})",
        seed()
    );
    assert_eq!(chunked.1, whole.1);
    whole
}

#[test]
fn truncation_at_every_event_boundary() {
    for name in [
        "streams/vercel-ai__anthropic-web-search-tool.1.sse",
        "streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse",
        "streams/anthropic-sdk-python__incomplete_partial_json_response.sse",
    ] {
        let input = corpus_file(name);
        let (blocks, _) = raw_blocks(&input);
        for k in 0..=blocks.len() {
            let prefix: Vec<u8> = blocks[..k].concat();
            let (output, report) = sanitize(&prefix, &default());
            check_against_model(&prefix, &output, true);
            let ends_complete = k == 0
                || events(&prefix)
                    .last()
                    .is_some_and(|e| e.event_type == "message_stop");
            assert_eq!(report.truncated, !ends_complete, "{name} cut at {k}");
            assert_eq!(
                report.notes.iter().any(|n| n.code == "truncated"),
                !ends_complete
            );
            // Cut inside the next event too: the partial event comes out as is.
            if let Some(next) = blocks.get(k) {
                let mut cut = prefix.clone();
                cut.extend_from_slice(&next[..next.len() / 2]);
                let (out2, report2) = sanitize_all_ways(&cut, &default());
                let mut expected = output.clone();
                expected.extend_from_slice(&next[..next.len() / 2]);
                assert!(out2 == expected, "{name} cut inside event {k}");
                assert!(report2.truncated);
            }
        }
    }
}

/// An `error` event in the middle of a real stream passes through, noted,
/// and the accumulator surfaces it. (Inside a blank block, and at the end with
/// a block open: the specs `sanitizer/error-event-*`.)
#[test]
fn error_event_mid_stream() {
    let error = overloaded();
    // In a real stream.
    let real = corpus_file(
        "streams/chatlas__test_provider_anthropic_test_anthropic_simple_streaming_request.sse",
    );
    let (blocks, _) = raw_blocks(&real);
    let cut = blocks.len() / 2;
    let input = [blocks[..cut].concat(), error.clone().into_bytes()].concat();
    let (output, report) = sanitize_all_ways(&input, &default());
    assert_bytes_eq(&output, &input, "output");
    assert_eq!(codes(&report), ["error-event"]);
    let mut acc = Accumulator::new();
    let result = events(&input)
        .iter()
        .try_for_each(|e| acc.push(&e.event_type, &e.data));
    let err = result.unwrap_err();
    assert_eq!(err.code(), "upstream-error");
    assert_eq!(
        err,
        AccumulateError::Upstream {
            error_type: "overloaded_error".into(),
            message: "Overloaded".into()
        }
    );
}

/// Feeds `input` in `chunk`-byte pieces; returns the output and the largest
/// number of fed bytes not yet written out after a push.
fn lag(input: &[u8], chunk: usize, options: &SanitizerOptions) -> (Vec<u8>, Report, usize) {
    let mut sanitizer = StreamSanitizer::new(options.clone());
    let mut out = Vec::new();
    let mut max_lag = 0;
    for (k, piece) in input.chunks(chunk).enumerate() {
        sanitizer.push(piece, &mut out);
        let fed = (k * chunk + piece.len()) as i64;
        max_lag = max_lag.max((fed - out.len() as i64).max(0) as usize);
    }
    let report = sanitizer.finish(&mut out);
    (out, report, max_lag)
}

#[test]
fn fifty_megabyte_text_block_is_not_buffered() {
    let piece = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(16);
    let delta = text_delta(0, &piece);
    let count = (50 << 20) / delta.len() + 1;
    let mut input = message_start() + &text_start(0, "") + &text_delta(0, " ");
    input.reserve(count * delta.len() + 1000);
    for _ in 0..count {
        input.push_str(&delta);
    }
    input += &(block_stop(0) + &message_end());
    assert!(input.len() > 50 << 20);
    let (output, report, max_lag) = lag(input.as_bytes(), 64 << 10, &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert!(report.notes.is_empty() && !report.truncated, "{report:?}");
    assert_eq!(report.events_seen as usize, count + 6);
    // Only the start, the blank first delta and one partial event wait.
    assert!(max_lag < (64 << 10) + 2 * delta.len(), "lag {max_lag}");
}

#[test]
fn whitespace_block_larger_than_the_hold_limit_is_released() {
    let mut input = message_start() + &text_start(0, "");
    while input.len() < 1_200_000 {
        input += &text_delta(0, " ");
    }
    input += &(block_stop(0) + &message_end());
    let (output, report, max_lag) = lag(input.as_bytes(), 4096, &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert!(report.blocks_dropped.is_empty());
    assert_eq!(codes(&report), ["held-limit-exceeded"]);
    assert!(
        max_lag <= Limits::default().max_held_bytes + 4096,
        "lag {max_lag}"
    );
    assert_eq!(sanitize_all_ways(input.as_bytes(), &default()).1, report);

    // A smaller limit keeps the real whitespace blocks of a real stream.
    let real = corpus_file("streams/vercel-ai__anthropic-web-search-tool.1.sse");
    let options = SanitizerOptions {
        limits: Limits::default().with_max_held_bytes(100),
        ..default()
    };
    let (output, report) = sanitize_all_ways(&real, &options);
    assert!(output == real);
    assert!(report.blocks_dropped.is_empty());
    assert!(report.notes.len() > 2 && report.notes.iter().all(|n| n.code == "held-limit-exceeded"));
}

#[test]
fn a_hundred_thousand_pings() {
    let pings = ping().repeat(100_000);
    let input = message_start() + &pings + &message_end();
    let (output, report, max_lag) = lag(input.as_bytes(), 1000, &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert_eq!(report.events_seen, 100_003);
    assert!(report.notes.is_empty());
    assert!(max_lag < 1000);

    // Inside a blank block: past the hold limit they are released.
    let input = message_start() + &text_start(0, "") + &pings + &block_stop(0) + &message_end();
    let (output, report) = sanitize(input.as_bytes(), &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert_eq!(codes(&report), ["held-limit-exceeded"]);
    // With room to hold them all, the block goes and every ping stays.
    let options = SanitizerOptions {
        limits: Limits::default().with_max_held_bytes(8 << 20),
        ..default()
    };
    let (output, report) = sanitize(input.as_bytes(), &options);
    assert_bytes_eq(
        &output,
        (message_start() + &pings + &message_end()).as_bytes(),
        "output",
    );
    assert_eq!(report.blocks_dropped.len(), 1);
    assert_eq!(report.events_changed, 2);
}

#[test]
fn buffer_limits_switch_to_pass_through() {
    let long = text_delta(1, &"x".repeat(500));
    let input = message_start()
        + &text_start(0, "")
        + &ping()
        + &long
        + &block_stop(0)
        + &text_start(1, "")
        + &block_stop(1)
        + &message_end();
    let options = SanitizerOptions {
        limits: Limits::default().with_max_line_bytes(300),
        ..default()
    };
    let (output, report) = sanitize_all_ways(input.as_bytes(), &options);
    assert!(
        output == input.as_bytes(),
        "held bytes released, the rest passed"
    );
    assert_eq!(codes(&report), ["max-buffer-exceeded"]);
    assert!(report.blocks_dropped.is_empty());

    // A block of endless comment lines (the parser keeps none of it, the
    // sanitizer would have to): bounded too.
    let comments = ": keep-alive\n".repeat(1000);
    let input = message_start()
        + &text_start(0, "")
        + &block_stop(0)
        + &comments
        + "\n"
        + &text_start(0, "")
        + &block_stop(0)
        + &message_end();
    let options = SanitizerOptions {
        limits: Limits::default()
            .with_max_line_bytes(300)
            .with_max_event_bytes(1000),
        ..default()
    };
    let (output, report) = sanitize_all_ways(input.as_bytes(), &options);
    let expected =
        message_start() + &comments + "\n" + &text_start(0, "") + &block_stop(0) + &message_end();
    assert_bytes_eq(&output, (expected).as_bytes(), "output");
    assert_eq!(codes(&report), ["max-buffer-exceeded"]);
}

#[test]
fn bom_partial_tail_and_events_before_message_start() {
    let real = corpus_file("streams/vercel-ai__anthropic-web-search-tool.1.sse");
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), &real].concat();
    let (output, report) = sanitize_all_ways(&with_bom, &default());
    assert!(output == [b"\xEF\xBB\xBF".as_slice(), &sanitize(&real, &default()).0].concat());
    assert_eq!(report.blocks_dropped.len(), 2);

    // A blank block before any message_start is still a blank block, and the
    // BOM stays when the very first block is dropped.
    let input = "\u{feff}".to_string()
        + &text_start(0, "")
        + &block_stop(0)
        + &text_start(1, "hi")
        + ": tail\n";
    let (output, report) = sanitize_all_ways(input.as_bytes(), &default());
    assert_bytes_eq(
        &output,
        ("\u{feff}".to_string() + &text_start(0, "hi") + ": tail\n").as_bytes(),
        "output",
    );
    assert_eq!(report.blocks_dropped[0].message, 0);
    assert!(
        !report.truncated,
        "a trailing comment line is no partial event"
    );
    let (_, report) = sanitize(format!("{input}\ndata: {{").as_bytes(), &default());
    assert!(report.truncated);
}

#[test]
fn non_claude_streams_pass_and_the_report_stays_small() {
    let chunk = event(
        "message",
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"delta":{"content":""}}]}"#,
    );
    let input = chunk.repeat(2000) + &event("message", "[DONE]");
    let (output, report) = sanitize(input.as_bytes(), &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert_eq!(report.notes.len(), Report::MAX_ENTRIES + 1);
    assert_eq!(report.notes.last().unwrap().code, "report-truncated");
    assert_eq!(report.events_seen, 2001);
}

#[test]
fn renumbering_rewrites_only_the_digits() {
    let split_start = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\ndata: \"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{\"index\":7}}}\n\n";
    let padded_delta = event(
        "content_block_delta",
        r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"index\": 2}"}      }"#,
    );
    let padded_stop = "event: content_block_stop\r\ndata: {\"type\":\"content_block_stop\",  \"index\" :  2 }\r\n\r\n";
    let input = message_start()
        + &text_start(0, "hi")
        + &block_stop(0)
        + &text_start(1, "")
        + &text_delta(1, "")
        + &block_stop(1)
        + split_start
        + &padded_delta
        + padded_stop
        + &message_end();
    let (output, report) = sanitize_all_ways(input.as_bytes(), &default());
    let expected = message_start()
        + &text_start(0, "hi")
        + &block_stop(0)
        + &split_start.replace("\"index\":2", "\"index\":1")
        + &padded_delta.replace("\"index\":2,", "\"index\":1,")
        + &padded_stop.replace(":  2 }", ":  1 }")
        + &message_end();
    assert_bytes_eq(&output, (expected).as_bytes(), "output");
    assert_eq!(report.events_changed, 3 + 3);
    assert_eq!(
        report.blocks_dropped[0].bytes as usize,
        text_start(1, "").len() + text_delta(1, "").len() + block_stop(1).len()
    );

    // A late event for the dropped index is left alone and noted.
    let input = message_start()
        + &text_start(0, "")
        + &block_stop(0)
        + &text_delta(0, "late")
        + &message_end();
    let (output, report) = sanitize_all_ways(input.as_bytes(), &default());
    assert_bytes_eq(
        &output,
        (message_start() + &text_delta(0, "late") + &message_end()).as_bytes(),
        "output",
    );
    assert_eq!(codes(&report), ["index-skew"]);

    // A new message starts a new numbering.
    let input = message_start()
        + &text_start(0, "")
        + &block_stop(0)
        + &text_start(1, "a")
        + &block_stop(1)
        + &message_end()
        + &message_start()
        + &text_start(0, "b")
        + &block_stop(0)
        + &message_end();
    let (output, _) = sanitize_all_ways(input.as_bytes(), &default());
    let expected = message_start()
        + &text_start(0, "a")
        + &block_stop(0)
        + &message_end()
        + &message_start()
        + &text_start(0, "b")
        + &block_stop(0)
        + &message_end();
    assert_bytes_eq(&output, (expected).as_bytes(), "output");
}

#[test]
fn only_blank_text_blocks_are_touched() {
    let thinking = event(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
    ) + &event(
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"#,
    ) + &block_stop(0);
    let redacted = event(
        "content_block_start",
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":""}}"#,
    ) + &block_stop(1);
    let cited = text_start(2, "")
        + &event(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"char_location","cited_text":"x"}}}"#,
        )
        + &block_stop(2);
    let with_citations = event(
        "content_block_start",
        r#"{"type":"content_block_start","index":3,"content_block":{"type":"text","text":"","citations":[{"type":"char_location"}]}}"#,
    ) + &block_stop(3);
    let unknown_block = event(
        "content_block_start",
        r#"{"type":"content_block_start","index":4,"content_block":{"type":"future_block","text":""}}"#,
    ) + &block_stop(4);
    let visible = text_start(5, "") + &text_delta(5, " ") + &text_delta(5, "x") + &block_stop(5);
    let input = message_start()
        + &thinking
        + &redacted
        + &cited
        + &with_citations
        + &unknown_block
        + &visible
        + &message_end();
    let (output, report) = sanitize_all_ways(input.as_bytes(), &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert_eq!(
        report,
        Report {
            events_seen: report.events_seen,
            ..Report::default()
        }
    );

    // Unknown events and comments inside a blank block stay, in place.
    let input = message_start()
        + &text_start(0, "")
        + ": comment\n\n"
        + &event("future_event", r#"{"type":"future_event"}"#)
        + &text_delta(0, "")
        + &ping()
        + &block_stop(0)
        + &message_end();
    let (output, _) = sanitize_all_ways(input.as_bytes(), &default());
    let expected = message_start()
        + ": comment\n\n"
        + &event("future_event", r#"{"type":"future_event"}"#)
        + &ping()
        + &message_end();
    assert_bytes_eq(&output, (expected).as_bytes(), "output");
}

#[test]
fn a_block_left_open_is_released() {
    // The hand-written out-of-order file: a blank block that never stops,
    // then a message_stop without its closing blank line.
    let input = corpus_file("handwritten/streams/anthropic-sdk-python__out_of_order_response.sse");
    let (output, report) = sanitize_all_ways(&input, &default());
    assert_bytes_eq(&output, &input, "output");
    assert_eq!(codes(&report), ["truncated"]);
    // The same, complete: message_stop releases the block.
    let input = [input.as_slice(), b"\n"].concat();
    let (output, report) = sanitize_all_ways(&input, &default());
    assert_bytes_eq(&output, &input, "output");
    assert_eq!(codes(&report), ["unterminated-block"]);
    assert!(!report.truncated);
    // Stream cut while a blank block is held.
    let input = message_start() + &text_start(0, "") + &ping();
    let (output, report) = sanitize_all_ways(input.as_bytes(), &default());
    assert_bytes_eq(&output, (input).as_bytes(), "output");
    assert!(report.truncated);
    assert_eq!(codes(&report), ["truncated"]);
}

#[test]
fn random_garbage_never_panics_and_never_loses_bytes() {
    // Random byte mutations of real streams (one with blank blocks): any
    // chunking gives the same output, sanitizing it again changes nothing,
    // and when nothing was dropped the output is the input.
    let mut rng = XorShift::new(seed() ^ 5);
    for round in 0..400 {
        let real = corpus_file(if round % 2 == 0 {
            "streams/chatlas__test_provider_anthropic_test_anthropic_tool_variations.3.sse"
        } else {
            "streams/vercel-ai__anthropic-web-search-tool.1.sse"
        });
        let (_, clean) = sanitize(&real, &default());
        let mut input = real.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(input.len());
            match rng.below(3) {
                0 => {
                    let set = b"{}[]\":,\r\n x0\\";
                    input[at] = set[rng.below(set.len())];
                }
                1 => {
                    input.remove(at);
                }
                _ => input.insert(at, b"\n\r\"{"[rng.below(4)]),
            }
        }
        let options = SanitizerOptions {
            limits: Limits::default().with_max_held_bytes(1 + rng.below(3000)),
            ..default()
        };
        let (output, report) = sanitize_all_ways(&input, &options);
        // Idempotence is not promised past a skew that follows a drop (see the
        // crate docs on idempotence).
        let skew_after_drop = !report.blocks_dropped.is_empty()
            && report.notes.iter().any(|n| n.code == "index-skew");
        let (twice, _) = sanitize(&output, &options);
        assert!(
            skew_after_drop || twice == output,
            "not idempotent (SSE_SEED={})",
            seed()
        );
        // (A mutation can also leave a Claude event without its `event:`
        // line, which then gets one back.)
        if clean.blocks_dropped.is_empty()
            && report.blocks_dropped.is_empty()
            && report.events_named == 0
        {
            assert!(
                output == input,
                "bytes changed without a drop (SSE_SEED={})",
                seed()
            );
        }
    }
}

#[test]
fn invalid_utf8_passes_through() {
    let bad = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"caf\u{e9} \u{1F600}";
    let mut input =
        (message_start() + &text_start(0, "") + &block_stop(0) + &text_start(1, "x")).into_bytes();
    input.extend_from_slice(bad.as_bytes());
    input.extend_from_slice(b"\xFF\xFE\"}}\n\n");
    input.extend_from_slice((block_stop(1) + &message_end()).as_bytes());
    let (output, report) = sanitize_all_ways(&input, &default());
    // The block goes and every later index moves, the one next to the
    // invalid bytes too (only those bytes' digits of `"index"` change).
    let mut expected = (message_start() + &text_start(0, "x")).into_bytes();
    expected.extend_from_slice(bad.replace("\"index\":1", "\"index\":0").as_bytes());
    expected.extend_from_slice(b"\xFF\xFE\"}}\n\n");
    expected.extend_from_slice((block_stop(0) + &message_end()).as_bytes());
    assert_bytes_eq(&output, &expected, "output");
    assert!(report.notes.is_empty());
    assert_eq!(report.events_changed, 2 + 3);
}
