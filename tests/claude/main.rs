//! The Claude stream side: the sanitizer (corpus, inserted blank blocks,
//! thinking, hostile and broken streams), the accumulator and the stream
//! verdict. Crafted single cases with an exact expected output are text specs
//! (`tests/specs/sanitizer/`).

#[path = "../support/mod.rs"]
mod support;

mod accumulator;
mod corpus;
mod edge;
mod thinking;
mod variants;
mod verdict;
