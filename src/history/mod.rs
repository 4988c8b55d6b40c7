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

// NOTE: the crate's JSON layer, under its old path for the phases' imports.
use crate::error::{HistoryError, OptionError};
pub(crate) use crate::json;
use crate::options::Options;
use crate::Limits;
use serde::Serialize;
use std::borrow::Cow;

pub use crate::policy::{Placeholder, Profile};

pub use rules::{rule, Rule, RULES};

/// What the `rules` option (and [`NormalizeOptions::disabled_rules`]) takes.
const RULE_IDS: &str = "rule ids of the catalog, each true or false";

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
    /// Ids of rules to switch off; an id not in [`RULES`] is refused
    /// ([`HistoryError::InvalidOption`]).
    pub disabled_rules: Vec<String>,
    /// Appended to a blank text block kept before a thinking block (rule
    /// `thinking-position`). Default `"..."`.
    pub placeholder: Placeholder,
    /// Size and depth limits.
    pub limits: Limits,
}

impl NormalizeOptions {
    /// Options from a JSON options object, as the JS API takes them:
    /// `profile`, `strictFields`, `capCacheControl`, `placeholderText`, `rules` (rule id →
    /// `false` to switch it off; an id not in [`RULES`] is refused) and the
    /// [`Limits`] keys.
    ///
    /// ```
    /// use sse_sanitizer::history::NormalizeOptions;
    /// let options = NormalizeOptions::from_json(r#"{"strictFields": true, "rules": {"merge-roles": false}}"#).unwrap();
    /// assert!(options.strict_fields);
    /// assert_eq!(options.disabled_rules, ["merge-roles"]);
    /// let err = NormalizeOptions::from_json(r#"{"rules": {"no-such-rule": false}}"#).unwrap_err();
    /// assert_eq!(err.code(), "invalid-option");
    /// ```
    pub fn from_json(json: &str) -> Result<Self, OptionError> {
        let options = Options::parse(json)?;
        let mut out = NormalizeOptions {
            limits: Limits::from_options(&options)?,
            ..NormalizeOptions::default()
        };
        if let Some(profile) = options.string("profile")? {
            out.profile = profile.parse()?;
        }
        out.strict_fields = options.bool("strictFields")?.unwrap_or(false);
        out.cap_cache_control = options.bool("capCacheControl")?.unwrap_or(false);
        if let Some(text) = options.string("placeholderText")? {
            out.placeholder = Placeholder::new(&text)?;
        }
        for (id, on) in options.flags("rules", RULE_IDS)? {
            // NOTE: every id is checked before the next (so the list stays
            // within the catalog), and a repeated key counts by its last
            // value, as `JSON.parse` reads it.
            out.check_rule(&id)?;
            out.disabled_rules.retain(|d| *d != id);
            if !on {
                out.disabled_rules.push(id.into_owned());
            }
        }
        Ok(out)
    }

    /// Refuses a rule id that is not in [`RULES`], in `disabled_rules` as in
    /// the JS `rules` option: a misspelt id would leave the rule on.
    pub fn check(&self) -> Result<(), OptionError> {
        self.disabled_rules
            .iter()
            .try_for_each(|id| self.check_rule(id))
    }

    fn check_rule(&self, id: &str) -> Result<(), OptionError> {
        match rule(id) {
            Some(_) => Ok(()),
            None => Err(OptionError {
                name: "rules",
                expected: RULE_IDS,
            }),
        }
    }

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
    /// What it did.
    pub action: ChangeAction,
    /// Human-readable detail, holding any removed value (never a credential: the
    /// body holds none).
    pub detail: String,
}

kebab_enum! {
    /// See [`Change::action`].
    #[non_exhaustive]
    pub enum ChangeAction {
        /// A value removed (its text is in the detail).
        Removed = "removed",
        /// A value moved (a `cache_control`, a `tool_result`, a message).
        Moved = "moved",
        /// A tool input given as a JSON string, parsed to its object.
        Parsed = "parsed",
        /// A value added (a `tool_result` for an interrupted tool call).
        Inserted = "inserted",
        /// A value turned into another kind (an orphan `tool_result` into
        /// text, string content into a text block).
        Converted = "converted",
        /// Trailing whitespace cut off.
        Trimmed = "trimmed",
        /// Consecutive same-role messages merged into one.
        Merged = "merged",
        /// A text changed in place (the placeholder appended to a blank text
        /// block before a thinking block).
        Replaced = "replaced",
        /// More changes of one rule than a report lists
        /// (1000); the detail gives the count.
        Omitted = "omitted",
    }
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
    // NOTE: writing a `Value` cannot fail (its keys are strings).
    let bytes = serde_json::to_vec(&request).unwrap_or_default();
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
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    validate_bytes(&bytes, profile, &Limits::default())
}

/// Normalizes a JSON request body. Returns `Cow::Borrowed(body)` (the same bytes)
/// when nothing needed a change; otherwise new bytes in which every part the
/// normalizer did not touch keeps its exact source text. Linear in the body's
/// size whatever its shape; a body of lists too dense for their size (items of
/// a few bytes, which no upstream accepts as messages or blocks) is refused with
/// [`HistoryError::InvalidShape`] rather than held at many times its size.
pub fn normalize_bytes<'a>(
    body: &'a [u8],
    options: &NormalizeOptions,
) -> Result<(Cow<'a, [u8]>, Vec<Change>), HistoryError> {
    let mut out = Vec::new();
    let changes = normalize_to(body, options, |len| {
        out.reserve_exact(len);
        |piece: &[u8]| out.extend_from_slice(piece)
    })?;
    if changes.is_empty() {
        return Ok((Cow::Borrowed(body), changes));
    }
    Ok((Cow::Owned(out), changes))
}

/// [`normalize_bytes`] for a caller that keeps the new body elsewhere (a file,
/// a socket, a JS array): when something changed, `begin` gets the new body's
/// exact length and gives what takes its bytes, handed on in pieces of up to
/// 64 KiB (larger texts as they are) that add up to that length. `begin` is not
/// called when nothing changed (the body is right as it is). The new body is
/// never whole in this process's memory.
pub fn normalize_to<W: FnMut(&[u8])>(
    body: &[u8],
    options: &NormalizeOptions,
    begin: impl FnOnce(usize) -> W,
) -> Result<Vec<Change>, HistoryError> {
    let run = normalized(body, options)?;
    if !run.changes.is_empty() {
        run.write_pieces(begin);
    }
    Ok(run.changes)
}

/// The run of normalize over `body`, its phases done, its output not yet written.
fn normalized<'a, 'o>(
    body: &'a [u8],
    options: &'o NormalizeOptions,
) -> Result<model::Run<'a, 'o>, HistoryError> {
    options.check()?;
    let src = checked_source(body, &options.limits)?;
    let depth = options.limits.json_depth();
    let mut run = model::Run::new(src, options.profile, model::Mode::Normalize(options), depth)?;
    run.run();
    match run.take_refusal() {
        Some(e) => Err(e),
        None => Ok(run),
    }
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
    match run.take_refusal() {
        Some(e) => Err(e),
        None => Ok(run.violations),
    }
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
    let depth = limits.json_depth();
    let src = std::str::from_utf8(body).map_err(|e| not_text(body, e.valid_up_to()))?;
    json::validate(src, depth).map_err(|e| json_error(&e, body, depth))?;
    Ok(src)
}

/// The error for a body the JSON reader refused (nested too deep, or not
/// JSON: the reader's diagnosis, line, column and reason as serde_json words
/// them, which never quotes the input).
fn json_error(e: &json::Error, body: &[u8], depth: usize) -> HistoryError {
    match e.code {
        json::Code::Depth => HistoryError::MaxDepthExceeded { limit: depth },
        _ => HistoryError::invalid_json(e, body),
    }
}

/// The error for a body that is not UTF-8: where the JSON grammar breaks, if
/// it does before that (bytes outside strings), else the first bad byte.
fn not_text(body: &[u8], at: usize) -> HistoryError {
    match json::check(body, json::Reader::Ignore, usize::MAX) {
        Err(e) => HistoryError::invalid_json(&e, body),
        Ok(()) => HistoryError::InvalidJson {
            offset: at,
            line: 0,
            column: 0,
            reason: "invalid JSON".into(),
        },
    }
}

fn parse_value(bytes: &[u8], limits: &Limits) -> Result<serde_json::Value, HistoryError> {
    let limit = limits.json_depth().min(json::SERDE_DEPTH + 1);
    json::check(bytes, json::Reader::Value, json::SERDE_DEPTH)
        .map_err(|e| json_error(&e, bytes, limit))?;
    // NOTE: serde_json reads what the check accepts.
    serde_json::from_slice(bytes).map_err(|_| HistoryError::MaxDepthExceeded { limit })
}
