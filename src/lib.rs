//! Makes Claude (Anthropic Messages API) streams and conversation histories safe
//! to send to strict consumers.
//!
//! - [`sse::Parser`] / [`sse::Writer`]: WHATWG event-stream parsing, incremental, any chunking.
//! - [`claude::StreamSanitizer`] / [`claude::sanitize`]: drops empty text blocks from a Claude
//!   stream in flight, everything else byte-identical; [`claude::Accumulator`]: events → `Message`.
//! - Signed thinking never moves: a blank text block whose removal would move a thinking block
//!   keeps its place with [`Placeholder`] text, in streams and histories alike ([`Profile`],
//!   the shared policy).
//! - [`history::normalize`] / [`history::validate`]: make a request history safe for
//!   a strict upstream, or say exactly what it would reject (rules: [`history::RULES`]).
//! - [`auth::resolve`]: which key and which auth headers to send.
//! - [`Limits`]: every buffer is bounded; exceeding a limit is a typed error.
//!
//! The core is pure Rust (no unsafe code); `src/wasm.rs`, the binding, is the only file that
//! knows JS.

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod codes;

pub mod auth;
pub mod claude;
pub mod error;
mod hash;
pub mod history;
mod json;
mod limits;
mod options;
mod policy;
pub mod sse;
mod text;
#[cfg(any(target_arch = "wasm32", test))]
mod to_json;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{AccumulateError, AuthError, HistoryError, OptionError, SseError, VerdictError};
pub use limits::Limits;
pub use policy::{is_thinking, BlankText, KeptReason, Placeholder, Profile};
