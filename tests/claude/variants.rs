//! Real streams with blank text blocks spliced in: the sanitizer must give
//! back exactly what it gives for the real stream.

use crate::support::claude::*;
use crate::support::{corpus_file, corpus_streams, seed, XorShift};
use sse_sanitizer::claude::{sanitize, SanitizerOptions};
use sse_sanitizer::Profile;

/// The profile under which every shape of `BLANKS` is blank (whitespace too).
fn bedrock() -> SanitizerOptions {
    SanitizerOptions {
        profile: Profile::Bedrock,
        ..SanitizerOptions::default()
    }
}

/// Streams whose numbering the inserted block would make ambiguous: the real
/// index skew and the hand-written out-of-order file (the sanitizer rightly
/// keeps blocks there); and streams with thinking blocks, where a blank block
/// next to a thinking block is kept with a placeholder instead
/// (`claude_thinking.rs` covers those).
fn skip(input: &[u8]) -> bool {
    if memchr::memmem::find(input, b"_thinking\"").is_some()
        || memchr::memmem::find(input, b"\"thinking\"").is_some()
    {
        return true;
    }
    let (_, report) = sanitize(input, &bedrock());
    report
        .notes
        .iter()
        .any(|n| n.code == "index-skew" || n.code == "unterminated-block")
}

#[test]
fn inserted_blank_blocks_are_removed_exactly() {
    let mut rng = XorShift::new(seed() ^ 3);
    let mut variants = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for (name, input) in corpus_streams() {
        if skip(&input) || !raw_blocks(&input).1.is_empty() {
            continue;
        }
        let (plain, base) = sanitize(&input, &bedrock());
        let blocks = blocks_with_events(&input);
        for (kind, at, index) in insertion_points(&input) {
            let with_ping = insert_raw(&input, at, residue(Blank::WhitespaceWithPing));
            let (plain_with_ping, _) = sanitize(&with_ping, &bedrock());
            for shape in BLANKS {
                let expected = if residue(shape).is_empty() {
                    &plain
                } else {
                    &plain_with_ping
                };
                let variant = insert_blank_into(&blocks, at, index, shape);
                let ctx = format!("{name}: {kind} (block {at}, index {index}) {shape:?}");
                let (output, report) = sanitize(&variant, &bedrock());
                assert!(
                    &output == expected,
                    "{ctx}\n{}",
                    String::from_utf8_lossy(&output)
                );
                assert_eq!(
                    report.blocks_dropped.len(),
                    base.blocks_dropped.len() + 1,
                    "{ctx}"
                );
                assert!(
                    report.blocks_dropped.iter().any(|b| b.index == index),
                    "{ctx}"
                );
                assert!(
                    report.notes.iter().all(|n| n.code != "index-skew"),
                    "{ctx}: {:?}",
                    report.notes
                );
                if rng.below(8) == 0 {
                    let sizes = random_sizes(&mut rng, 64);
                    let chunked = run_chunked(&variant, &sizes, &bedrock());
                    assert!(
                        &chunked.0 == expected,
                        "{ctx}: chunks {sizes:?} (SSE_SEED={})",
                        seed()
                    );
                    assert_eq!(chunked.1, report, "{ctx}");
                }
                variants += 1;
                kinds.insert(kind);
            }
        }
    }
    assert!(variants > 1500, "{variants}");
    // (No "after-thinking" point: streams with thinking are skipped.)
    assert_eq!(kinds.len(), 4, "{kinds:?}");
}

#[test]
fn two_inserted_blocks_in_one_message() {
    let mut rng = XorShift::new(seed() ^ 4);
    for (name, input) in corpus_streams() {
        if skip(&input) || !raw_blocks(&input).1.is_empty() {
            continue;
        }
        let points = insertion_points(&input);
        let (Some(first), Some(last)) = (
            points.iter().find(|p| p.0 == "start"),
            points.iter().find(|p| p.0 == "end"),
        ) else {
            continue;
        };
        // End first (it does not move the start's position), then start.
        let once = insert_blank(&input, last.1, last.2, Blank::WhitespaceWithPing);
        let twice = insert_blank(&once, first.1, first.2, Blank::Empty);
        let with_ping = insert_raw(&input, last.1, residue(Blank::WhitespaceWithPing));
        let (expected, _) = sanitize(&with_ping, &bedrock());
        let (output, _) = sanitize(&twice, &bedrock());
        assert!(output == expected, "{name}");
        let sizes = random_sizes(&mut rng, 16);
        let chunked = run_chunked(&twice, &sizes, &bedrock());
        assert!(
            chunked.0 == expected,
            "{name}: chunks {sizes:?} (SSE_SEED={})",
            seed()
        );
    }
}

#[test]
fn inserted_whitespace_block_stays_under_the_anthropic_profile() {
    let options = SanitizerOptions {
        profile: Profile::Anthropic,
        ..SanitizerOptions::default()
    };
    let input = corpus_file(
        "streams/chatlas__test_provider_anthropic_test_anthropic_simple_streaming_request.sse",
    );
    for (kind, at, index) in insertion_points(&input) {
        let variant = insert_blank(&input, at, index, Blank::WhitespaceWithPing);
        let (output, report) = sanitize(&variant, &options);
        assert!(output == variant, "{kind}");
        assert!(report.blocks_dropped.is_empty());
        let variant = insert_blank(&input, at, index, Blank::EmptyDelta);
        assert!(sanitize(&variant, &options).0 == input, "{kind}");
    }
}
