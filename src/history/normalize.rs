//! The normalizer, which is also the validator of every fixable rule.
//!
//! A [`Run`] holds a light model of the conversation (messages → blocks; each block
//! either still the raw source node or an edited `Value`, and each remembering
//! where it came from in the input). Each phase detects its defects on that model
//! and, per defect, either reports a [`Violation`] (validate: the model is never
//! changed, so every phase sees the body as sent) or applies the fix and records a
//! [`Change`] (normalize). Detection is written once, so the validator and the
//! normalizer cannot disagree about what a rule means.

use super::json::{blank_of, pointer_token, Blank, Doc, Kind, NodeId, J};
use super::rules::{self, Rule, *};
use super::{Change, NormalizeOptions, Profile, Violation};
use crate::error::HistoryError;
use crate::{is_thinking, Placeholder};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
    Other,
}

/// A block: the untouched source node, or an edited / new value.
pub(crate) enum Src {
    Raw(NodeId),
    Owned(Value),
}

/// Where a block came from in the input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    /// `messages[m].content[b]`.
    Block(usize, usize),
    /// The string `messages[m].content`, turned into a text block.
    Content(usize),
    /// Inserted into `messages[m]` at position `b`.
    New(usize, usize),
}

pub(crate) struct Blk {
    pub(crate) src: Src,
    pub(crate) at: Origin,
}

pub(crate) enum Content {
    /// String content; `Some` once edited.
    Str(NodeId, Option<String>),
    Blocks(Vec<Blk>),
    /// Missing or neither string nor array: passed through.
    Opaque,
}

pub(crate) struct Msg {
    /// Index in the input `messages`.
    pub(crate) origin: usize,
    pub(crate) node: NodeId,
    pub(crate) role: Role,
    pub(crate) content: Content,
    /// Content changed: the message is re-serialized on output.
    touched: bool,
    /// Key nodes of message fields removed (strictFields).
    dropped: Vec<NodeId>,
}

enum System {
    Keep,
    Remove,
    Blocks(Vec<Src>),
}

pub(crate) struct Run<'b> {
    pub(crate) doc: &'b Doc<'b>,
    pub(crate) profile: Profile,
    /// `Some` when normalizing, `None` when validating.
    options: Option<&'b NormalizeOptions>,
    bare: bool,
    messages: NodeId,
    pub(crate) msgs: Vec<Msg>,
    system: System,
    pub(crate) changes: Vec<Change>,
    pub(crate) violations: Vec<Violation>,
    /// Validate only: upstream (turn-merged) message index and block offset of each
    /// message, see `rules` module docs.
    upstream: Vec<(usize, usize)>,
}

/// A deferred edit of one block, applied once to its owned copy.
type Edit = Box<dyn FnOnce(&mut Value)>;

pub(crate) fn view<'s>(doc: &'s Doc<'s>, src: &'s Src) -> J<'s> {
    match src {
        Src::Raw(id) => J::D(doc, *id),
        Src::Owned(v) => J::V(v),
    }
}

fn block_type(j: J<'_>) -> Cow<'_, str> {
    j.get("type").and_then(|t| t.str()).unwrap_or_default()
}

/// A text block's emptiness: `None` for anything that is not a blank text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlankText {
    Missing,
    Null,
    Empty,
    Whitespace,
}

fn blank_text(j: J<'_>) -> Option<BlankText> {
    if !j.get("type").is_some_and(|t| t.str_eq("text")) {
        return None;
    }
    match j.get("text") {
        None => Some(BlankText::Missing),
        Some(t) if t.kind() == Kind::Null => Some(BlankText::Null),
        Some(t) => match t.blank()? {
            Blank::Empty => Some(BlankText::Empty),
            Blank::Whitespace => Some(BlankText::Whitespace),
            Blank::Text => None,
        },
    }
}

/// The plan for the blank text blocks of one block list.
struct BlankPlan {
    /// `(index, why)` of the blocks to remove.
    remove: Vec<(usize, BlankText)>,
    /// `(index, why, thinking)`: blank blocks that stay, with the placeholder
    /// appended, because the thinking block at `thinking` comes after them.
    fill: Vec<(usize, BlankText, usize)>,
    /// `(from, to)`: cache_control of a removed block and the kept block that takes
    /// it (`None`: dropped).
    cache: Vec<(usize, Option<usize>)>,
}

/// Where the blank blocks of a list go. `pinned`: the list is an assistant
/// message's content, whose thinking blocks must not move.
fn plan_blanks(
    items: &[J<'_>],
    profile: Profile,
    always_whitespace: bool,
    pinned: bool,
) -> BlankPlan {
    let kinds: Vec<Option<BlankText>> = items.iter().map(|j| blank_text(*j)).collect();
    let only_blanks = kinds.iter().all(Option::is_some);
    // NOTE: one pass from the end gives, for each block, the first thinking
    // block after it, with no rescan (linear in the list).
    let mut next_thinking = vec![None; items.len()];
    if pinned {
        let mut next = None;
        for i in (0..items.len()).rev() {
            next_thinking[i] = next;
            if is_thinking(&block_type(items[i])) {
                next = Some(i);
            }
        }
    }
    let mut remove = Vec::new();
    let mut fill = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let Some(k) = *k else { continue };
        if let Some(t) = next_thinking[i] {
            fill.push((i, k, t));
            continue;
        }
        // NOTE: anthropic accepts a whitespace-only text next to other content
        // (a real accepted request has "\n\n" before a tool_use); it rejects one
        // only when the message holds nothing else.
        let drop = k != BlankText::Whitespace
            || always_whitespace
            || profile.rejects_whitespace_text()
            || only_blanks;
        if drop {
            remove.push((i, k));
        }
    }
    let mut removed = vec![false; items.len()];
    for &(i, _) in &remove {
        removed[i] = true;
    }
    // The nearest kept block before each block.
    let mut prev_kept = vec![None; items.len()];
    let mut last = None;
    for (i, prev) in prev_kept.iter_mut().enumerate() {
        *prev = last;
        if !removed[i] {
            last = Some(i);
        }
    }
    let mut taken = vec![false; items.len()];
    let mut cache = Vec::new();
    for &(i, _) in &remove {
        if items[i].get_some("cache_control").is_none() {
            continue;
        }
        let target = prev_kept[i].filter(|&p| {
            let ty = block_type(items[p]);
            rules::block_fields(&ty).is_some_and(|f| f.contains(&"cache_control"))
                && items[p].get_some("cache_control").is_none()
                && !taken[p]
        });
        if let Some(t) = target {
            taken[t] = true;
        }
        cache.push((i, target));
    }
    BlankPlan {
        remove,
        fill,
        cache,
    }
}

/// What to apply to a block list after a blank plan was reported.
#[derive(Default)]
struct BlankEdits {
    /// Blocks to remove.
    removed: Vec<usize>,
    /// cache_control moves `(from, to)`.
    moves: Vec<(usize, Option<usize>)>,
    /// Blocks that get the placeholder appended.
    filled: Vec<usize>,
}

/// Removes the items at the positions `remove` (in any order), in one pass.
fn retain_unmarked<T>(items: &mut Vec<T>, remove: &[usize]) {
    if remove.is_empty() {
        return;
    }
    let mut marked = vec![false; items.len()];
    for &i in remove {
        if let Some(m) = marked.get_mut(i) {
            *m = true;
        }
    }
    let mut k = 0;
    items.retain(|_| {
        k += 1;
        !marked[k - 1]
    });
}

/// The text of a blank block with the placeholder appended.
fn filled_text(j: J<'_>, placeholder: &str) -> String {
    let text = j.get("text").and_then(|t| t.str()).unwrap_or_default();
    format!("{text}{placeholder}")
}

fn text_block(text: String) -> Value {
    json!({"type": "text", "text": text})
}

fn escape(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// Removes `key` from an object value and returns it.
fn take_field(v: &mut Value, key: &str) -> Option<Value> {
    v.as_object_mut().and_then(|m| m.shift_remove(key))
}

/// A JSON value as readable text that keeps every string verbatim: one
/// `key: value` line per scalar, nested values indented under their key.
fn plain_text(value: &Value) -> String {
    fn walk(value: &Value, key: Option<&str>, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let label = key.map(|k| format!("{k}: ")).unwrap_or_default();
        match value {
            Value::String(s) => out.push_str(&format!("{pad}{label}{s}\n")),
            Value::Object(map) => {
                if key.is_some() {
                    out.push_str(&format!("{pad}{label}\n"));
                }
                let inner = depth + usize::from(key.is_some());
                for (k, v) in map {
                    walk(v, Some(k), inner, out);
                }
            }
            Value::Array(items) => {
                if key.is_some() {
                    out.push_str(&format!("{pad}{label}\n"));
                }
                let inner = depth + usize::from(key.is_some());
                for v in items {
                    walk(v, None, inner, out);
                }
            }
            other => out.push_str(&format!("{pad}{label}{other}\n")),
        }
    }
    let mut out = String::new();
    walk(value, None, 0, &mut out);
    out.trim_end().to_string()
}

/// What an orphan tool_result becomes: text that keeps its whole content.
fn orphan_to_text(j: J<'_>, id: &str) -> Vec<Value> {
    let is_error = j.get("is_error").is_some_and(|e| e.json() == "true");
    let header = if is_error {
        format!("Tool error ({id}):")
    } else {
        format!("Tool result ({id}):")
    };
    let mut out = match j.get_some("content") {
        Some(c) if c.kind() == Kind::Str => {
            let s = c.str().unwrap_or_default();
            if blank_of(&s) == Blank::Text {
                vec![text_block(format!("{header}\n{s}"))]
            } else {
                vec![text_block(format!("{header} (empty)"))]
            }
        }
        Some(c) if c.kind() == Kind::Arr => {
            let mut v = vec![text_block(header)];
            for item in c.items() {
                // NOTE: only blocks a user message may hold move out as they
                // are; anything else (a nested tool_result, say) becomes text,
                // and blank text goes, so that no other rule fires on the
                // result (fuzz regression normalizer-1ac49a35).
                let ty = item.get("type").and_then(|t| t.str());
                match ty.as_deref() {
                    Some("text") => {
                        let text = item.get("text").and_then(|t| t.str());
                        if text.is_some_and(|t| blank_of(&t) == Blank::Text) {
                            v.extend(item.to_value());
                        }
                    }
                    Some("image" | "document" | "search_result") => {
                        v.push(
                            item.to_value()
                                .unwrap_or_else(|| text_block(item.json().into_owned())),
                        );
                    }
                    _ => {
                        let text = match item.to_value() {
                            Some(value) => plain_text(&value),
                            None => item.json().into_owned(),
                        };
                        if blank_of(&text) == Blank::Text {
                            v.push(text_block(text));
                        }
                    }
                }
            }
            v
        }
        Some(c) => vec![text_block(format!("{header}\n{}", c.json()))],
        None => vec![text_block(format!("{header} (empty)"))],
    };
    if let (Some(cc), Some(last)) = (j.get_some("cache_control"), out.last_mut()) {
        if let (Some(cc), Some(m)) = (cc.to_value(), last.as_object_mut()) {
            m.insert("cache_control".into(), cc);
        }
    }
    out
}

impl<'b> Run<'b> {
    pub(crate) fn new(
        doc: &'b Doc<'b>,
        profile: Profile,
        options: Option<&'b NormalizeOptions>,
    ) -> Result<Self, HistoryError> {
        let root = doc.root();
        let (bare, messages) = match doc.kind(root) {
            Kind::Arr => (true, root),
            Kind::Obj => match doc.get(root, "messages") {
                Some(m) if doc.kind(m) == Kind::Arr => (false, m),
                _ => {
                    return Err(HistoryError::InvalidShape {
                        reason: "an object needs a `messages` array",
                    })
                }
            },
            _ => {
                return Err(HistoryError::InvalidShape {
                    reason: "expected an object with `messages`, or a bare messages array",
                })
            }
        };
        let msgs = doc
            .items(messages)
            .enumerate()
            .map(|(origin, node)| {
                let role = match doc.get(node, "role") {
                    Some(r) if doc.str_eq(r, "user") => Role::User,
                    Some(r) if doc.str_eq(r, "assistant") => Role::Assistant,
                    _ => Role::Other,
                };
                let content = match doc.get(node, "content") {
                    Some(c) if doc.kind(c) == Kind::Str => Content::Str(c, None),
                    Some(c) if doc.kind(c) == Kind::Arr => Content::Blocks(
                        doc.items(c)
                            .enumerate()
                            .map(|(b, id)| Blk {
                                src: Src::Raw(id),
                                at: Origin::Block(origin, b),
                            })
                            .collect(),
                    ),
                    _ => Content::Opaque,
                };
                Msg {
                    origin,
                    node,
                    role,
                    content,
                    touched: false,
                    dropped: Vec::new(),
                }
            })
            .collect();
        let mut run = Run {
            doc,
            profile,
            options,
            bare,
            messages,
            msgs,
            system: System::Keep,
            changes: Vec::new(),
            violations: Vec::new(),
            upstream: Vec::new(),
        };
        if options.is_none() {
            run.upstream = run.upstream_indices();
        }
        Ok(run)
    }

    /// Runs every phase, in catalog order.
    pub(crate) fn normalize(&mut self) {
        self.phase_blocks();
        self.phase_empty_messages();
        self.phase_pairing();
        self.phase_merge_roles();
        self.phase_final_whitespace();
        self.phase_system();
    }

    // ---- reporting -------------------------------------------------------

    pub(crate) fn validating(&self) -> bool {
        self.options.is_none()
    }

    /// Whether `rule`'s fix is to be applied now.
    fn fixing(&self, rule: &Rule) -> bool {
        let Some(o) = self.options else { return false };
        rule.applies(self.profile)
            && rule.fix.is_some()
            && !o.disabled_rules.iter().any(|d| d == rule.id)
            && (rule.id != UNKNOWN_FIELD.id || o.strict_fields)
    }

    pub(crate) fn report(&mut self, rule: &Rule, path: String, message: String) {
        self.report_hint(rule, path, message, None);
    }

    fn report_hint(&mut self, rule: &Rule, path: String, message: String, hint: Option<String>) {
        if self.validating() && rule.applies(self.profile) {
            self.violations.push(Violation {
                rule: rule.id,
                path,
                message,
                hint,
            });
        }
    }

    fn change(&mut self, rule: &Rule, path: String, action: &'static str, detail: String) {
        self.changes.push(Change {
            rule: rule.id,
            path,
            action,
            detail: crate::auth::scrub_keys(&detail),
        });
    }

    pub(crate) fn msg_ptr(&self, m: usize) -> String {
        if self.bare {
            format!("/{m}")
        } else {
            format!("/messages/{m}")
        }
    }

    pub(crate) fn at_ptr(&self, at: Origin) -> String {
        match at {
            Origin::Block(m, b) | Origin::New(m, b) => format!("{}/content/{b}", self.msg_ptr(m)),
            Origin::Content(m) => format!("{}/content", self.msg_ptr(m)),
        }
    }

    /// The upstream's index of message `mi` and of its block `b` (validate only).
    pub(crate) fn up(&self, mi: usize, b: usize) -> (String, String) {
        let (m, off) = self.upstream.get(mi).copied().unwrap_or((mi, 0));
        (m.to_string(), (off + b).to_string())
    }

    fn upstream_indices(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.msgs.len());
        let (mut turn, mut off) = (0usize, 0usize);
        for (i, m) in self.msgs.iter().enumerate() {
            // NOTE: Anthropic merges consecutive same-role messages before its
            // semantic checks and reports the merged indices (a real 400 in the corpus
            // says `messages.0.content.1` for the second of two user messages).
            let merged = self.profile == Profile::Anthropic
                && i > 0
                && m.role != Role::Other
                && m.role == self.msgs[i - 1].role;
            if i > 0 && !merged {
                turn += 1;
                off = 0;
            }
            out.push((turn, off));
            off += match &m.content {
                Content::Blocks(b) => b.len(),
                Content::Str(..) => 1,
                Content::Opaque => 0,
            };
        }
        out
    }

    /// Input coordinates of a block, for schema-level messages.
    fn input_coords(at: Origin) -> (String, String) {
        match at {
            Origin::Block(m, b) | Origin::New(m, b) => (m.to_string(), b.to_string()),
            Origin::Content(m) => (m.to_string(), "0".into()),
        }
    }

    fn str_text(&self, content: &Content) -> Option<Cow<'b, str>> {
        match content {
            Content::Str(_, Some(s)) => Some(Cow::Owned(s.clone())),
            Content::Str(id, None) => self.doc.str(*id),
            _ => None,
        }
    }

    // ---- phase 1: each block on its own ------------------------------------

    fn phase_blocks(&mut self) {
        for mi in 0..self.msgs.len() {
            self.message_fields(mi);
            if let Content::Str(id, _) = self.msgs[mi].content {
                self.string_content_blank(mi, id);
                continue;
            }
            let Content::Blocks(mut blocks) =
                std::mem::replace(&mut self.msgs[mi].content, Content::Opaque)
            else {
                continue;
            };
            let mut touched = false;
            for blk in blocks.iter_mut() {
                touched |= self.block_fields_and_input(mi, blk);
            }
            touched |= self.blanks_in_message(mi, &mut blocks);
            let msg = &mut self.msgs[mi];
            msg.content = Content::Blocks(blocks);
            msg.touched |= touched;
        }
    }

    fn message_fields(&mut self, mi: usize) {
        let doc = self.doc;
        let (node, origin) = (self.msgs[mi].node, self.msgs[mi].origin);
        if doc.kind(node) != Kind::Obj {
            return;
        }
        for (k, v) in doc.entries(node) {
            let field = doc.str(k).unwrap_or_default();
            if MESSAGE_FIELDS.contains(&field.as_ref()) {
                continue;
            }
            let path = format!("{}/{}", self.msg_ptr(origin), pointer_token(&field));
            self.report(
                &UNKNOWN_FIELD,
                path.clone(),
                render(
                    MSG_MESSAGE_EXTRA,
                    &[("m", &origin.to_string()), ("field", &field)],
                ),
            );
            if self.fixing(&UNKNOWN_FIELD) {
                let detail = format!("\"{field}\": {} is not a field of a message", doc.raw(v));
                self.change(&UNKNOWN_FIELD, path, "removed", detail);
                self.msgs[mi].dropped.push(k);
                self.msgs[mi].touched = true;
            }
        }
    }

    fn string_content_blank(&mut self, mi: usize, id: NodeId) {
        if self.doc.blank(id) != Some(Blank::Whitespace) {
            return;
        }
        let origin = self.msgs[mi].origin;
        let message = match self.profile {
            Profile::Anthropic => WHITESPACE_TEXT.message.to_string(),
            Profile::Bedrock => {
                render(MSG_BEDROCK_BLANK, &[("m", &origin.to_string()), ("b", "0")])
            }
        };
        let path = format!("{}/content", self.msg_ptr(origin));
        self.report(&WHITESPACE_TEXT, path.clone(), message);
        if self.fixing(&WHITESPACE_TEXT) {
            let detail = format!("whitespace-only content {}", self.doc.raw(id));
            self.msgs[mi].content = Content::Str(id, Some(String::new()));
            self.msgs[mi].touched = true;
            self.change(&WHITESPACE_TEXT, path, "removed", detail);
        }
    }

    /// foreign / unknown fields, tool input strings, thinking signatures, and the
    /// blank blocks inside a tool_result. Returns whether the block changed.
    fn block_fields_and_input(&mut self, mi: usize, blk: &mut Blk) -> bool {
        let doc = self.doc;
        let at = blk.at;
        let ptr = self.at_ptr(at);
        let (m, b) = Self::input_coords(at);
        let mut edits: Vec<Edit> = Vec::new();
        {
            let j = view(doc, &blk.src);
            if j.kind() != Kind::Obj {
                return false;
            }
            let ty = block_type(j);
            if is_thinking(&ty) {
                self.thinking_checks(mi, at, j, &ty);
                return false;
            }
            // Fields of another type, or of no known schema.
            for (field, foreign) in extra_fields(j, &ty) {
                let rule = if foreign {
                    &FOREIGN_FIELD
                } else {
                    &UNKNOWN_FIELD
                };
                let path = format!("{ptr}/{}", pointer_token(&field));
                self.report(
                    rule,
                    path.clone(),
                    render(
                        rule.message,
                        &[("m", &m), ("b", &b), ("type", &ty), ("field", &field)],
                    ),
                );
                if self.fixing(rule) {
                    let value = j.get(&field).map(|v| v.compact()).unwrap_or_default();
                    let detail = if foreign {
                        format!(
                            "\"{field}\": {value} belongs to {}, not {ty}",
                            rules::owner_of(&field)
                        )
                    } else {
                        format!("\"{field}\": {value} is not a field of {ty}")
                    };
                    self.change(rule, path, "removed", detail);
                    edits.push(Box::new(move |v: &mut Value| {
                        take_field(v, &field);
                    }));
                }
            }
            if matches!(&*ty, "tool_use" | "server_tool_use" | "mcp_tool_use") {
                if let Some(edit) = self.tool_input(j, &ptr, &m, &b, &ty) {
                    edits.push(edit);
                }
            }
            if ty == "tool_result" {
                if let Some(edit) = self.tool_result_content(j, &ptr, &m, &b) {
                    edits.push(edit);
                }
            }
        }
        if edits.is_empty() {
            return false;
        }
        let Some(mut value) = view(doc, &blk.src).to_value() else {
            return false;
        };
        for edit in edits {
            edit(&mut value);
        }
        blk.src = Src::Owned(value);
        true
    }

    fn thinking_checks(&mut self, mi: usize, at: Origin, j: J<'_>, ty: &str) {
        if !self.validating() {
            return;
        }
        let ptr = self.at_ptr(at);
        let (m, b) = Self::input_coords(at);
        if ty == "thinking" {
            match j.get("signature") {
                None => self.report(
                    &THINKING_UNTOUCHED,
                    format!("{ptr}/signature"),
                    render(THINKING_UNTOUCHED.message, &[("m", &m), ("b", &b)]),
                ),
                Some(s) if s.blank() == Some(Blank::Empty) || s.kind() == Kind::Null => {
                    let bi = match at {
                        Origin::Block(_, bi) => bi,
                        _ => 0,
                    };
                    let (um, ub) = self.up(mi, bi);
                    self.report(
                        &THINKING_UNTOUCHED,
                        format!("{ptr}/signature"),
                        render(MSG_SIGNATURE_INVALID, &[("m", &um), ("b", &ub)]),
                    )
                }
                Some(_) => {}
            }
        } else if j.get("data").is_none() {
            self.report(
                &THINKING_UNTOUCHED,
                format!("{ptr}/data"),
                render(MSG_REDACTED_DATA_MISSING, &[("m", &m), ("b", &b)]),
            );
        }
    }

    fn tool_input(&mut self, j: J<'_>, ptr: &str, m: &str, b: &str, ty: &str) -> Option<Edit> {
        let input = j.get("input")?;
        if input.kind() == Kind::Obj {
            return None;
        }
        let path = format!("{ptr}/input");
        self.report(
            &TOOL_INPUT_STRING,
            path.clone(),
            render(
                TOOL_INPUT_STRING.message,
                &[("m", m), ("b", b), ("type", ty)],
            ),
        );
        if !self.fixing(&TOOL_INPUT_STRING) || input.kind() != Kind::Str {
            return None;
        }
        let text = input.str().unwrap_or_default();
        let (parsed, detail) = if blank_of(&text) != Blank::Text {
            (
                Value::Object(Map::new()),
                format!("blank string {} replaced by {{}}", escape(&text)),
            )
        } else {
            match serde_json::from_str::<Value>(&text) {
                Ok(v @ Value::Object(_)) => (v, "JSON string parsed into an object".to_string()),
                // Unparseable or not an object: left as it is (still a violation).
                _ => return None,
            }
        };
        self.change(&TOOL_INPUT_STRING, path, "parsed", detail);
        Some(Box::new(move |v: &mut Value| {
            if let Some(m) = v.as_object_mut() {
                m.insert("input".into(), parsed);
            }
        }))
    }

    /// Blank text blocks and extra fields inside a tool_result's content array.
    fn tool_result_content(&mut self, j: J<'_>, ptr: &str, m: &str, b: &str) -> Option<Edit> {
        let content = j.get("content").filter(|c| c.kind() == Kind::Arr)?;
        let items = content.items();
        let mut field_edits: Vec<(usize, String)> = Vec::new();
        for (k, item) in items.iter().enumerate() {
            if item.kind() != Kind::Obj {
                continue;
            }
            let ty = block_type(*item);
            for (field, foreign) in extra_fields(*item, &ty) {
                let rule = if foreign {
                    &FOREIGN_FIELD
                } else {
                    &UNKNOWN_FIELD
                };
                let path = format!("{ptr}/content/{k}/{}", pointer_token(&field));
                let nested_b = format!("{b}.tool_result.content.{k}");
                self.report(
                    rule,
                    path.clone(),
                    render(
                        rule.message,
                        &[("m", m), ("b", &nested_b), ("type", &ty), ("field", &field)],
                    ),
                );
                if self.fixing(rule) {
                    let value = item.get(&field).map(|v| v.compact()).unwrap_or_default();
                    self.change(
                        rule,
                        path,
                        "removed",
                        format!("\"{field}\": {value} is not a field of {ty}"),
                    );
                    field_edits.push((k, field));
                }
            }
        }
        let plan = plan_blanks(&items, self.profile, false, false);
        let content_ptr = format!("{ptr}/content");
        let BlankEdits {
            removed,
            moves: cache_moves,
            ..
        } = self.apply_blank_plan_reports(
            &plan,
            &items,
            &content_ptr,
            m,
            &format!("{b}.tool_result.content."),
            None,
        );
        if field_edits.is_empty() && removed.is_empty() {
            return None;
        }
        Some(Box::new(move |v: &mut Value| {
            let Some(arr) = v.get_mut("content").and_then(Value::as_array_mut) else {
                return;
            };
            for (k, field) in field_edits {
                if let Some(item) = arr.get_mut(k) {
                    take_field(item, &field);
                }
            }
            for (from, to) in cache_moves {
                let cc = arr
                    .get_mut(from)
                    .and_then(|f| take_field(f, "cache_control"));
                if let (Some(cc), Some(to)) = (cc, to) {
                    if let Some(t) = arr.get_mut(to).and_then(Value::as_object_mut) {
                        t.insert("cache_control".into(), cc);
                    }
                }
            }
            retain_unmarked(arr, &removed);
        }))
    }

    /// Reports a blank plan's violations and records its changes (when fixing).
    /// Returns what to apply (all empty when the rules are off). `up_block`
    /// gives the upstream coordinates of top-level blocks (validate); nested
    /// ones use `b_prefix` + index.
    fn apply_blank_plan_reports(
        &mut self,
        plan: &BlankPlan,
        items: &[J<'_>],
        list_ptr: &str,
        m: &str,
        b_prefix: &str,
        up_block: Option<(&[Origin], usize)>,
    ) -> BlankEdits {
        let coords = |i: usize| match up_block {
            Some((origins, _)) => Self::input_coords(origins[i]),
            None => (m.to_string(), format!("{b_prefix}{i}")),
        };
        let path_of = |run: &Self, i: usize| match up_block {
            Some((origins, _)) => run.at_ptr(origins[i]),
            None => format!("{list_ptr}/{i}"),
        };
        let mut edits = BlankEdits::default();
        for &(i, kind) in &plan.remove {
            let (bm, bb) = coords(i);
            let path = path_of(self, i);
            let rule = if kind == BlankText::Whitespace {
                &WHITESPACE_TEXT
            } else {
                &EMPTY_TEXT
            };
            let message = self
                .blank_message(kind, &bm, &bb)
                .unwrap_or_else(|| WHITESPACE_TEXT.message.to_string());
            self.report(rule, path.clone(), message);
            self.cache_on_empty(
                items[i],
                kind,
                &path,
                up_block.map(|(o, mi)| (o[i], mi)),
                (&bm, &bb),
            );
            if self.fixing(rule) {
                let detail = match kind {
                    BlankText::Missing => "text block without a `text` field".to_string(),
                    BlankText::Null => "text block with `text: null`".to_string(),
                    BlankText::Empty => "empty text block".to_string(),
                    BlankText::Whitespace => format!(
                        "whitespace-only text block {}",
                        items[i]
                            .get("text")
                            .map(|t| t.compact())
                            .unwrap_or_default()
                    ),
                };
                self.change(rule, path, "removed", detail);
                edits.removed.push(i);
            }
        }
        for &(i, kind, thinking) in &plan.fill {
            let (bm, bb) = coords(i);
            let path = path_of(self, i);
            let thinking_path = path_of(self, thinking);
            if let Some(message) = self.blank_message(kind, &bm, &bb) {
                let (tm, tb) = coords(thinking);
                let hint = format!(
                    "do not remove this block: that would move the {} block at {thinking_path}, and the upstream answers \"{}\"; normalize() appends placeholder text instead",
                    block_type(items[thinking]),
                    render(MSG_THINKING_MOVED, &[("m", &tm), ("b", &tb)]),
                );
                self.report_hint(&THINKING_POSITION, path.clone(), message, Some(hint));
            }
            self.cache_on_empty(
                items[i],
                kind,
                &path,
                up_block.map(|(o, mi)| (o[i], mi)),
                (&bm, &bb),
            );
            if self.fixing(&THINKING_POSITION) {
                let placeholder = self
                    .options
                    .map_or(Placeholder::DEFAULT, |o| o.placeholder.as_str());
                let before = items[i].get("text").map_or_else(
                    || "no text".to_string(),
                    |t| format!("text {}", t.compact()),
                );
                let after = escape(&filled_text(items[i], placeholder));
                let detail = format!(
                    "{before} became {after}: the {} block at {thinking_path} comes after it, and removing it would move that block",
                    block_type(items[thinking]),
                );
                self.change(
                    &THINKING_POSITION,
                    format!("{path}/text"),
                    "replaced",
                    detail,
                );
                edits.filled.push(i);
            }
        }
        let mut removed = vec![false; items.len()];
        for &i in &edits.removed {
            removed[i] = true;
        }
        for &(from, to) in &plan.cache {
            if !removed[from] {
                continue;
            }
            let path = format!("{}/cache_control", path_of(self, from));
            let value = items[from]
                .get("cache_control")
                .map(|c| c.compact())
                .unwrap_or_default();
            if self.fixing(&CACHE_CONTROL_ON_EMPTY) {
                match to {
                    Some(t) => {
                        let detail = format!("{value} moved to {}", path_of(self, t));
                        self.change(&CACHE_CONTROL_ON_EMPTY, path, "moved", detail);
                        edits.moves.push((from, Some(t)));
                    }
                    None => {
                        let detail = format!(
                            "{value} dropped: no earlier block of this message can take it"
                        );
                        self.change(&CACHE_CONTROL_ON_EMPTY, path, "removed", detail);
                    }
                }
            } else {
                // The block goes, and its cache_control with it: say so.
                self.change(
                    &CACHE_CONTROL_ON_EMPTY,
                    path,
                    "removed",
                    format!("{value} removed with its block (rule cache-control-on-empty is off)"),
                );
            }
        }
        edits
    }

    /// The upstream's answer to a blank text block of `kind` at `m`/`b`
    /// (input coordinates); `None` where it accepts it (whitespace beside
    /// other content, anthropic).
    fn blank_message(&self, kind: BlankText, m: &str, b: &str) -> Option<String> {
        Some(match kind {
            BlankText::Missing => render(MSG_TEXT_MISSING, &[("m", m), ("b", b)]),
            BlankText::Null => render(MSG_TEXT_NOT_STRING, &[("m", m), ("b", b)]),
            BlankText::Empty => EMPTY_TEXT.message.to_string(),
            BlankText::Whitespace => match self.profile {
                Profile::Anthropic => return None,
                Profile::Bedrock => render(MSG_BEDROCK_BLANK, &[("m", m), ("b", b)]),
            },
        })
    }

    /// Reports `cache-control-on-empty` for a non-whitespace blank block that
    /// carries cache_control. `up`: its origin and message, for the upstream's
    /// (turn-merged) coordinates; else `input` coordinates are used.
    fn cache_on_empty(
        &mut self,
        j: J<'_>,
        kind: BlankText,
        path: &str,
        up: Option<(Origin, usize)>,
        input: (&str, &str),
    ) {
        if kind == BlankText::Whitespace || j.get_some("cache_control").is_none() {
            return;
        }
        let (um, ub) = match up {
            Some((Origin::Block(_, b), mi)) => self.up(mi, b),
            _ => (input.0.to_string(), input.1.to_string()),
        };
        self.report(
            &CACHE_CONTROL_ON_EMPTY,
            format!("{path}/cache_control"),
            render(CACHE_CONTROL_ON_EMPTY.message, &[("m", &um), ("b", &ub)]),
        );
    }

    fn blanks_in_message(&mut self, mi: usize, blocks: &mut Vec<Blk>) -> bool {
        let doc = self.doc;
        let origin = self.msgs[mi].origin;
        let pinned = self.msgs[mi].role == Role::Assistant;
        let edits = {
            let items: Vec<J<'_>> = blocks.iter().map(|b| view(doc, &b.src)).collect();
            let plan = plan_blanks(&items, self.profile, false, pinned);
            if plan.remove.is_empty() && plan.fill.is_empty() {
                return false;
            }
            let origins: Vec<Origin> = blocks.iter().map(|b| b.at).collect();
            self.apply_blank_plan_reports(
                &plan,
                &items,
                "",
                &origin.to_string(),
                "",
                Some((&origins, mi)),
            )
        };
        if edits.removed.is_empty() && edits.filled.is_empty() {
            return false;
        }
        let placeholder = self
            .options
            .map_or(Placeholder::DEFAULT, |o| o.placeholder.as_str());
        for &i in &edits.filled {
            let text = filled_text(view(doc, &blocks[i].src), placeholder);
            if let Some(mut v) = view(doc, &blocks[i].src).to_value() {
                if let Some(o) = v.as_object_mut() {
                    o.insert("text".into(), Value::String(text));
                }
                blocks[i].src = Src::Owned(v);
            }
        }
        for (from, to) in edits.moves {
            let cc = view(doc, &blocks[from].src)
                .get("cache_control")
                .and_then(|c| c.to_value());
            if let (Some(cc), Some(to)) = (cc, to) {
                if let Some(mut v) = view(doc, &blocks[to].src).to_value() {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("cache_control".into(), cc);
                    }
                    blocks[to].src = Src::Owned(v);
                }
            }
        }
        retain_unmarked(blocks, &edits.removed);
        true
    }

    // ---- phase 2: empty messages -------------------------------------------

    fn is_empty_content(&self, content: &Content) -> bool {
        match content {
            Content::Blocks(b) => b.is_empty(),
            Content::Str(..) => self.str_text(content).is_some_and(|s| s.is_empty()),
            Content::Opaque => false,
        }
    }

    fn phase_empty_messages(&mut self) {
        let last = self.msgs.len().saturating_sub(1);
        let mut drop = Vec::new();
        for (pos, msg) in self.msgs.iter().enumerate() {
            let final_assistant = pos == last && msg.role == Role::Assistant;
            if !final_assistant && self.is_empty_content(&msg.content) {
                drop.push(pos);
            }
        }
        // NOTE: removing the empty messages between two assistant messages
        // joins them into one turn (the upstream merges consecutive same-role
        // messages), which moves the thinking blocks of the second one. When
        // that one is the latest assistant message and holds thinking, the
        // last empty message of the run stays, filled with the placeholder.
        let latest = self.msgs.iter().rposition(|m| m.role == Role::Assistant);
        let mut keep = None;
        let mut run_start = 0;
        for k in 0..drop.len() {
            if k > 0 && drop[k] != drop[k - 1] + 1 {
                run_start = k;
            }
            let (a, b) = (drop[run_start], drop[k]);
            let joins = a > 0
                && self.msgs[a - 1].role == Role::Assistant
                && Some(b + 1) == latest
                && self.holds_thinking(b + 1);
            if joins {
                keep = Some(k);
            }
        }
        if let Some(k) = keep {
            let pos = drop.remove(k);
            self.fill_empty_message(pos);
        }
        self.drop_empty(drop);
    }

    fn holds_thinking(&self, mi: usize) -> bool {
        match &self.msgs[mi].content {
            Content::Blocks(list) => list
                .iter()
                .any(|b| is_thinking(&block_type(view(self.doc, &b.src)))),
            _ => false,
        }
    }

    /// An empty message that must stay (see `phase_empty_messages`): reported
    /// as empty, and given the placeholder as its text when fixing.
    fn fill_empty_message(&mut self, pos: usize) {
        let origin = self.msgs[pos].origin;
        let path = self.msg_ptr(origin);
        let hint = "do not remove this message: that joins the assistant messages around it into one turn and moves the thinking blocks of the latest one; normalize() gives it placeholder text instead".to_string();
        self.report_hint(
            &EMPTY_MESSAGE,
            path.clone(),
            render(EMPTY_MESSAGE.message, &[("m", &origin.to_string())]),
            Some(hint),
        );
        if !self.fixing(&THINKING_POSITION) {
            return;
        }
        let placeholder = self
            .options
            .map_or(Placeholder::DEFAULT, |o| o.placeholder.as_str());
        let msg = &mut self.msgs[pos];
        msg.content = match msg.content {
            Content::Str(id, _) => Content::Str(id, Some(placeholder.to_string())),
            _ => Content::Blocks(vec![Blk {
                src: Src::Owned(text_block(placeholder.to_string())),
                at: Origin::New(origin, 0),
            }]),
        };
        msg.touched = true;
        self.change(
            &THINKING_POSITION,
            format!("{path}/content"),
            "replaced",
            format!(
                "empty content became the text {}: removing the message would join the assistant messages around it and move the thinking blocks of the latest one",
                escape(placeholder)
            ),
        );
    }

    /// Reports and (when fixing) removes the messages at `positions` (empty ones).
    fn drop_empty(&mut self, positions: Vec<usize>) {
        let mut removed = Vec::new();
        for pos in positions {
            let origin = self.msgs[pos].origin;
            let path = self.msg_ptr(origin);
            self.report(
                &EMPTY_MESSAGE,
                path.clone(),
                render(EMPTY_MESSAGE.message, &[("m", &origin.to_string())]),
            );
            if self.fixing(&EMPTY_MESSAGE) {
                let role = match self.msgs[pos].role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                    Role::Other => "other-role",
                };
                self.change(
                    &EMPTY_MESSAGE,
                    path,
                    "removed",
                    format!("{role} message with empty content"),
                );
                removed.push(pos);
            }
        }
        retain_unmarked(&mut self.msgs, &removed);
    }

    // ---- phase 3: tool_use / tool_result pairing ---------------------------

    /// Runs of consecutive messages the upstream treats as one turn: same role
    /// (user or assistant); any other role stands alone.
    pub(crate) fn turns(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (i, m) in self.msgs.iter().enumerate() {
            match out.last_mut() {
                Some((s, e)) if m.role != Role::Other && self.msgs[*s].role == m.role => *e = i + 1,
                _ => out.push((i, i + 1)),
            }
        }
        out
    }

    fn tool_use_ids(&self, range: (usize, usize)) -> Vec<(String, Origin)> {
        let mut ids: Vec<(String, Origin)> = Vec::new();
        for msg in &self.msgs[range.0..range.1] {
            let Content::Blocks(blocks) = &msg.content else {
                continue;
            };
            for blk in blocks {
                let j = view(self.doc, &blk.src);
                if j.get("type").is_some_and(|t| t.str_eq("tool_use")) {
                    if let Some(id) = j.get("id").and_then(|i| i.str()) {
                        if !ids.iter().any(|(x, _)| *x == id) {
                            ids.push((id.into_owned(), blk.at));
                        }
                    }
                }
            }
        }
        ids
    }

    fn phase_pairing(&mut self) {
        let turns = self.turns();
        // NOTE: back to front: fixing a turn may drop messages of that turn, which
        // shifts the positions of later turns only.
        let mut groups: Vec<(Vec<Change>, Vec<Violation>)> = Vec::new();
        for t in (0..turns.len()).rev() {
            let (c0, v0) = (self.changes.len(), self.violations.len());
            let (start, end) = turns[t];
            if self.msgs[start].role != Role::User {
                continue;
            }
            let expected = match t.checked_sub(1).map(|p| turns[p]) {
                Some(prev) if self.msgs[prev.0].role == Role::Assistant => self.tool_use_ids(prev),
                _ => Vec::new(),
            };
            let assistant_at = t.checked_sub(1).map(|p| turns[p].0);
            self.pair_turn(start, end, &expected, assistant_at);
            let changes = self.changes.split_off(c0);
            let violations = self.violations.split_off(v0);
            groups.push((changes, violations));
        }
        // Reports in document order.
        for (changes, violations) in groups.into_iter().rev() {
            self.changes.extend(changes);
            self.violations.extend(violations);
        }
    }

    /// Positions `(message, block)` in the turn, in merged order, with a flag for
    /// tool_result blocks and their id.
    fn turn_blocks(&self, start: usize, end: usize) -> Vec<(usize, usize, Option<Option<String>>)> {
        let mut out = Vec::new();
        for mi in start..end {
            match &self.msgs[mi].content {
                Content::Blocks(blocks) => {
                    for (bi, blk) in blocks.iter().enumerate() {
                        let j = view(self.doc, &blk.src);
                        let tr =
                            j.get("type")
                                .is_some_and(|t| t.str_eq("tool_result"))
                                .then(|| {
                                    j.get("tool_use_id")
                                        .and_then(|i| i.str())
                                        .map(Cow::into_owned)
                                });
                        out.push((mi, bi, tr));
                    }
                }
                Content::Str(..) => out.push((mi, 0, None)),
                Content::Opaque => {}
            }
        }
        out
    }

    fn pair_turn(
        &mut self,
        start: usize,
        end: usize,
        expected: &[(String, Origin)],
        assistant_at: Option<usize>,
    ) {
        let blocks = self.turn_blocks(start, end);
        let mut matched: Vec<&str> = Vec::new();
        let mut orphans = Vec::new();
        let mut matched_at = Vec::new();
        for (pos, (mi, bi, tr)) in blocks.iter().enumerate() {
            let Some(id) = tr else { continue };
            match id.as_deref() {
                Some(id) if expected.iter().any(|(e, _)| e == id) && !matched.contains(&id) => {
                    matched.push(id);
                    matched_at.push((pos, *mi, *bi));
                }
                _ => orphans.push((*mi, *bi, id.clone().unwrap_or_else(|| "null".into()))),
            }
        }
        let lead = blocks.iter().take_while(|(_, _, tr)| tr.is_some()).count();
        let missing: Vec<&(String, Origin)> = expected
            .iter()
            .filter(|(e, _)| !matched.contains(&e.as_str()))
            .collect();

        // Report (validate): on the body as sent.
        if self.validating() {
            for (mi, bi, id) in &orphans {
                let at = self.block_at(*mi, *bi);
                let (um, ub) = self.up(*mi, *bi);
                self.report(
                    &ORPHAN_TOOL_RESULT,
                    self.at_ptr(at),
                    render(
                        ORPHAN_TOOL_RESULT.message,
                        &[("m", &um), ("b", &ub), ("id", id)],
                    ),
                );
            }
            let late: Vec<_> = matched_at
                .iter()
                .filter(|(pos, _, _)| *pos >= lead)
                .collect();
            if let Some((_, mi, bi)) = late.first() {
                let at = self.block_at(*mi, *bi);
                let (um, _) = self.up(start, 0);
                self.report(
                    &TOOL_RESULT_FIRST,
                    self.at_ptr(at),
                    render(
                        TOOL_RESULT_FIRST.message,
                        &[("m", &um), ("n", &late.len().to_string())],
                    ),
                );
            }
            if let (Some(first), Some(a)) = (missing.first(), assistant_at) {
                let ids: Vec<&str> = missing.iter().map(|(id, _)| id.as_str()).collect();
                let (um, _) = self.up(a, 0);
                self.report(
                    &MISSING_TOOL_RESULT,
                    self.at_ptr(first.1),
                    render(
                        MISSING_TOOL_RESULT.message,
                        &[("m", &um), ("ids", &ids.join(", "))],
                    ),
                );
            }
            return;
        }

        // Fix (normalize).
        let doc = self.doc;
        if self.fixing(&ORPHAN_TOOL_RESULT) {
            // Back to front so earlier positions stay valid while blocks expand.
            let mut reports = Vec::new();
            for (mi, bi, id) in orphans.iter().rev() {
                let Content::Blocks(list) = &mut self.msgs[*mi].content else {
                    continue;
                };
                let at = list[*bi].at;
                let new = orphan_to_text(view(doc, &list[*bi].src), id);
                let n = new.len();
                list.splice(
                    *bi..*bi + 1,
                    new.into_iter().map(|v| Blk {
                        src: Src::Owned(v),
                        at,
                    }),
                );
                self.msgs[*mi].touched = true;
                let path = self.at_ptr(at);
                reports.push((
                    path,
                    format!(
                        "tool_result for {id} has no tool_use in the previous assistant message; its content kept as {n} text/content block(s)"
                    ),
                ));
            }
            for (path, detail) in reports.into_iter().rev() {
                self.change(&ORPHAN_TOOL_RESULT, path, "converted", detail);
            }
        }
        let fix_first = self.fixing(&TOOL_RESULT_FIRST);
        let fix_missing = self.fixing(&MISSING_TOOL_RESULT) && !missing.is_empty();
        if !fix_first && !fix_missing {
            return;
        }
        // Recompute after orphan conversion: which matched results sit after the
        // leading run of tool_result blocks.
        let blocks = self.turn_blocks(start, end);
        let lead = blocks.iter().take_while(|(_, _, tr)| tr.is_some()).count();
        let ids: Vec<String> = matched.iter().map(|s| s.to_string()).collect();
        let late: Vec<(usize, usize)> = blocks
            .iter()
            .enumerate()
            .filter(|(pos, (_, _, tr))| {
                *pos >= lead
                    && tr
                        .as_ref()
                        .is_some_and(|id| id.as_ref().is_some_and(|i| ids.contains(i)))
            })
            .map(|(_, (mi, bi, _))| (*mi, *bi))
            .collect();
        // Where the leading run ends: (message, index after its last block).
        let (ins_mi, ins_bi) = match lead.checked_sub(1).map(|p| (blocks[p].0, blocks[p].1)) {
            Some((mi, bi)) => (mi, bi + 1),
            None => (start, 0),
        };
        // NOTE: a message whose `content` is absent or neither a string nor an
        // array cannot take blocks (and the upstream refuses it with a schema
        // error no rule fixes): leave the turn's pairing as it is, rather than
        // report an insertion that cannot be written or move blocks into it
        // (they would vanish from the output).
        if matches!(self.msgs[ins_mi].content, Content::Opaque) {
            return;
        }
        if (fix_first && !late.is_empty()) || fix_missing {
            let rule = if fix_first && !late.is_empty() {
                &TOOL_RESULT_FIRST
            } else {
                &MISSING_TOOL_RESULT
            };
            self.ensure_blocks(ins_mi, rule);
        }
        let mut moved: Vec<Blk> = Vec::new();
        if fix_first && !late.is_empty() {
            for (mi, bi) in late.iter().rev() {
                let Content::Blocks(list) = &mut self.msgs[*mi].content else {
                    continue;
                };
                let blk = list.remove(*bi);
                self.msgs[*mi].touched = true;
                moved.push(blk);
            }
            moved.reverse();
            for blk in &moved {
                let from = self.at_ptr(blk.at);
                let to = self.msg_ptr(self.msgs[ins_mi].origin);
                self.change(
                    &TOOL_RESULT_FIRST,
                    from,
                    "moved",
                    format!("tool_result moved to the start of the user message {to}"),
                );
            }
        }
        let mut inserted: Vec<Blk> = Vec::new();
        if fix_missing {
            let origin = self.msgs[ins_mi].origin;
            for (k, (id, _)) in missing.iter().enumerate() {
                let at = Origin::New(origin, ins_bi + moved.len() + k);
                let path = self.at_ptr(at);
                self.change(
                    &MISSING_TOOL_RESULT,
                    path,
                    "inserted",
                    format!("tool_result with is_error: true for the unanswered tool_use {id}"),
                );
                inserted.push(Blk {
                    src: Src::Owned(json!({
                        "type": "tool_result",
                        "tool_use_id": id,
                        "content": "No result was recorded for this tool call (it was interrupted).",
                        "is_error": true,
                    })),
                    at,
                });
            }
        }
        if moved.is_empty() && inserted.is_empty() {
            return;
        }
        if let Content::Blocks(list) = &mut self.msgs[ins_mi].content {
            let at = ins_bi.min(list.len());
            list.splice(at..at, moved.into_iter().chain(inserted));
        }
        self.msgs[ins_mi].touched = true;
        // Later messages of the turn may be left empty by the moves.
        let emptied: Vec<usize> = (start + 1..end)
            .filter(|&i| self.is_empty_content(&self.msgs[i].content))
            .collect();
        self.drop_empty(emptied);
    }

    fn block_at(&self, mi: usize, bi: usize) -> Origin {
        match &self.msgs[mi].content {
            Content::Blocks(list) => list
                .get(bi)
                .map(|b| b.at)
                .unwrap_or(Origin::Content(self.msgs[mi].origin)),
            _ => Origin::Content(self.msgs[mi].origin),
        }
    }

    /// Turns string content into a one-text-block array (recorded as a change).
    fn ensure_blocks(&mut self, mi: usize, rule: &Rule) {
        let mut msg = std::mem::replace(&mut self.msgs[mi].content, Content::Opaque);
        let origin = self.msgs[mi].origin;
        let converted = self.string_to_blocks(&mut msg, origin, rule);
        self.msgs[mi].content = msg;
        self.msgs[mi].touched |= converted;
    }

    /// Turns string `content` (of the message at `origin`) into a
    /// one-text-block array, recorded as a change under `rule`; returns
    /// whether it did.
    fn string_to_blocks(&mut self, content: &mut Content, origin: usize, rule: &Rule) -> bool {
        let Content::Str(..) = content else {
            return false;
        };
        let text = self.str_text(content).unwrap_or_default().into_owned();
        let mut list = Vec::new();
        if !text.is_empty() {
            list.push(Blk {
                src: Src::Owned(text_block(text)),
                at: Origin::Content(origin),
            });
        }
        *content = Content::Blocks(list);
        let path = format!("{}/content", self.msg_ptr(origin));
        self.change(
            rule,
            path,
            "converted",
            "string content turned into a text block".into(),
        );
        true
    }

    // ---- phase 4: bedrock role alternation ---------------------------------

    fn phase_merge_roles(&mut self) {
        // NOTE: merging the latest assistant message into the one before it
        // moves its thinking blocks (their indices grow by the earlier
        // message's length), which the upstream refuses; such a merge is left
        // undone and reported with a hint. Linear: one pass into a new list.
        let latest = self
            .msgs
            .iter()
            .rposition(|m| m.role == Role::Assistant)
            .filter(|&i| self.holds_thinking(i))
            .map(|i| self.msgs[i].origin);
        let msgs = std::mem::take(&mut self.msgs);
        let mut out: Vec<Msg> = Vec::with_capacity(msgs.len());
        for cur in msgs {
            let Some(prev) = out.last_mut() else {
                out.push(cur);
                continue;
            };
            if cur.role == Role::Other || cur.role != prev.role {
                out.push(cur);
                continue;
            }
            let mergeable =
                !matches!(prev.content, Content::Opaque) && !matches!(cur.content, Content::Opaque);
            let pinned = cur.role == Role::Assistant && Some(cur.origin) == latest;
            let path = self.msg_ptr(cur.origin);
            let hint = pinned.then(|| {
                "do not merge it into the previous message: that moves the thinking blocks of the latest assistant message; keep the original response as its own turn instead".to_string()
            });
            self.report_hint(
                &MERGE_ROLES,
                path.clone(),
                MERGE_ROLES.message.to_string(),
                hint,
            );
            if !self.fixing(&MERGE_ROLES) || !mergeable || pinned {
                out.push(cur);
                continue;
            }
            let (prev_origin, mut prev_content) = (
                prev.origin,
                std::mem::replace(&mut prev.content, Content::Opaque),
            );
            self.string_to_blocks(&mut prev_content, prev_origin, &MERGE_ROLES);
            let text = self.str_text(&cur.content).map(Cow::into_owned);
            let mut extra = match cur.content {
                Content::Blocks(list) => list,
                Content::Str(..) => text
                    .filter(|t| !t.is_empty())
                    .map(|t| {
                        vec![Blk {
                            src: Src::Owned(text_block(t)),
                            at: Origin::Content(cur.origin),
                        }]
                    })
                    .unwrap_or_default(),
                Content::Opaque => Vec::new(),
            };
            if let Content::Blocks(list) = &mut prev_content {
                list.append(&mut extra);
            }
            let into = self.msg_ptr(prev_origin);
            if let Some(prev) = out.last_mut() {
                prev.content = prev_content;
                prev.touched = true;
            }
            self.change(&MERGE_ROLES, path, "merged", format!("merged into {into}"));
        }
        self.msgs = out;
    }

    // ---- phase 5: trailing whitespace of a final assistant message ----------

    fn phase_final_whitespace(&mut self) {
        let Some(mi) = self.msgs.len().checked_sub(1) else {
            return;
        };
        if self.msgs[mi].role != Role::Assistant {
            return;
        }
        let origin = self.msgs[mi].origin;
        if let Content::Str(..) = self.msgs[mi].content {
            let text = self
                .str_text(&self.msgs[mi].content)
                .unwrap_or_default()
                .into_owned();
            let trimmed = text.trim_end();
            if trimmed.len() == text.len() {
                return;
            }
            let path = format!("{}/content", self.msg_ptr(origin));
            self.report(
                &FINAL_TRAILING_WHITESPACE,
                path.clone(),
                FINAL_TRAILING_WHITESPACE.message.into(),
            );
            if self.fixing(&FINAL_TRAILING_WHITESPACE) {
                let detail = format!("trailing {} trimmed", escape(&text[trimmed.len()..]));
                let id = match self.msgs[mi].content {
                    Content::Str(id, _) => id,
                    _ => return,
                };
                self.msgs[mi].content = Content::Str(id, Some(trimmed.to_string()));
                self.msgs[mi].touched = true;
                self.change(&FINAL_TRAILING_WHITESPACE, path, "trimmed", detail);
            }
            return;
        }
        let doc = self.doc;
        loop {
            // Read what is needed, then let go of the borrow before reporting.
            let (at, text, cc, value) = {
                let Content::Blocks(list) = &self.msgs[mi].content else {
                    return;
                };
                let Some(last) = list.last() else { return };
                let j = view(doc, &last.src);
                if !j.get("type").is_some_and(|t| t.str_eq("text")) {
                    return;
                }
                let Some(text) = j.get("text").and_then(|t| t.str()) else {
                    return;
                };
                if text.trim_end().len() == text.len() {
                    return;
                }
                let cc = j.get_some("cache_control").and_then(|c| c.to_value());
                (last.at, text.into_owned(), cc, j.to_value())
            };
            let trimmed_len = text.trim_end().len();
            let path = format!("{}/text", self.at_ptr(at));
            self.report(
                &FINAL_TRAILING_WHITESPACE,
                path.clone(),
                FINAL_TRAILING_WHITESPACE.message.into(),
            );
            let Some(mut value) = value.filter(|_| self.fixing(&FINAL_TRAILING_WHITESPACE)) else {
                return;
            };
            let detail = format!("trailing {} trimmed", escape(&text[trimmed_len..]));
            self.msgs[mi].touched = true;
            if trimmed_len == 0 {
                let block_path = self.at_ptr(at);
                self.change(
                    &FINAL_TRAILING_WHITESPACE,
                    block_path,
                    "removed",
                    format!("text block left empty: {detail}"),
                );
                if let Content::Blocks(list) = &mut self.msgs[mi].content {
                    list.pop();
                }
                if let Some(cc) = cc {
                    self.carry_cache_control(mi, at, cc);
                }
                continue;
            }
            if let Some(o) = value.as_object_mut() {
                o.insert(
                    "text".into(),
                    Value::String(text[..trimmed_len].to_string()),
                );
            }
            if let Content::Blocks(list) = &mut self.msgs[mi].content {
                if let Some(last) = list.last_mut() {
                    last.src = Src::Owned(value);
                }
            }
            self.change(&FINAL_TRAILING_WHITESPACE, path, "trimmed", detail);
            return;
        }
    }

    /// Moves a removed last block's cache_control to the new last block.
    fn carry_cache_control(&mut self, mi: usize, from: Origin, cc: Value) {
        let doc = self.doc;
        let path = format!("{}/cache_control", self.at_ptr(from));
        let target = match &self.msgs[mi].content {
            Content::Blocks(list) => list.last().and_then(|b| {
                let j = view(doc, &b.src);
                let ty = block_type(j);
                let ok = rules::block_fields(&ty).is_some_and(|f| f.contains(&"cache_control"))
                    && j.get_some("cache_control").is_none();
                ok.then(|| j.to_value().map(|v| (b.at, v))).flatten()
            }),
            _ => None,
        };
        let Some((to, mut v)) = target else {
            self.change(
                &CACHE_CONTROL_ON_EMPTY,
                path,
                "removed",
                format!("{cc} dropped with its block: no earlier block can take it"),
            );
            return;
        };
        if let Some(o) = v.as_object_mut() {
            o.insert("cache_control".into(), cc.clone());
        }
        if let Content::Blocks(list) = &mut self.msgs[mi].content {
            if let Some(last) = list.last_mut() {
                last.src = Src::Owned(v);
            }
        }
        let to = self.at_ptr(to);
        self.change(
            &CACHE_CONTROL_ON_EMPTY,
            path,
            "moved",
            format!("{cc} moved to {to}"),
        );
    }

    // ---- phase 6: system ----------------------------------------------------

    fn phase_system(&mut self) {
        if self.bare {
            return;
        }
        let doc = self.doc;
        let Some(sys) = doc.get(doc.root(), "system") else {
            return;
        };
        match doc.kind(sys) {
            Kind::Str => {
                let blank = doc.blank(sys);
                if blank == Some(Blank::Text) {
                    return;
                }
                let message = if blank == Some(Blank::Empty) {
                    MSG_SYSTEM_EMPTY
                } else {
                    EMPTY_SYSTEM.message
                };
                self.report(&EMPTY_SYSTEM, "/system".into(), message.into());
                if self.fixing(&EMPTY_SYSTEM) {
                    self.system = System::Remove;
                    self.change(
                        &EMPTY_SYSTEM,
                        "/system".into(),
                        "removed",
                        format!("blank system prompt {}", doc.raw(sys)),
                    );
                }
            }
            Kind::Arr => {
                let items: Vec<J<'_>> = doc.items(sys).map(|i| J::D(doc, i)).collect();
                // NOTE: every blank system block goes, whatever the profile: the
                // system prompt has no "other content" exception.
                let plan = plan_blanks(&items, self.profile, true, false);
                if plan.remove.is_empty() {
                    return;
                }
                let mut removed = Vec::new();
                for &(i, kind) in &plan.remove {
                    let path = format!("/system/{i}");
                    let message = if kind == BlankText::Whitespace {
                        EMPTY_SYSTEM.message
                    } else {
                        MSG_SYSTEM_EMPTY
                    };
                    self.report(&EMPTY_SYSTEM, path.clone(), message.into());
                    if self.fixing(&EMPTY_SYSTEM) {
                        self.change(
                            &EMPTY_SYSTEM,
                            path,
                            "removed",
                            format!("blank system text block {}", items[i].compact()),
                        );
                        removed.push(i);
                    }
                }
                if removed.is_empty() {
                    return;
                }
                let mut out: Vec<Src> = doc.items(sys).map(Src::Raw).collect();
                for &(from, to) in &plan.cache {
                    let value = items[from]
                        .get("cache_control")
                        .map(|c| c.compact())
                        .unwrap_or_default();
                    let path = format!("/system/{from}/cache_control");
                    match (to, self.fixing(&CACHE_CONTROL_ON_EMPTY)) {
                        (Some(t), true) => {
                            if let (Some(cc), Some(mut v)) = (
                                items[from].get("cache_control").and_then(|c| c.to_value()),
                                items[t].to_value(),
                            ) {
                                if let Some(o) = v.as_object_mut() {
                                    o.insert("cache_control".into(), cc);
                                }
                                out[t] = Src::Owned(v);
                                self.change(
                                    &CACHE_CONTROL_ON_EMPTY,
                                    path,
                                    "moved",
                                    format!("{value} moved to /system/{t}"),
                                );
                            }
                        }
                        _ => self.change(
                            &CACHE_CONTROL_ON_EMPTY,
                            path,
                            "removed",
                            format!("{value} removed with its block"),
                        ),
                    }
                }
                retain_unmarked(&mut out, &removed);
                self.system = System::Blocks(out);
            }
            _ => {}
        }
    }

    // ---- output ---------------------------------------------------------------

    /// Writes the normalized body: untouched parts as their exact source text.
    pub(crate) fn write(&self) -> Vec<u8> {
        let doc = self.doc;
        let mut out = Vec::with_capacity(doc.raw(doc.root()).len() + 256);
        if self.bare {
            self.write_messages(&mut out);
            return out;
        }
        out.push(b'{');
        let mut first = true;
        for (k, v) in doc.entries(doc.root()) {
            let sep = |out: &mut Vec<u8>, first: &mut bool| {
                if !std::mem::take(first) {
                    out.push(b',');
                }
            };
            if v == self.messages {
                sep(&mut out, &mut first);
                out.extend_from_slice(doc.raw(k).as_bytes());
                out.push(b':');
                self.write_messages(&mut out);
            } else if doc.str_eq(k, "system") && !matches!(self.system, System::Keep) {
                if let System::Blocks(list) = &self.system {
                    sep(&mut out, &mut first);
                    out.extend_from_slice(doc.raw(k).as_bytes());
                    out.push(b':');
                    self.write_list(&mut out, list.iter());
                }
            } else {
                sep(&mut out, &mut first);
                out.extend_from_slice(doc.raw(k).as_bytes());
                out.push(b':');
                out.extend_from_slice(doc.raw(v).as_bytes());
            }
        }
        out.push(b'}');
        out
    }

    fn write_list<'s>(&self, out: &mut Vec<u8>, items: impl Iterator<Item = &'s Src>) {
        out.push(b'[');
        for (i, src) in items.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match src {
                Src::Raw(id) => out.extend_from_slice(self.doc.raw(*id).as_bytes()),
                // NOTE: writing a Value into a Vec cannot fail.
                Src::Owned(v) => {
                    let _ = serde_json::to_writer(&mut *out, v);
                }
            }
        }
        out.push(b']');
    }

    fn write_messages(&self, out: &mut Vec<u8>) {
        let doc = self.doc;
        out.push(b'[');
        for (i, msg) in self.msgs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !msg.touched {
                out.extend_from_slice(doc.raw(msg.node).as_bytes());
                continue;
            }
            out.push(b'{');
            let fields = doc
                .entries(msg.node)
                .filter(|(k, _)| !msg.dropped.contains(k));
            for (n, (k, v)) in fields.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(doc.raw(k).as_bytes());
                out.push(b':');
                if !doc.str_eq(k, "content") {
                    out.extend_from_slice(doc.raw(v).as_bytes());
                    continue;
                }
                match &msg.content {
                    Content::Blocks(list) => self.write_list(out, list.iter().map(|b| &b.src)),
                    Content::Str(_, Some(s)) => out.extend_from_slice(escape(s).as_bytes()),
                    Content::Str(id, None) => out.extend_from_slice(doc.raw(*id).as_bytes()),
                    Content::Opaque => out.extend_from_slice(doc.raw(v).as_bytes()),
                }
            }
            out.push(b'}');
        }
        out.push(b']');
    }
}

/// Fields of a known block type that its schema lacks: `(field, foreign)`, where
/// `foreign` means another block type has it. Thinking blocks are never judged.
fn extra_fields(j: J<'_>, ty: &str) -> Vec<(String, bool)> {
    let Some(schema) = rules::block_fields(ty) else {
        return Vec::new();
    };
    if is_thinking(ty) {
        return Vec::new();
    }
    j.keys()
        .into_iter()
        .filter(|k| !schema.contains(&k.as_ref()))
        .map(|k| {
            let foreign = rules::is_block_field(&k);
            (k.into_owned(), foreign)
        })
        .collect()
}
