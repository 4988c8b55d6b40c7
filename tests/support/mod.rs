//! The one test harness every test binary shares (`mod support;`, or
//! `#[path = "../support/mod.rs"] mod support;` from a directory binary):
//! - a seeded RNG ([`XorShift`], [`seed`]) and chunkers ([`random_chunks`]);
//! - the corpus: [`corpus_dir`], [`corpus_streams`], recorded request bodies
//!   ([`requests`]);
//! - SSE builders for crafted Claude streams ([`stream`]);
//! - the independent whole-stream model of the sanitizer ([`claude`]).
#![allow(dead_code)] // each test binary uses a different subset

pub mod claude;
pub mod requests;
pub mod stream;

use std::path::PathBuf;

/// The seed for randomized tests: `SSE_SEED` when set, else a fixed default so
/// runs are reproducible. Failing assertions print it.
pub fn seed() -> u64 {
    std::env::var("SSE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026)
}

/// xorshift64*: small, deterministic, good enough to pick split points and
/// mutations. The only RNG of the tests.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Splits `input` into chunks of random length 1..=max_len.
pub fn random_chunks<'a>(rng: &mut XorShift, input: &'a [u8], max_len: usize) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let n = 1 + rng.below(max_len.min(rest.len()));
        let (a, b) = rest.split_at(n);
        chunks.push(a);
        rest = b;
    }
    chunks
}

/// The project's copy of the corpus.
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One corpus file's bytes, by its path under `tests/corpus`.
pub fn corpus_file(rel: &str) -> Vec<u8> {
    let path = corpus_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every recorded SSE body: streams/, handwritten/streams/, compatible/streams/.
pub fn corpus_streams() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["streams", "handwritten/streams", "compatible/streams"] {
        let dir = corpus_dir().join(dir);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sse"))
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .strip_prefix(corpus_dir())
                .unwrap()
                .display()
                .to_string();
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// The accumulator's JSON text as a `Value`, read without serde_json's
/// recursion limit (a tool input sits four levels below the message).
pub fn message_value(text: &str) -> serde_json::Value {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).expect("the accumulator writes JSON")
}
