//! The request side: the normalizer and validator API, the recorded corpus
//! (false positives, real refusals) and the depth limit. Single cases are text specs (`tests/specs/history/`).

#[path = "../support/mod.rs"]
mod support;

mod api;
mod corpus;
mod depth;
