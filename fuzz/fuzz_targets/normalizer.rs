#![no_main]
//! The history normalizer and validator: no panic, clean and idempotent output, nothing lost.

#[path = "../properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::normalizer_properties(data));
