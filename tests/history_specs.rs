//! Text-file spec tests of the history normalizer and validator, one case per file
//! in `tests/specs/history/*.txt` (deno_graph style). A file is:
//!
//! ```text
//! // free text: what real client produces this
//! profile: anthropic            (or bedrock; default anthropic)
//! strictFields: false           (optional)
//! capCacheControl: false        (optional)
//! disabledRules: a, b           (optional)
//! # input
//! <the request body, as sent>
//! # output
//! <the normalized body, pretty-printed; `unchanged` when the same bytes came back>
//! # changes
//! <JSON array of changes>
//! # violations of the raw input
//! <JSON array: what the upstream would answer to the input>
//! # violations
//! <JSON array: what remains after normalizing>
//! ```
//!
//! `UPDATE=1 cargo test --test history_specs` rewrites every section after `# input`.
//! Every case also checks the guarantees: idempotence, no fixable violation left,
//! thinking blocks byte-identical.

use serde_json::Value;
use sse_sanitizer::history::{
    normalize_bytes, rule, validate_bytes, NormalizeOptions, Profile, RULES,
};
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

struct Spec {
    header: String,
    options: NormalizeOptions,
    input: String,
    expected: Vec<(String, String)>,
}

fn parse(text: &str) -> Spec {
    let (header, rest) = text.split_once("# input\n").expect("a `# input` line");
    let mut options = NormalizeOptions::default();
    for line in header.lines() {
        if let Some((k, v)) = line.split_once(": ") {
            match k {
                "profile" => options.profile = v.trim().parse().unwrap(),
                "strictFields" => options.strict_fields = v.trim() == "true",
                "capCacheControl" => options.cap_cache_control = v.trim() == "true",
                "disabledRules" => {
                    options.disabled_rules = v.split(',').map(|s| s.trim().to_string()).collect()
                }
                _ => {}
            }
        }
    }
    // Sections start at lines equal to a section name.
    let mut input = String::new();
    let mut expected: Vec<(String, String)> = Vec::new();
    for line in rest.lines() {
        if SECTIONS.contains(&line) {
            expected.push((line.to_string(), String::new()));
            continue;
        }
        let target = match expected.last_mut() {
            Some((_, body)) => body,
            None => &mut input,
        };
        target.push_str(line);
        target.push('\n');
    }
    for (_, body) in &mut expected {
        *body = body.trim_end().to_string();
    }
    Spec {
        header: header.to_string(),
        options,
        input: input.trim_end().to_string(),
        expected,
    }
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap()
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

fn run(
    spec: &Spec,
    name: &str,
    covered: &mut BTreeSet<(String, Profile)>,
) -> Vec<(String, String)> {
    let limits = Limits::default();
    let profile = spec.options.profile;
    let input = spec.input.as_bytes();
    let raw_violations = validate_bytes(input, profile, &limits).unwrap();
    let (out, changes) = normalize_bytes(input, &spec.options).unwrap();
    let output = match &out {
        Cow::Borrowed(b) => {
            assert!(
                std::ptr::eq(*b, input),
                "{name}: borrowed output is the input"
            );
            assert!(changes.is_empty(), "{name}: borrowed output with changes");
            "unchanged".to_string()
        }
        Cow::Owned(o) => {
            assert!(!changes.is_empty(), "{name}: new bytes without a change");
            pretty(&serde_json::from_slice::<Value>(o).unwrap())
        }
    };
    let after = validate_bytes(&out, profile, &limits).unwrap();

    // Guarantees.
    let (again, more) = normalize_bytes(&out, &spec.options).unwrap();
    assert!(
        more.is_empty() && matches!(again, Cow::Borrowed(_)),
        "{name}: not idempotent: {more:#?}"
    );
    for v in &after {
        let r = rule(v.rule).unwrap();
        let fixable_here = r.fix.is_some()
            && !spec.options.disabled_rules.iter().any(|d| d == r.id)
            && r.opt_in.map_or(true, |name| match name {
                "strictFields" => spec.options.strict_fields,
                "capCacheControl" => spec.options.cap_cache_control,
                _ => false,
            })
            && r.id != "tool-input-string" // an unparseable input stays
            // A merge that would move the latest assistant message's thinking
            // blocks is left undone on purpose (its hint says so).
            && !(r.id == "merge-roles" && v.hint.is_some())
            // A server tool call in a message whose removal is unsafe stays (its hint says why).
            && !(r.id == "server-tool-pairing" && v.hint.is_some());
        assert!(!fixable_here, "{name}: fixable violation left: {v:?}");
    }
    assert_eq!(
        thinking_blocks(input),
        thinking_blocks(&out),
        "{name}: thinking blocks changed"
    );

    for c in &changes {
        covered.insert((c.rule.to_string(), profile));
    }
    for v in &raw_violations {
        covered.insert((v.rule.to_string(), profile));
    }
    vec![
        ("# output".into(), output),
        ("# changes".into(), pretty(&changes)),
        (
            "# violations of the raw input".into(),
            pretty(&raw_violations),
        ),
        ("# violations".into(), pretty(&after)),
    ]
}

#[test]
fn history_specs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/history");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let update = std::env::var_os("UPDATE").is_some();
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let spec = parse(&text);
        let actual = run(&spec, &name, &mut covered);
        if update {
            let mut out = format!("{}# input\n{}\n", spec.header, spec.input);
            for (section, body) in &actual {
                out.push_str(&format!("{section}\n{body}\n"));
            }
            std::fs::write(path, out).unwrap();
            continue;
        }
        for (section, body) in &actual {
            let want = spec
                .expected
                .iter()
                .find(|(s, _)| s == section)
                .map(|(_, b)| b.as_str());
            if want != Some(body.as_str()) {
                failures.push(format!(
                    "{name} {section}\n--- expected\n{}\n--- actual\n{body}",
                    want.unwrap_or("(missing)")
                ));
            }
        }
    }
    println!("{} history spec cases", files.len());
    assert!(
        failures.is_empty(),
        "{} spec mismatch(es); rerun with UPDATE=1 to accept:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // Every rule has a case under every profile it applies to.
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
