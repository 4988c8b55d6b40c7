//! Properties shared by the fuzz targets (`fuzz/fuzz_targets/*`) and the
//! deterministic property suite (`tests/properties.rs`): one function per
//! property family, taking raw fuzz bytes.
//!
//! Input layout: the first byte picks a chunk size (1..=64) for the split run;
//! the rest is the stream. Every property must hold for every input.
#![allow(dead_code)] // each includer uses a subset

use sse_sanitizer::sse::{Event, Parser};
use sse_sanitizer::Limits;

/// Splits fuzz bytes into (chunk size, payload).
pub fn split_input(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    }
}

fn parse(
    limits: Limits,
    chunks: &mut dyn Iterator<Item = &[u8]>,
) -> (Vec<Event>, Result<bool, String>) {
    let mut parser = Parser::new(limits);
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, &mut |e| events.push(e)) {
            return (events, Err(e.code().to_string()));
        }
    }
    (events, parser.finish().map_err(|e| e.code().to_string()))
}

/// The parser never panics and yields the same events (and the same error)
/// whole, at the chosen chunk size and at 1-byte chunks, also under a small
/// line limit.
pub fn parser_split_invariance(data: &[u8]) {
    let (size, input) = split_input(data);
    for limits in [
        Limits::default(),
        Limits::default()
            .with_max_line_bytes(40)
            .with_max_event_bytes(80),
    ] {
        let whole = parse(limits, &mut std::iter::once(input));
        let split = parse(limits, &mut input.chunks(size));
        let ones = parse(limits, &mut input.chunks(1));
        match &whole.1 {
            // Before an error, a split run may have dispatched fewer events than
            // the whole run (the error can come earlier in bytes); compare the
            // error only.
            Err(_) => {
                assert_eq!(whole.1, split.1);
                assert_eq!(whole.1, ones.1);
            }
            Ok(_) => {
                assert_eq!(whole, split, "chunk size {size}");
                assert_eq!(whole, ones);
            }
        }
        for e in &whole.0 {
            assert!(!e.event_type.is_empty());
            assert!(!e.data.contains('\r'));
        }
    }
}
