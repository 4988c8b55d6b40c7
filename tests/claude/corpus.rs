//! The sanitizer on every recorded stream of the corpus.

use crate::support::claude::*;
use crate::support::{corpus_file, corpus_streams, seed, XorShift};
use sse_sanitizer::claude::{sanitize, SanitizerOptions};
use sse_sanitizer::Profile;

/// Streams of the corpus with a text block that ends empty or whitespace-only
/// (found independently by `model_drops`; listed here so that a change in the
/// corpus or in the rule shows up).
const WITH_BLANK_BLOCKS: [(&str, &[(u32, u64)]); 6] = [
    (
        "handwritten/streams/anthropic-sdk-python__refusal_response.sse",
        &[(0, 0)],
    ),
    (
        "streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.0.sse",
        &[(0, 0)],
    ),
    (
        "streams/chatlas__test_provider_anthropic_test_anthropic_empty_response.v771a0d4.0.sse",
        &[(0, 0)],
    ),
    (
        "streams/pydantic-ai__test_anthropic_test_pause_turn_web_search_streaming_vcr.1.sse",
        &[(0, 25)],
    ),
    (
        "streams/vercel-ai__anthropic-web-search-citation-replay.1.sse",
        &[(0, 5), (0, 21)],
    ),
    (
        "streams/vercel-ai__anthropic-web-search-tool.1.sse",
        &[(0, 4), (0, 8)],
    ),
];

#[test]
fn every_stream_keeps_all_but_blank_text_blocks() {
    let bedrock = SanitizerOptions {
        profile: Profile::Bedrock,
        ..SanitizerOptions::default()
    };
    let mut with_drops = Vec::new();
    for (name, input) in corpus_streams() {
        let (output, report) = sanitize(&input, &bedrock);
        let blocks = check_against_model(&input, &output, true);
        let reported: Vec<_> = report
            .blocks_dropped
            .iter()
            .map(|b| (b.message, b.index))
            .collect();
        assert_eq!(reported, blocks, "{name}");
        if blocks.is_empty() {
            assert!(
                output == input,
                "{name}: a clean stream must come out byte-identical"
            );
            assert_eq!(report.events_changed, 0, "{name}");
        } else {
            with_drops.push((name.clone(), blocks));
            let removed: u64 = report.blocks_dropped.iter().map(|b| b.bytes).sum();
            assert!(
                output.len() as u64 <= input.len() as u64 - removed,
                "{name}"
            );
        }
        assert_contiguous(&input, &output);
        assert_eq!(report.events_seen as usize, events(&input).len(), "{name}");
        assert!(report
            .notes
            .iter()
            .all(|n| n.code != "max-buffer-exceeded" && n.code != "held-limit-exceeded"));
    }
    let mut expected: Vec<_> = WITH_BLANK_BLOCKS
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    expected.sort();
    with_drops.sort();
    assert_eq!(with_drops, expected);
}

#[test]
fn whitespace_blocks_stay_under_the_anthropic_profile() {
    let options = SanitizerOptions::default();
    assert_eq!(options.profile, Profile::Anthropic);
    for (name, input) in corpus_streams() {
        let (output, report) = sanitize(&input, &options);
        let blocks = check_against_model(&input, &output, false);
        assert_eq!(report.blocks_dropped.len(), blocks.len(), "{name}");
        assert!(report
            .blocks_dropped
            .iter()
            .all(|b| b.reason == "empty-text"));
        if blocks.is_empty() {
            assert!(output == input, "{name}");
        }
    }
}

#[test]
fn any_chunking_gives_the_same_output_and_report() {
    let mut rng = XorShift::new(seed());
    for (name, input) in corpus_streams() {
        let whole = sanitize(&input, &SanitizerOptions::default());
        let bytewise = run_chunked(&input, &[1], &SanitizerOptions::default());
        assert!(bytewise.0 == whole.0, "{name}: 1-byte chunks");
        assert_eq!(bytewise.1, whole.1, "{name}: 1-byte chunks");
        for max in [7, 300, 5000] {
            let sizes = random_sizes(&mut rng, max);
            let chunked = run_chunked(&input, &sizes, &SanitizerOptions::default());
            assert!(
                chunked.0 == whole.0,
                "{name}: chunks {sizes:?} (SSE_SEED={})",
                seed()
            );
            assert_eq!(chunked.1, whole.1, "{name}: chunks {sizes:?}");
        }
    }
}

#[test]
fn sanitizing_twice_changes_nothing_more() {
    for (name, input) in corpus_streams() {
        let (once, _) = sanitize(&input, &SanitizerOptions::default());
        let (twice, report) = sanitize(&once, &SanitizerOptions::default());
        assert!(twice == once, "{name}");
        assert_eq!(report.events_changed, 0, "{name}");
    }
}

#[test]
fn crlf_streams_behave_like_lf_streams() {
    // The corpus is LF-only; the same streams with CRLF (and lone CR) line
    // ends, cut everywhere, including between the CR and LF of a dropped event.
    let mut rng = XorShift::new(seed() ^ 2);
    for (name, _) in WITH_BLANK_BLOCKS {
        let lf = corpus_file(name);
        for eol in [&b"\r\n"[..], b"\r"] {
            let input: Vec<u8> = lf.split(|&b| b == b'\n').collect::<Vec<_>>().join(eol);
            let whole = sanitize(&input, &SanitizerOptions::default());
            let (lf_out, _) = sanitize(&lf, &SanitizerOptions::default());
            let expected: Vec<u8> = lf_out.split(|&b| b == b'\n').collect::<Vec<_>>().join(eol);
            assert!(whole.0 == expected, "{name}");
            let bytewise = run_chunked(&input, &[1], &SanitizerOptions::default());
            assert!(bytewise.0 == whole.0, "{name}");
            assert_eq!(bytewise.1, whole.1, "{name}");
            for _ in 0..5 {
                let sizes = random_sizes(&mut rng, 200);
                let chunked = run_chunked(&input, &sizes, &SanitizerOptions::default());
                assert!(
                    chunked.0 == whole.0,
                    "{name}: {sizes:?} (SSE_SEED={})",
                    seed()
                );
                assert_eq!(chunked.1, whole.1, "{name}: {sizes:?}");
            }
        }
    }
}

#[test]
fn index_skew_passes_through_unchanged() {
    let name = "streams/vercel-ai__anthropic-code-execution-pdf-skill.1.sse";
    let input = corpus_file(name);
    let (output, report) = sanitize(&input, &SanitizerOptions::default());
    assert!(output == input);
    assert!(report.blocks_dropped.is_empty());
    assert!(
        report.notes.iter().any(|n| n.code == "index-skew"),
        "{:?}",
        report.notes
    );
    assert_eq!(
        run_chunked(&input, &[1], &SanitizerOptions::default()),
        (output, report)
    );
}
