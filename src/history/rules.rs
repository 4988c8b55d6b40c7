//! THE rules catalog: one row per rule. The normalizer and the validator both look
//! rules up here (by the constants below), so a rule's id, the profiles it applies
//! to, what the normalizer does about it and the upstream answer it prevents are
//! written down exactly once.
//!
//! Messages are templates of the exact upstream text; `{m}`, `{b}`, `{type}`,
//! `{field}`, `{id}`, `{ids}`, `{n}` and `{t}` are filled with real values. Where
//! the upstream merges consecutive same-role messages before a check (Anthropic
//! does, for the tool pairing and the other semantic checks), `{m}`/`{b}` are the
//! indices the upstream reports, i.e. after that merge; schema errors
//! (`Field required`, `Extra inputs are not permitted`, …) use the indices as sent.

use super::{NormalizeOptions, Profile};

/// One rule of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id; part of the API (`Change::rule`, `Violation::rule`,
    /// `NormalizeOptions::disabled_rules`).
    pub id: &'static str,
    /// Profiles under which the rule applies.
    pub profiles: &'static [Profile],
    /// What the normalizer does; `None` for validator-only rules.
    pub fix: Option<&'static str>,
    /// The main upstream answer (a template, see the module docs).
    pub message: &'static str,
    /// Other upstream answers of the same defect (e.g. a missing field instead of
    /// an empty one), also templates.
    pub other_messages: &'static [&'static str],
    /// The option that must be on for the fix to run (`strictFields`), when
    /// the fix is opt-in.
    pub opt_in: Option<&'static str>,
}

impl Rule {
    /// Whether the rule applies under `profile`.
    pub fn applies(&self, profile: Profile) -> bool {
        self.profiles.contains(&profile)
    }

    /// Whether `normalize()` with `options` fixes this rule's violations under
    /// `profile`: it applies, has a fix, is not switched off, and its opt-in
    /// option (if any) is on.
    pub fn fixes(&self, profile: Profile, options: &NormalizeOptions) -> bool {
        self.applies(profile)
            && self.fix.is_some()
            && !options.disabled_rules.iter().any(|d| d == self.id)
            && self.opt_in.map_or(true, |name| options.flag(name))
    }
}

const BOTH: &[Profile] = &[Profile::Anthropic, Profile::Bedrock];
const BEDROCK: &[Profile] = &[Profile::Bedrock];

pub(crate) const MSG_TEXT_MISSING: &str = "messages.{m}.content.{b}.text.text: Field required";
pub(crate) const MSG_TEXT_NOT_STRING: &str =
    "messages.{m}.content.{b}.text.text: Input should be a valid string";
pub(crate) const MSG_BEDROCK_BLANK: &str = "The text field in the ContentBlock object at messages.{m}.content.{b} is blank. Add text to the text field, and try again.";
pub(crate) const MSG_SYSTEM_EMPTY: &str = "system: text content blocks must be non-empty";
pub(crate) const MSG_SIGNATURE_INVALID: &str =
    "messages.{m}.content.{b}: Invalid `signature` in `thinking` block";
pub(crate) const MSG_REDACTED_DATA_MISSING: &str =
    "messages.{m}.content.{b}.redacted_thinking.data: Field required";
pub(crate) const MSG_THINKING_MOVED: &str = "messages.{m}.content.{b}: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.";
pub(crate) const MSG_MESSAGE_EXTRA: &str = "messages.{m}.{field}: Extra inputs are not permitted";

macro_rules! catalog {
    ($($name:ident = { $($field:ident: $value:expr),* $(,)? })*) => {
        $(pub(crate) const $name: Rule = Rule { $($field: $value),* };)*
        /// Every rule, in the order the normalizer applies them.
        pub static RULES: &[Rule] = &[$($name),*];
    };
}

catalog! {
    THINKING_UNTOUCHED = {
        id: "thinking-untouched",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.content.{b}.thinking.signature: Field required",
        other_messages: &[MSG_SIGNATURE_INVALID, MSG_REDACTED_DATA_MISSING],
        opt_in: None,
    }
    FOREIGN_FIELD = {
        id: "foreign-field",
        profiles: BOTH,
        fix: Some("removes a field that belongs to another block type (e.g. `tool_use_id` or `text` on a tool_use)"),
        message: "messages.{m}.content.{b}.{type}.{field}: Extra inputs are not permitted",
        other_messages: &[],
        opt_in: None,
    }
    UNKNOWN_FIELD = {
        id: "unknown-field",
        profiles: BOTH,
        fix: Some("with strictFields only: removes a field that no schema of the block type (or of a message) has"),
        message: "messages.{m}.content.{b}.{type}.{field}: Extra inputs are not permitted",
        other_messages: &[MSG_MESSAGE_EXTRA],
        opt_in: Some("strictFields"),
    }
    TOOL_INPUT_STRING = {
        id: "tool-input-string",
        profiles: BOTH,
        fix: Some("parses a tool_use `input` given as a JSON string into an object (`\"\"` becomes `{}`); an unparseable one stays and is reported"),
        message: "messages.{m}.content.{b}.{type}.input: Input should be a valid dictionary",
        other_messages: &[],
        opt_in: None,
    }
    EMPTY_TEXT = {
        id: "empty-text",
        profiles: BOTH,
        fix: Some("removes a text block whose text is `\"\"`, null or missing"),
        message: "messages: text content blocks must be non-empty",
        other_messages: &[MSG_TEXT_MISSING, MSG_TEXT_NOT_STRING],
        opt_in: None,
    }
    WHITESPACE_TEXT = {
        id: "whitespace-text",
        profiles: BOTH,
        fix: Some("removes a whitespace-only text block; anthropic: only when its message (or tool_result) holds nothing else, bedrock: always"),
        message: "messages: text content blocks must contain non-whitespace text",
        other_messages: &[MSG_BEDROCK_BLANK],
        opt_in: None,
    }
    // NOTE: before EMPTY_TEXT's removal would run: a blank block before a
    // thinking block is never removed. Evidence: anomalyco/opencode #16748,
    // #13286, PRs #16750, #21370, #21860 (direct API tests: `""` refused,
    // removal refused with this text, a short non-blank text accepted);
    // vercel/ai #14071, PR #14139 (Bedrock checks block positions too).
    THINKING_POSITION = {
        id: "thinking-position",
        profiles: BOTH,
        fix: Some("appends placeholder text (default \"...\") to a blank text block that comes before a thinking or redacted_thinking block of an assistant message, instead of removing it (removal would move the thinking block); whitespace-only too under every profile, as LiteLLM strips such blocks"),
        message: MSG_THINKING_MOVED,
        other_messages: &[],
        opt_in: None,
    }
    CACHE_CONTROL_ON_EMPTY = {
        id: "cache-control-on-empty",
        profiles: BOTH,
        fix: Some("moves the cache_control of a removed block to the previous kept block of the same message (dropped, and reported, when there is none)"),
        message: "messages.{m}.content.{b}.text: cache_control cannot be set for empty text blocks",
        other_messages: &[],
        opt_in: None,
    }
    EMPTY_MESSAGE = {
        id: "empty-message",
        profiles: BOTH,
        fix: Some("removes a message whose content is `[]` or `\"\"` (a final assistant message may stay empty)"),
        message: "messages.{m}: all messages must have non-empty content except for the optional final assistant message",
        other_messages: &[],
        opt_in: None,
    }
    ORPHAN_TOOL_RESULT = {
        id: "orphan-tool-result",
        profiles: BOTH,
        fix: Some("turns a tool_result with no matching tool_use in the previous assistant message into text that keeps its content"),
        message: "messages.{m}.content.{b}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        other_messages: &[],
        opt_in: None,
    }
    TOOL_RESULT_FIRST = {
        id: "tool-result-first",
        profiles: BOTH,
        fix: Some("moves tool_result blocks to the start of their user message"),
        message: "messages.{m}: Did not find {n} `tool_result` block(s) at the beginning of this message. Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.",
        other_messages: &[],
        opt_in: None,
    }
    MISSING_TOOL_RESULT = {
        id: "missing-tool-result",
        profiles: BOTH,
        fix: Some("inserts a tool_result with `is_error: true` and a short explanation for a tool_use that got none"),
        message: "messages.{m}: `tool_use` ids were found without `tool_result` blocks immediately after: {ids}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        other_messages: &[],
        opt_in: None,
    }
    MERGE_ROLES = {
        id: "merge-roles",
        profiles: BEDROCK,
        fix: Some("merges consecutive messages of the same role into one (string content becomes a text block); Anthropic itself accepts and merges them"),
        message: "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
        other_messages: &[],
        opt_in: None,
    }
    FINAL_TRAILING_WHITESPACE = {
        id: "final-trailing-whitespace",
        profiles: BOTH,
        fix: Some("trims trailing whitespace at the end of a final assistant (prefill) message"),
        message: "messages: final assistant content cannot end with trailing whitespace",
        other_messages: &[],
        opt_in: None,
    }
    EMPTY_SYSTEM = {
        id: "empty-system",
        profiles: BOTH,
        fix: Some("removes empty or whitespace-only system text blocks, and a blank `system` string"),
        message: "system: text content blocks must contain non-whitespace text",
        other_messages: &[MSG_SYSTEM_EMPTY],
        opt_in: None,
    }
    DUPLICATE_TOOL_USE_ID = {
        id: "duplicate-tool-use-id",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.content.{b}: tool_use ids must be unique",
        other_messages: &[],
        opt_in: None,
    }
    TOOL_USE_ID_PATTERN = {
        id: "tool-use-id-pattern",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.content.{b}.{type}.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
        other_messages: &[],
        opt_in: None,
    }
    TOOL_NAME_PATTERN = {
        id: "tool-name-pattern",
        profiles: BOTH,
        fix: None,
        message: "tools.{t}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
        other_messages: &[],
        opt_in: None,
    }
    // NOTE: bedrock only. The Anthropic API accepts tool_use/tool_result blocks
    // without `tools`: the corpus holds such an accepted request
    // (anthropic-sdk-typescript__ToolRunner.nock.json, exchange 9).
    TOOLS_REQUIRED = {
        id: "tools-required",
        profiles: BEDROCK,
        fix: None,
        message: "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        other_messages: &[],
        opt_in: None,
    }
    // NOTE: a real Bedrock 400 in the corpus
    // (chatlas__test_provider_bedrock_test_anthropic_images.yaml, interaction 1).
    URL_SOURCE = {
        id: "url-source",
        profiles: BEDROCK,
        fix: None,
        message: "messages.{m}.content.{b}.{type}.source.base64.data: URL sources are not supported",
        other_messages: &[],
        opt_in: None,
    }
    UNKNOWN_ROLE = {
        id: "unknown-role",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.role: Input should be 'user' or 'assistant'",
        other_messages: &[],
        opt_in: None,
    }
    // NOTE: manual thinking only (`thinking.type: "enabled"`, with or without
    // the interleaved-thinking beta): seen in public 400s only there (n8n-io/n8n
    // #22550, anomalyco/opencode #3077 for Vertex and Bedrock). Adaptive
    // thinking (Opus 4.6+, Sonnet 4.6+) makes thinking optional per turn and
    // the model opens turns with a blank text block before the thinking block
    // (anthropics/anthropic-sdk-python #1162; a recorded Opus 4.6 stream), so
    // the rule is not applied to `adaptive`; a blank opening block there is
    // kept in place (rule thinking-position), never removed.
    THINKING_FIRST = {
        id: "thinking-first",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{type}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
        other_messages: &[],
        opt_in: None,
    }
    THINKING_FINAL_BLOCK = {
        id: "thinking-final-block",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}: The final block in an assistant message cannot be `thinking`.",
        other_messages: &[],
        opt_in: None,
    }
    THINKING_DISABLED = {
        id: "thinking-disabled",
        profiles: BOTH,
        fix: None,
        message: "messages.{m}.content.{b}: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.",
        other_messages: &[],
        opt_in: None,
    }
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Fills a message template.
pub(crate) fn render(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let hit = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (close, *v))
        });
        match hit {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            // Not a placeholder (e.g. the `{1,64}` of a regex): keep it.
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fields each known block type accepts (the request-side schemas of the Messages
/// API). Types not listed are unknown and pass through untouched.
pub(crate) const BLOCK_FIELDS: &[(&str, &[&str])] = &[
    ("text", &["type", "text", "cache_control", "citations"]),
    ("image", &["type", "source", "cache_control"]),
    (
        "document",
        &[
            "type",
            "source",
            "cache_control",
            "citations",
            "context",
            "title",
        ],
    ),
    (
        "tool_use",
        &["type", "id", "name", "input", "cache_control", "caller"],
    ),
    (
        "tool_result",
        &[
            "type",
            "tool_use_id",
            "content",
            "is_error",
            "cache_control",
        ],
    ),
    (
        "search_result",
        &[
            "type",
            "source",
            "title",
            "content",
            "cache_control",
            "citations",
        ],
    ),
    ("thinking", &["type", "thinking", "signature"]),
    ("redacted_thinking", &["type", "data"]),
    (
        "server_tool_use",
        &["type", "id", "name", "input", "cache_control", "caller"],
    ),
    (
        "web_search_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "web_fetch_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "bash_code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "text_editor_code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "tool_search_tool_result",
        &["type", "tool_use_id", "content", "cache_control"],
    ),
    (
        "mcp_tool_use",
        &[
            "type",
            "id",
            "name",
            "server_name",
            "input",
            "cache_control",
        ],
    ),
    (
        "mcp_tool_result",
        &[
            "type",
            "tool_use_id",
            "is_error",
            "content",
            "cache_control",
        ],
    ),
    ("container_upload", &["type", "file_id", "cache_control"]),
];

/// Fields of a message object.
pub(crate) const MESSAGE_FIELDS: &[&str] = &["role", "content"];

/// The tool-call block types (their `input` must be an object).
pub(crate) const TOOL_USE_TYPES: &[&str] = &["tool_use", "server_tool_use", "mcp_tool_use"];

pub(crate) fn is_tool_use(ty: &str) -> bool {
    TOOL_USE_TYPES.contains(&ty)
}

pub(crate) fn block_fields(ty: &str) -> Option<&'static [&'static str]> {
    BLOCK_FIELDS.iter().find(|(t, _)| *t == ty).map(|(_, f)| *f)
}

/// A field some known block type has: on a type that lacks it, it is "foreign".
pub(crate) fn is_block_field(field: &str) -> bool {
    BLOCK_FIELDS.iter().any(|(_, f)| f.contains(&field))
}

/// The block type a foreign field belongs to, for reports.
pub(crate) fn owner_of(field: &str) -> &'static str {
    BLOCK_FIELDS
        .iter()
        .find(|(_, f)| f.contains(&field))
        .map(|(t, _)| *t)
        .unwrap_or("another block type")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(RULES[i + 1..].iter().all(|o| o.id != r.id), "{}", r.id);
            assert!(!r.profiles.is_empty());
        }
        assert_eq!(rule("empty-text"), Some(&EMPTY_TEXT));
    }

    #[test]
    fn render_fills_and_keeps_regex_braces() {
        assert_eq!(
            render(TOOL_NAME_PATTERN.message, &[("t", "2")]),
            "tools.2.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"
        );
        assert_eq!(render("a {x} {y}", &[("x", "1")]), "a 1 {y}");
    }
}
