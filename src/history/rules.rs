//! THE rules catalog: one row per rule. The normalizer and the validator both look
//! rules up here (by the constants below), so a rule's id, the profiles it applies
//! to, what the normalizer does about it and the upstream answer it prevents are
//! written down exactly once.
//!
//! Messages are templates of the exact upstream text; `{m}`, `{b}`, `{type}`,
//! `{field}`, `{id}`, `{ids}`, `{n}`, `{t}` and the like are filled with real
//! values. Where
//! the upstream merges consecutive same-role messages before a check (Anthropic
//! does, for the tool pairing and the other semantic checks), `{m}`/`{b}` are the
//! indices the upstream reports, i.e. after that merge; schema errors
//! (`Field required`, `Extra inputs are not permitted`, …) use the indices as sent.
//!
//! Every row names the public evidence behind its texts and profiles
//! (`sources`) and says what that evidence does not establish (`note`). Amazon
//! Bedrock passes the model's own answers through, sometimes prefixed with `The
//! model returned the following errors: `; the catalog gives the unprefixed text.

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
    /// The main upstream answer (a template, see the module docs) under the
    /// profiles `profile_messages` does not list.
    pub message: &'static str,
    /// Other upstream answers of the same defect (e.g. a missing field instead of
    /// an empty one), also templates.
    pub other_messages: &'static [&'static str],
    /// Profiles whose upstream answers differ: `(profile, [main, others…])`.
    pub profile_messages: &'static [(Profile, &'static [&'static str])],
    /// The option that must be on for the fix to run (`strictFields`), when
    /// the fix is opt-in.
    pub opt_in: Option<&'static str>,
    /// The public evidence behind the texts and the profiles: an address and
    /// what it shows.
    pub sources: &'static [&'static str],
    /// What the evidence leaves open (unverified parts of a text, profiles
    /// without evidence, model-dependent behaviour), when anything.
    pub note: Option<&'static str>,
}

impl Rule {
    const BLANK: Rule = Rule {
        id: "",
        profiles: &[],
        fix: None,
        message: "",
        other_messages: &[],
        profile_messages: &[],
        opt_in: None,
        sources: &[],
        note: None,
    };

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

    /// The upstream answers under `profile`, the main one first (empty when
    /// the rule does not apply).
    pub fn messages(&self, profile: Profile) -> Vec<&'static str> {
        if !self.applies(profile) {
            return Vec::new();
        }
        match self.profile_messages.iter().find(|(p, _)| *p == profile) {
            Some((_, list)) => list.to_vec(),
            None => std::iter::once(self.message)
                .chain(self.other_messages.iter().copied())
                .collect(),
        }
    }

    /// The main upstream answer under `profile`.
    pub(crate) fn message_for(&self, profile: Profile) -> &'static str {
        self.profile_messages
            .iter()
            .find(|(p, _)| *p == profile)
            .and_then(|(_, list)| list.first().copied())
            .unwrap_or(self.message)
    }
}

const ALL: &[Profile] = &Profile::ALL;
/// Bedrock Converse (AWS texts, through a translating gateway).
const CONVERSE: &[Profile] = &[Profile::Bedrock];
const BEDROCK_BOTH: &[Profile] = &[Profile::Bedrock, Profile::BedrockInvoke];
/// The upstreams that take the Anthropic body itself and answer with its texts.
const ANTHROPIC_MESSAGES: &[Profile] = &[Profile::Anthropic, Profile::BedrockInvoke];

pub(crate) const MSG_TEXT_MISSING: &str = "messages.{m}.content.{b}.text.text: Field required";
pub(crate) const MSG_TEXT_NOT_STRING: &str =
    "messages.{m}.content.{b}.text.text: Input should be a valid string";
pub(crate) const MSG_BEDROCK_BLANK: &str = "The text field in the ContentBlock object at messages.{m}.content.{b} is blank. Add text to the text field, and try again.";
pub(crate) const MSG_SYSTEM_EMPTY: &str = "system: text content blocks must be non-empty";
pub(crate) const MSG_SIGNATURE_MISSING: &str =
    "messages.{m}.content.{b}.thinking.signature: Field required";
pub(crate) const MSG_SIGNATURE_INVALID: &str =
    "messages.{m}.content.{b}: Invalid `signature` in `thinking` block";
pub(crate) const MSG_THINKING_EMPTY: &str =
    "messages.{m}.content.{b}.thinking: each thinking block must contain thinking";
pub(crate) const MSG_REDACTED_DATA_MISSING: &str =
    "messages.{m}.content.{b}.redacted_thinking.data: Field required";
pub(crate) const MSG_THINKING_MOVED: &str = "messages.{m}.content.{b}: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.";
pub(crate) const MSG_MESSAGE_EXTRA: &str = "messages.{m}.{field}: Extra inputs are not permitted";
const MSG_CONVERSE_NAME_PATTERN: &str = "1 validation error detected: Value '{name}' at 'toolConfig.tools.{t}.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+";
pub(crate) const MSG_CONVERSE_NAME_LENGTH: &str = "1 validation error detected: Value at 'toolConfig.tools.{t}.member.toolSpec.name' failed to satisfy constraint: Member must have length less than or equal to 64";
pub(crate) const MSG_SYSTEM_FIRST: &str = "messages.0: use the top-level 'system' parameter for the initial system prompt; the directive-only form (content: [] with output_config) is accepted at any position";
pub(crate) const MSG_SYSTEM_FOLLOW: &str = "messages.{m}: role 'system' must follow a 'user' message or an 'assistant' message ending in a server tool result; the directive-only form (content: [] with output_config) is accepted at any position";
pub(crate) const MSG_SYSTEM_PRECEDE: &str = "messages.{m}: role 'system' must precede an 'assistant' message or end the array; the directive-only form (content: [] with output_config) is accepted at any position";
pub(crate) const MSG_CITATIONS_EXTRA: &str =
    "messages.{m}.content.{b}.text.citations: Extra inputs are not permitted";
const MSG_EMPTY_TEXT: &str = "messages: text content blocks must be non-empty";

macro_rules! catalog {
    ($($name:ident = { $($field:ident: $value:expr),* $(,)? })*) => {
        $(pub(crate) const $name: Rule = Rule { $($field: $value,)* ..Rule::BLANK };)*
        /// Every rule, in the order the normalizer applies them.
        pub static RULES: &[Rule] = &[$($name),*];
    };
}

catalog! {
    CACHE_CONTROL_LIMIT = {
        id: "cache-control-limit",
        profiles: ANTHROPIC_MESSAGES,
        fix: Some("with capCacheControl only: keeps the last 4 cache_control breakpoints in the order the API reads them (tools, system, messages) and removes the earlier ones, each reported (never one of a system message or a thinking block)"),
        message: "A maximum of 4 blocks with cache_control may be provided. Found {n}.",
        opt_in: Some("capCacheControl"),
        sources: &[
            "https://github.com/tghamm/Anthropic.SDK/issues/50 — `A maximum of 4 blocks with cache_control may be provided. Found 5.` (Anthropic API, raw JSON)",
            "https://github.com/Bike4Mind/bike4mind/issues/2127 — the same text from Bedrock's Anthropic path (`ValidationException`)",
            "public code, search index file id 69439831363 — a live probe (2026-09): more than 4 breakpoints refused on every model; a request-level `cache_control` accepted",
        ],
        note: Some("Opt-in: which breakpoints to keep is a caching decision. Counted on the body as sent: breakpoints in blocks, in a tool_result's content, in tools and system blocks, and on system messages; a request-level `cache_control` (automatic caching) is not counted (whether it takes a slot is not established). Converse marks breakpoints with `cachePoint` blocks; its limit text is not established, so bedrock has no such rule."),
    }
    CACHE_TTL_ORDER = {
        id: "cache-ttl-order",
        profiles: ALL,
        message: "{path}.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
        sources: &[
            "https://github.com/cnighswonger/claude-code-cache-fix/issues/44 — `messages.0.content.4.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.` (raw JSON)",
            "https://github.com/agno-agi/agno/pull/8406 — the same with `system.0.cache_control.ttl`",
            "https://github.com/Portkey-AI/gateway/issues/1762 — the same through Bedrock Converse, prefixed `The model returned the following errors: `",
        ],
        note: Some("A breakpoint without `ttl` is a five-minute one. Validator only: which cache lives longer is a billing decision. The path of a tool, a block inside a tool_result and a system message's own breakpoint (`tools.N`, `messages.M.content.B.content.K`, `messages.M`) is by analogy, not observed."),
    }
    THINKING_UNTOUCHED = {
        id: "thinking-untouched",
        profiles: ALL,
        message: MSG_SIGNATURE_MISSING,
        other_messages: &[MSG_SIGNATURE_INVALID, MSG_THINKING_EMPTY, MSG_REDACTED_DATA_MISSING],
        profile_messages: &[
            (Profile::Bedrock, &[MSG_SIGNATURE_MISSING, MSG_REDACTED_DATA_MISSING]),
            (Profile::BedrockInvoke, &[MSG_SIGNATURE_MISSING, MSG_REDACTED_DATA_MISSING]),
        ],
        sources: &[
            "https://github.com/anthropics/claude-code/issues/10627 — `messages.1.content.0: Invalid `signature` in `thinking` block` (Anthropic)",
            "https://github.com/earendil-works/pi/issues/2063 — Bedrock answers an empty-string signature with `messages.N.content.0.thinking.signature: Field required`",
            "public code, search index file id 62022885899 — a live probe: `{thinking: \"\", signature: \"\"}` is refused with `each thinking block must contain thinking`, the same block with a real signature is accepted",
            "public code, search index file id 9399453630 — `messages.1.content.0.redacted_thinking.data: Field required`",
        ],
        note: Some("A thinking block is never changed (its signature covers it), so this rule has no fix. Which answer an empty signature gets with non-empty thinking on the Anthropic API is not established; the catalog gives `Invalid signature`."),
    }
    FOREIGN_FIELD = {
        id: "foreign-field",
        profiles: ALL,
        fix: Some("removes a field that belongs to another block type (e.g. `tool_use_id` or `text` on a tool_use)"),
        message: "messages.{m}.content.{b}.{type}.{field}: Extra inputs are not permitted",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/4378 — `messages.65.content.1.tool_use.text: Extra inputs are not permitted`",
            "https://github.com/langchain-ai/langchain/issues/31208 — `messages.1.content.1.tool_use.index: Extra inputs are not permitted`",
        ],
    }
    UNKNOWN_FIELD = {
        id: "unknown-field",
        profiles: ALL,
        fix: Some("with strictFields only: removes a field that no schema of the block type (or of a message) has"),
        message: "messages.{m}.content.{b}.{type}.{field}: Extra inputs are not permitted",
        other_messages: &[MSG_MESSAGE_EXTRA],
        opt_in: Some("strictFields"),
        sources: &[
            "https://github.com/langchain-ai/langchain/issues/31208 — `messages.1.content.1.tool_use.index: Extra inputs are not permitted`",
        ],
        note: Some("Opt-in: a field this catalog does not know may be a new API feature the upstream accepts."),
    }
    BEDROCK_FIELD = {
        id: "bedrock-unsupported-field",
        profiles: BEDROCK_BOTH,
        fix: Some("removes a request field the Anthropic API has and Bedrock does not, reported with its value: a top-level `context_management` (context editing) without the body's `anthropic_beta` opt-in, and the `citations` of a text block (replayed from a cited answer)"),
        message: "context_management: Extra inputs are not permitted",
        other_messages: &[MSG_CITATIONS_EXTRA],
        sources: &[
            "https://github.com/anthropics/claude-code/issues/49548 — `context_management: Extra inputs are not permitted` from Bedrock (through LiteLLM, 2026-04)",
            "https://github.com/Wei-Shaw/sub2api/issues/2726 — the same on Bedrock once a gateway dropped the `context-management-2025-06-27` beta; with it the field is accepted",
            "https://github.com/braintrustdata/lingua/pull/349 — Bedrock takes context management with `anthropic_beta: [\"context-management-2025-06-27\"]` in the body",
            "https://github.com/epam/ai-dial-adapter-bedrock tests/integration_tests/test_anthropic_error.py — InvokeModel stream: `messages.1.content.1.text.citations: Extra inputs are not permitted` (Claude 3.7 Sonnet)",
        ],
        note: Some("Bedrock takes `context_management` when the body's `anthropic_beta` lists a context-management beta: then nothing is reported. The Anthropic API takes both (context_management with its beta header, which the body does not show), so anthropic has no such rule. A newer Bedrock model may take text citations; the evidence is for Claude 3.7 Sonnet."),
    }
    TOOL_INPUT_STRING = {
        id: "tool-input-string",
        profiles: ALL,
        fix: Some("parses a tool_use `input` given as a JSON string into an object (`\"\"` becomes `{}`); an unparseable one stays and is reported"),
        message: "messages.{m}.content.{b}.{type}.input: Input should be a valid dictionary",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/6696 — `messages.61.content.0.tool_use.input: Input should be a valid dictionary`",
            "https://github.com/anthropics/anthropic-sdk-typescript/issues/648 — the same text",
        ],
    }
    TOOL_RESULT_ERROR_EMPTY = {
        id: "tool-result-error-empty",
        profiles: ALL,
        fix: Some("gives an error tool_result (`is_error: true`) whose content is absent, null, `\"\"` or `[]` (as sent, or once its blank blocks went) the text \"The tool reported an error without details.\""),
        message: "messages.{m}.content.{b}.tool_result: content cannot be empty if `is_error` is true",
        profile_messages: &[(
            Profile::Bedrock,
            &["The content field at messages.{m}.content.{b}.toolResult cannot be empty when status value is error."],
        )],
        sources: &[
            "public code, search index file id 8189101614 — a raw answer `messages.150.content.0.tool_result: content cannot be empty if `is_error` is true` (2025-12)",
            "public code, search index file id 15849324809 — the same text on AWS Bedrock (Anthropic)",
            "https://github.com/aws-samples/sample-multi-agent-orchestration-chat-on-agentcore/issues/15 — Bedrock Converse: `The content field at messages.<n>.content.0.toolResult cannot be empty when status value is error.`",
        ],
        note: Some("Whether the upstream counts a whitespace-only string as empty here is not established: only an absent, null, empty string or empty list content is reported."),
    }
    EMPTY_TEXT = {
        id: "empty-text",
        profiles: ALL,
        fix: Some("removes a text block whose text is `\"\"`, null or missing"),
        message: MSG_EMPTY_TEXT,
        other_messages: &[MSG_TEXT_MISSING, MSG_TEXT_NOT_STRING],
        sources: &[
            "https://github.com/stackblitz/bolt.new/issues/7426 — `messages: text content blocks must be non-empty`",
            "https://github.com/epam/ai-dial-adapter-bedrock tests/integration_tests/test_chat_completion.py (test_empty_user_message) — the same text from Bedrock InvokeModel",
        ],
    }
    WHITESPACE_TEXT = {
        id: "whitespace-text",
        profiles: ALL,
        fix: Some("removes a whitespace-only text block; anthropic and bedrock-invoke: only when its message (or tool_result) holds nothing else, bedrock: always"),
        message: "messages: text content blocks must contain non-whitespace text",
        profile_messages: &[(Profile::Bedrock, &[MSG_BEDROCK_BLANK])],
        sources: &[
            "https://github.com/anthropics/claude-code/issues/23440 — `messages: text content blocks must contain non-whitespace text`",
            "https://github.com/vercel/ai/issues/6254 — Bedrock Converse: `The text field in the ContentBlock object at messages.7.content.0 is blank. Add text to the text field, and try again.`",
            "https://github.com/epam/ai-dial-adapter-bedrock tests/integration_tests/test_chat_completion.py (test_empty_user_message) — InvokeModel answers with the Anthropic texts, the Converse path with the AWS one",
            "tests/corpus/exchanges: accepted Anthropic requests with `\"\\n\\n\"` text beside other content",
        ],
        note: Some("Nothing shows InvokeModel refusing whitespace-only text beside other content, so bedrock-invoke follows the Anthropic rule."),
    }
    THINKING_POSITION = {
        id: "thinking-position",
        profiles: ALL,
        fix: Some("appends placeholder text (default \"...\") to a blank text block that comes before a thinking or redacted_thinking block of an assistant message, instead of removing it (removal would move the thinking block); whitespace-only too under every profile, as LiteLLM strips such blocks"),
        message: MSG_THINKING_MOVED,
        sources: &[
            "https://github.com/anomalyco/opencode/issues/16748 — removing a blank block between thinking blocks gets this text",
            "https://github.com/anomalyco/opencode/pull/21860 — direct API tests: `\"\"` refused, a short non-blank text accepted",
            "https://github.com/anthropics/claude-code/issues/63203 — the text, verbatim",
            "https://github.com/vercel/ai/pull/14139 — Bedrock checks block positions too",
        ],
        note: Some("Runs before empty-text's removal would: a blank block before a thinking block is never removed."),
    }
    CACHE_CONTROL_ON_EMPTY = {
        id: "cache-control-on-empty",
        profiles: ALL,
        fix: Some("moves the cache_control of a removed block to the previous kept block of the same message (dropped, and reported, when there is none)"),
        message: "messages.{m}.content.{b}.text: cache_control cannot be set for empty text blocks",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/54013 — `cache_control cannot be set for empty text blocks at messages.N.content.1.text`",
        ],
    }
    EMPTY_MESSAGE = {
        id: "empty-message",
        profiles: ALL,
        fix: Some("removes a message whose content is `[]` or `\"\"` (a final assistant message may stay empty)"),
        message: "messages.{m}: all messages must have non-empty content except for the optional final assistant message",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/6774 — `messages.0: all messages must have non-empty content except for the optional final assistant message`",
            "https://github.com/tidyverse/ellmer/issues/709 — `messages.1: …` for an empty assistant turn",
        ],
    }
    ORPHAN_TOOL_RESULT = {
        id: "orphan-tool-result",
        profiles: ALL,
        fix: Some("turns a tool_result with no matching tool_use in the previous assistant message into text that keeps its content"),
        message: "messages.{m}.content.{b}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/13460 — the text, verbatim",
            "tests/corpus/responses/vercel-ai__anthropic-issue-17366-orphan-tool-result.1.json — a recorded 400 with the request that caused it",
        ],
    }
    TOOL_RESULT_FIRST = {
        id: "tool-result-first",
        profiles: ALL,
        fix: Some("moves tool_result blocks to the start of their user message"),
        message: "messages.{m}: Did not find {n} `tool_result` block(s) at the beginning of this message. Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.",
        sources: &[
            "https://github.com/apify/tester-mcp-client/issues/12 — `messages.27: Did not find 1 `tool_result` block(s) at the beginning of this message. …`",
        ],
    }
    MISSING_TOOL_RESULT = {
        id: "missing-tool-result",
        profiles: ALL,
        fix: Some("inserts a tool_result with `is_error: true` and a short explanation for a tool_use that got none"),
        message: "messages.{m}: `tool_use` ids were found without `tool_result` blocks immediately after: {ids}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/5060 — the text, verbatim",
        ],
    }
    SERVER_TOOL_PAIRING = {
        id: "server-tool-pairing",
        profiles: ANTHROPIC_MESSAGES,
        fix: Some("removes a server_tool_use (web search, web fetch, code execution, tool search) that no result block answers in a turn the conversation has moved past, reported with the whole block; never from a message with thinking blocks, never a message's only block, never the block a system message needs before it"),
        message: "messages.{m}: `{tool}` tool use with id `{id}` was found without a corresponding `{result}` block",
        other_messages: &["`{tool}` tool use with id `{id}` was found without a corresponding `{result}` block"],
        sources: &[
            "https://platform.claude.com/docs/en/build-with-claude/handling-stop-reasons — a paused or deferred server tool call is legitimate while the turn is open; anything after the tool_result blocks ends the turn and fails with `` `web_search` tool use with id `srvtoolu_…` was found without a corresponding `web_search_tool_result` block ``",
            "public code, search index file ids 54604482059, 71629599787, 70476755272 — the same for web_fetch, tool_search_tool_regex (`tool_search_tool_result`) and bash_code_execution",
            "public code, search index file id 63399573673 — a session log with the `messages.17: ` prefix",
            "public code, search index file id 68842939072 — calls made by code (programmatic tool calling) carry `caller` and are answered through that code",
        ],
        note: Some("The docs quote the text without a path, a session log with `messages.N: `; both are listed. Only tools whose result type is known are judged (an unknown server tool gets no report), and calls made by code (`caller`) are left to that code's result. The fix is safe only where no signature covers the turn."),
    }
    MERGE_ROLES = {
        id: "merge-roles",
        profiles: CONVERSE,
        fix: Some("merges consecutive messages of the same role into one (string content becomes a text block); Anthropic itself accepts and merges them"),
        message: "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
        sources: &[
            "https://github.com/langchain-ai/langchain-aws/issues/130 — Bedrock Converse, the text verbatim",
            "tests/corpus/exchanges: accepted Anthropic requests with consecutive user messages",
        ],
        note: Some("Whether InvokeModel merges consecutive same-role messages like the Anthropic API is not established: bedrock-invoke leaves them (a false alarm is worse than none)."),
    }
    FINAL_TRAILING_WHITESPACE = {
        id: "final-trailing-whitespace",
        profiles: ALL,
        fix: Some("trims trailing whitespace at the end of a final assistant (prefill) message"),
        message: "messages: final assistant content cannot end with trailing whitespace",
        sources: &[
            "https://github.com/tailcallhq/forgecode/issues/1872 — the text, verbatim",
            "https://github.com/junjiem/dify-plugin-agent-mcp_sse/pull/118 — the same from Bedrock (`ValidationException`)",
        ],
    }
    EMPTY_SYSTEM = {
        id: "empty-system",
        profiles: ALL,
        fix: Some("removes empty or whitespace-only system text blocks, and a blank `system` string"),
        message: "system: text content blocks must contain non-whitespace text",
        other_messages: &[MSG_SYSTEM_EMPTY],
        sources: &[
            "https://github.com/anomalyco/opencode/pull/3194 — text content blocks must contain non-whitespace text",
        ],
        note: Some("The `system:` prefix is by analogy with the `messages:` one of the same check; no public quote of it was found."),
    }
    DUPLICATE_TOOL_USE_ID = {
        id: "duplicate-tool-use-id",
        profiles: ALL,
        message: "messages.{m}.content.{b}: tool_use ids must be unique",
        other_messages: &["messages.{m}.content.{b}: `tool_use` ids must be unique"],
        sources: &[
            "https://github.com/anthropics/claude-code/issues/28515 — `messages.43.content.2: tool_use ids must be unique` (raw JSON, 2026-02)",
            "https://github.com/anthropics/claude-code/issues/20901 — `messages.1.content.1: `tool_use` ids must be unique` (with backticks, 2026-01)",
        ],
    }
    TOOL_USE_ID_PATTERN = {
        id: "tool-use-id-pattern",
        profiles: ALL,
        fix: Some("rewrites a tool_use id the pattern refuses (characters outside [a-zA-Z0-9_-] become `_`, a numeric suffix avoids an id in use) and the tool_use_id of every tool_result that answers it the same way, each reported with the old and new id"),
        message: "messages.{m}.content.{b}.{type}.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
        sources: &[
            "https://github.com/anomalyco/opencode/issues/1279 — `messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'` (a history from another provider)",
            "public code, search index file id 67454544199 — `messages.0.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`",
        ],
        note: Some("The Bedrock Converse text for a bad toolUseId is not established; bedrock gives the Anthropic one. Where a duplicate id is refused, both copies map to the same new id (still reported by duplicate-tool-use-id)."),
    }
    SERVER_TOOL_ID_PATTERN = {
        id: "server-tool-id-pattern",
        profiles: ANTHROPIC_MESSAGES,
        message: "messages.{m}.content.{b}.server_tool_use.id: String should match pattern '^srvtoolu_[a-zA-Z0-9_]+$'",
        sources: &[
            "public code, search index file id 59109475327 — a raw answer with request id: `messages.1.content.0.server_tool_use.id: String should match pattern '^srvtoolu_[a-zA-Z0-9_]+$'`",
            "https://github.com/betmoar/cc-proxy-plugin/issues/67 — `messages.799.content.1.server_tool_use.id: String should match pattern …`",
        ],
        note: Some("No fix: a server tool id names a call the server made; an id of another shape (another provider's server tool, replayed) has no valid rewrite. InvokeModel presumed like the Anthropic API (same schema), not observed."),
    }
    TOOL_NAME_PATTERN = {
        id: "tool-name-pattern",
        profiles: ALL,
        message: "tools.{t}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
        profile_messages: &[(Profile::Bedrock, &[MSG_CONVERSE_NAME_PATTERN, MSG_CONVERSE_NAME_LENGTH])],
        sources: &[
            "https://github.com/modelcontextprotocol/modelcontextprotocol/issues/1345 — `tools.16.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'` (2025-08)",
            "https://github.com/apify/tester-mcp-client/issues/11 — the older `{1,64}` form (2025-03), superseded",
            "https://github.com/aws-samples/remote-swe-agents/pull/457 — Bedrock Converse: `Value 'Complete Session' at 'toolConfig.tools.22.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`",
            "https://github.com/openclaw/openclaw/issues/12892 — Bedrock Converse: `… failed to satisfy constraint: Member must have length less than or equal to 64`",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolSpecification.html — toolSpec name: 1 to 64 characters",
        ],
        note: Some("Names are the caller's contract with its tools: no fix. Converse prefixes its texts with `N validation error(s) detected: ` and joins several with `; ` (the catalog gives one error); the length text was seen for toolUse.name and is given here for toolSpec.name. The InvokeModel text is not established: bedrock-invoke gives the Anthropic one."),
    }
    TOOLS_REQUIRED = {
        id: "tools-required",
        profiles: CONVERSE,
        message: "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        sources: &[
            "https://github.com/vxcontrol/pentagi/pull/196 — Bedrock Converse, the text verbatim",
            "tests/corpus/exchanges/anthropic-sdk-typescript__ToolRunner.nock.json (exchange 9) — the Anthropic API accepts tool blocks without `tools`",
        ],
        note: Some("Converse only; InvokeModel is not shown to need `tools`."),
    }
    URL_SOURCE = {
        id: "url-source",
        profiles: BEDROCK_BOTH,
        message: "messages.{m}.content.{b}.{type}.source.base64.data: URL sources are not supported",
        sources: &[
            "tests/corpus/exchanges/chatlas__test_provider_bedrock_test_anthropic_images.yaml (interaction 1) — a recorded Bedrock InvokeModel 400",
            "https://platform.claude.com/docs/en/build-with-claude/vision — \"On Amazon Bedrock and Google Cloud, only base64-encoded sources are currently available.\"",
        ],
        note: Some("Vertex has no URL sources either (same docs sentence), but its answer is not established; the anthropic profile does not report it."),
    }
    UNKNOWN_ROLE = {
        id: "unknown-role",
        profiles: ALL,
        message: "messages.{m}.role: Input should be 'user', 'assistant' or 'system'",
        other_messages: &["messages.{m}.role: Input should be 'user' or 'assistant'"],
        profile_messages: &[(
            Profile::Bedrock,
            &["1 validation error detected: Value '{role}' at 'messages.{m}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]"],
        )],
        sources: &[
            "public code, search index file id 52800515462 — a live answer `messages.0.role: Input should be 'user', 'assistant'` (2026-05, quote cut after 'assistant')",
            "https://github.com/ogx-ai/ogx/issues/5982 — the older form `Input should be 'user' or 'assistant'` (a re-implementation of the API)",
            "https://github.com/continuedev/continue/issues/1938 — Bedrock Converse: `1 validation error detected: Value 'system' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`",
        ],
        note: Some("A role other than user, assistant or system. The tail `or 'system'` of the Anthropic text is the pydantic rendering of a three-value literal, inferred from a live answer cut after 'assistant' (unverified); the pre-2026 form is kept as another answer. Under bedrock (Converse) a system message is refused too; the hint says where its text can go."),
    }
    SYSTEM_MESSAGE_PLACEMENT = {
        id: "system-message-placement",
        profiles: ANTHROPIC_MESSAGES,
        message: MSG_SYSTEM_FOLLOW,
        other_messages: &[
            MSG_SYSTEM_PRECEDE,
            MSG_SYSTEM_FIRST,
            "messages.{m}: role 'system' must precede an 'assistant' message or end the array",
            "messages.0: use the top-level 'system' parameter for the initial system prompt",
        ],
        sources: &[
            "https://platform.claude.com/docs/en/build-with-claude/mid-conversation-system-messages.md — role \"system\" messages in `messages`, Claude Opus 4.8, no beta header",
            "https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-mid-conversation-system.html — the same on Bedrock InvokeModel, with the placement rules",
            "https://github.com/anthropics/claude-code/issues/73821 — `messages.67: role 'system' must precede an 'assistant' message or end the array` (2026-07)",
            "public code, search index file id 69439831363 — a live probe (2026-09): both placement texts with the directive-only suffix; a system message after a plain assistant message refused even when an assistant message follows",
            "public code, search index file ids 71076783717, 60088232995 — `messages.0: use the top-level 'system' parameter for the initial system prompt; the directive-only form …` and the precede text with its suffix (2026-10, claude-opus-5-5)",
            "tests/accepted (pydantic-ai cassettes) — accepted requests: a system message after a user message, last or before an assistant message; two consecutive system messages at the end; one on Bedrock InvokeModel",
        ],
        note: Some("A run of consecutive system messages is judged as one: the documented rule against adjacent system messages is contradicted by an accepted recorded request (two in a row), so it is not checked. The directive-only form (empty content with a message-level `output_config`) is accepted anywhere but first. Placement is validator-only: normalize() never moves a system message. Not on Vertex per Anthropic's docs, but LiteLLM reports Vertex accepting them live; anthropic covers both, as a false alarm is worse than none."),
    }
    SYSTEM_ROLE_UNSUPPORTED = {
        id: "system-role-unsupported",
        profiles: ANTHROPIC_MESSAGES,
        message: "role 'system' is not supported on this model",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/61412 — `role 'system' is not supported on this model` (Anthropic API, 2026-05)",
            "public code, search index file id 56744912598 — verified live (2026-07): refused on Opus 4.1/4.5/4.6/4.7, Sonnet 4.5/4.6, Haiku 4.5 (Anthropic API and Bedrock ids); accepted on Opus 4.8, Sonnet 5, Fable 5",
            "public code, search index file id 54532857487 (LiteLLM) — Bedrock InvokeModel: older Claude models refuse the role in every position",
        ],
        note: Some("Reported only when `model` names a Claude model before Opus 4.8; an id this catalog cannot read (an alias, a newer model) gets no report."),
    }
    TOO_MANY_MEDIA = {
        id: "too-many-media",
        profiles: ANTHROPIC_MESSAGES,
        message: "too many images and documents: {n} + {m} > {limit}",
        sources: &[
            "https://platform.claude.com/docs/en/build-with-claude/vision.md — at most 100 images per request on the API for models with a 200k-token context window, 600 for all other models",
            "public code, search index file id 60541541673 — a Bedrock probe (2026-07): `too many images and documents: 601 + 0 > 600`",
            "public code, search index file id 39952797547 — `The model returned the following errors: too many images and documents: 23 + 0 > 20` (a platform with a lower limit)",
        ],
        note: Some("The two counts are taken to be images, then documents: both observed answers had no documents. The limit is 100 for models known to have only a 200k-token window (Claude 3, Opus 4 to 4.5, Haiku 4.5), else 600; an unknown model is checked against 600 (with a hint). Images inside tool_result content count too."),
    }
    MANY_IMAGE_DIMENSIONS = {
        id: "many-image-dimensions",
        profiles: &[Profile::Anthropic],
        message: "messages.{m}.content.{b}.image.source.base64.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels",
        sources: &[
            "https://github.com/anthropics/claude-code/issues/49537 — `messages.108.content.3.image.source.base64.data: At least one of the image dimensions exceed max allowed size for many-image requests: 2000 pixels` (raw JSON, 2026-04)",
            "https://platform.claude.com/docs/en/build-with-claude/vision.md — past 20 images in one request, at most 2000x2000 px per image",
        ],
        note: Some("The size is read from the image's header in its base64 data (PNG, GIF, WebP, JPEG); images inside tool_result content are counted but not judged (their path in the answer is not established). The 8000-pixel limit for any request has no established text: not reported. Bedrock's answer is not established."),
    }
    SAMPLING_EXCLUSIVE = {
        id: "sampling-exclusive",
        profiles: ALL,
        message: "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        sources: &[
            "https://platform.claude.com/docs/en/models/haiku-4-5/migration-guide — \"Setting both returns a 400 error on Claude Haiku 4.5\"",
            "public code, search index file id 60887066190 — the text from the API for claude-haiku-4-5 and claude-sonnet-4-5, with request ids",
            "public code, search index file id 70465846516 — a live probe (2026-09): Haiku 4.5, Sonnet 4.5 and 4.6, Opus 4.5 and 4.6",
            "public code, search index file id 71230634251 — the same through Bedrock ConverseStream, prefixed `The model returned the following errors: `",
        ],
        note: Some("Model-dependent: reported only when `model` names Haiku 4.5, Sonnet 4.5 or 4.6, Opus 4.5 or 4.6. Later models refuse a non-default temperature altogether with another text, not reported here."),
    }
    PREFILL_UNSUPPORTED = {
        id: "prefill-unsupported",
        profiles: ALL,
        message: "This model does not support assistant message prefill. The conversation must end with a user message.",
        sources: &[
            "https://github.com/smallmain/vscode-unify-chat-provider/issues/249 — the text (raw JSON, Anthropic API)",
            "https://github.com/strands-agents/sdk-python/issues/1694 — the same from Bedrock (us.anthropic.claude-opus-4-6-v1)",
            "https://platform.claude.com/docs/en/agents-and-tools/tool-use/token-efficient-tool-use — \"Prefilling assistant messages returns a 400 error on Claude 4.6 models\"",
            "https://github.com/ericc-ch/copilot-api/issues/261 — refused on Opus 4.6/4.7/4.8 and Sonnet 4.6, accepted on the 4.5 models",
            "https://github.com/cortexkit/magic-context/issues/511 — refused on Sonnet 5",
        ],
        note: Some("Model-dependent: reported when `model` names a Claude 4.6 or later model and the last message is an assistant message, unless that message holds server tool blocks (a paused turn sent back to continue is no prefill)."),
    }
    THINKING_FIRST = {
        id: "thinking-first",
        profiles: ALL,
        message: "messages.{m}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{type}`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
        sources: &[
            "https://github.com/n8n-io/n8n/issues/22550 — the text (manual thinking, Opus 4.5)",
            "https://github.com/anomalyco/opencode/issues/3077 — the same text from Vertex and from Bedrock (prefixed `The model returned the following errors: `)",
            "https://github.com/anthropics/anthropic-sdk-python/issues/1162 — adaptive thinking opens turns with a text block",
        ],
        note: Some("Manual thinking only (`thinking.type: \"enabled\"`, with or without the interleaved-thinking beta): no public answer shows it for `adaptive`, where the model itself opens turns with a blank text block before the thinking block; such a block is kept in place (rule thinking-position), never removed."),
    }
    THINKING_FINAL_BLOCK = {
        id: "thinking-final-block",
        profiles: ALL,
        message: "messages.{m}: The final block in an assistant message cannot be `thinking`.",
        sources: &[
            "https://github.com/tailcallhq/forgecode/issues/2107 — the text, verbatim",
        ],
    }
    THINKING_DISABLED = {
        id: "thinking-disabled",
        profiles: ALL,
        message: "messages.{m}.content.{b}: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your request.",
        sources: &[
            "https://github.com/tailcallhq/forgecode/issues/1853 — the text (Anthropic API)",
            "https://github.com/tailcallhq/forgecode/issues/1195 — the same text through Vertex (`provider_name: Google`)",
        ],
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
    // NOTE: the API streams server tool results with the `caller` of their
    // call (`"caller": {"type": "direct"}` on a web_search_tool_result in
    // corpus fantasy__TestAnthropicWebSearch_stream.yaml); a turn sent back
    // as streamed carries it, so it is no foreign field there.
    ("redacted_thinking", &["type", "data"]),
    (
        "server_tool_use",
        &["type", "id", "name", "input", "cache_control", "caller"],
    ),
    (
        "web_search_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
    ),
    (
        "web_fetch_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
    ),
    (
        "code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
    ),
    (
        "bash_code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
    ),
    (
        "text_editor_code_execution_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
    ),
    (
        "tool_search_tool_result",
        &["type", "tool_use_id", "content", "cache_control", "caller"],
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

/// A server tool's result block type (`web_search_tool_result`, …; MCP
/// results are the MCP connector's, not judged as server tool results).
pub(crate) fn is_server_result(ty: &str) -> bool {
    ty.ends_with("_tool_result") && ty != "tool_result" && ty != "mcp_tool_result"
}

/// A block of a tool loop the server runs: a call, its result, or the MCP
/// connector's.
pub(crate) fn is_server_tool_block(ty: &str) -> bool {
    matches!(ty, "server_tool_use" | "mcp_tool_use" | "mcp_tool_result") || is_server_result(ty)
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
    fn every_row_is_sourced_and_consistent() {
        for r in RULES {
            assert!(!r.sources.is_empty(), "{} has no source", r.id);
            assert!(!r.message.is_empty(), "{}", r.id);
            for (p, list) in r.profile_messages {
                assert!(
                    r.applies(*p),
                    "{}: messages for {p}, which it does not apply to",
                    r.id
                );
                assert!(!list.is_empty(), "{}", r.id);
            }
            for p in Profile::ALL {
                let list = r.messages(p);
                assert_eq!(list.is_empty(), !r.applies(p), "{} {p}", r.id);
                if let Some(first) = list.first() {
                    assert_eq!(*first, r.message_for(p));
                }
            }
            if let Some(name) = r.opt_in {
                let mut on = NormalizeOptions::default();
                assert!(!on.flag(name), "{}: opt-in {name} is on by default", r.id);
                match name {
                    "strictFields" => on.strict_fields = true,
                    "capCacheControl" => on.cap_cache_control = true,
                    _ => panic!("{}: unknown opt-in {name}", r.id),
                }
                assert!(on.flag(name), "{}: {name} unknown to flag()", r.id);
            }
        }
    }

    #[test]
    fn render_fills_and_keeps_regex_braces() {
        assert_eq!(
            render(TOOL_NAME_PATTERN.message, &[("t", "2")]),
            "tools.2.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
        );
        assert_eq!(render("a {x} {y}", &[("x", "1")]), "a 1 {y}");
    }
}
