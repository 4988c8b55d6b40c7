//! Properties shared by the fuzz targets (`fuzz/fuzz_targets/*`) and the
//! deterministic property suite (`tests/properties.rs`): one function per
//! target, taking raw fuzz bytes.
//!
//! Input layout: the first byte is a control byte (its low 6 bits pick a chunk
//! size 1..=64 for the split run, its top bits pick options where a property
//! has any); the rest is the stream or the request body. Every property must
//! hold for every input.
#![allow(dead_code)] // each includer uses a subset

use serde_json::Value;
use sse_sanitizer::claude::{
    sanitize, validate_stream, Accumulator, Anomaly, Report, SanitizerOptions, SdkOutcome,
    StreamSanitizer, StreamValidator, MAX_ANOMALIES,
};
use sse_sanitizer::history::{normalize_bytes, rule, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::sse::{Event, Parser};
use sse_sanitizer::Limits;
use std::borrow::Cow;

/// Splits fuzz bytes into (chunk size, payload).
pub fn split_input(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    }
}

/// Bits 6 and 7 of the control byte (0 for empty input).
fn option_bits(data: &[u8]) -> (bool, bool) {
    let c = data.first().copied().unwrap_or(0);
    (c & 0x40 != 0, c & 0x80 != 0)
}

/// Limits small enough for fuzz inputs (≤ 4 KiB) to cross every one of them.
fn small_limits() -> Limits {
    Limits::default()
        .with_max_line_bytes(200)
        .with_max_event_bytes(400)
        .with_max_held_bytes(300)
}

fn parse(
    limits: Limits,
    chunks: &mut dyn Iterator<Item = &[u8]>,
) -> (Vec<Event>, Result<bool, String>) {
    let mut parser = Parser::new(limits);
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, &mut |e| events.push(e)) {
            return (events, Err(e.code().to_string()));
        }
    }
    (events, parser.finish().map_err(|e| e.code().to_string()))
}

/// The parser never panics and yields the same events (and the same error)
/// whole, at the chosen chunk size and at 1-byte chunks, also under a small
/// line limit.
pub fn parser_split_invariance(data: &[u8]) {
    let (size, input) = split_input(data);
    for limits in [
        Limits::default(),
        Limits::default()
            .with_max_line_bytes(40)
            .with_max_event_bytes(80),
    ] {
        let whole = parse(limits, &mut std::iter::once(input));
        let split = parse(limits, &mut input.chunks(size));
        let ones = parse(limits, &mut input.chunks(1));
        match &whole.1 {
            // Before an error, a split run may have dispatched fewer events than
            // the whole run (the error can come earlier in bytes); compare the
            // error only.
            Err(_) => {
                assert_eq!(whole.1, split.1);
                assert_eq!(whole.1, ones.1);
            }
            Ok(_) => {
                assert_eq!(whole, split, "chunk size {size}");
                assert_eq!(whole, ones);
            }
        }
        for e in &whole.0 {
            assert!(!e.event_type.is_empty());
            assert!(!e.data.contains('\r'));
        }
    }
}

fn sanitize_chunks(options: SanitizerOptions, input: &[u8], size: usize) -> (Vec<u8>, Report) {
    let mut sanitizer = StreamSanitizer::new(options);
    let mut out = Vec::new();
    for chunk in input.chunks(size) {
        sanitizer.push(chunk, &mut out);
    }
    let report = sanitizer.finish(&mut out);
    (out, report)
}

/// Whether the sanitizer hit a buffer limit and passed (part of) the stream
/// through undecided.
fn hit_limit(report: &Report) -> bool {
    report
        .notes
        .iter()
        .any(|n| matches!(n.code, "max-buffer-exceeded" | "held-limit-exceeded"))
}

/// The stream sanitizer never panics, and:
/// - gives the same bytes and the same report whole, at the chosen chunk size,
///   at 1-byte chunks and in two pieces;
/// - passes a stream it has nothing to change through byte-identical (no block
///   dropped, no event rewritten ⇒ output == input), and never grows a stream;
/// - is idempotent: sanitizing its output changes nothing (unless a buffer
///   limit made the first run give up deciding part of the stream).
///
/// Control bits: 6 keeps whitespace-only blocks, 7 uses [`small_limits`].
pub fn sanitizer_properties(data: &[u8]) {
    let (size, input) = split_input(data);
    let (keep_whitespace, small) = option_bits(data);
    let options = SanitizerOptions {
        drop_whitespace_only_text: !keep_whitespace,
        limits: if small {
            small_limits()
        } else {
            Limits::default()
        },
    };
    let whole = sanitize(input, options);
    let split = sanitize_chunks(options, input, size);
    assert_eq!(whole, split, "chunk size {size}");
    let ones = sanitize_chunks(options, input, 1);
    assert_eq!(whole, ones, "1-byte chunks");
    // Two pieces, cut at a point the control byte picks.
    let at = input.len() * usize::from(data.first().copied().unwrap_or(0)) / 255;
    let mut sanitizer = StreamSanitizer::new(options);
    let mut halves = Vec::new();
    sanitizer.push(&input[..at], &mut halves);
    sanitizer.push(&input[at..], &mut halves);
    let report = sanitizer.finish(&mut halves);
    assert_eq!(whole, (halves, report), "cut at {at}");

    let (out, report) = &whole;
    if report.blocks_dropped.is_empty() && report.events_changed == 0 {
        assert_eq!(out, input, "nothing to change, yet the bytes differ");
    }
    assert!(out.len() <= input.len());
    assert!(report.events_changed <= report.events_seen);

    // NOTE: idempotence is not promised past an index skew that follows a
    // drop (the corpus stream with a real skew has no drop before it). The
    // rest of the message then passes through unchanged, but the blocks before
    // were already dropped and renumbered, so the skewed event's index can
    // name another block in the output than in the input: a second pass sees
    // no skew and drops a blank block the first pass kept (fuzz/known/README.md).
    let skew_after_drop =
        !report.blocks_dropped.is_empty() && report.notes.iter().any(|n| n.code == "index-skew");
    if !hit_limit(report) && !skew_after_drop {
        let (again, second) = sanitize(out, options);
        assert_eq!(&again, out, "not idempotent: {second:?}");
        assert!(second.blocks_dropped.is_empty() && second.events_changed == 0);
    }
}

/// The accumulated message, or the first error's code and text.
type Accumulated = Result<Value, String>;

fn accumulate(events: &[Event]) -> Accumulated {
    let mut acc = Accumulator::new();
    for e in events {
        acc.push(&e.event_type, &e.data)
            .map_err(|e| format!("{}: {e}", e.code()))?;
    }
    acc.finish().map_err(|e| format!("{}: {e}", e.code()))
}

/// Whether every `content_block_start` has the index of its position: the
/// SDK (and the accumulator) appends started blocks in order whatever their
/// `index` says, after whatever `content` the `message_start` carried, so
/// only then is `content[index]` the block of that index.
fn starts_in_order(events: &[Event]) -> bool {
    let mut next = 0;
    for e in events {
        let Ok(v) = serde_json::from_str::<Value>(&e.data) else {
            continue;
        };
        if v.get("type").and_then(Value::as_str) == Some("message_start") {
            let content = v.pointer("/message/content").and_then(Value::as_array);
            if content.is_some_and(|c| !c.is_empty()) {
                return false;
            }
            next = 0;
        } else if v.get("type").and_then(Value::as_str) == Some("content_block_start") {
            if v.get("index").and_then(Value::as_u64) != Some(next) {
                return false;
            }
            next += 1;
        }
    }
    true
}

/// The accumulator never panics and gives the same message (or the same error)
/// for the stream fed whole and at the chosen chunk size. When the stream
/// accumulates, its blocks start in index order and the sanitizer had nothing
/// to note, accumulating the sanitized stream gives the same message minus the
/// dropped blocks.
/// The stream verdict of `chunks`, or its error code.
fn verdict(
    limits: Limits,
    chunks: &mut dyn Iterator<Item = &[u8]>,
) -> Result<Vec<Anomaly>, String> {
    let mut validator = StreamValidator::new(limits);
    for chunk in chunks {
        validator.push(chunk).map_err(|e| e.code().to_string())?;
    }
    validator.finish().map_err(|e| e.code().to_string())
}

/// The verdict: no panic; the same for any split, also under small limits;
/// at most one anomaly the SDK raises on, every later one unreached, the list
/// bounded; and a stream it finds nothing wrong with accumulates.
fn verdict_properties(input: &[u8], size: usize, accumulated: &Accumulated) {
    for limits in [Limits::default(), small_limits()] {
        let whole = verdict(limits, &mut std::iter::once(input));
        assert_eq!(
            whole,
            verdict(limits, &mut input.chunks(size)),
            "chunk size {size}"
        );
        assert_eq!(
            whole,
            verdict(limits, &mut input.chunks(1)),
            "1-byte chunks"
        );
        let Ok(anomalies) = whole else { continue };
        assert!(anomalies.len() <= MAX_ANOMALIES + 2);
        if let Some(at) = anomalies.iter().position(|a| a.sdk == SdkOutcome::Raises) {
            assert!(anomalies[at + 1..]
                .iter()
                .all(|a| a.sdk == SdkOutcome::Unreached || a.code == "too-many-anomalies"));
            assert!(anomalies[..at].iter().all(|a| a.sdk != SdkOutcome::Raises));
        }
    }
    // NOTE: a BOM inside the stream is stripped by the SDK's decoder on every
    // line, by the WHATWG parser (the accumulator's) only at the start.
    let clean = validate_stream(input, Limits::default()).is_ok_and(|a| a.is_empty());
    if clean && !input.windows(3).any(|w| w == b"\xEF\xBB\xBF") {
        assert!(
            accumulated.is_ok(),
            "no anomaly, but accumulate fails: {accumulated:?}"
        );
    }
}

pub fn accumulator_properties(data: &[u8]) {
    let (size, input) = split_input(data);
    let limits = Limits::default();
    let whole = parse(limits, &mut std::iter::once(input));
    let split = parse(limits, &mut input.chunks(size));
    let acc_whole = accumulate(&whole.0);
    assert_eq!(acc_whole, accumulate(&split.0), "chunk size {size}");
    verdict_properties(input, size, &acc_whole);

    let Ok(mut expected) = acc_whole else {
        return;
    };
    let (clean, report) = sanitize(input, SanitizerOptions::default());
    // NOTE: notes mark streams the sanitizer passed through undecided (skewed
    // indices, malformed JSON, a second message, …); the SDK's view of those
    // is not something the sanitizer promises to keep.
    if !report.notes.is_empty()
        || report.blocks_dropped.iter().any(|b| b.message > 0)
        || !starts_in_order(&whole.0)
    {
        return;
    }
    if let Some(content) = expected.get_mut("content").and_then(Value::as_array_mut) {
        for b in report.blocks_dropped.iter().rev() {
            if let Some(i) = usize::try_from(b.index).ok().filter(|&i| i < content.len()) {
                content.remove(i);
            }
        }
    }
    let events = parse(limits, &mut std::iter::once(&clean[..])).0;
    assert_eq!(accumulate(&events), Ok(expected), "report {report:?}");
}

/// The messages of a request body (an object with `messages`, or a bare array).
fn messages(body: &Value) -> Option<&Vec<Value>> {
    match body {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get("messages").and_then(Value::as_array),
        _ => None,
    }
}

/// Every non-blank string the normalizer must not lose: texts, tool ids,
/// signatures, thinking, redacted data, tool_result text, of every content
/// block of every message (and string contents), trimmed.
fn needles(body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str) {
            if !s.trim().is_empty() {
                out.push(s.trim().to_string());
            }
        }
    };
    for m in messages(body).into_iter().flatten() {
        push(m.get("content"));
        let blocks = m.get("content").and_then(Value::as_array);
        for b in blocks.into_iter().flatten() {
            for key in ["text", "id", "tool_use_id", "signature", "thinking", "data"] {
                push(b.get(key));
            }
            if b.get("type").and_then(Value::as_str) == Some("tool_result") {
                push(b.get("content"));
                let inner = b.get("content").and_then(Value::as_array);
                for c in inner.into_iter().flatten() {
                    push(c.get("text"));
                }
            }
        }
    }
    out
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The normalizer and the validator never panic and agree on whether a body
/// is acceptable input at all; a normalized body:
/// - validates clean of every violation a rule can fix (`unknown-field`
///   counts only with `strict_fields`, as it is only fixed then; tool pairing
///   and role merging only when every message has string or array content);
/// - normalizes again to the very same bytes with no change (idempotent);
/// - keeps every non-blank text, tool id and signature of the input, or the
///   change that removed it says so in its detail (nothing lost silently).
///
/// No change ⇔ the same bytes back. Control bits: 6 = profile bedrock,
/// 7 = `strict_fields`.
pub fn normalizer_properties(data: &[u8]) {
    let (bedrock, strict_fields) = option_bits(data);
    let body = data.get(1..).unwrap_or_default();
    let profile = if bedrock {
        Profile::Bedrock
    } else {
        Profile::Anthropic
    };
    let options = NormalizeOptions {
        profile,
        strict_fields,
        ..Default::default()
    };
    let normalized = normalize_bytes(body, &options);
    let validated = validate_bytes(body, profile, &options.limits);
    let (out, changes) = match (normalized, validated) {
        (Ok(n), Ok(_)) => n,
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            return;
        }
        (n, v) => panic!("normalize {n:?} but validate {v:?}"),
    };
    assert_eq!(changes.is_empty(), matches!(out, Cow::Borrowed(_)));

    // NOTE: a lone surrogate escape (`"\ud800"`) is JSON text that JSON.parse,
    // Python and the normalizer accept but serde_json refuses; the checks
    // below need a serde_json tree, so such inputs stop at the checks above.
    let Ok(input) = serde_json::from_slice::<Value>(body) else {
        assert!(
            String::from_utf8_lossy(body).contains("\\u"),
            "normalize accepted input that is not JSON"
        );
        return;
    };
    // NOTE: a message whose content is absent or neither a string nor an array
    // is refused upstream by a schema error that no rule fixes; the normalizer
    // leaves the tool pairing and role merging around it as they are.
    let turns_fixable = !messages(&input).into_iter().flatten().any(|m| {
        !m.get("content")
            .is_some_and(|c| c.is_string() || c.is_array())
    });
    let left = validate_bytes(&out, profile, &options.limits).expect("normalized body parses");
    let out_value = serde_json::from_slice::<Value>(&out).ok();
    // Rule `tool-input-string` fixes only an `input` string holding a JSON
    // object (or blank): any other input (an array, a number, an unparseable
    // string) stays as it is, left for the validator.
    let unparseable_input = |path: &str| {
        let value = out_value.as_ref().and_then(|v| v.pointer(path));
        value.is_some_and(|v| match v {
            Value::String(s) => {
                !s.trim().is_empty()
                    && !matches!(serde_json::from_str::<Value>(s), Ok(Value::Object(_)))
            }
            Value::Object(_) => false,
            _ => true,
        })
    };
    let fixable: Vec<_> = left
        .iter()
        .filter(|v| !(v.rule == "tool-input-string" && unparseable_input(&v.path)))
        .filter(|v| {
            let r = rule(v.rule).expect("violation of a catalogued rule");
            let turn_rule = matches!(
                r.id,
                "missing-tool-result" | "tool-result-first" | "merge-roles"
            );
            r.fix.is_some()
                && (strict_fields || r.id != "unknown-field")
                && (turns_fixable || !turn_rule)
        })
        .collect();
    assert!(
        fixable.is_empty(),
        "left {fixable:#?}\nchanges {changes:#?}"
    );

    let (again, more) = normalize_bytes(&out, &options).expect("normalized body parses");
    assert!(
        more.is_empty() && matches!(again, Cow::Borrowed(_)),
        "not idempotent: {more:#?}"
    );

    if changes.is_empty() {
        return;
    }
    let output: Value = serde_json::from_slice(&out).expect("output is JSON");
    let mut kept = Vec::new();
    strings(&output, &mut kept);
    for needle in needles(&input) {
        // A change's detail quotes a removed value as JSON.
        let quoted = serde_json::to_string(&needle).unwrap();
        let quoted = &quoted[1..quoted.len() - 1];
        assert!(
            kept.iter().any(|s| s.contains(&needle))
                || changes.iter().any(|c| c.detail.contains(quoted)),
            "lost {needle:?}\nchanges {changes:#?}"
        );
    }
}
