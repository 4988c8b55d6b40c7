//! Claude-stream helpers: chunked sanitizer runs, an independent
//! whole-stream model of what the sanitizer must drop, and blank blocks to
//! insert into real streams.

use super::XorShift;
use serde_json::Value;
use sse_sanitizer::claude::{Report, SanitizerOptions, StreamSanitizer};
use sse_sanitizer::sse::{Event, Parser, Segment};

/// Runs the sanitizer over `input` cut into chunks of the given sizes (the
/// sizes repeat; 0 = one whole chunk).
pub fn run_chunked(input: &[u8], sizes: &[usize], options: &SanitizerOptions) -> (Vec<u8>, Report) {
    let mut sanitizer = StreamSanitizer::new(options.clone());
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
    parser.push(bytes, &mut |e| out.push(e)).unwrap();
    out
}

/// The raw bytes of each complete SSE block (events and comment-only blocks)
/// plus the unterminated tail.
pub fn raw_blocks(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut parser = Parser::default();
    let mut blocks = Vec::new();
    let mut start = 0;
    parser
        .push_segments(bytes, &mut |s| match s {
            Segment::Event { end, .. } | Segment::Empty { end } => {
                blocks.push(bytes[start..end].to_vec());
                start = end;
            }
            Segment::CrLfTail => unreachable!("one chunk"),
            Segment::Retry(_) => {}
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
            && v["content_block"].get("citations").map_or(true, |c| {
                c.is_null() || c.as_array().is_some_and(|a| a.is_empty())
            });
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

/// The text of each dispatched event plus its raw bytes, one entry per SSE
/// block (comment-only blocks have `None`).
/// Each block's raw bytes, its event's JSON, and where in the raw bytes the
/// digits of its top-level `"index"` are.
pub type Blocks = Vec<(Vec<u8>, Option<Value>, Option<std::ops::Range<usize>>)>;

pub fn blocks_with_events(bytes: &[u8]) -> Blocks {
    let (raw, tail) = raw_blocks(bytes);
    assert!(tail.is_empty(), "test streams end with a blank line");
    raw.into_iter()
        .map(|b| {
            let ev = events(&b);
            let v = ev.first().and_then(json);
            let digits = v
                .as_ref()
                .filter(|v| v["index"].is_u64())
                .map(|_| index_digits(&b));
            (b, v, digits)
        })
        .collect()
}

/// Where the digits of the top-level `"index"` of one raw SSE block are.
/// Checked by re-parsing.
fn index_digits(block: &[u8]) -> std::ops::Range<usize> {
    let new = 987_654_321u64;
    let before = json(&events(block)[0]).unwrap();
    let text = String::from_utf8(block.to_vec()).unwrap();
    let mut from = 0;
    while let Some(p) = text[from..].find("\"index\"") {
        let at = from + p + "\"index\"".len();
        let rest = &text[at..];
        let colon = rest.len() - rest.trim_start().len();
        if rest[colon..].starts_with(':') {
            let after = &rest[colon + 1..];
            let ws = after.len() - after.trim_start().len();
            let digits = after[ws..].bytes().take_while(u8::is_ascii_digit).count();
            let start = at + colon + 1 + ws;
            let candidate = format!("{}{}{}", &text[..start], new, &text[start + digits..]);
            let mut expected = before.clone();
            expected["index"] = new.into();
            if digits > 0 && json(&events(candidate.as_bytes())[0]).as_ref() == Some(&expected) {
                return start..start + digits;
            }
        }
        from = at;
    }
    panic!("no top-level index in {text}");
}

/// How an inserted blank text block looks.
#[derive(Debug, Clone, Copy)]
pub enum Blank {
    /// start `""`, stop.
    Empty,
    /// start `""`, delta `""`, stop.
    EmptyDelta,
    /// start `""`, ping, delta `" "`, delta `"\n"`, stop.
    WhitespaceWithPing,
    /// start `"\n\n"`, stop, the live API's padded JSON.
    PaddedWhitespace,
}

pub const BLANKS: [Blank; 4] = [
    Blank::Empty,
    Blank::EmptyDelta,
    Blank::WhitespaceWithPing,
    Blank::PaddedWhitespace,
];

pub fn blank_block(shape: Blank, index: u64) -> Vec<u8> {
    let start = |text: &str| {
        format!(
            "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{{\"type\":\"text\",\"text\":\"{text}\"}}}}\n\n"
        )
    };
    let delta = |text: &str| {
        format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}\n\n"
        )
    };
    let stop = format!("event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}}}\n\n");
    let ping = "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    let s = match shape {
        Blank::Empty => start("") + &stop,
        Blank::EmptyDelta => start("") + &delta("") + &stop,
        Blank::WhitespaceWithPing => start("") + ping + &delta(" ") + &delta("\\n") + &stop,
        Blank::PaddedWhitespace => format!(
            "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{{\"type\":\"text\",\"text\":\"\\n\\n\"}}      }}\n\nevent: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}         }}\n\n"
        ),
    };
    s.into_bytes()
}

/// What the sanitizer must leave of `blank_block(shape, _)`: the ping.
pub fn residue(shape: Blank) -> &'static [u8] {
    match shape {
        Blank::WhitespaceWithPing => b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
        _ => b"",
    }
}

/// `bytes` with `extra` inserted before SSE block number `at`.
pub fn insert_raw(bytes: &[u8], at: usize, extra: &[u8]) -> Vec<u8> {
    let (blocks, tail) = raw_blocks(bytes);
    let mut out = Vec::new();
    for (k, b) in blocks.iter().enumerate() {
        if k == at {
            out.extend_from_slice(extra);
        }
        out.extend_from_slice(b);
    }
    if at >= blocks.len() {
        out.extend_from_slice(extra);
    }
    out.extend_from_slice(&tail);
    out
}

/// `bytes` with a blank text block of `index` inserted before SSE block
/// number `at`, and every later index ≥ `index` of that message raised by one.
pub fn insert_blank(bytes: &[u8], at: usize, index: u64, shape: Blank) -> Vec<u8> {
    insert_blank_into(&blocks_with_events(bytes), at, index, shape)
}

/// [`insert_blank`] on the output of [`blocks_with_events`].
pub fn insert_blank_into(blocks: &Blocks, at: usize, index: u64, shape: Blank) -> Vec<u8> {
    let mut out = Vec::new();
    let mut shifting = false;
    for (k, (raw, v, digits)) in blocks.iter().enumerate() {
        if k == at {
            out.extend(blank_block(shape, index));
            shifting = true;
        }
        let ty = v.as_ref().and_then(|v| v["type"].as_str()).unwrap_or("");
        if ty == "message_start" {
            shifting = false;
        }
        match (v.as_ref().and_then(|v| v["index"].as_u64()), digits) {
            (Some(i), Some(d)) if shifting && i >= index => {
                out.extend_from_slice(&raw[..d.start]);
                out.extend_from_slice((i + 1).to_string().as_bytes());
                out.extend_from_slice(&raw[d.end..]);
            }
            _ => out.extend_from_slice(raw),
        }
    }
    if at == blocks.len() {
        out.extend(blank_block(shape, index));
    }
    out
}

/// Where to insert a blank block in a real stream: (name, SSE block number,
/// index) for the start, middle and end of each message, before its first
/// tool_use and after its first thinking block.
pub fn insertion_points(bytes: &[u8]) -> Vec<(&'static str, usize, u64)> {
    let blocks = blocks_with_events(bytes);
    let mut points = Vec::new();
    let mut k = 0;
    while k < blocks.len() {
        let Some(v) = &blocks[k].1 else {
            k += 1;
            continue;
        };
        if v["type"] != "message_start" {
            k += 1;
            continue;
        }
        let pre = v["message"]["content"].as_array().map_or(0, |a| a.len()) as u64;
        let end = (k + 1..blocks.len())
            .find(|&j| {
                blocks[j]
                    .1
                    .as_ref()
                    .is_some_and(|v| v["type"] == "message_start")
            })
            .unwrap_or(blocks.len());
        let mut starts = Vec::new();
        let mut last_stop = None;
        let mut next_index = pre;
        for (j, (_, w, _)) in blocks.iter().enumerate().take(end).skip(k + 1) {
            let Some(w) = w else { continue };
            match w["type"].as_str() {
                Some("content_block_start") => {
                    let i = w["index"].as_u64().unwrap();
                    starts.push((
                        j,
                        i,
                        w["content_block"]["type"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    ));
                    next_index = next_index.max(i + 1);
                }
                Some("content_block_stop") => last_stop = Some((j, w["index"].as_u64().unwrap())),
                _ => {}
            }
        }
        match starts.first() {
            Some(&(j, i, _)) => points.push(("start", j, i)),
            None => points.push(("start", k + 1, pre)),
        }
        if starts.len() > 2 {
            let (j, i, _) = starts[starts.len() / 2];
            points.push(("middle", j, i));
        }
        if let Some((j, _)) = last_stop {
            points.push(("end", j + 1, next_index));
        }
        if let Some((j, i, _)) = starts.iter().find(|s| s.2 == "tool_use") {
            points.push(("before-tool-use", *j, *i));
        }
        if let Some((_, i, _)) = starts.iter().find(|s| s.2 == "thinking") {
            let stop = (k + 1..end).find(|&j| {
                blocks[j]
                    .1
                    .as_ref()
                    .is_some_and(|w| w["type"] == "content_block_stop" && w["index"] == *i)
            });
            if let Some(j) = stop {
                points.push(("after-thinking", j + 1, i + 1));
            }
        }
        k = end;
    }
    points
}

/// `assert_eq!` for long byte strings: shows where they part, not all of them.
#[track_caller]
pub fn assert_bytes_eq(actual: &[u8], expected: &[u8], context: &str) {
    if actual != expected {
        let at = actual
            .iter()
            .zip(expected)
            .take_while(|(a, b)| a == b)
            .count();
        let show = |s: &[u8]| {
            String::from_utf8_lossy(&s[at.saturating_sub(80)..(at + 160).min(s.len())]).into_owned()
        };
        panic!(
            "{context}: outputs differ at byte {at} (lengths {} and {})\n  actual:   {:?}\n  expected: {:?}",
            actual.len(),
            expected.len(),
            show(actual),
            show(expected)
        );
    }
}
