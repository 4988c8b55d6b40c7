//! History specs (`tests/specs/history/*.txt`): a request body, the options,
//! and what `normalize` and `validate` make of it. Every case also checks the
//! guarantees: idempotence, no fixable violation left, thinking blocks
//! byte-identical.

use crate::SpecFile;
use serde_json::Value;
use sse_sanitizer::history::{normalize_bytes, rule, validate_bytes, NormalizeOptions, RULES};
use sse_sanitizer::Limits;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

const SECTIONS: [&str; 4] = [
    "# output",
    "# changes",
    "# violations of the raw input",
    "# violations",
];

fn options(spec: &SpecFile, path: &Path) -> NormalizeOptions {
    let known = [
        "profile",
        "strictFields",
        "capCacheControl",
        "rules",
        "placeholderText",
    ];
    NormalizeOptions::from_json(&spec.options_json(path, &known))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// Thinking / redacted_thinking blocks of a body, as exact JSON text, in order.
fn thinking_blocks(body: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(body).unwrap();
    let msgs = v
        .get("messages")
        .unwrap_or(&v)
        .as_array()
        .cloned()
        .unwrap_or_default();
    msgs.iter()
        .filter_map(|m| m["content"].as_array().cloned())
        .flatten()
        .filter(|b| matches!(b["type"].as_str(), Some("thinking" | "redacted_thinking")))
        .map(|b| b.to_string())
        .collect()
}

pub fn run(path: &Path) {
    let name = path.display();
    let spec = SpecFile::parse(path, &std::fs::read_to_string(path).unwrap(), &SECTIONS);
    let options = options(&spec, path);
    let limits = Limits::default();
    let profile = options.profile;
    let input = spec.input.trim_end().as_bytes();
    let raw_violations = validate_bytes(input, profile, &limits).unwrap();
    let (out, changes) = normalize_bytes(input, &options).unwrap();
    let output = match &out {
        Cow::Borrowed(b) => {
            assert!(
                std::ptr::eq(*b, input),
                "{name}: borrowed output is the input"
            );
            assert!(changes.is_empty(), "{name}: borrowed output with changes");
            "unchanged\n".to_string()
        }
        Cow::Owned(o) => {
            assert!(!changes.is_empty(), "{name}: new bytes without a change");
            pretty(&serde_json::from_slice::<Value>(o).unwrap())
        }
    };
    let after = validate_bytes(&out, profile, &limits).unwrap();

    // Guarantees.
    let (again, more) = normalize_bytes(&out, &options).unwrap();
    assert!(
        more.is_empty() && matches!(again, Cow::Borrowed(_)),
        "{name}: not idempotent: {more:#?}"
    );
    for v in &after {
        let fixable_here = rule(v.rule).unwrap().fixes(profile, &options)
            // An unparseable tool input stays.
            && v.rule != "tool-input-string"
            // A merge that would move the latest assistant message's thinking
            // blocks is left undone on purpose (its hint says so).
            && !(v.rule == "merge-roles" && v.hint.is_some())
            // A server tool call whose removal is unsafe stays (its hint says why).
            && !(v.rule == "server-tool-pairing" && v.hint.is_some());
        assert!(!fixable_here, "{name}: fixable violation left: {v:?}");
    }
    assert_eq!(
        thinking_blocks(input),
        thinking_blocks(&out),
        "{name}: thinking blocks changed"
    );

    spec.check(
        path,
        &spec.input,
        &[
            ("# output", output),
            ("# changes", pretty(&changes)),
            ("# violations of the raw input", pretty(&raw_violations)),
            ("# violations", pretty(&after)),
        ],
    );
}

/// Every rule has a case under every profile it applies to: a file whose
/// changes or raw violations name it.
pub fn every_rule_has_a_case() {
    let mut covered = BTreeSet::new();
    for path in crate::harness::files("history") {
        let spec = SpecFile::parse(
            path.as_path(),
            &std::fs::read_to_string(&path).unwrap(),
            &SECTIONS,
        );
        let profile = options(&spec, &path).profile;
        for section in ["# changes", "# violations of the raw input"] {
            let listed: Vec<Value> = spec
                .section(section)
                .map(|s| serde_json::from_str(s).unwrap())
                .unwrap_or_default();
            for entry in listed {
                covered.insert((entry["rule"].as_str().unwrap().to_string(), profile));
            }
        }
    }
    let mut missing = Vec::new();
    for r in RULES {
        for p in r.profiles {
            if !covered.contains(&(r.id.to_string(), *p)) {
                missing.push(format!("{} ({p})", r.id));
            }
        }
    }
    assert!(missing.is_empty(), "rules without a spec case: {missing:?}");
}
