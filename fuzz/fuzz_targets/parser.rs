#![no_main]
//! The SSE parser: no panic, same events for any split.

#[path = "../properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::parser_split_invariance(data));
