//! Resource limits shared by every entry point.
//!
//! Every buffer this crate keeps is bounded by one of these numbers. Exceeding a
//! limit is a typed error (or, for the stream sanitizer's hold-back buffer, a
//! report entry and a release of the held bytes unchanged); it is never an abort
//! and never unbounded growth.

use crate::error::OptionError;
use crate::options::Options;

/// Resource limits. `Limits::default()` documents the defaults; adjust with the
/// `with_*` builders.
///
/// ```
/// let limits = sse_sanitizer::Limits::default().with_max_line_bytes(1 << 20);
/// assert_eq!(limits.max_line_bytes, 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest SSE line, terminator excluded. Default 8 MiB.
    pub max_line_bytes: usize,
    /// Largest SSE event: the sum of its `data` lines. Default 16 MiB.
    pub max_event_bytes: usize,
    /// Bytes the stream sanitizer may hold back while it decides whether a text
    /// block is empty. Default 1 MiB; past it the held bytes are released unchanged.
    pub max_held_bytes: usize,
    /// Deepest JSON nesting accepted in a request body or an event's data.
    /// Default 128; values above [`Limits::MAX_JSON_DEPTH_CEILING`] count as
    /// the ceiling (the JSON readers recurse, and a WebAssembly stack is small).
    pub max_json_depth: usize,
    /// Largest request body `normalize` / `validate` accept. Default 32 MiB;
    /// capped at 4 GiB − 1 whatever is set.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 8 << 20,
            max_event_bytes: 16 << 20,
            max_held_bytes: 1 << 20,
            max_json_depth: 128,
            max_body_bytes: 32 << 20,
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_line_bytes`].
    pub fn with_max_line_bytes(mut self, n: usize) -> Self {
        self.max_line_bytes = n;
        self
    }
    /// Sets [`Limits::max_event_bytes`].
    pub fn with_max_event_bytes(mut self, n: usize) -> Self {
        self.max_event_bytes = n;
        self
    }
    /// Sets [`Limits::max_held_bytes`].
    pub fn with_max_held_bytes(mut self, n: usize) -> Self {
        self.max_held_bytes = n;
        self
    }
    /// The highest effective [`Limits::max_json_depth`].
    pub const MAX_JSON_DEPTH_CEILING: usize = 1024;

    /// [`Limits::max_json_depth`] as the parsers apply it.
    pub(crate) fn json_depth(&self) -> usize {
        self.max_json_depth.min(Self::MAX_JSON_DEPTH_CEILING)
    }

    /// Sets [`Limits::max_json_depth`].
    pub fn with_max_json_depth(mut self, n: usize) -> Self {
        self.max_json_depth = n;
        self
    }
    /// Sets [`Limits::max_body_bytes`].
    pub fn with_max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = n;
        self
    }

    /// Limits from a JSON options object (as the JS API takes them):
    /// `maxLineBytes`, `maxEventBytes`, `maxHeldBytes`, `maxJsonDepth`,
    /// `maxBodyBytes`, each a number ≥ 0 or absent (the default).
    ///
    /// ```
    /// let limits = sse_sanitizer::Limits::from_json(r#"{"maxLineBytes": 1024}"#).unwrap();
    /// assert_eq!(limits, sse_sanitizer::Limits::default().with_max_line_bytes(1024));
    /// ```
    pub fn from_json(json: &str) -> Result<Self, OptionError> {
        Limits::from_options(&Options::parse(json)?)
    }

    pub(crate) fn from_options(options: &Options) -> Result<Self, OptionError> {
        let mut limits = Limits::default();
        for (name, field) in [
            ("maxLineBytes", &mut limits.max_line_bytes),
            ("maxEventBytes", &mut limits.max_event_bytes),
            ("maxHeldBytes", &mut limits.max_held_bytes),
            ("maxJsonDepth", &mut limits.max_json_depth),
            ("maxBodyBytes", &mut limits.max_body_bytes),
        ] {
            if let Some(n) = options.size(name)? {
                *field = n;
            }
        }
        Ok(limits)
    }
}
