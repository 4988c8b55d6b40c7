//! Claude-stream helpers shared by the `claude_*` tests: chunked runs and an
//! independent, whole-stream model of what the sanitizer must drop.
#![allow(dead_code)] // each test binary uses a subset

use crate::support::{corpus_dir, XorShift};
use serde_json::Value;
use sse_sanitizer::claude::{Report, SanitizerOptions, StreamSanitizer};
use sse_sanitizer::sse::{Event, Parser, Segment};

pub fn corpus_stream(rel: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(rel)).unwrap()
}

/// Runs the sanitizer over `input` cut into chunks of the given sizes (the
/// sizes repeat; 0 = one whole chunk).
pub fn run_chunked(input: &[u8], sizes: &[usize], options: SanitizerOptions) -> (Vec<u8>, Report) {
    let mut sanitizer = StreamSanitizer::new(options);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut k = 0;
    while pos < input.len() {
        let size = match sizes[k % sizes.len()] {
            0 => input.len(),
            n => n,
        };
        let end = (pos + size).min(input.len());
        sanitizer.push(&input[pos..end], &mut out);
        pos = end;
        k += 1;
    }
    let report = sanitizer.finish(&mut out);
    (out, report)
}

pub fn random_sizes(rng: &mut XorShift, max: usize) -> Vec<usize> {
    (0..64).map(|_| 1 + rng.below(max)).collect()
}

/// The events of a stream, by the crate's SSE parser.
pub fn events(bytes: &[u8]) -> Vec<Event> {
    let mut parser = Parser::default();
    let mut out = Vec::new();
    parser.feed(bytes, &mut |e| out.push(e)).unwrap();
    out
}

/// The raw bytes of each complete SSE block (events and comment-only blocks)
/// plus the unterminated tail.
pub fn raw_blocks(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut parser = Parser::default();
    let mut blocks = Vec::new();
    let mut start = 0;
    parser
        .feed_segments(bytes, &mut |s| match s {
            Segment::Event { end, .. } | Segment::Empty { end } => {
                blocks.push(bytes[start..end].to_vec());
                start = end;
            }
            Segment::CrLfTail => unreachable!("one chunk"),
        })
        .unwrap();
    (blocks, bytes[start..].to_vec())
}

pub fn json(e: &Event) -> Option<Value> {
    serde_json::from_str(&e.data).ok()
}

/// A text value is blank: empty, or only whitespace when `whitespace` is set.
pub fn is_blank(text: &str, whitespace: bool) -> bool {
    text.is_empty() || (whitespace && text.chars().all(char::is_whitespace))
}

/// Independent, whole-stream model of the drop rule: for each event, whether
/// it belongs to a droppable text block (start ""/blank, only blank
/// text_deltas, stop, all with one index, nothing of another block between).
/// Returns (per event: dropped?, the (message, index) of each dropped block).
pub fn model_drops(events: &[Event], whitespace: bool) -> (Vec<bool>, Vec<(u32, u64)>) {
    let mut dropped = vec![false; events.len()];
    let mut blocks = Vec::new();
    let mut message: i64 = -1;
    let mut i = 0;
    while i < events.len() {
        let Some(v) = json(&events[i]) else {
            i += 1;
            continue;
        };
        if v["type"] == "message_start" {
            message += 1;
        }
        let is_start = v["type"] == "content_block_start"
            && v["content_block"]["type"] == "text"
            && v["content_block"]["text"]
                .as_str()
                .is_some_and(|t| is_blank(t, whitespace))
            && v["content_block"]
                .get("citations")
                .map_or(true, |c| c.is_null() || c.as_array().is_some_and(|a| a.is_empty()));
        if !is_start {
            i += 1;
            continue;
        }
        let index = v["index"].as_u64().unwrap();
        // Scan forward over this block; other events (ping etc.) are fine.
        let mut j = i + 1;
        let mut ok = false;
        while j < events.len() {
            let Some(w) = json(&events[j]) else {
                j += 1;
                continue;
            };
            let ty = w["type"].as_str().unwrap_or("");
            match ty {
                "content_block_delta" if w["index"].as_u64() == Some(index) => {
                    let d = &w["delta"];
                    if d["type"] != "text_delta"
                        || !d["text"].as_str().is_some_and(|t| is_blank(t, whitespace))
                    {
                        break;
                    }
                }
                "content_block_stop" if w["index"].as_u64() == Some(index) => {
                    ok = true;
                    break;
                }
                "ping" => {}
                t if t.starts_with("content_block") || t.starts_with("message") || t == "error" => {
                    break
                }
                _ => {}
            }
            j += 1;
        }
        if ok {
            for (k, e) in events.iter().enumerate().take(j + 1).skip(i) {
                let w = json(e);
                let own = w.as_ref().is_some_and(|w| {
                    w["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("content_block"))
                        && w["index"].as_u64() == Some(index)
                });
                if own {
                    dropped[k] = true;
                }
            }
            blocks.push((message.max(0) as u32, index));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    (dropped, blocks)
}

/// Checks `output` against `input` with the independent model: the output's
/// events are the input's minus the dropped blocks' events, each top-level
/// `index` lowered by the number of dropped blocks below it in its message,
/// everything else equal. Returns the dropped (message, index) list.
pub fn check_against_model(input: &[u8], output: &[u8], whitespace: bool) -> Vec<(u32, u64)> {
    let ins = events(input);
    let outs = events(output);
    let (dropped, blocks) = model_drops(&ins, whitespace);
    let mut expected = Vec::new();
    let mut message: i64 = -1;
    for (e, d) in ins.iter().zip(&dropped) {
        let mut v = json(e);
        if let Some(v) = &v {
            if v["type"] == "message_start" {
                message += 1;
            }
        }
        if *d {
            continue;
        }
        if let Some(Value::Object(m)) = &mut v {
            if let Some(i) = m.get("index").and_then(Value::as_u64) {
                let below = blocks
                    .iter()
                    .filter(|(msg, idx)| *msg as i64 == message.max(0) && *idx < i)
                    .count() as u64;
                m.insert("index".into(), (i - below).into());
            }
        }
        expected.push((e.event_type.clone(), v, e.data.clone()));
    }
    assert_eq!(outs.len(), expected.len(), "event count");
    for (k, (o, (ty, v, data))) in outs.iter().zip(&expected).enumerate() {
        assert_eq!(&o.event_type, ty, "event {k} type");
        match v {
            Some(v) => assert_eq!(&json(o).unwrap(), v, "event {k}"),
            None => assert_eq!(&o.data, data, "event {k} data"),
        }
    }
    // No droppable block is left.
    let (left, _) = model_drops(&outs, whitespace);
    assert!(!left.contains(&true), "a blank text block is left");
    blocks
}

/// For every message whose blocks were numbered 0.. (after any content the
/// message_start carried) in the input, the output's are too.
pub fn assert_contiguous(input: &[u8], output: &[u8]) {
    let starts = |bytes: &[u8]| -> Vec<(u64, Vec<u64>)> {
        let mut msgs: Vec<(u64, Vec<u64>)> = Vec::new();
        for e in events(bytes) {
            let Some(v) = json(&e) else { continue };
            match v["type"].as_str() {
                Some("message_start") => {
                    let pre = v["message"]["content"].as_array().map_or(0, |a| a.len()) as u64;
                    msgs.push((pre, Vec::new()));
                }
                Some("content_block_start") => {
                    if let (Some(m), Some(i)) = (msgs.last_mut(), v["index"].as_u64()) {
                        m.1.push(i);
                    }
                }
                _ => {}
            }
        }
        msgs
    };
    let contiguous =
        |(pre, idx): &(u64, Vec<u64>)| idx.iter().enumerate().all(|(k, i)| *i == pre + k as u64);
    let (a, b) = (starts(input), starts(output));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        if contiguous(x) {
            assert!(contiguous(y), "indices not contiguous: {y:?} (input {x:?})");
        }
    }
}
