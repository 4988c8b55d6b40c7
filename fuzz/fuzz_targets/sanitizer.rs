#![no_main]
//! The stream sanitizer: no panic, same output for any split, clean streams byte-identical, idempotent.

#[path = "../properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::sanitizer_properties(data));
