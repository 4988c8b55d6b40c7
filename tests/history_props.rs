//! Properties over real requests with real-client defects applied (seeded
//! xorshift; `SSE_SEED=<n>` to reproduce or explore):
//! - the raw body is not clean;
//! - the normalized body is clean, and normalizing it again changes nothing;
//! - every non-blank text, tool id, tool input and signature of the raw body is
//!   still in the output.

mod common;

use common::{accepted, Api};
use serde_json::{json, Value};
use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::Limits;
use std::borrow::Cow;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ORPHAN: &str = "toolu_01TrimmedAway";

fn msgs(body: &mut Value) -> &mut Vec<Value> {
    body["messages"].as_array_mut().unwrap()
}

/// Message content as an array (string content becomes one text block).
fn blocks(m: &mut Value) -> &mut Vec<Value> {
    if let Some(s) = m["content"].as_str() {
        m["content"] = json!([{"type": "text", "text": s}]);
    }
    m["content"].as_array_mut().unwrap()
}

fn positions(body: &Value, pred: impl Fn(&Value) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, m) in body["messages"].as_array().unwrap().iter().enumerate() {
        for (j, b) in m["content"].as_array().into_iter().flatten().enumerate() {
            if pred(b) {
                out.push((i, j));
            }
        }
    }
    out
}

fn is_type(b: &Value, t: &str) -> bool {
    b["type"] == t
}

/// Applies defect number `which`; false when the body has no place for it.
fn mutate(body: &mut Value, which: usize, rng: &mut Rng) -> bool {
    let n = msgs(body).len();
    match which {
        // Empty text block before a tool_use (or anywhere in an assistant turn).
        0 => {
            let tu = positions(body, |b| is_type(b, "tool_use"));
            let (i, j) = if tu.is_empty() {
                let a: Vec<usize> = (0..n)
                    .filter(|&i| body["messages"][i]["role"] == "assistant")
                    .collect();
                if a.is_empty() {
                    return false;
                }
                (a[rng.below(a.len())], 0)
            } else {
                tu[rng.below(tu.len())]
            };
            blocks(&mut msgs(body)[i]).insert(j, json!({"type": "text", "text": ""}));
        }
        // {"type":"text"} with no text.
        1 => {
            let i = rng.below(n);
            let b = blocks(&mut msgs(body)[i]);
            let at = rng.below(b.len() + 1);
            b.insert(at, json!({"type": "text"}));
        }
        // A tool_use carrying tool_use_id:"", content:"", text:"".
        2 => {
            let tu = positions(body, |b| is_type(b, "tool_use"));
            let Some(&(i, j)) = tu.get(rng.below(tu.len())) else {
                return false;
            };
            let b = &mut msgs(body)[i]["content"][j];
            b["tool_use_id"] = json!("");
            b["content"] = json!("");
            b["text"] = json!("");
        }
        // input as a JSON string ("" for no arguments).
        3 => {
            let tu = positions(body, |b| is_type(b, "tool_use") && b["input"].is_object());
            let Some(&(i, j)) = tu.get(rng.below(tu.len())) else {
                return false;
            };
            let b = &mut msgs(body)[i]["content"][j];
            let s = if b["input"].as_object().is_some_and(|o| o.is_empty()) && rng.below(2) == 0 {
                String::new()
            } else {
                b["input"].to_string()
            };
            b["input"] = json!(s);
        }
        // An empty block holding cache_control after a non-empty one.
        4 => {
            let i = rng.below(n);
            let b = blocks(&mut msgs(body)[i]);
            let at = (rng.below(b.len()) + 1).min(b.len());
            b.insert(
                at,
                json!({"type": "text", "text": "", "cache_control": {"type": "ephemeral"}}),
            );
        }
        // A message left empty (not final).
        5 => {
            let at = rng.below(n);
            let m = if rng.below(2) == 0 {
                json!({"role": "user", "content": ""})
            } else {
                json!({"role": "assistant", "content": []})
            };
            msgs(body).insert(at, m);
        }
        // An interrupted tool call: a tool_result goes missing.
        6 => {
            let tr = positions(body, |b| {
                is_type(b, "tool_result") && b["tool_use_id"] != ORPHAN
            });
            let Some(&(i, j)) = tr.get(rng.below(tr.len())) else {
                return false;
            };
            let b = blocks(&mut msgs(body)[i]);
            b.remove(j);
            if b.is_empty() {
                b.push(json!({"type": "text", "text": "Never mind, go on."}));
            }
        }
        // An orphan tool_result at the start of the first user message.
        7 => {
            let Some(i) = (0..n).find(|&i| body["messages"][i]["role"] == "user") else {
                return false;
            };
            blocks(&mut msgs(body)[i]).insert(
                0,
                json!({"type": "tool_result", "tool_use_id": ORPHAN, "content": "stale result text"}),
            );
        }
        // A prefill with trailing whitespace.
        8 => {
            if body["messages"][n - 1]["role"] != "user" {
                return false;
            }
            msgs(body).push(json!({"role": "assistant", "content": "Sure, here it is: "}));
        }
        // An empty system block.
        9 => match &mut body["system"] {
            Value::Array(a) => a.insert(0, json!({"type": "text", "text": " \n"})),
            Value::Null => body["system"] = json!([{"type": "text", "text": ""}]),
            _ => return false,
        },
        // Typed text before the tool results.
        10 => {
            let tr = positions(body, |b| is_type(b, "tool_result"));
            let Some(&(i, _)) = tr.get(rng.below(tr.len())) else {
                return false;
            };
            blocks(&mut msgs(body)[i])
                .insert(0, json!({"type": "text", "text": "Here are the results:"}));
        }
        _ => unreachable!(),
    }
    true
}

/// Every string in a value, recursively.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// What must survive: non-blank texts, tool ids, signatures, and tool inputs.
fn needles(body: &Value) -> (Vec<String>, Vec<(String, Value)>) {
    let mut texts = Vec::new();
    let mut inputs = Vec::new();
    for m in body["messages"].as_array().unwrap() {
        if let Some(s) = m["content"].as_str() {
            texts.push(s.trim().to_string());
        }
        for b in m["content"].as_array().into_iter().flatten() {
            for key in ["text", "id", "tool_use_id", "signature", "thinking", "data"] {
                if let Some(s) = b[key].as_str() {
                    texts.push(s.trim().to_string());
                }
            }
            if let Some(s) = b["content"].as_str().filter(|_| is_type(b, "tool_result")) {
                texts.push(s.trim().to_string());
            }
            for c in b["content"].as_array().into_iter().flatten() {
                if let Some(s) = c["text"].as_str() {
                    texts.push(s.trim().to_string());
                }
            }
            if is_type(b, "tool_use") {
                let input = match &b["input"] {
                    Value::String(s) if s.trim().is_empty() => json!({}),
                    Value::String(s) => serde_json::from_str(s).unwrap(),
                    v => v.clone(),
                };
                inputs.push((b["id"].as_str().unwrap_or_default().to_string(), input));
            }
        }
    }
    texts.retain(|t| !t.is_empty());
    (texts, inputs)
}

#[test]
fn mutated_real_requests() {
    let seed: u64 = std::env::var("SSE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026);
    println!("SSE_SEED={seed}");
    let mut rng = Rng(seed.max(1));
    let corpus = accepted(Api::Anthropic);
    let limits = Limits::default();
    let options = NormalizeOptions::default();
    let mut cases = 0;
    for round in 0..4 {
        for (k, r) in corpus.iter().enumerate() {
            let mut body = r.body.clone();
            let mut applied = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let which = rng.below(11);
                if mutate(&mut body, which, &mut rng) {
                    applied.push(which);
                }
            }
            if applied.is_empty() {
                continue;
            }
            cases += 1;
            let what = format!(
                "{} #{} round {round} case {k}, defects {applied:?}, SSE_SEED={seed}",
                r.source, r.index
            );
            let raw = serde_json::to_vec(&body).unwrap();
            let before = validate_bytes(&raw, Profile::Anthropic, &limits).unwrap();
            assert!(!before.is_empty(), "{what}: defects not detected");
            let (out, changes) = normalize_bytes(&raw, &options).unwrap();
            assert!(!changes.is_empty(), "{what}");
            // NOTE: a defect no rule fixes may remain: a prefill (defect 8)
            // on a model that refuses prefills (prefill-unsupported).
            let after: Vec<_> = validate_bytes(&out, Profile::Anthropic, &limits)
                .unwrap()
                .into_iter()
                .filter(|v| sse_sanitizer::history::rule(v.rule).unwrap().fix.is_some())
                .collect();
            assert!(
                after.is_empty(),
                "{what}: left {after:#?}\nchanges {changes:#?}"
            );
            let (again, more) = normalize_bytes(&out, &options).unwrap();
            assert!(
                more.is_empty() && matches!(again, Cow::Borrowed(_)),
                "{what}: not idempotent {more:#?}"
            );

            let output: Value = serde_json::from_slice(&out).unwrap();
            let mut all = Vec::new();
            strings(&output, &mut all);
            let (texts, inputs) = needles(&body);
            for t in texts {
                assert!(all.iter().any(|s| s.contains(&t)), "{what}: lost {t:?}");
            }
            let out_inputs = needles(&output).1;
            for i in inputs {
                assert!(out_inputs.contains(&i), "{what}: lost tool input {i:?}");
            }
        }
    }
    println!("{cases} mutated requests: detected, fixed, idempotent, nothing lost");
    assert!(cases > 500);
}

/// Under bedrock the same mutated bodies normalize to something with no fixable
/// violation left, idempotently.
#[test]
fn mutated_real_requests_bedrock() {
    let seed: u64 = std::env::var("SSE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut rng = Rng(seed.max(1));
    let limits = Limits::default();
    let options = NormalizeOptions {
        profile: Profile::Bedrock,
        ..Default::default()
    };
    for r in accepted(Api::Anthropic)
        .iter()
        .chain(&accepted(Api::Bedrock))
    {
        let mut body = r.body.clone();
        for _ in 0..1 + rng.below(3) {
            let which = rng.below(11);
            mutate(&mut body, which, &mut rng);
        }
        let raw = serde_json::to_vec(&body).unwrap();
        let (out, _) = normalize_bytes(&raw, &options).unwrap();
        let after = validate_bytes(&out, Profile::Bedrock, &limits).unwrap();
        let fixable: Vec<_> = after
            .iter()
            .filter(|v| {
                sse_sanitizer::history::rule(v.rule).unwrap().fix.is_some()
                    && v.rule != "unknown-field"
                    && !(v.rule == "merge-roles" && v.hint.is_some())
            })
            .collect();
        assert!(
            fixable.is_empty(),
            "{} #{}: {fixable:#?}",
            r.source,
            r.index
        );
        let (_, more) = normalize_bytes(&out, &options).unwrap();
        assert!(more.is_empty(), "{} #{}: {more:#?}", r.source, r.index);
    }
}
