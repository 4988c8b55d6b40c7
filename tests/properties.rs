//! Deterministic property suite: the fuzz properties (`fuzz/properties.rs`)
//! over real corpus streams and seeded mutations of them (`SSE_SEED`).

#[path = "../fuzz/properties.rs"]
mod properties;
mod support;

use support::{corpus_streams, seed, XorShift};

/// Applies a few random byte-level mutations: flips, deletions, duplications
/// of a slice, inserted SSE/JSON tokens.
pub fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    const TOKENS: &[&[u8]] = &[
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
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if out.is_empty() {
            out.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
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
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

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
            m.extend(mutate(&mut rng, &bytes));
            out.push(m);
        }
    }
    out
}

#[test]
fn parser_properties_hold_on_corpus_and_mutations() {
    let cases = cases();
    assert!(cases.len() > 1000);
    for case in &cases {
        properties::parser_split_invariance(case);
    }
}
