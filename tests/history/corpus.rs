//! False positives: every request body the real API accepted must come back
//! unchanged, with zero changes, and validate clean. Also writes (UPDATE=1) or
//! checks `tests/fixtures/requests.jsonl`, the extracted bodies the JS tests and
//! benchmarks read.

use crate::support::requests::{
    accepted, accepted_dir, recorded_in, recorded_requests, Api, Recorded,
};
use serde_json::{json, Value};
use sse_sanitizer::history::{
    normalize, normalize_bytes, validate, validate_bytes, NormalizeOptions, Profile,
};
use sse_sanitizer::Limits;
use std::borrow::Cow;

fn check_clean(api: Api, profile: Profile) -> usize {
    check_all_clean(&accepted(api), profile)
}

fn check_all_clean(reqs: &[Recorded], profile: Profile) -> usize {
    let options = NormalizeOptions {
        profile,
        ..Default::default()
    };
    let mut failures = Vec::new();
    for r in reqs {
        let what = format!("{} #{}", r.source, r.index);
        // The exact recorded bytes.
        let (out, changes) = normalize_bytes(r.raw.as_bytes(), &options).unwrap();
        if !changes.is_empty() || !matches!(out, Cow::Borrowed(_)) {
            failures.push(format!("{what}: changes {changes:#?}"));
        }
        let violations = validate_bytes(r.raw.as_bytes(), profile, &Limits::default()).unwrap();
        if !violations.is_empty() {
            failures.push(format!("{what}: violations {violations:#?}"));
        }
        // The Value path.
        let (value, changes) = normalize(r.body.clone(), &options).unwrap();
        assert!(changes.is_empty() && value == r.body, "{what}");
        assert!(validate(&r.body, profile).unwrap().is_empty(), "{what}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    reqs.len()
}

#[test]
fn accepted_anthropic_requests_are_left_alone() {
    let n = check_clean(Api::Anthropic, Profile::Anthropic);
    println!("{n} accepted /v1/messages request bodies: unchanged, zero changes, clean");
    assert!(n >= 150, "only {n} requests extracted");
}

#[test]
fn accepted_bedrock_requests_are_left_alone() {
    let n = check_clean(Api::Bedrock, Profile::BedrockInvoke);
    println!("{n} accepted Bedrock InvokeModel bodies: unchanged, clean under bedrock-invoke");
    assert!(n >= 30, "only {n} requests extracted");
    // They hold nothing the Converse rules refuse either.
    check_clean(Api::Bedrock, Profile::Bedrock);
}

#[test]
fn accepted_vertex_requests_are_left_alone() {
    let n = check_clean(Api::Vertex, Profile::Anthropic);
    println!("{n} accepted Vertex rawPredict bodies: unchanged, clean");
    assert!(n >= 10, "only {n} requests extracted");
}

/// Accepted requests with mid-conversation `role: "system"` messages
/// (tests/accepted): nothing reported, nothing changed, under the profile of
/// the API each went to.
#[test]
fn accepted_mid_conversation_system_messages_are_left_alone() {
    let all = recorded_in(&accepted_dir().join("exchanges"));
    assert!(
        all.iter().all(|r| (200..300).contains(&r.status)),
        "only accepted requests"
    );
    let of = |api| {
        all.iter()
            .filter(|r| r.api == api)
            .cloned()
            .collect::<Vec<_>>()
    };
    let (anthropic, invoke) = (of(Api::Anthropic), of(Api::Bedrock));
    let system_messages = all
        .iter()
        .flat_map(|r| r.body["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["role"] == "system")
        .count();
    assert!(anthropic.len() >= 12 && invoke.len() == 1 && system_messages >= 13);
    check_all_clean(&anthropic, Profile::Anthropic);
    check_all_clean(&invoke, Profile::BedrockInvoke);
    println!(
        "{} accepted requests with {system_messages} mid-conversation system messages: unchanged, clean",
        all.len()
    );
}

/// The corpus also holds requests the API refused: the validator must give the
/// refusal's exact text.
#[test]
fn rejected_requests_get_the_upstream_text() {
    let rejected: Vec<_> = recorded_requests()
        .into_iter()
        .filter(|r| r.api == Api::Anthropic && r.status == 400)
        .collect();
    assert_eq!(rejected.len(), 1);
    let v = validate_bytes(
        rejected[0].raw.as_bytes(),
        Profile::Anthropic,
        &Limits::default(),
    )
    .unwrap();
    let messages: Vec<&str> = v.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        ["messages.0.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_01GHndag5wQmbzNihYmV2UBj. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."]
    );

    // Bedrock refused an image given by URL.
    let rejected: Vec<_> = recorded_requests()
        .into_iter()
        .filter(|r| r.api == Api::Bedrock && r.status == 400)
        .collect();
    assert_eq!(rejected.len(), 1);
    let v = validate_bytes(
        rejected[0].raw.as_bytes(),
        Profile::Bedrock,
        &Limits::default(),
    )
    .unwrap();
    let messages: Vec<&str> = v.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        ["messages.0.content.1.image.source.base64.data: URL sources are not supported"]
    );

    let path = crate::support::corpus_dir()
        .join("responses/vercel-ai__anthropic-issue-17366-orphan-tool-result.1.json");
    let pair: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = validate(&pair["request"], Profile::Anthropic).unwrap();
    let messages: Vec<&str> = v.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(
        messages,
        [pair["response"]["body"]["error"]["message"]
            .as_str()
            .unwrap()]
    );
    // And the fix makes both acceptable.
    let (fixed, changes) =
        normalize(pair["request"].clone(), &NormalizeOptions::default()).unwrap();
    let rules: Vec<&str> = changes.iter().map(|c| c.rule).collect();
    // The orphan becomes text, then the real tool_result moves back to the
    // front; that text after the tool_result ends the turn, leaving the
    // deferred web_search call without its result: it goes too.
    assert_eq!(
        rules,
        [
            "orphan-tool-result",
            "tool-result-first",
            "server-tool-pairing"
        ],
        "{changes:#?}"
    );
    assert!(validate(&fixed, Profile::Anthropic).unwrap().is_empty());
}

/// `tests/fixtures/accepted.jsonl`: the bodies of tests/accepted with the
/// profile of the API each went to, for the JS tests.
#[test]
fn fixture_accepted_jsonl_is_current() {
    let path = crate::support::corpus_dir().join("../fixtures/accepted.jsonl");
    let mut text = String::new();
    for r in recorded_in(&accepted_dir().join("exchanges")) {
        let profile = match r.api {
            Api::Bedrock => "bedrock-invoke",
            _ => "anthropic",
        };
        let line =
            json!({"source": r.source, "index": r.index, "profile": profile, "body": r.body});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    if std::env::var_os("UPDATE").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "tests/fixtures/accepted.jsonl is stale: run `UPDATE=1 cargo test --test history_corpus`"
    );
}

#[test]
fn fixture_requests_jsonl_is_current() {
    let path = crate::support::corpus_dir().join("../fixtures/requests.jsonl");
    let mut text = String::new();
    for r in accepted(Api::Anthropic) {
        let line = json!({"source": r.source, "index": r.index, "body": r.body});
        text.push_str(&line.to_string());
        text.push('\n');
    }
    if std::env::var_os("UPDATE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "tests/fixtures/requests.jsonl is stale: run `UPDATE=1 cargo test --test history corpus`"
    );
}
