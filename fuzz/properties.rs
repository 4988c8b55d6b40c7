//! Properties shared by the fuzz targets (`fuzz/fuzz_targets/*`) and the
//! deterministic property suite (`tests/properties/`): one function per
//! target, taking raw fuzz bytes.
//!
//! Input layout: the first byte is a control byte (its low 6 bits pick a chunk
//! size 1..=64 for the split run, its top bits pick options where a property
//! has any); the rest is the stream or the request body. Every property must
//! hold for every input.
#![allow(dead_code)] // each includer uses a subset

use serde_json::Value;
use sse_sanitizer::claude::{
    sanitize, validate_stream, Accumulator, Anomaly, NoteCode, OnTruncated, Report,
    SanitizerOptions, SdkOutcome, StreamSanitizer, StreamValidator, TraceAction, MAX_ANOMALIES,
};
use sse_sanitizer::history::{normalize_bytes, rule, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::sse::{Event, Parser};
use sse_sanitizer::Limits;
use sse_sanitizer::{is_thinking, Placeholder};
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
        if let Err(e) = parser.push(chunk, &mut |e| events.push(e)) {
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

fn sanitize_chunks(options: &SanitizerOptions, input: &[u8], size: usize) -> (Vec<u8>, Report) {
    let mut sanitizer = StreamSanitizer::new(options.clone());
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
    report.notes.iter().any(|n| {
        matches!(
            n.code,
            NoteCode::MaxBufferExceeded | NoteCode::HeldLimitExceeded
        )
    })
}

/// Bytes one inserted placeholder `text_delta` event may add (the default
/// placeholder, CRLF framing, an `event:` line, a 20-digit index).
const PLACEHOLDER_EVENT_MAX: usize = 160;
/// Bytes an added `event:` line may add (`event: content_block_delta\r\n`).
const NAME_LINE_MAX: usize = 28;
/// Bytes the appended truncation `error` event may add.
const ERROR_EVENT_MAX: usize = 512;

/// The stream sanitizer never panics, and:
/// - gives the same bytes and the same report whole, at the chosen chunk size,
///   at 1-byte chunks and in two pieces;
/// - passes a stream it has nothing to change through byte-identical (no block
///   dropped or given the placeholder, no event rewritten, no error event
///   appended ⇒ output == input), and grows a stream only by the events it
///   inserts;
/// - is idempotent: sanitizing its output changes nothing (unless a buffer
///   limit made the first run give up deciding part of the stream).
///
/// Control bits: 6 = profile bedrock, 7 = [`small_limits`]; an odd chunk size
/// appends an `error` event to a truncated stream.
pub fn sanitizer_properties(data: &[u8]) {
    let (size, input) = split_input(data);
    let (bedrock, small) = option_bits(data);
    let options = SanitizerOptions {
        profile: if bedrock {
            Profile::Bedrock
        } else {
            Profile::Anthropic
        },
        on_truncated: if size % 2 == 1 {
            OnTruncated::ErrorEvent
        } else {
            OnTruncated::Pass
        },
        limits: if small {
            small_limits()
        } else {
            Limits::default()
        },
        ..Default::default()
    };
    let whole = sanitize(input, &options);
    let split = sanitize_chunks(&options, input, size);
    assert_eq!(whole, split, "chunk size {size}");
    let ones = sanitize_chunks(&options, input, 1);
    assert_eq!(whole, ones, "1-byte chunks");
    // Two pieces, cut at a point the control byte picks.
    let at = input.len() * usize::from(data.first().copied().unwrap_or(0)) / 255;
    let mut sanitizer = StreamSanitizer::new(options.clone());
    let mut halves = Vec::new();
    sanitizer.push(&input[..at], &mut halves);
    sanitizer.push(&input[at..], &mut halves);
    let report = sanitizer.finish(&mut halves);
    assert_eq!(whole, (halves, report), "cut at {at}");

    let (out, report) = &whole;
    check_trace(input, out, report, &options, size);
    let error_event = report.truncated && options.on_truncated == OnTruncated::ErrorEvent;
    if report.blocks_dropped.is_empty()
        && report.blocks_replaced.is_empty()
        && report.events_changed == 0
        && report.events_named == 0
        && !error_event
    {
        assert_eq!(out, input, "nothing to change, yet the bytes differ");
    }
    let inserted = report.blocks_replaced.len() * PLACEHOLDER_EVENT_MAX
        + report.events_named as usize * NAME_LINE_MAX
        + usize::from(error_event) * ERROR_EVENT_MAX;
    assert!(out.len() <= input.len() + inserted);
    assert!(report.events_changed <= report.events_seen);

    // NOTE: idempotence is not promised past an index skew that follows a
    // drop (the corpus stream with a real skew has no drop before it). The
    // rest of the message then passes through unchanged, but the blocks before
    // were already dropped and renumbered, so the skewed event's index can
    // name another block in the output than in the input: a second pass sees
    // no skew and drops a blank block the first pass kept (fuzz/known/README.md).
    let skew_after_drop = !report.blocks_dropped.is_empty()
        && report.notes.iter().any(|n| n.code == NoteCode::IndexSkew);
    if !hit_limit(report) && !skew_after_drop {
        let (again, second) = sanitize(out, &options);
        assert_eq!(&again, out, "not idempotent: {second:?}");
        assert!(
            second.blocks_dropped.is_empty()
                && second.blocks_replaced.is_empty()
                && second.events_changed == 0
                && second.events_named == 0
        );
    }
}

/// With tracing on, the sanitizer gives the same bytes and report (plus the
/// trace), whole and at `size`-byte chunks, and the trace accounts for every
/// byte: the input ranges of its entries tile the input in order, the output
/// ranges of what was written tile the output in order, a kept block's bytes
/// are the same on both sides, a dropped one has no output, an inserted one
/// no input.
pub fn check_trace(
    input: &[u8],
    out: &[u8],
    report: &Report,
    options: &SanitizerOptions,
    size: usize,
) {
    let traced = SanitizerOptions {
        trace: true,
        ..options.clone()
    };
    let (tout, mut treport) = sanitize(input, &traced);
    let (cout, creport) = sanitize_chunks(&traced, input, size);
    assert_eq!(
        (&tout, &treport),
        (&cout, &creport),
        "trace at chunk size {size}"
    );
    let trace = std::mem::take(&mut treport.trace);
    assert_eq!(
        (&tout[..], &treport),
        (out, report),
        "tracing changed the result"
    );
    if trace
        .last()
        .is_some_and(|e| e.action == TraceAction::Truncated)
    {
        return;
    }
    let (mut inp, mut outp) = (0u64, 0u64);
    let mut last_event = None;
    for e in &trace {
        if let Some([a, b]) = e.input {
            // NOTE: a leading BOM is written before the first block's own
            // bytes and stays out of the ranges.
            let bom = inp == 0 && a == 0 && input.starts_with(b"\xEF\xBB\xBF");
            assert_eq!(a, inp, "input ranges tile the input: {e:?}");
            inp = b;
            if bom && e.output.is_some_and(|[oa, _]| oa == 3) {
                outp = 3;
            }
        }
        if let Some(n) = e.event {
            assert!(last_event.map_or(true, |l| n > l), "events in order: {e:?}");
            last_event = Some(n);
        }
        match e.action {
            TraceAction::Dropped => assert!(e.output.is_none()),
            TraceAction::Inserted => assert!(e.input.is_none() && e.output.is_some()),
            _ => assert!(e.input.is_some()),
        }
        if let Some([a, b]) = e.output {
            if outp == 0 && a == 3 && input.starts_with(b"\xEF\xBB\xBF") {
                outp = 3;
            }
            assert_eq!(a, outp, "output ranges tile the output: {e:?}");
            outp = b;
        }
        if e.action == TraceAction::Named {
            let [ia, ib] = e.input.unwrap();
            let [oa, ob] = e.output.unwrap();
            assert!(ob - oa > ib - ia, "a named event grew: {e:?}");
        }
        if let (TraceAction::Kept | TraceAction::Passed, Some([ia, ib]), Some([oa, ob])) =
            (e.action, e.input, e.output)
        {
            let skip = u64::from(ia == 0 && input.starts_with(b"\xEF\xBB\xBF") && oa == 3) * 3;
            // A partial last event the error event ended: its bytes, then the
            // line end and blank line the sanitizer added.
            let ob = if e.rule == Some("truncated") {
                let len = (ib - ia - skip).min(ob - oa);
                let added = &out[(oa + len) as usize..ob as usize];
                assert!(
                    added.len() <= 2 && added.iter().all(|&b| b == b'\n'),
                    "{e:?}"
                );
                oa + len
            } else {
                ob
            };
            assert_eq!(
                &input[(ia + skip) as usize..ib as usize],
                &out[oa as usize..ob as usize],
                "a kept block is unchanged: {e:?}"
            );
        }
    }
    assert_eq!(
        inp as usize,
        input.len(),
        "the trace covers the whole input"
    );
    assert_eq!(
        outp as usize,
        out.len(),
        "the trace covers the whole output"
    );
}

/// The accumulated message, or the first error's code and text.
type Accumulated = Result<Value, String>;

fn accumulate(events: &[Event]) -> Accumulated {
    let mut acc = Accumulator::new();
    for e in events {
        acc.push(&e.event_type, &e.data)
            .map_err(|e| format!("{}: {e}", e.code()))?;
    }
    let text = acc.finish().map_err(|e| format!("{}: {e}", e.code()))?;
    Ok(message_value(&text))
}

/// The accumulator's JSON text as a `Value` (it may nest past serde_json's
/// default limit: tool inputs sit four levels down).
pub fn message_value(text: &str) -> Value {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    de.into_iter::<Value>()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("the accumulator wrote invalid JSON: {text}"))
}

/// Whether every `content_block_start` has the index of its position: the
/// SDK (and the accumulator) appends started blocks in order whatever their
/// `index` says, after whatever `content` the `message_start` carried, so
/// only then is `content[index]` the block of that index. A block started
/// before any `message_start` counts as not in order: the report numbers it
/// message 0, as it does the first message's blocks (fuzz accumulator-32334ba8).
fn starts_in_order(events: &[Event]) -> bool {
    let mut next = 0;
    let mut in_message = false;
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
            in_message = true;
        } else if v.get("type").and_then(Value::as_str) == Some("content_block_start") {
            if !in_message || v.get("index").and_then(Value::as_u64) != Some(next) {
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
    let options = SanitizerOptions::default();
    let (clean, report) = sanitize(input, &options);
    // NOTE: notes mark streams the sanitizer passed through undecided (skewed
    // indices, malformed JSON, a second message, …); the SDK's view of those
    // is not something the sanitizer promises to keep.
    if !report.notes.is_empty()
        || report.blocks_dropped.iter().any(|b| b.message > 0)
        || report.blocks_replaced.iter().any(|b| b.message > 0)
        || !starts_in_order(&whole.0)
    {
        return;
    }
    let Some(content) = expected.get_mut("content").and_then(Value::as_array_mut) else {
        return;
    };
    let is_thinking_at = |content: &[Value], i: usize| {
        content
            .get(i)
            .and_then(|b| b.get("type"))
            .and_then(Value::as_str)
            .is_some_and(is_thinking)
    };
    // Signed thinking never moves: a dropped block has no thinking block
    // before it, and the first block after it that stays is not one (the one
    // case where a thinking block still moves is a thinking block that comes
    // only after such a block: the documented residual case).
    let dropped: Vec<usize> = report
        .blocks_dropped
        .iter()
        .filter_map(|b| usize::try_from(b.index).ok())
        .collect();
    for &d in &dropped {
        assert!(
            !(0..d).any(|i| is_thinking_at(content, i)),
            "block {d} dropped after a thinking block: {report:?}"
        );
        let next = (d + 1..content.len()).find(|i| !dropped.contains(i));
        assert!(
            !next.is_some_and(|i| is_thinking_at(content, i)),
            "block {d} dropped before a thinking block: {report:?}"
        );
    }
    for b in &report.blocks_replaced {
        let Some(block) = usize::try_from(b.index)
            .ok()
            .and_then(|i| content.get_mut(i))
        else {
            continue;
        };
        let text = block
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let text = format!("{text}{}", Placeholder::DEFAULT);
        block["text"] = Value::String(text);
    }
    for &i in dropped.iter().rev() {
        if i < content.len() {
            content.remove(i);
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

/// `(is a tool_use, id)` of every tool_use and tool_result block of the
/// messages other than system messages.
fn tool_ids(body: &Value) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for m in messages(body).into_iter().flatten() {
        if m.get("role").and_then(Value::as_str) == Some("system") {
            continue;
        }
        for b in m
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (is_use, key) = match b.get("type").and_then(Value::as_str) {
                Some("tool_use") => (true, "id"),
                Some("tool_result") => (false, "tool_use_id"),
                _ => continue,
            };
            if let Some(id) = b.get(key).and_then(Value::as_str) {
                out.push((is_use, id.to_string()));
            }
        }
    }
    out
}

/// Every thinking block of the body with its index in its own message.
fn thinking_positions(body: &Value) -> std::collections::HashSet<(usize, String)> {
    let mut out = std::collections::HashSet::new();
    for m in messages(body).into_iter().flatten() {
        for (i, b) in m
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if b.get("type")
                .and_then(Value::as_str)
                .is_some_and(is_thinking)
            {
                out.insert((i, b.to_string()));
            }
        }
    }
    out
}

/// The thinking blocks of the latest assistant message: `(index, block)`.
fn latest_thinking(body: &Value) -> Vec<(usize, Value)> {
    let latest = messages(body)
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"));
    let blocks = latest
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array);
    blocks
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, b)| {
            b.get("type")
                .and_then(Value::as_str)
                .is_some_and(is_thinking)
        })
        .map(|(i, b)| (i, b.clone()))
        .collect()
}

/// The cache_control breakpoints rule `cache-control-limit` may remove: on
/// tools, system blocks, and blocks (and tool_result content) of messages
/// other than system messages, thinking blocks excepted.
fn removable_breakpoints(body: &Value) -> usize {
    let has = |v: &Value| v.get("cache_control").is_some_and(|c| !c.is_null());
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let mut n = list(body.get("tools")).iter().filter(|t| has(t)).count();
    n += list(body.get("system")).iter().filter(|b| has(b)).count();
    for m in messages(body).into_iter().flatten() {
        if m.get("role").and_then(Value::as_str) == Some("system") {
            continue;
        }
        for b in list(m.get("content")) {
            let ty = b.get("type").and_then(Value::as_str).unwrap_or_default();
            n += usize::from(has(&b) && !is_thinking(ty));
            if ty == "tool_result" {
                n += list(b.get("content")).iter().filter(|c| has(c)).count();
            }
        }
    }
    n
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
/// - validates clean of every violation a rule fixes under these options
///   ([`Rule::fixes`](sse_sanitizer::history::Rule::fixes): `unknown-field`
///   only with `strict_fields`; tool pairing and role merging only when every
///   message has string or array content);
/// - normalizes again to the very same bytes with no change (idempotent);
/// - keeps every non-blank text, tool id and signature of the input, or the
///   change that removed it says so in its detail (nothing lost silently);
/// - keeps the thinking blocks of the latest assistant message byte-identical
///   at their indices (signed thinking never moves);
/// - with `cap_cache_control`, holds at most 4 breakpoints, or none a fix may
///   remove (those of system messages and thinking blocks stay).
///
/// No change ⇔ the same bytes back. Control bits: 6 = profile bedrock, else
/// 5 = profile bedrock-invoke; 7 = `strict_fields`; 4 = `cap_cache_control`.
pub fn normalizer_properties(data: &[u8]) {
    let (bedrock, strict_fields) = option_bits(data);
    let control = data.first().copied().unwrap_or(0);
    let body = data.get(1..).unwrap_or_default();
    let profile = if bedrock {
        Profile::Bedrock
    } else if control & 0x20 != 0 {
        Profile::BedrockInvoke
    } else {
        Profile::Anthropic
    };
    let cap_cache_control = control & 0x10 != 0;
    let options = NormalizeOptions {
        profile,
        strict_fields,
        cap_cache_control,
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
    // The same body in pieces: its announced length is what is written (only
    // when changed), and a second run writes the same bytes.
    let mut pieces: Option<(usize, Vec<u8>)> = None;
    let again = sse_sanitizer::history::normalize_to(body, &options, |len| {
        let (_, written) = pieces.insert((len, Vec::with_capacity(len)));
        |piece: &[u8]| written.extend_from_slice(piece)
    })
    .expect("normalize_to refused what normalize_bytes took");
    assert_eq!(again, changes);
    match (&out, pieces) {
        (Cow::Borrowed(_), None) => {}
        (Cow::Owned(whole), Some((len, written))) => {
            assert_eq!(len, whole.len());
            assert_eq!(&written, whole);
        }
        (_, pieces) => panic!(
            "normalize_to: {:?} pieces for {:?}",
            pieces.map(|p| p.0),
            changes.len()
        ),
    }

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
        // A merge that would move the latest assistant message's thinking
        // blocks is left undone on purpose (its hint says so).
        .filter(|v| !(v.rule == "merge-roles" && v.hint.is_some()))
        // A server tool call whose removal is unsafe stays (its hint says why).
        .filter(|v| !(v.rule == "server-tool-pairing" && v.hint.is_some()))
        .filter(|v| {
            let r = rule(v.rule).expect("violation of a catalogued rule");
            let turn_rule = matches!(
                r.id,
                "missing-tool-result" | "tool-result-first" | "merge-roles"
            );
            r.fixes(profile, &options) && (turns_fixable || !turn_rule)
        })
        .collect();
    assert!(
        fixable.is_empty(),
        "left {fixable:#?}\nchanges {changes:#?}"
    );

    // The cap removes the earliest breakpoints it may change: past 4, none of
    // those is left.
    if cap_cache_control && left.iter().any(|v| v.rule == "cache-control-limit") {
        let output: Value = serde_json::from_slice(&out).expect("output is JSON");
        assert_eq!(
            removable_breakpoints(&output),
            0,
            "breakpoints left over: {left:#?}"
        );
    }
    // Tool ids: none the pattern refuses is left on a tool_use, and an id the
    // output has that the input had nowhere (a rewrite) is the id of a tool_use
    // and of its tool_results alike.
    if let Some(output) = &out_value {
        let ids_in: std::collections::HashSet<String> =
            tool_ids(&input).into_iter().map(|(_, id)| id).collect();
        let out_ids = tool_ids(output);
        let uses: std::collections::HashSet<&String> = out_ids
            .iter()
            .filter(|(u, _)| *u)
            .map(|(_, id)| id)
            .collect();
        for (is_use, id) in &out_ids {
            if *is_use {
                let ok = !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                assert!(ok, "tool_use id {id:?} left refused: {changes:#?}");
            } else if !ids_in.contains(id) {
                assert!(
                    uses.contains(id),
                    "tool_result id {id:?} answers no tool_use: {changes:#?}"
                );
            }
        }
    }
    // Signed thinking never moves: the output's latest assistant message holds
    // thinking blocks of the input at the indices they had in their own
    // message, the input's latest ones among them.
    let out_latest = out_value.as_ref().map(latest_thinking).unwrap_or_default();
    let at_home = thinking_positions(&input);
    for (i, block) in &out_latest {
        assert!(
            at_home.contains(&(*i, block.to_string())),
            "thinking block moved to {i} of the latest assistant message: {changes:#?}"
        );
    }
    for entry in latest_thinking(&input) {
        assert!(
            out_latest.contains(&entry),
            "the latest assistant message's thinking block at {} moved or changed: {changes:#?}",
            entry.0
        );
    }

    let (again, more) = normalize_bytes(&out, &options).expect("normalized body parses");
    assert!(
        more.is_empty() && matches!(again, Cow::Borrowed(_)),
        "not idempotent: {more:#?}"
    );

    if changes.is_empty() {
        return;
    }
    let output: Value = serde_json::from_slice(&out).expect("output is JSON");
    // Signed thinking never moves: the latest assistant message keeps every
    // thinking block at its index, unchanged.
    let pinned = latest_thinking(&input);
    if !pinned.is_empty() {
        assert_eq!(
            pinned,
            latest_thinking(&output),
            "a thinking block of the latest assistant message moved\nchanges {changes:#?}"
        );
    }
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
