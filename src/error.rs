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

/// Errors of the [`crate::claude::Accumulator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccumulateError {
    /// The stream carried an `error` event, e.g. `overloaded_error`.
    Upstream {
        /// The upstream `error.type` (`unknown_error` when the data has none).
        error_type: String,
        /// The upstream `error.message` (the raw data when it has none).
        message: String,
    },
    /// An event's data is not JSON, or not the shape its type requires.
    InvalidJson {
        /// The event's type.
        event_type: String,
        /// What is wrong.
        detail: String,
    },
    /// A message event arrived before any `message_start`.
    EventBeforeMessageStart {
        /// The event's type.
        event_type: String,
    },
    /// A second `message_start` in one stream (the official SDK rejects it too).
    UnexpectedMessageStart,
    /// A tool block's `input_json_delta` text is not JSON even when completed.
    InvalidToolInput {
        /// The block's index.
        index: u64,
        /// What is wrong.
        detail: String,
    },
    /// The stream ended without a `message_start`.
    NoMessage,
}

impl AccumulateError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            AccumulateError::Upstream { .. } => "upstream-error",
            AccumulateError::InvalidJson { .. } => "invalid-json",
            AccumulateError::EventBeforeMessageStart { .. } => "event-before-message-start",
            AccumulateError::UnexpectedMessageStart => "unexpected-message-start",
            AccumulateError::InvalidToolInput { .. } => "invalid-tool-input",
            AccumulateError::NoMessage => "no-message",
        }
    }
}

impl fmt::Display for AccumulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccumulateError::Upstream {
                error_type,
                message,
            } => write!(f, "the stream reported an error: {error_type}: {message}"),
            AccumulateError::InvalidJson { event_type, detail } => {
                write!(f, "invalid `{event_type}` event: {detail}")
            }
            AccumulateError::EventBeforeMessageStart { event_type } => {
                write!(f, "`{event_type}` event before `message_start`")
            }
            AccumulateError::UnexpectedMessageStart => {
                write!(f, "a second `message_start` in one stream")
            }
            AccumulateError::InvalidToolInput { index, detail } => {
                write!(f, "content block {index}: {detail}")
            }
            AccumulateError::NoMessage => write!(f, "the stream had no `message_start`"),
        }
    }
}

impl std::error::Error for AccumulateError {}
