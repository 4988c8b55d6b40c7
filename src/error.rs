//! Error types, one enum per area. Every variant has a stable kebab-case
//! [`code`](SseError::code) that the JS `SanitizerError` carries as `error.code`.

use std::fmt;

/// Errors of the SSE parser (and of everything that parses SSE on its way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    /// A line or an event grew past its limit in [`crate::Limits`]. The parser is
    /// poisoned after this: further input is refused with the same error.
    MaxBufferExceeded {
        /// `"line"` or `"event"`.
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
}

impl SseError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            SseError::MaxBufferExceeded { .. } => "max-buffer-exceeded",
        }
    }
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::MaxBufferExceeded { what, limit } => {
                write!(f, "SSE {what} exceeds the limit of {limit} bytes")
            }
        }
    }
}

impl std::error::Error for SseError {}
