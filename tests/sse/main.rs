//! The SSE parser and writer: WHATWG conformance, the corpus under any
//! chunking, and the test vectors of peer parsers.

#[path = "../support/mod.rs"]
mod support;

mod conformance;
mod corpus;
mod peer_vectors;
