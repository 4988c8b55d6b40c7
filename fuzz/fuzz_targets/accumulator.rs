#![no_main]
//! The accumulator: no panic, same message for any split; sanitizing removes only the dropped blocks.

#[path = "../properties.rs"]
mod properties;

libfuzzer_sys::fuzz_target!(|data: &[u8]| properties::accumulator_properties(data));
