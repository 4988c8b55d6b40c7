//! Phase 1, each message and block on its own: fields that do not belong
//! (`foreign-field`, `unknown-field`), tool inputs given as strings
//! (`tool-input-string`), thinking block shape (`thinking-untouched`), and the
//! blank text blocks (see `blanks`) of each message and tool_result.

use super::blanks::{plan_blanks, BlankText, Items};
use super::json::{blank_of, escape, pointer_token, validate, Blank, Kind, ObjEdit, Raw};
use super::model::{Blk, Content, Origin, Role, Run, Src, CITATIONS, CONTENT, INPUT, IS_ERROR};
use super::rules::{self, *};
use super::ChangeAction::{Parsed, Removed, Replaced};
use crate::is_thinking;

/// The content given to an error tool_result that had none.
const ERROR_RESULT_TEXT: &str = "The tool reported an error without details.";

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_blocks(&mut self) {
        self.request_fields();
        for mi in 0..self.msgs.len() {
            // NOTE: a mid-conversation system message is left exactly as sent
            // (its fields, e.g. a message-level `cache_control`, and its
            // content); the rules of `roles` judge it.
            if self.msgs[mi].role == Role::System {
                continue;
            }
            self.message_fields(mi);
            match self.msgs[mi].content {
                Content::Str => {
                    if let Some(raw) = self.msgs[mi].str_raw() {
                        self.string_content_blank(mi, raw);
                    }
                    continue;
                }
                Content::Text(_) => continue,
                Content::Blocks(_) | Content::Opaque => {}
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

    /// Top-level request fields the profile's upstream does not have
    /// (`context_management` on Bedrock, unless the body opts in to its beta).
    fn request_fields(&mut self) {
        if self.bare || !BEDROCK_FIELD.applies(self.profile) {
            return;
        }
        let betas = self
            .top("anthropic_beta")
            .into_iter()
            .flat_map(|b| b.items());
        if betas
            .filter_map(|b| b.str())
            .any(|b| b.starts_with("context-management-"))
        {
            return;
        }
        let found: Vec<_> = self
            .top_entries()
            .filter(|(k, _)| k.str_eq("context_management"))
            .collect();
        for (k, v) in found {
            let path = "/context_management".to_string();
            self.report(&BEDROCK_FIELD, path.clone(), BEDROCK_FIELD.message.into());
            if self.fixing(&BEDROCK_FIELD) {
                let detail = format!(
                    "\"context_management\": {}: Bedrock has no context editing",
                    v.compact()
                );
                self.change(&BEDROCK_FIELD, path, Removed, detail);
                self.dropped_top.push(k.offset());
            }
        }
    }

    fn message_fields(&mut self, mi: usize) {
        let (raw, origin) = (self.msgs[mi].raw, self.msgs[mi].origin);
        for (k, v) in raw.entries() {
            let field = k.str().unwrap_or_default();
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
                let detail = format!("\"{field}\": {} is not a field of a message", v.text());
                self.change(&UNKNOWN_FIELD, path, Removed, detail);
                self.dropped_fields.insert(k.offset());
                self.msgs[mi].touched = true;
            }
        }
    }

    fn string_content_blank(&mut self, mi: usize, raw: Raw<'b>) {
        if raw.blank() != Some(Blank::Whitespace) {
            return;
        }
        let origin = self.msgs[mi].origin;
        let message = self
            .blank_message(BlankText::Whitespace, &origin.to_string(), "0")
            .unwrap_or_else(|| WHITESPACE_TEXT.message.to_string());
        let path = format!("{}/content", self.msg_ptr(origin));
        self.report(&WHITESPACE_TEXT, path.clone(), message);
        if self.fixing(&WHITESPACE_TEXT) {
            let detail = format!("whitespace-only content {}", raw.text());
            self.msgs[mi].content = Content::Text("".into());
            self.msgs[mi].touched = true;
            self.change(&WHITESPACE_TEXT, path, Removed, detail);
        }
    }

    /// foreign / unknown fields, tool input strings, thinking signatures, and the
    /// blank blocks inside a tool_result. Returns whether the block changed.
    fn block_fields_and_input(&mut self, mi: usize, blk: &mut Blk<'b>) -> bool {
        let at = blk.at();
        let mut edit = ObjEdit::default();
        let new = {
            let j = blk.view();
            if j.kind() != Kind::Obj {
                return false;
            }
            let ty = blk.ty();
            if is_thinking(&ty) {
                self.thinking_checks(mi, at, j, &ty);
                return false;
            }
            // Fields of another type, or of no known schema.
            let extras = if blk.may_have_extra_fields() {
                extra_fields(j, &ty)
            } else {
                Vec::new()
            };
            for (field, foreign) in extras {
                let (ptr, m, b) = self.here(at);
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
                    self.change(rule, path, Removed, detail);
                    edit.remove(&field);
                }
            }
            if ty == "text" && blk.get(CITATIONS).is_some() && BEDROCK_FIELD.applies(self.profile) {
                let (ptr, m, b) = self.here(at);
                let path = format!("{ptr}/citations");
                let message = render(MSG_CITATIONS_EXTRA, &[("m", &m), ("b", &b)]);
                self.report(&BEDROCK_FIELD, path.clone(), message);
                if self.fixing(&BEDROCK_FIELD) {
                    let value = j.get("citations").map(|v| v.compact()).unwrap_or_default();
                    let detail = format!(
                        "\"citations\": {value}: Bedrock takes no citations on a text block"
                    );
                    self.change(&BEDROCK_FIELD, path, Removed, detail);
                    edit.remove("citations");
                }
            }
            if rules::is_tool_use(&ty) {
                if let Some(input) = self.tool_input(blk.find(j, INPUT), at, &ty) {
                    edit.set("input", input);
                }
            }
            if ty == "tool_result" {
                let sent = blk.find(j, CONTENT);
                let is_error = blk.find(j, IS_ERROR).is_some_and(|e| e.text() == "true");
                let content = self.tool_result_content(sent, at);
                let filled = self.error_result_content(is_error, sent, content.as_deref(), at);
                if let Some(content) = filled.or(content) {
                    edit.set("content", content);
                }
            }
            (!edit.is_empty()).then(|| edit.apply(j))
        };
        match new {
            Some(text) => {
                blk.set_src(Src::Owned(text.into()));
                true
            }
            None => false,
        }
    }

    /// The report path and the input coordinates of the block at `at` (made
    /// only when a report needs them: most blocks get none).
    fn here(&self, at: Origin) -> (String, String, String) {
        let (m, b) = Self::input_coords(at);
        (self.at_ptr(at), m, b)
    }

    fn thinking_checks(&mut self, mi: usize, at: Origin, j: Raw<'_>, ty: &str) {
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
                // NOTE: an empty signature: Bedrock answers that the field is
                // missing; the Anthropic API refuses an empty thinking block
                // whose signature is empty (a live probe) and an empty
                // signature otherwise as invalid.
                Some(s) if s.blank() == Some(Blank::Empty) || s.kind() == Kind::Null => {
                    let thinking_empty = j
                        .get("thinking")
                        .map_or(true, |t| t.blank() == Some(Blank::Empty));
                    let (path, message) = if self.profile.is_bedrock() {
                        (
                            "signature",
                            render(MSG_SIGNATURE_MISSING, &[("m", &m), ("b", &b)]),
                        )
                    } else if thinking_empty {
                        (
                            "thinking",
                            render(MSG_THINKING_EMPTY, &[("m", &m), ("b", &b)]),
                        )
                    } else {
                        let bi = match at {
                            Origin::Block(_, bi) => bi,
                            _ => 0,
                        };
                        let (um, ub) = self.up(mi, bi);
                        (
                            "signature",
                            render(MSG_SIGNATURE_INVALID, &[("m", &um), ("b", &ub)]),
                        )
                    };
                    self.report(&THINKING_UNTOUCHED, format!("{ptr}/{path}"), message)
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

    /// The new `input` (JSON text) of a tool_use whose input is not an object.
    fn tool_input(&mut self, input: Option<Raw<'_>>, at: Origin, ty: &str) -> Option<String> {
        let input = input?;
        if input.kind() == Kind::Obj {
            return None;
        }
        let (ptr, m, b) = self.here(at);
        let (m, b) = (m.as_str(), b.as_str());
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
                "{}".to_string(),
                format!("blank string {} replaced by {{}}", escape(&text)),
            )
        } else {
            // NOTE: the string must hold one JSON object (within the depth
            // limit); anything else stays as it is (still a violation).
            let depth = self.json_depth();
            let trimmed = text.trim_matches([' ', '\n', '\r', '\t']);
            if !trimmed.starts_with('{') || validate(trimmed, depth).is_err() {
                return None;
            }
            (
                trimmed.to_string(),
                "JSON string parsed into an object".to_string(),
            )
        };
        self.change(&TOOL_INPUT_STRING, path, Parsed, detail);
        Some(parsed)
    }

    /// The new `content` (JSON text) of an error tool_result whose content is
    /// empty (absent, null, `""` or `[]`, as sent or once its blank blocks
    /// went): a short text that says so. `edited`: the content after the
    /// other fixes, when they changed it.
    fn error_result_content(
        &mut self,
        is_error: bool,
        sent: Option<Raw<'_>>,
        edited: Option<&str>,
        at: Origin,
    ) -> Option<String> {
        if !is_error {
            return None;
        }
        let (ptr, m, b) = self.here(at);
        let (m, b) = (m.as_str(), b.as_str());
        let empty = |c: Option<Raw<'_>>| match c {
            None => true,
            Some(c) => match c.kind() {
                Kind::Null => true,
                Kind::Str => c.blank() == Some(Blank::Empty),
                Kind::Arr => c.items().next().is_none(),
                _ => false,
            },
        };
        if empty(sent) {
            let message = render(
                TOOL_RESULT_ERROR_EMPTY.message_for(self.profile),
                &[("m", m), ("b", b)],
            );
            self.report(&TOOL_RESULT_ERROR_EMPTY, format!("{ptr}/content"), message);
        }
        let now = match edited {
            Some(text) => empty(Some(Raw::whole(text))),
            None => empty(sent),
        };
        if !now || !self.fixing(&TOOL_RESULT_ERROR_EMPTY) {
            return None;
        }
        let was = sent.map_or_else(
            || "no content".to_string(),
            |c| format!("content {}", c.compact()),
        );
        let was = if edited.is_some() {
            format!("{was} (empty once its blank blocks went)")
        } else {
            was
        };
        let detail = format!(
            "{was} became {}: the upstream refuses an error result without content",
            escape(ERROR_RESULT_TEXT)
        );
        self.change(
            &TOOL_RESULT_ERROR_EMPTY,
            format!("{ptr}/content"),
            Replaced,
            detail,
        );
        Some(escape(ERROR_RESULT_TEXT))
    }

    /// The new `content` (JSON text) of a tool_result: its blank text blocks
    /// and extra fields dealt with.
    fn tool_result_content(&mut self, sent: Option<Raw<'_>>, at: Origin) -> Option<String> {
        let content = sent.filter(|c| c.kind() == Kind::Arr)?;
        let items = self.nested_items(content)?;
        // NOTE: only the items with extra fields are listed, and edits are
        // made only when there is one (a list of many small items holds its
        // views and scans, `NESTED_ITEM_COST`, and no more).
        let extras: Vec<(usize, Vec<(String, bool)>)> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.kind() == Kind::Obj)
            .map(|(k, item)| (k, extra_fields(*item, &item.type_name())))
            .filter(|(_, extras)| !extras.is_empty())
            .collect();
        let list = Items::Nested(&items);
        let scans = list.scans();
        let plan = plan_blanks(&scans, self.profile, false, false);
        // NOTE: most tool_results have nothing to fix: no path is formatted.
        if extras.is_empty() && plan.is_empty() {
            return None;
        }
        let (ptr, m, b) = self.here(at);
        let m = m.as_str();
        let mut edits: Vec<ObjEdit> = Vec::new();
        for (k, extras) in extras {
            let item = &items[k];
            let ty = item.type_name();
            for (field, foreign) in extras {
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
                        Removed,
                        format!("\"{field}\": {value} is not a field of {ty}"),
                    );
                    edit_of(&mut edits, items.len(), k).remove(&field);
                }
            }
        }
        let content_ptr = format!("{ptr}/content");
        let blank = self.apply_blank_plan_reports(
            &plan,
            &scans,
            list,
            &content_ptr,
            m,
            &format!("{b}.tool_result.content."),
        );
        if edits.iter().all(ObjEdit::is_empty) && blank.removed.is_empty() {
            return None;
        }
        for &(from, to) in &blank.moves {
            if let (Some(to), Some(cc)) = (to, items[from].get("cache_control")) {
                edit_of(&mut edits, items.len(), to).set("cache_control", cc.text().to_string());
            }
        }
        let mut removed = vec![false; items.len()];
        for &i in &blank.removed {
            removed[i as usize] = true;
        }
        let kept = items.iter().enumerate().filter(|&(i, _)| !removed[i]);
        let mut out = String::from("[");
        for (n, (i, item)) in kept.enumerate() {
            if n > 0 {
                out.push(',');
            }
            match edits.get(i).filter(|edit| !edit.is_empty()) {
                Some(edit) => out.push_str(&edit.apply(*item)),
                None => out.push_str(item.text()),
            }
        }
        out.push(']');
        Some(out)
    }
}

/// The edit of item `k` of a list of `len`, the list of edits made on first use.
fn edit_of(edits: &mut Vec<ObjEdit>, len: usize, k: usize) -> &mut ObjEdit {
    if edits.is_empty() {
        edits.resize(len, ObjEdit::default());
    }
    &mut edits[k]
}

/// Fields of a known block type that its schema lacks: `(field, foreign)`, where
/// `foreign` means another block type has it. Thinking blocks are never judged.
pub(crate) fn extra_fields(j: Raw<'_>, ty: &str) -> Vec<(String, bool)> {
    let Some(schema) = rules::block_fields(ty) else {
        return Vec::new();
    };
    if is_thinking(ty) {
        return Vec::new();
    }
    j.entries()
        .filter_map(|(k, _)| k.str())
        .filter(|k| !schema.contains(&k.as_ref()))
        .map(|k| {
            let foreign = rules::is_block_field(&k);
            (k.into_owned(), foreign)
        })
        .collect()
}
