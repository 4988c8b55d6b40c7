//! Error types, one enum per area. Every variant has a stable kebab-case
//! [`code`](SseError::code) that the JS `SanitizerError` carries as `error.code`.
//! The enums are `#[non_exhaustive]`: a new error case is not a breaking
//! change, so a `match` on one needs a `_` arm.

use crate::text::cat;
use std::fmt;

/// Errors of the SSE parser (and of everything that parses SSE on its way).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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

impl SseError {
    /// The error's text (its `Display`), made without `core::fmt`.
    pub(crate) fn message(&self) -> String {
        match self {
            SseError::MaxBufferExceeded { what, limit } => {
                cat(&[&"SSE ", what, &" exceeds the limit of ", limit, &" bytes"])
            }
        }
    }
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SseError {}

/// Errors of the [`crate::claude::Accumulator`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// The stream ended after `message_start` but before `message_stop`.
    Incomplete,
}

impl AccumulateError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            AccumulateError::Upstream { .. } => "upstream-error",
            AccumulateError::InvalidJson { .. } => "invalid-json",
            AccumulateError::UnexpectedMessageStart => "unexpected-message-start",
            AccumulateError::InvalidToolInput { .. } => "invalid-tool-input",
            AccumulateError::NoMessage => "no-message",
            AccumulateError::Incomplete => "incomplete-stream",
        }
    }
}

impl AccumulateError {
    /// The error's text (its `Display`), made without `core::fmt`.
    pub(crate) fn message(&self) -> String {
        match self {
            AccumulateError::Upstream {
                error_type,
                message,
            } => cat(&[
                &"the stream reported an error: ",
                error_type,
                &": ",
                message,
            ]),
            AccumulateError::InvalidJson { event_type, detail } => {
                cat(&[&"invalid `", event_type, &"` event: ", detail])
            }
            AccumulateError::UnexpectedMessageStart => {
                "a second `message_start` in one stream".into()
            }
            AccumulateError::InvalidToolInput { index, detail } => {
                cat(&[&"content block ", index, &": ", detail])
            }
            AccumulateError::NoMessage => "the stream had no `message_start`".into(),
            AccumulateError::Incomplete => "the stream ended before `message_stop`".into(),
        }
    }
}

impl fmt::Display for AccumulateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for AccumulateError {}

/// Errors of the stream verdict ([`crate::claude::StreamValidator`]): a limit
/// of [`crate::Limits`] exceeded. The validator is done after one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerdictError {
    /// A line or a frame grew past its limit.
    Sse(SseError),
    /// An event's JSON (or a tool input) nests deeper than
    /// [`crate::Limits::max_json_depth`].
    MaxDepthExceeded {
        /// The limit.
        limit: usize,
    },
}

impl VerdictError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            VerdictError::Sse(e) => e.code(),
            VerdictError::MaxDepthExceeded { .. } => "max-depth-exceeded",
        }
    }
}

impl fmt::Display for VerdictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerdictError::Sse(e) => e.fmt(f),
            VerdictError::MaxDepthExceeded { limit } => {
                write!(f, "JSON nesting in the stream exceeds the limit of {limit}")
            }
        }
    }
}

impl std::error::Error for VerdictError {}

/// Errors of the history normalizer and validator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryError {
    /// The body is not JSON. Positions and reasons as serde_json gives them; the
    /// input is never quoted.
    InvalidJson {
        /// Byte offset of the error (0-based).
        offset: usize,
        /// Line of the error (1-based; 0 when unknown).
        line: usize,
        /// Column of the error (1-based; 0 when unknown).
        column: usize,
        /// What is wrong, e.g. "EOF while parsing a string".
        reason: String,
    },
    /// JSON, but neither an object with a `messages` array nor a bare array.
    InvalidShape {
        /// What was expected.
        reason: &'static str,
    },
    /// Nesting deeper than [`crate::Limits::max_json_depth`].
    MaxDepthExceeded {
        /// The limit.
        limit: usize,
    },
    /// A body larger than [`crate::Limits::max_body_bytes`].
    BodyTooLarge {
        /// The body's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// An option with a value outside its domain.
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The values it accepts.
        expected: &'static str,
    },
}

impl HistoryError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            HistoryError::InvalidJson { .. } => "invalid-json",
            HistoryError::InvalidShape { .. } => "invalid-shape",
            HistoryError::MaxDepthExceeded { .. } => "max-depth-exceeded",
            HistoryError::BodyTooLarge { .. } => "body-too-large",
            HistoryError::InvalidOption { .. } => "invalid-option",
        }
    }

    pub(crate) fn invalid_json(e: &crate::json::Error, body: &[u8]) -> Self {
        let reason = e.reason().to_string();
        let (line, column) = (e.line, e.column);
        let mut offset = 0;
        if line > 0 {
            let mut seen = 1;
            for (i, &b) in body.iter().enumerate() {
                if seen == line {
                    offset = i;
                    break;
                }
                if b == b'\n' {
                    seen += 1;
                    offset = i + 1;
                }
            }
            offset = (offset + column.saturating_sub(1)).min(body.len());
        }
        HistoryError::InvalidJson {
            offset,
            line,
            column,
            reason,
        }
    }
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HistoryError::InvalidJson {
                offset,
                line,
                column,
                reason,
            } => write!(
                f,
                "invalid JSON: {reason} at line {line} column {column} (byte {offset})"
            ),
            HistoryError::InvalidShape { reason } => write!(f, "invalid request shape: {reason}"),
            HistoryError::MaxDepthExceeded { limit } => {
                write!(f, "JSON nesting exceeds the limit of {limit}")
            }
            HistoryError::BodyTooLarge { size, limit } => {
                write!(f, "body of {size} bytes exceeds the limit of {limit} bytes")
            }
            HistoryError::InvalidOption { name, expected } => {
                write!(f, "invalid option `{name}`: expected {expected}")
            }
        }
    }
}

impl std::error::Error for HistoryError {}

impl From<OptionError> for HistoryError {
    fn from(e: OptionError) -> Self {
        HistoryError::InvalidOption {
            name: e.name,
            expected: e.expected,
        }
    }
}

/// An option value that is not one of those allowed (code `invalid-option`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option's name, as JS spells it.
    pub name: &'static str,
    /// What it accepts.
    pub expected: &'static str,
}

impl OptionError {
    /// Stable kebab-case code, shared with JS: `invalid-option`.
    pub fn code(&self) -> &'static str {
        "invalid-option"
    }
}

impl OptionError {
    /// The error's text (its `Display`), made without `core::fmt`.
    pub(crate) fn message(&self) -> String {
        cat(&[
            &"invalid option `",
            &self.name,
            &"`: expected ",
            &self.expected,
        ])
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for OptionError {}

/// Errors of auth header resolution. None of them ever holds a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No key from any source.
    MissingKey,
    /// The base URL is not an absolute http(s) URL.
    InvalidBaseUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A key that cannot go into an HTTP header (control characters, spaces).
    InvalidKey {
        /// The key, redacted.
        redacted: String,
    },
    /// An auth mode other than `api-key` / `bearer`.
    InvalidAuthMode,
    /// A header value (version, beta) that cannot go into an HTTP header.
    InvalidHeaderValue {
        /// The header's name.
        name: &'static str,
    },
    /// A forwarding mode other than `bearer` / `passthrough` / `secret`.
    InvalidForwardMode,
    /// Secret forwarding without an upstream key or without client keys.
    MissingSecret,
    /// A client sent both `x-api-key` and `authorization`.
    ConflictingCredentials,
    /// A client sent no key (nor a Bearer `authorization`).
    MissingClientKey,
    /// A client's key is not one of the keys secret forwarding accepts.
    UnknownClientKey,
    /// A config value of the wrong type ([`crate::auth::AuthConfig::from_json`]).
    InvalidOption(OptionError),
}

impl AuthError {
    /// Stable kebab-case code, shared with JS.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingKey => "missing-key",
            AuthError::InvalidBaseUrl { .. } => "invalid-base-url",
            AuthError::InvalidKey { .. } => "invalid-key",
            AuthError::InvalidAuthMode => "invalid-auth-mode",
            AuthError::InvalidHeaderValue { .. } => "invalid-header-value",
            AuthError::InvalidForwardMode => "invalid-forward-mode",
            AuthError::MissingSecret => "missing-secret",
            AuthError::ConflictingCredentials => "conflicting-credentials",
            AuthError::MissingClientKey => "missing-client-key",
            AuthError::UnknownClientKey => "unknown-client-key",
            AuthError::InvalidOption(e) => e.code(),
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingKey => f.write_str(
                "no API key: pass one, configure one, or set ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN",
            ),
            AuthError::InvalidBaseUrl { reason } => write!(f, "invalid base URL: {reason}"),
            AuthError::InvalidKey { redacted } => {
                write!(f, "the key {redacted} cannot be sent in an HTTP header")
            }
            AuthError::InvalidAuthMode => f.write_str("invalid auth mode: expected \"api-key\" or \"bearer\""),
            AuthError::InvalidHeaderValue { name } => {
                write!(f, "the `{name}` value cannot be sent in an HTTP header")
            }
            AuthError::InvalidForwardMode => {
                f.write_str("invalid forwarding mode: expected \"bearer\", \"passthrough\" or \"secret\"")
            }
            AuthError::MissingSecret => {
                f.write_str("secret forwarding needs an upstream key and at least one client key")
            }
            AuthError::ConflictingCredentials => {
                f.write_str("send either x-api-key or authorization, not both")
            }
            AuthError::MissingClientKey => f.write_str("x-api-key header is required"),
            AuthError::UnknownClientKey => f.write_str("invalid x-api-key"),
            AuthError::InvalidOption(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<OptionError> for AuthError {
    fn from(e: OptionError) -> Self {
        AuthError::InvalidOption(e)
    }
}
