//! Signed thinking never moves: blank text blocks next to thinking blocks, in
//! every real stream with thinking of the corpus (dirty variants with `""` and
//! whitespace blocks injected before, between and after the thinking blocks)
//! and in the two shapes adaptive thinking emits.

#[path = "support/claude.rs"]
mod claude_support;
mod support;

use claude_support::*;
use serde_json::Value;
use sse_sanitizer::claude::{sanitize, Accumulator, Report, SanitizerOptions};
use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions};
use sse_sanitizer::{is_thinking, Placeholder, Profile};
use support::{corpus_streams, seed, XorShift};

fn options(profile: Profile) -> SanitizerOptions {
    SanitizerOptions {
        profile,
        ..SanitizerOptions::default()
    }
}

/// The final message as the SDK builds it (the crate's accumulator, which
/// mirrors `finalMessage()`), or `None` for a stream that gives none.
fn message(bytes: &[u8]) -> Option<Value> {
    let mut acc = Accumulator::new();
    for e in events(bytes) {
        acc.push(&e.event_type, &e.data).ok()?;
    }
    acc.finish().ok()
}

fn content(message: &Value) -> &Vec<Value> {
    message["content"].as_array().expect("content")
}

fn block_is_thinking(b: &Value) -> bool {
    b["type"].as_str().is_some_and(is_thinking)
}

/// What the sanitized message must be: `raw` minus the dropped blocks, with
/// the placeholder appended to the replaced ones.
fn expected(raw: &Value, report: &Report) -> Value {
    let mut out = raw.clone();
    let blocks = out["content"].as_array_mut().unwrap();
    for b in &report.blocks_replaced {
        let block = &mut blocks[b.index as usize];
        let text = block["text"].as_str().unwrap_or_default();
        block["text"] = format!("{text}{}", Placeholder::DEFAULT).into();
    }
    for b in report.blocks_dropped.iter().rev() {
        blocks.remove(b.index as usize);
    }
    out
}

/// Checks one sanitized stream against the stream as sent; returns whether a
/// thinking block moved (only allowed in the documented residual case, which
/// the caller counts).
fn check(variant: &[u8], profile: Profile, ctx: &str) -> bool {
    let (output, report) = sanitize(variant, &options(profile));
    let Some(raw) = message(variant) else {
        return false;
    };
    let clean = message(&output).unwrap_or_else(|| panic!("{ctx}: no message after sanitizing"));
    assert_eq!(clean, expected(&raw, &report), "{ctx}: {report:?}");
    let mut moved = false;
    for (k, b) in content(&raw).iter().enumerate() {
        if block_is_thinking(b) && content(&clean).get(k) != Some(b) {
            moved = true;
        }
    }
    for b in content(&clean) {
        if b["type"] == "text" {
            let text = b["text"].as_str().unwrap_or_default();
            assert!(!text.is_empty(), "{ctx}: an empty text block is left");
            if profile.rejects_whitespace_text() {
                assert!(
                    !text.chars().all(char::is_whitespace),
                    "{ctx}: a whitespace-only text block is left under bedrock"
                );
            }
        }
    }
    moved
}

fn has_thinking(input: &[u8]) -> bool {
    events(input).iter().any(|e| {
        json(e).is_some_and(|v| {
            v["type"] == "content_block_start"
                && v["content_block"]["type"].as_str().is_some_and(is_thinking)
        })
    })
}

/// Every block boundary of every message: before each `content_block_start`
/// (with that block's index) and after the message's last stop.
fn boundaries(blocks: &Blocks) -> Vec<(usize, u64)> {
    let mut points = Vec::new();
    let mut next = 0;
    for (j, (_, v, _)) in blocks.iter().enumerate() {
        let Some(v) = v else { continue };
        match v["type"].as_str() {
            Some("message_start") => next = 0,
            Some("content_block_start") => {
                let i = v["index"].as_u64().unwrap();
                points.push((j, i));
                next = i + 1;
            }
            Some("message_delta") => points.push((j, next)),
            _ => {}
        }
    }
    points
}

#[test]
fn corpus_streams_with_thinking_keep_every_thinking_block_in_place() {
    let mut rng = XorShift::new(seed() ^ 13);
    let (mut streams, mut variants, mut replaced, mut moved) = (0, 0, 0, 0);
    for (name, input) in corpus_streams() {
        if !has_thinking(&input) || !raw_blocks(&input).1.is_empty() {
            continue;
        }
        streams += 1;
        // A real stream with thinking is clean: it passes byte for byte.
        for profile in Profile::ALL {
            let (output, report) = sanitize(&input, &options(profile));
            assert!(output == input, "{name} ({profile}): {report:?}");
        }
        let blocks = blocks_with_events(&input);
        for (at, index) in boundaries(&blocks) {
            for shape in BLANKS {
                let variant = insert_blank_into(&blocks, at, index, shape);
                for profile in Profile::ALL {
                    let ctx = format!("{name}: {shape:?} at block {at} (index {index}), {profile}");
                    if check(&variant, profile, &ctx) {
                        moved += 1;
                    }
                    let (whole, report) = sanitize(&variant, &options(profile));
                    replaced += report.blocks_replaced.len();
                    let sizes = random_sizes(&mut rng, 48);
                    let chunked = run_chunked(&variant, &sizes, &options(profile));
                    assert!(chunked.0 == whole, "{ctx}: chunks {sizes:?}");
                    assert_eq!(chunked.1, report, "{ctx}");
                    let (again, second) = sanitize(&whole, &options(profile));
                    assert!(again == whole, "{ctx}: not idempotent {second:?}");
                    variants += 1;
                }
            }
        }
    }
    println!(
        "{streams} streams with thinking, {variants} dirty variants, {replaced} blocks kept with the placeholder, {moved} thinking blocks moved"
    );
    assert!(streams >= 20, "{streams}");
    assert!(variants >= 1000, "{variants}");
    assert!(replaced > 0);
    assert_eq!(moved, 0, "no corpus variant is the residual case");
}

/// A tool-loop history whose latest assistant message is `content` (as the
/// SDK stored the raw stream), answered by a tool_result when it has a tool_use.
fn history(content: &Value) -> Vec<u8> {
    let mut messages = vec![
        serde_json::json!({"role": "user", "content": "Go on."}),
        serde_json::json!({"role": "assistant", "content": content}),
    ];
    let results: Vec<Value> = content
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .map(
            |b| serde_json::json!({"type": "tool_result", "tool_use_id": b["id"], "content": "ok"}),
        )
        .collect();
    // The next request: the tool results; a paused server tool turn sent back
    // as it is (pause_turn); or the user's next message (Claude 4.6 and later
    // refuse a history that ends with a finished assistant message).
    let blocks = content.as_array().unwrap();
    let answered = |id: &Value| {
        blocks
            .iter()
            .any(|b| b["tool_use_id"] == *id && b["type"] != "tool_result")
    };
    let paused = blocks
        .iter()
        .any(|b| b["type"] == "server_tool_use" && !answered(&b["id"]));
    if !results.is_empty() {
        messages.push(serde_json::json!({"role": "user", "content": results}));
    } else if !paused {
        messages.push(serde_json::json!({"role": "user", "content": "Thanks."}));
    }
    let tools: Vec<Value> = content
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .map(|b| serde_json::json!({"name": b["name"], "input_schema": {"type": "object"}}))
        .collect();
    let body = serde_json::json!({
        "model": "claude-opus-4-6",
        "max_tokens": 1024,
        "thinking": {"type": "adaptive"},
        "tools": tools,
        "messages": messages,
    });
    serde_json::to_vec(&body).unwrap()
}

#[test]
fn histories_replaying_such_messages_normalize_without_moving_thinking() {
    let (mut cases, mut filled) = (0, 0);
    for (name, input) in corpus_streams() {
        if !has_thinking(&input) || !raw_blocks(&input).1.is_empty() {
            continue;
        }
        let blocks = blocks_with_events(&input);
        for (at, index) in boundaries(&blocks) {
            for shape in BLANKS {
                let variant = insert_blank_into(&blocks, at, index, shape);
                let Some(raw) = message(&variant) else {
                    continue;
                };
                let body = history(&raw["content"]);
                for profile in Profile::ALL {
                    let ctx = format!("{name}: {shape:?} at block {at}, {profile}");
                    let options = NormalizeOptions {
                        profile,
                        ..NormalizeOptions::default()
                    };
                    let (out, changes) = normalize_bytes(&body, &options).unwrap();
                    filled += changes
                        .iter()
                        .filter(|c| c.rule == "thinking-position")
                        .count();
                    let out: Value = serde_json::from_slice(&out).unwrap();
                    let sent = &out["messages"][1]["content"];
                    for (k, b) in content(&raw).iter().enumerate() {
                        if block_is_thinking(b) {
                            assert_eq!(&sent[k], b, "{ctx}: thinking block {k} moved or changed");
                        }
                    }
                    for b in sent.as_array().unwrap() {
                        if b["type"] == "text" {
                            let text = b["text"].as_str().unwrap();
                            assert!(!text.is_empty(), "{ctx}");
                            assert!(
                                !profile.rejects_whitespace_text() || !text.trim().is_empty(),
                                "{ctx}: whitespace-only under bedrock"
                            );
                        }
                    }
                    let left = validate_bytes(
                        &serde_json::to_vec(&out).unwrap(),
                        profile,
                        &options.limits,
                    )
                    .unwrap();
                    assert!(left.is_empty(), "{ctx}: {left:#?}");
                    cases += 1;
                }
            }
        }
    }
    println!("{cases} histories normalized, {filled} blank blocks kept with the placeholder");
    assert!(cases >= 1000 && filled > 0, "{cases} {filled}");
}

const START: &str = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-opus-4-6\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n";
const END: &str = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

fn text_block(index: u64, deltas: &[&str]) -> String {
    let mut s = format!("event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{{\"type\":\"text\",\"text\":\"\"}}}}\n\n");
    for d in deltas {
        s += &format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"{d}\"}}}}\n\n");
    }
    s + &format!("event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}}}\n\n")
}

fn thinking_block(index: u64, sig: &str) -> String {
    format!(
        "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}}}\n\n\
         event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}}}\n\n\
         event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"signature_delta\",\"signature\":\"{sig}\"}}}}\n\n\
         event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}}}\n\n"
    )
}

fn tool_block(index: u64) -> String {
    format!(
        "event: content_block_start\ndata: {{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{{}}}}}}\n\n\
         event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":{index}}}\n\n"
    )
}

fn placeholder(index: u64) -> String {
    format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"...\"}}}}\n\n")
}

/// `text_block` with the placeholder delta before its stop.
fn kept_block(index: u64, deltas: &[&str]) -> String {
    let block = text_block(index, deltas);
    let stop = block.rfind("event: content_block_stop").unwrap();
    format!("{}{}{}", &block[..stop], placeholder(index), &block[stop..])
}

#[test]
fn adaptive_shape_whitespace_before_thinking() {
    // The recorded Opus 4.6 shape: ["\n\n", thinking, text, tool_use].
    let input = START.to_string()
        + &text_block(0, &["\\n\\n"])
        + &thinking_block(1, "sig1")
        + &text_block(2, &["Let me look."])
        + &tool_block(3)
        + END;
    let expected = START.to_string()
        + &kept_block(0, &["\\n\\n"])
        + &thinking_block(1, "sig1")
        + &text_block(2, &["Let me look."])
        + &tool_block(3)
        + END;
    for profile in Profile::ALL {
        let (output, report) = sanitize(input.as_bytes(), &options(profile));
        assert_bytes_eq(&output, expected.as_bytes(), profile.as_str());
        assert!(report.blocks_dropped.is_empty());
        let replaced: Vec<_> = report
            .blocks_replaced
            .iter()
            .map(|b| (b.index, b.rule, b.blank))
            .collect();
        assert_eq!(replaced, [(0, "thinking-position", "whitespace-text")]);
        let m = message(&output).unwrap();
        assert_eq!(m["content"][0]["text"], "\n\n...");
        assert_eq!(m["content"][1]["signature"], "sig1");
        check(input.as_bytes(), profile, profile.as_str());
    }
}

#[test]
fn adaptive_shape_empty_separator_between_thinking_blocks() {
    // [thinking(sig1), "", thinking(sig2), text, tool_use], and a trailing
    // blank block after the answer (no thinking follows, none may: dropped,
    // unless a thinking block came earlier, as here: kept).
    let input = START.to_string()
        + &thinking_block(0, "sig1")
        + &text_block(1, &[])
        + &thinking_block(2, "sig2")
        + &text_block(3, &["answer"])
        + &tool_block(4)
        + END;
    let expected = START.to_string()
        + &thinking_block(0, "sig1")
        + &kept_block(1, &[])
        + &thinking_block(2, "sig2")
        + &text_block(3, &["answer"])
        + &tool_block(4)
        + END;
    for profile in Profile::ALL {
        let (output, report) = sanitize(input.as_bytes(), &options(profile));
        assert_bytes_eq(&output, expected.as_bytes(), profile.as_str());
        assert_eq!(report.blocks_replaced.len(), 1);
        assert_eq!(
            serde_json::to_value(report.blocks_replaced[0].reason).unwrap(),
            "thinking-follows"
        );
        let m = message(&output).unwrap();
        assert_eq!(m["content"][2]["signature"], "sig2");
    }
}

#[test]
fn blank_blocks_without_thinking_around_are_dropped_as_before() {
    // ["", text, "", tool_use]: no thinking anywhere, both blank blocks go
    // and the later indices are renumbered.
    let input = START.to_string()
        + &text_block(0, &[])
        + &text_block(1, &["hi"])
        + &text_block(2, &[""])
        + &tool_block(3)
        + END;
    let expected = START.to_string() + &text_block(0, &["hi"]) + &tool_block(1) + END;
    let (output, report) = sanitize(input.as_bytes(), &options(Profile::Anthropic));
    assert_bytes_eq(&output, expected.as_bytes(), "anthropic");
    assert_eq!(report.blocks_dropped.len(), 2);
    assert!(report.blocks_replaced.is_empty());
}

#[test]
fn a_blank_block_after_thinking_is_kept_when_it_would_be_dropped() {
    // [thinking, "", tool_use]: another thinking block could follow (the
    // stream cannot know), so the empty block stays with the placeholder; a
    // whitespace block there is accepted by Anthropic and passes untouched,
    // but is kept with the placeholder under bedrock.
    let empty =
        START.to_string() + &thinking_block(0, "s") + &text_block(1, &[]) + &tool_block(2) + END;
    let (output, report) = sanitize(empty.as_bytes(), &options(Profile::Anthropic));
    let expected =
        START.to_string() + &thinking_block(0, "s") + &kept_block(1, &[]) + &tool_block(2) + END;
    assert_bytes_eq(&output, expected.as_bytes(), "empty");
    assert_eq!(
        serde_json::to_value(report.blocks_replaced[0].reason).unwrap(),
        "thinking-earlier"
    );

    let ws =
        START.to_string() + &thinking_block(0, "s") + &text_block(1, &[" "]) + &tool_block(2) + END;
    let (output, report) = sanitize(ws.as_bytes(), &options(Profile::Anthropic));
    assert!(output == ws.as_bytes() && report.blocks_replaced.is_empty());
    let (output, _) = sanitize(ws.as_bytes(), &options(Profile::Bedrock));
    let expected =
        START.to_string() + &thinking_block(0, "s") + &kept_block(1, &[" "]) + &tool_block(2) + END;
    assert_bytes_eq(&output, expected.as_bytes(), "whitespace, bedrock");
}

#[test]
fn a_chain_of_blank_blocks_before_thinking_is_kept_whole() {
    let input = START.to_string()
        + &text_block(0, &[])
        + "event: ping\ndata: {\"type\": \"ping\"}\n\n"
        + &text_block(1, &["\\n"])
        + &thinking_block(2, "s")
        + END;
    let expected = START.to_string()
        + &kept_block(0, &[])
        + "event: ping\ndata: {\"type\": \"ping\"}\n\n"
        + &kept_block(1, &["\\n"])
        + &thinking_block(2, "s")
        + END;
    for profile in Profile::ALL {
        let (output, _) = sanitize(input.as_bytes(), &options(profile));
        assert_bytes_eq(&output, expected.as_bytes(), profile.as_str());
    }
    // The same chain before a tool_use: dropped (bedrock) or the whitespace
    // one kept as it is (anthropic), renumbered.
    let input =
        START.to_string() + &text_block(0, &[]) + &text_block(1, &["\\n"]) + &tool_block(2) + END;
    let (output, _) = sanitize(input.as_bytes(), &options(Profile::Bedrock));
    assert_bytes_eq(
        &output,
        (START.to_string() + &tool_block(0) + END).as_bytes(),
        "bedrock",
    );
    let (output, _) = sanitize(input.as_bytes(), &options(Profile::Anthropic));
    let expected = START.to_string() + &text_block(0, &["\\n"]) + &tool_block(1) + END;
    assert_bytes_eq(&output, expected.as_bytes(), "anthropic");
}

#[test]
fn the_placeholder_event_follows_the_framing_of_the_stream() {
    let lf = START.to_string() + &text_block(0, &[]) + &thinking_block(1, "s") + END;
    // CRLF line endings, and the data-only form (no `event:` lines).
    let crlf = lf.replace('\n', "\r\n");
    let (output, _) = sanitize(crlf.as_bytes(), &options(Profile::Anthropic));
    let expected = (START.to_string() + &kept_block(0, &[]) + &thinking_block(1, "s") + END)
        .replace('\n', "\r\n");
    assert_bytes_eq(&output, expected.as_bytes(), "crlf");
    let bare: String = lf
        .lines()
        .filter(|l| !l.starts_with("event:"))
        .map(|l| format!("{l}\n"))
        .collect();
    // By default every data-only Claude event gets its `event:` line back
    // (the SDK ignores unnamed events), the placeholder delta too.
    let (output, report) = sanitize(bare.as_bytes(), &options(Profile::Anthropic));
    let named = START.to_string() + &kept_block(0, &[]) + &thinking_block(1, "s") + END;
    assert_bytes_eq(&output, named.as_bytes(), "data only, named");
    assert_eq!(report.events_named, 9);
    let unnamed = SanitizerOptions {
        event_names: false,
        ..SanitizerOptions::default()
    };
    let (output, report) = sanitize(bare.as_bytes(), &unnamed);
    let expected: String =
        (START.to_string() + &kept_block(0, &[]) + &thinking_block(1, "s") + END)
            .lines()
            .filter(|l| !l.starts_with("event:"))
            .map(|l| format!("{l}\n"))
            .collect();
    assert_bytes_eq(&output, expected.as_bytes(), "data only");
    assert_eq!(report.blocks_replaced.len(), 1);
    // A custom placeholder, JSON-escaped.
    let opts = SanitizerOptions {
        placeholder: Placeholder::new("\"…\"").unwrap(),
        ..SanitizerOptions::default()
    };
    let (output, _) = sanitize(lf.as_bytes(), &opts);
    let m = message(&output).unwrap();
    assert_eq!(m["content"][0]["text"], "\"…\"");
}

#[test]
fn a_blank_block_is_held_only_until_the_next_block_starts() {
    use sse_sanitizer::claude::StreamSanitizer;
    let head = START.to_string() + &text_block(0, &[]);
    let mut s = StreamSanitizer::new(options(Profile::Anthropic));
    let mut out = Vec::new();
    s.push(head.as_bytes(), &mut out);
    assert_eq!(out, START.as_bytes(), "the ended blank block waits");
    out.clear();
    s.push(thinking_block(1, "s").as_bytes(), &mut out);
    let expected = kept_block(0, &[]) + &thinking_block(1, "s");
    assert_bytes_eq(&out, expected.as_bytes(), "released with the next start");
}

#[test]
fn the_trace_says_what_became_of_each_event() {
    use sse_sanitizer::claude::TraceAction;
    let input = START.to_string()
        + &text_block(0, &[])
        + &thinking_block(1, "s")
        + &text_block(2, &[""])
        + &tool_block(3)
        + END;
    let options = SanitizerOptions {
        trace: true,
        ..SanitizerOptions::default()
    };
    let (output, report) = sanitize(input.as_bytes(), &options);
    let actions: Vec<_> = report
        .trace
        .iter()
        .map(|e| {
            (
                e.event,
                e.action,
                e.index,
                e.new_index,
                e.held_until,
                e.rule,
            )
        })
        .collect();
    use TraceAction::*;
    assert_eq!(
        actions,
        [
            (Some(0), Kept, None, None, None, None),
            // The empty block before the thinking block: held until the
            // thinking block started (event 3), then kept with the placeholder.
            (Some(1), Kept, Some(0), None, Some(3), None),
            (
                None,
                Inserted,
                Some(0),
                None,
                None,
                Some("thinking-position")
            ),
            (Some(2), Kept, Some(0), None, Some(3), None),
            (Some(3), Kept, None, None, None, None),
            (Some(4), Kept, None, None, None, None),
            (Some(5), Kept, None, None, None, None),
            (Some(6), Kept, None, None, None, None),
            // The blank block after it (a thinking block came earlier):
            // kept with the placeholder too, decided when the tool_use started.
            (Some(7), Kept, Some(2), None, Some(10), None),
            (Some(8), Kept, Some(2), None, Some(10), None),
            (
                None,
                Inserted,
                Some(2),
                None,
                None,
                Some("thinking-position")
            ),
            (Some(9), Kept, Some(2), None, Some(10), None),
            (Some(10), Kept, None, None, None, None),
            (Some(11), Kept, None, None, None, None),
            (Some(12), Kept, None, None, None, None),
            (Some(13), Kept, None, None, None, None),
        ]
    );
    let inserted = report.trace[2].output.unwrap();
    assert_eq!(
        &output[inserted[0] as usize..inserted[1] as usize],
        placeholder(0).as_bytes()
    );

    // Without thinking: the blank blocks are dropped, the rest renumbered.
    let input = START.to_string() + &text_block(0, &[]) + &tool_block(1) + END;
    let (_, report) = sanitize(input.as_bytes(), &options);
    let actions: Vec<_> = report
        .trace
        .iter()
        .map(|e| (e.action, e.index, e.new_index, e.rule))
        .collect();
    assert_eq!(
        actions,
        [
            (Kept, None, None, None),
            (Dropped, Some(0), None, Some("empty-text")),
            (Dropped, Some(0), None, Some("empty-text")),
            (Renumbered, Some(1), Some(0), None),
            (Renumbered, Some(1), Some(0), None),
            (Kept, None, None, None),
            (Kept, None, None, None),
        ]
    );
}

#[test]
fn a_start_reusing_a_dropped_index_takes_its_place() {
    // A gateway that numbers from its own view: the blank block 0 goes, the
    // next block restarts at 0; it keeps 0 and the tool_use keeps 1.
    let input =
        START.to_string() + &text_block(0, &[]) + &text_block(0, &["hi"]) + &tool_block(1) + END;
    let (output, report) = sanitize(input.as_bytes(), &options(Profile::Anthropic));
    let expected = START.to_string() + &text_block(0, &["hi"]) + &tool_block(1) + END;
    assert_bytes_eq(&output, expected.as_bytes(), "reused index");
    let codes: Vec<_> = report.notes.iter().map(|n| n.code).collect();
    assert_eq!(codes, ["index-reused"]);
    let m = message(&output).unwrap();
    assert_eq!(m["content"][0]["text"], "hi");
    assert_eq!(m["content"][1]["type"], "tool_use");
    let (again, second) = sanitize(&output, &options(Profile::Anthropic));
    assert!(again == output && second.notes.is_empty());
}
