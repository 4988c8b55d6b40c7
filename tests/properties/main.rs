//! Deterministic property suite: the fuzz properties (`fuzz/properties.rs`)
//! over real corpus streams and request bodies and seeded mutations of them
//! (`SSE_SEED`), real requests with real-client defects (`defects`), and the
//! fuzz findings (`regressions`). Also writes the fuzzers' seed corpus
//! (`fuzz/seeds.sh`).

#[path = "../../fuzz/properties.rs"]
mod properties;
#[path = "../support/mod.rs"]
mod support;

mod defects;
mod regressions;

use std::path::Path;
use support::{corpus_streams, seed, XorShift};

/// Applies a few random byte-level mutations: flips, deletions, duplications
/// of a slice, inserted SSE/JSON tokens.
pub fn mutate(rng: &mut XorShift, input: &[u8], tokens: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            out.extend_from_slice(tokens[rng.below(tokens.len())]);
            continue;
        }
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + rng.below(32)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(64)).min(out.len());
                let dup = out[at..end].to_vec();
                out.splice(at..at, dup);
            }
            _ => {
                let token = tokens[rng.below(tokens.len())];
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

const SSE_TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"data: ",
    b"event: ",
    b":",
    b"id: \0",
    b"retry: 9\n",
    b"\xEF\xBB\xBF",
    b"\xFF",
    b"{",
    b"}",
    b"\"",
    b"\"index\":",
    b"\"text\":\"\"",
    b"1e300",
];

const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"\"",
    b"\\u0000",
    b"\xFF",
    b"\"\"",
    b"\" \"",
    b"{\"type\":\"text\",\"text\":\"\"}",
    b"{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"r\"}",
    b"{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":\"\"}",
    b"{\"role\":\"assistant\",\"content\":[]}",
    b"\"cache_control\":{\"type\":\"ephemeral\"},",
    b"\"tool_use_id\":\"\",",
];

/// Runs `property` on every case. A failing case is written to
/// `target/property-failures/<name>` (replay it with `cargo fuzz run <target>
/// <file>`) before the panic goes on.
fn check(name: &str, cases: &[Vec<u8>], property: fn(&[u8])) {
    for case in cases {
        if let Err(panic) = std::panic::catch_unwind(|| property(case)) {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/property-failures");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), case).unwrap();
            eprintln!("failing case: {}", dir.join(name).display());
            std::panic::resume_unwind(panic);
        }
    }
}

/// Corpus streams, each with a random control byte, and three mutations of each.
fn cases() -> Vec<Vec<u8>> {
    let mut rng = XorShift::new(seed());
    let mut out = Vec::new();
    for (_, bytes) in corpus_streams() {
        let size = rng.below(256) as u8;
        let mut case = vec![size];
        case.extend_from_slice(&bytes);
        out.push(case.clone());
        for _ in 0..3 {
            let mut m = vec![size];
            m.extend(mutate(&mut rng, &bytes, SSE_TOKENS));
            out.push(m);
        }
    }
    out
}

#[test]
fn parser_properties_hold_on_corpus_and_mutations() {
    let cases = cases();
    assert!(cases.len() > 1000);
    check("parser", &cases, properties::parser_split_invariance);
}

#[test]
fn sanitizer_properties_hold_on_corpus_and_mutations() {
    check("sanitizer", &cases(), properties::sanitizer_properties);
}

#[test]
fn accumulator_properties_hold_on_corpus_and_mutations() {
    check("accumulator", &cases(), properties::accumulator_properties);
}

/// Values that are valid JSON wherever a value may go: inserted after a `[`
/// (with a `,`), they keep most mutated bodies parseable, so the normalizer's
/// rules run rather than only its JSON error path.
const JSON_VALUES: &[&[u8]] = &[
    b"\"\"",
    b"\" \"",
    b"{\"type\":\"text\",\"text\":\"\"}",
    b"{\"type\":\"text\",\"text\":\" \",\"cache_control\":{\"type\":\"ephemeral\"}}",
    b"{\"type\":\"text\"}",
    b"{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":\"r\"}",
    b"{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":\"\",\"text\":\"x\"}",
    b"{\"type\":\"thinking\",\"thinking\":\"\"}",
    b"{\"role\":\"assistant\",\"content\":[]}",
    b"{\"role\":\"user\",\"content\":\"\"}",
    b"{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"x\"}]}",
];

/// Recorded request bodies (all four option combinations), and mutations of
/// each: byte-level ones and JSON values inserted into arrays.
fn request_cases() -> Vec<Vec<u8>> {
    let mut rng = XorShift::new(seed());
    let mut out = Vec::new();
    let accepted =
        support::requests::recorded_in(&support::requests::accepted_dir().join("exchanges"));
    let bodies = support::requests::recorded_requests()
        .into_iter()
        .chain(accepted)
        .map(|r| r.raw)
        .chain(support::requests::spec_inputs());
    for raw in bodies {
        let body = raw.as_bytes();
        // Every option bit (profiles, strictFields, capCacheControl) at random.
        let control = rng.below(256) as u8;
        out.push([&[control][..], body].concat());
        out.push([&[control][..], &mutate(&mut rng, body, JSON_TOKENS)].concat());
        for _ in 0..2 {
            let mut m = body.to_vec();
            for _ in 0..1 + rng.below(3) {
                let arrays: Vec<usize> = memchr_all(b'[', &m);
                if let Some(&at) = arrays.get(rng.below(arrays.len().max(1))) {
                    let value = JSON_VALUES[rng.below(JSON_VALUES.len())];
                    m.splice(at + 1..at + 1, [value, b","].concat());
                }
            }
            out.push([&[control][..], &m].concat());
        }
    }
    out
}

fn memchr_all(needle: u8, haystack: &[u8]) -> Vec<usize> {
    let positions = haystack.iter().enumerate();
    positions
        .filter(|&(_, &b)| b == needle)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn normalizer_properties_hold_on_requests_and_mutations() {
    let cases = request_cases();
    assert!(cases.len() > 500);
    check("normalizer", &cases, properties::normalizer_properties);
}

/// Writes the fuzzers' seed corpus into `fuzz/corpus/<target>/` (gitignored):
/// `fuzz/seeds.sh` runs it. Streams go to the stream targets, request bodies to
/// the normalizer, each behind a control byte (see `fuzz/properties.rs`).
#[test]
#[ignore = "writes files; run by fuzz/seeds.sh"]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = |target: &str, cases: &[Vec<u8>]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, case) in cases.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:04}")), case).unwrap();
        }
    };
    let streams: Vec<Vec<u8>> = cases().into_iter().step_by(4).collect();
    for target in ["parser", "sanitizer", "accumulator"] {
        write(target, &streams);
    }
    let requests: Vec<Vec<u8>> = request_cases().into_iter().step_by(4).collect();
    write("normalizer", &requests);
}

/// Replays every `<target>-<hash>` input of `dir` through its target's property.
fn replay(dir: &str) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".md"))
        .collect();
    names.sort();
    for name in names {
        let data = std::fs::read(format!("{dir}/{name}")).unwrap();
        let property: fn(&[u8]) = match name.split('-').next().unwrap() {
            "parser" => properties::parser_split_invariance,
            "sanitizer" => properties::sanitizer_properties,
            "accumulator" => properties::accumulator_properties,
            "normalizer" => properties::normalizer_properties,
            other => panic!("{name}: unknown target {other}"),
        };
        eprintln!("{name}");
        property(&data);
    }
}

/// Inputs the fuzzers found and the fixes they led to, each replayed.
#[test]
fn fuzz_regressions() {
    replay(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz-regressions"
    ));
}

/// Fuzz findings not fixed yet (see fuzz/known/README.md).
#[test]
#[ignore = "open fuzz findings: run with --ignored to reproduce"]
fn known_fuzz_findings() {
    replay(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/known"));
}
