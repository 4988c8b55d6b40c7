//! History normalizer and strict validator for Messages API request bodies.
//!
//! Both take a whole request body (`{"model": …, "system": …, "messages": [...]}`)
//! or a bare messages array, and are driven by one catalog, [`RULES`].
//!
//! ```
//! use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
//! let body = br#"{"messages":[{"role":"user","content":"hi"},
//!   {"role":"assistant","content":[{"type":"text","text":""},{"type":"text","text":"hello"}]},
//!   {"role":"user","content":"more"}]}"#;
//! let limits = sse_sanitizer::Limits::default();
//! let raw = validate_bytes(body, Profile::Anthropic, &limits).unwrap();
//! assert_eq!(raw[0].message, "messages: text content blocks must be non-empty");
//! let (clean, changes) = normalize_bytes(body, &NormalizeOptions::default()).unwrap();
//! assert_eq!(changes[0].rule, "empty-text");
//! assert_eq!(changes[0].path, "/messages/1/content/0");
//! assert!(validate_bytes(&clean, Profile::Anthropic, &limits).unwrap().is_empty());
//! // A clean body comes back as the very same bytes.
//! let (same, none) = normalize_bytes(&clean, &NormalizeOptions::default()).unwrap();
//! assert!(matches!(same, std::borrow::Cow::Borrowed(_)) && none.is_empty());
//! ```

mod blanks;
mod cache;
mod checks;
mod fields;
mod ids;
mod json;
mod media;
mod model;
mod models;
mod pairing;
mod roles;
pub mod rules;
mod server_tools;
mod system;
mod turns;
mod write;

use crate::error::HistoryError;
use crate::Limits;
use serde::Serialize;
use std::borrow::Cow;

pub use crate::policy::{Placeholder, Profile};

pub use rules::{rule, Rule, RULES};

/// Options of [`normalize`]. `NormalizeOptions::default()`: profile `anthropic`,
/// `strict_fields: false`, `cap_cache_control: false`, every rule on, default
/// [`Limits`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Which upstream's rules apply.
    pub profile: Profile,
    /// Also remove fields that no schema of the block type has (rule
    /// `unknown-field`). Off by default: such a field may be a new API feature.
    pub strict_fields: bool,
    /// Keep only the last 4 `cache_control` breakpoints (in the order the API
    /// reads them: tools, system, messages) when there are more, removing the
    /// earlier ones (rule `cache-control-limit`). Off by default: which
    /// breakpoints to keep is a caching decision.
    pub cap_cache_control: bool,
    /// Ids of rules to switch off.
    pub disabled_rules: Vec<String>,
    /// Appended to a blank text block kept before a thinking block (rule
    /// `thinking-position`). Default `"..."`.
    pub placeholder: Placeholder,
    /// Size and depth limits.
    pub limits: Limits,
}

impl NormalizeOptions {
    /// The value of the boolean option `name` (as JS spells it), for a rule's
    /// `opt_in`.
    pub(crate) fn flag(&self, name: &str) -> bool {
        match name {
            "strictFields" => self.strict_fields,
            "capCacheControl" => self.cap_cache_control,
            _ => false,
        }
    }
}

/// One thing the normalizer did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule id.
    pub rule: &'static str,
    /// JSON Pointer (RFC 6901) into the INPUT body; for an insertion, the position
    /// where the new value went.
    pub path: String,
    /// `removed`, `moved`, `parsed`, `inserted`, `converted`, `trimmed` or `merged`.
    pub action: &'static str,
    /// Human-readable detail, holding any removed value (never a credential: the
    /// body holds none).
    pub detail: String,
}

/// One thing the strict upstream would reject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The rule id.
    pub rule: &'static str,
    /// JSON Pointer (RFC 6901) into the body.
    pub path: String,
    /// The exact text the upstream answers (with its own indices, see [`rules`]).
    pub message: String,
    /// What to know before fixing it by hand, when the obvious fix is wrong
    /// (for a blank text block before a thinking block: removing it moves the
    /// thinking block, which the upstream refuses too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Normalizes a request body given as a `serde_json::Value` (object with
/// `messages`, or a bare messages array). A body that needs no change comes back
/// as the same value with no changes. Key order and number formatting are kept.
pub fn normalize(
    request: serde_json::Value,
    options: &NormalizeOptions,
) -> Result<(serde_json::Value, Vec<Change>), HistoryError> {
    let bytes = serde_json::to_vec(&request).map_err(|e| HistoryError::invalid_json(&e, b""))?;
    let (out, changes) = normalize_bytes(&bytes, options)?;
    match out {
        Cow::Borrowed(_) => Ok((request, changes)),
        Cow::Owned(out) => Ok((parse_value(&out, &options.limits)?, changes)),
    }
}

/// Validates a request body given as a `serde_json::Value` with default limits.
pub fn validate(
    request: &serde_json::Value,
    profile: Profile,
) -> Result<Vec<Violation>, HistoryError> {
    let bytes = serde_json::to_vec(request).map_err(|e| HistoryError::invalid_json(&e, b""))?;
    validate_bytes(&bytes, profile, &Limits::default())
}

/// Normalizes a JSON request body. Returns `Cow::Borrowed(body)` (the same bytes)
/// when nothing needed a change; otherwise new bytes in which every part the
/// normalizer did not touch keeps its exact source text. Linear in the body's
/// size whatever its shape.
pub fn normalize_bytes<'a>(
    body: &'a [u8],
    options: &NormalizeOptions,
) -> Result<(Cow<'a, [u8]>, Vec<Change>), HistoryError> {
    let src = checked_source(body, &options.limits)?;
    let depth = options.limits.json_depth();
    let mut run = model::Run::new(src, options.profile, model::Mode::Normalize(options), depth)?;
    run.run();
    if run.changes.is_empty() {
        return Ok((Cow::Borrowed(body), Vec::new()));
    }
    let out = run.write();
    Ok((Cow::Owned(out), run.changes))
}

/// Validates a JSON request body under `profile`: what a strict upstream would
/// answer, with its exact texts. Linear in the body's size whatever its shape.
pub fn validate_bytes(
    body: &[u8],
    profile: Profile,
    limits: &Limits,
) -> Result<Vec<Violation>, HistoryError> {
    let src = checked_source(body, limits)?;
    let mut run = model::Run::new(src, profile, model::Mode::Validate, limits.json_depth())?;
    run.run();
    Ok(run.violations)
}

/// The body as validated JSON text within the limits.
fn checked_source<'a>(body: &'a [u8], limits: &Limits) -> Result<&'a str, HistoryError> {
    // NOTE: offsets are kept as u32: no limit admits 4 GiB or more (past it
    // they would wrap).
    let limit = limits.max_body_bytes.min(u32::MAX as usize);
    if body.len() > limit {
        return Err(HistoryError::BodyTooLarge {
            size: body.len(),
            limit,
        });
    }
    let src = std::str::from_utf8(body).map_err(|e| json_error(body, e.valid_up_to()))?;
    json::validate(src, limits.json_depth()).map_err(|e| match e {
        json::ParseError::Depth => HistoryError::MaxDepthExceeded {
            limit: limits.json_depth(),
        },
        json::ParseError::Syntax(at) => json_error(body, at),
    })?;
    Ok(src)
}

/// The error for a body the validator refused: serde_json's own diagnosis (line,
/// column, reason), which never quotes the input.
fn json_error(body: &[u8], at: usize) -> HistoryError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(e) => HistoryError::invalid_json(&e, body),
        // NOTE: the validator and serde_json accept the same grammar (tested), so this
        // arm is a safety net, not a path real input takes.
        Ok(_) => HistoryError::InvalidJson {
            offset: at,
            line: 0,
            column: 0,
            reason: "invalid JSON".into(),
        },
    }
}

fn parse_value(bytes: &[u8], limits: &Limits) -> Result<serde_json::Value, HistoryError> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            HistoryError::MaxDepthExceeded {
                limit: limits.json_depth().min(128),
            }
        } else {
            HistoryError::invalid_json(&e, bytes)
        }
    })
}
