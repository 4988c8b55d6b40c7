//! Decisions shared by the stream sanitizer ([`crate::claude`]) and the history
//! normalizer ([`crate::history`]), so that the two never disagree: which
//! upstream's rules apply ([`Profile`]), which block types carry a signature
//! that pins their position ([`is_thinking`]), and what a blank text block gets
//! when removing it would move such a block ([`Placeholder`]).
//!
//! # Signed thinking never moves
//!
//! A `thinking` / `redacted_thinking` block of the latest assistant message
//! must sit at the index the original response gave it, or the API answers
//! ``messages.N.content.M: `thinking` or `redacted_thinking` blocks in the
//! latest assistant message cannot be modified. These blocks must remain as
//! they were in the original response.`` (Anthropic; Bedrock checks positions
//! too). Adaptive thinking emits blank text blocks before and between thinking
//! blocks (`["\n\n", thinking, text]`, `[thinking, "", thinking, text]`), and
//! `""` itself is refused (`text content blocks must be non-empty`). So a blank
//! text block that comes before a thinking block is never removed: the
//! [`Placeholder`] text is appended to it (`""` → `"..."`, `"\n\n"` →
//! `"\n\n..."`). Whitespace is not enough: LiteLLM's `/v1/messages` strips
//! whitespace-only blocks (moving the thinking block after them) and Bedrock
//! refuses them. The original text is kept in front of the placeholder, so the
//! block stays as close to what the model sent as a non-blank text can.

use crate::error::OptionError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Which upstream's rules apply (see the rules catalog for the evidence
/// behind each profile's texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// The Anthropic API (default), and Google Cloud Vertex AI, whose answers
    /// are the same texts. It accepts whitespace-only text next to other
    /// content and merges consecutive same-role messages itself.
    #[default]
    Anthropic,
    /// Amazon Bedrock's Converse API, as a gateway that translates Anthropic
    /// bodies reaches it: its own (AWS) texts for blank text, role alternation
    /// and tool configuration; refuses whitespace-only text anywhere and a
    /// `system` role in `messages`.
    Bedrock,
    /// Amazon Bedrock InvokeModel, which takes the Anthropic body itself and
    /// answers with the Anthropic texts (sometimes prefixed `The model returned
    /// the following errors: `); refuses request fields the first-party API
    /// has and Bedrock does not (`context_management`, text `citations`).
    BedrockInvoke,
}

impl Profile {
    /// Every profile, in documentation order.
    pub const ALL: [Profile; 3] = [Profile::Anthropic, Profile::Bedrock, Profile::BedrockInvoke];

    /// `"anthropic"`, `"bedrock"` or `"bedrock-invoke"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Anthropic => "anthropic",
            Profile::Bedrock => "bedrock",
            Profile::BedrockInvoke => "bedrock-invoke",
        }
    }

    /// What the profile stands for, for help texts and the demo.
    pub fn describe(self) -> &'static str {
        match self {
            Profile::Anthropic => "the Anthropic API (also Vertex AI: same texts)",
            Profile::Bedrock => {
                "Amazon Bedrock Converse (through a gateway that translates Anthropic bodies)"
            }
            Profile::BedrockInvoke => "Amazon Bedrock InvokeModel (the Anthropic body as is)",
        }
    }

    /// Whether the profile is one of Amazon Bedrock's.
    pub fn is_bedrock(self) -> bool {
        matches!(self, Profile::Bedrock | Profile::BedrockInvoke)
    }

    /// Whether a whitespace-only text block is refused wherever it stands
    /// (`bedrock`), not only when its message holds nothing else. InvokeModel
    /// answers like the Anthropic API (a whitespace-only message is refused
    /// with the Anthropic text; nothing shows it refusing one beside other
    /// content).
    pub fn rejects_whitespace_text(self) -> bool {
        self == Profile::Bedrock
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Profile {
    type Err = OptionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or(OptionError {
                name: "profile",
                expected: "\"anthropic\", \"bedrock\" or \"bedrock-invoke\"",
            })
    }
}

/// Whether a content block type carries a position-sensitive signature.
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
pub fn is_thinking(block_type: &str) -> bool {
    block_type == "thinking" || block_type == "redacted_thinking"
}

/// The text appended to a blank text block that must stay in place because a
/// thinking block comes after it. Default [`Placeholder::DEFAULT`].
///
/// ```
/// use sse_sanitizer::Placeholder;
/// assert_eq!(Placeholder::default().as_str(), "...");
/// assert_eq!(Placeholder::new("…").unwrap().as_str(), "…");
/// assert_eq!(Placeholder::new(" \n").unwrap_err().to_string(),
///     "invalid option `placeholderText`: expected non-blank text of at most 64 bytes");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder(Box<str>);

impl Placeholder {
    /// `"..."`: visible text that no upstream strips or refuses, and the one
    /// non-blank separator a direct API test found accepted between signed
    /// thinking blocks (anomalyco/opencode PR #21860; `" "` is stripped by
    /// LiteLLM and refused by Bedrock; `""` is refused everywhere).
    pub const DEFAULT: &'static str = "...";
    /// Longest placeholder accepted, in bytes.
    pub const MAX_BYTES: usize = 64;

    /// A placeholder; refused when blank (it would be refused or stripped like
    /// the block it is meant to keep) or longer than [`Placeholder::MAX_BYTES`].
    pub fn new(text: &str) -> Result<Self, OptionError> {
        // NOTE: all whitespace is `trim().is_empty()`, without `trim`'s
        // char machinery in the stream-only wasm module.
        if text.chars().all(char::is_whitespace) || text.len() > Self::MAX_BYTES {
            return Err(OptionError {
                name: "placeholderText",
                expected: "non-blank text of at most 64 bytes",
            });
        }
        Ok(Placeholder(text.into()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Placeholder {
    fn default() -> Self {
        Placeholder(Self::DEFAULT.into())
    }
}

kebab_enum! {
    /// Why a blank text block was kept with the placeholder instead of removed.
    pub enum KeptReason {
        /// A thinking block comes after it in its message.
        ThinkingFollows = "thinking-follows",
        /// A thinking block came earlier in its (streamed) message, so a later
        /// one may follow (interleaved thinking): removing the block could
        /// move it.
        ThinkingEarlier = "thinking-earlier",
    }
}

kebab_enum! {
    /// What makes a text block blank; the strings are the catalog's rule ids.
    pub enum BlankText {
        /// `""`, null or no text at all (rule `empty-text`).
        Empty = "empty-text",
        /// Only whitespace (rule `whitespace-text`).
        Whitespace = "whitespace-text",
    }
}

impl KeptReason {
    /// Human-readable reason.
    pub fn describe(self) -> &'static str {
        match self {
            KeptReason::ThinkingFollows => "a thinking block follows it; removing it would move that block",
            KeptReason::ThinkingEarlier => "a thinking block came earlier in this message and another may follow; removing it could move that block",
        }
    }
}
