//! Whole messages: `empty-message`, `merge-roles` (bedrock), and
//! `final-trailing-whitespace`; none of them moves the thinking blocks of the
//! latest assistant message (`thinking-position`).

use super::blanks::{can_take_cache_control, set_field};
use super::json::{escape, escape_parts_into, ObjEdit};
use super::model::{retain_unmarked, Blk, Content, Msg, Origin, Role, Run, Src};
use super::rules::*;
use super::ChangeAction::{Converted, Merged, Moved, Removed, Replaced, Trimmed};
use crate::is_thinking;

/// `{"type":"text","text":…}`, its text `parts` joined (no joined copy).
pub(crate) fn text_block(parts: &[&str]) -> Box<str> {
    const HEAD: &str = "{\"type\":\"text\",\"text\":";
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = String::with_capacity(HEAD.len() + len + 3);
    out.push_str(HEAD);
    escape_parts_into(&mut out, parts);
    out.push('}');
    out.into()
}

impl<'b> Run<'b, '_> {
    // ---- phase 2: empty messages -------------------------------------------

    pub(crate) fn phase_empty_messages(&mut self) {
        let last = self.msgs.len().saturating_sub(1);
        let mut drop = Vec::new();
        for (pos, msg) in self.msgs.iter().enumerate() {
            let final_assistant = pos == last && msg.role == Role::Assistant;
            // NOTE: a system message is never touched: `content: []` is its
            // directive-only form (with a message-level `output_config`).
            if !final_assistant && msg.role != Role::System && msg.is_empty_content() {
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
                && holds_thinking(&self.msgs[b + 1]);
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
        let placeholder = self.placeholder();
        let msg = &mut self.msgs[pos];
        msg.content = match msg.content {
            Content::Str | Content::Text(..) => Content::Text(placeholder.into()),
            _ => Content::Blocks(vec![Blk::new(
                Src::Owned(text_block(&[placeholder])),
                Origin::New(origin, 0),
            )]),
        };
        msg.touched = true;
        self.change(
            &THINKING_POSITION,
            format!("{path}/content"),
            Replaced,
            format!(
                "empty content became the text {}: removing the message would join the assistant messages around it and move the thinking blocks of the latest one",
                escape(placeholder)
            ),
        );
    }

    /// Reports and (when fixing) removes the messages at `positions` (empty ones).
    fn drop_empty(&mut self, positions: Vec<usize>) {
        self.report_empty(&positions);
        if self.fixing(&EMPTY_MESSAGE) {
            retain_unmarked(&mut self.msgs, &positions);
        }
    }

    /// Turns string content into a one-text-block array (recorded as a change).
    pub(crate) fn ensure_blocks(&mut self, mi: usize, rule: &'static Rule) {
        let mut msg = std::mem::take(&mut self.msgs);
        self.string_to_blocks(&mut msg[mi], rule);
        self.msgs = msg;
    }

    /// Turns the string content of `msg` into a one-text-block array,
    /// recorded as a change under `rule` (the message is then touched).
    fn string_to_blocks(&mut self, msg: &mut Msg<'b>, rule: &'static Rule) {
        let Some(text) = msg.str_text() else {
            return;
        };
        let origin = msg.origin;
        let mut list = Vec::new();
        if !text.is_empty() {
            list.push(Blk::new(
                Src::Owned(text_block(&[&text])),
                Origin::Content(origin),
            ));
        }
        msg.content = Content::Blocks(list);
        msg.touched = true;
        let path = format!("{}/content", self.msg_ptr(origin));
        self.change(
            rule,
            path,
            Converted,
            "string content turned into a text block".into(),
        );
    }

    // ---- phase 4: bedrock role alternation ---------------------------------

    pub(crate) fn phase_merge_roles(&mut self) {
        // NOTE: the merges of the last run of assistant messages make the
        // latest assistant message; one that moves thinking blocks into it
        // (their indices grow by the earlier messages' length) is refused
        // upstream, so such a merge is left undone and reported with a hint.
        // Linear and in place: the kept messages are compacted to the front
        // of the list (index `r` is still the message's original place).
        let final_run = self
            .msgs
            .iter()
            .rposition(|m| m.role == Role::Assistant)
            .map(|last| {
                let before = self.msgs[..last]
                    .iter()
                    .rev()
                    .take_while(|m| m.role == Role::Assistant);
                last - before.count()
            });
        // NOTE: in place: a merged message stays in the list, `joined` to
        // `base` (the closest earlier message that is not joined), so no
        // block moves and no message is removed.
        let mut msgs = std::mem::take(&mut self.msgs);
        let mut base: Option<usize> = None;
        for r in 0..msgs.len() {
            let (head, tail) = msgs.split_at_mut(r);
            let cur = &mut tail[0];
            let prev = base.and_then(|k| head.get_mut(k));
            let Some(prev) = prev.filter(|p| cur.role.alternates() && cur.role == p.role) else {
                base = Some(r);
                continue;
            };
            let mergeable =
                !matches!(prev.content, Content::Opaque) && !matches!(cur.content, Content::Opaque);
            let pinned = cur.role == Role::Assistant
                && final_run.is_some_and(|f| r >= f)
                && holds_thinking(cur);
            let listing = !self.report_full();
            let path = if listing {
                self.msg_ptr(cur.origin)
            } else {
                String::new()
            };
            let hint = pinned.then(|| {
                "do not merge it into the previous message: that moves the thinking blocks of the latest assistant message; keep the original response as its own turn instead".to_string()
            });
            if listing {
                self.report_hint(
                    &MERGE_ROLES,
                    path.clone(),
                    MERGE_ROLES.message.to_string(),
                    hint,
                );
            } else {
                self.omit_violation(&MERGE_ROLES);
            }
            if !self.fixing(&MERGE_ROLES) || !mergeable || pinned {
                base = Some(r);
                continue;
            }
            let prev_origin = prev.origin;
            self.string_to_blocks(prev, &MERGE_ROLES);
            prev.touched = true;
            cur.joined = true;
            if self.report_full() {
                self.omit(&MERGE_ROLES);
            } else {
                let into = self.msg_ptr(prev_origin);
                self.change(&MERGE_ROLES, path, Merged, format!("merged into {into}"));
            }
        }
        self.msgs = msgs;
        self.materialize_final_join();
    }

    /// When the last message is an assistant message joined to an earlier
    /// one, moves the blocks of that merge into its base, so that
    /// `phase_final_whitespace` sees the merged message as it is written.
    fn materialize_final_join(&mut self) {
        let Some(last) = self.msgs.last() else {
            return;
        };
        if !last.joined || last.role != Role::Assistant {
            return;
        }
        let Some(base) = self.msgs.iter().rposition(|m| !m.joined) else {
            return;
        };
        let joined = self.msgs.split_off(base + 1);
        let mut extra = Vec::new();
        for msg in joined {
            if let Some(src) = joined_text_block(&msg) {
                extra.push(Blk::new(Src::Owned(src), Origin::Content(msg.origin)));
            }
            if let Content::Blocks(list) = msg.content {
                extra.extend(list);
            }
        }
        if let Content::Blocks(list) = &mut self.msgs[base].content {
            list.extend(extra);
        }
    }

    // ---- phase 5: trailing whitespace of a final assistant message ----------

    pub(crate) fn phase_final_whitespace(&mut self) {
        let Some(mi) = self.msgs.len().checked_sub(1) else {
            return;
        };
        if self.msgs[mi].role != Role::Assistant {
            return;
        }
        let origin = self.msgs[mi].origin;
        if let Content::Str | Content::Text(..) = self.msgs[mi].content {
            let text = self.msgs[mi].str_text().unwrap_or_default().into_owned();
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
                self.msgs[mi].content = Content::Text(trimmed.into());
                self.msgs[mi].touched = true;
                self.change(&FINAL_TRAILING_WHITESPACE, path, Trimmed, detail);
            }
            return;
        }
        loop {
            // Read what is needed, then let go of the borrow before reporting.
            let (at, text, cc) = {
                let Content::Blocks(list) = &self.msgs[mi].content else {
                    return;
                };
                let Some(last) = list.last() else { return };
                if last.ty() != "text" {
                    return;
                }
                let j = last.view();
                let Some(text) = j.get_str("text") else {
                    return;
                };
                if text.trim_end().len() == text.len() {
                    return;
                }
                let cc = j.get_some("cache_control").map(|c| c.text().to_string());
                (last.at(), text.into_owned(), cc)
            };
            let trimmed_len = text.trim_end().len();
            let path = format!("{}/text", self.at_ptr(at));
            self.report(
                &FINAL_TRAILING_WHITESPACE,
                path.clone(),
                FINAL_TRAILING_WHITESPACE.message.into(),
            );
            if !self.fixing(&FINAL_TRAILING_WHITESPACE) {
                return;
            }
            let detail = format!("trailing {} trimmed", escape(&text[trimmed_len..]));
            self.msgs[mi].touched = true;
            if trimmed_len == 0 {
                let block_path = self.at_ptr(at);
                self.change(
                    &FINAL_TRAILING_WHITESPACE,
                    block_path,
                    Removed,
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
            if let Content::Blocks(list) = &mut self.msgs[mi].content {
                if let Some(last) = list.last_mut() {
                    set_field(last, "text", escape(&text[..trimmed_len]));
                }
            }
            self.change(&FINAL_TRAILING_WHITESPACE, path, Trimmed, detail);
            return;
        }
    }

    /// Moves a removed last block's cache_control (JSON text `cc`) to the new
    /// last block.
    fn carry_cache_control(&mut self, mi: usize, from: Origin, cc: String) {
        let path = format!("{}/cache_control", self.at_ptr(from));
        let shown = super::json::Raw::whole(&cc).compact();
        let target = match &self.msgs[mi].content {
            Content::Blocks(list) => list
                .last()
                .filter(|b| can_take_cache_control(b.view()))
                .map(|b| b.at()),
            _ => None,
        };
        let Some(to) = target else {
            self.change(
                &CACHE_CONTROL_ON_EMPTY,
                path,
                Removed,
                format!("{shown} dropped with its block: no earlier block can take it"),
            );
            return;
        };
        if let Content::Blocks(list) = &mut self.msgs[mi].content {
            if let Some(last) = list.last_mut() {
                let mut edit = ObjEdit::default();
                edit.set("cache_control", cc);
                last.set_src(Src::Owned(edit.apply(last.view()).into()));
            }
        }
        let to = self.at_ptr(to);
        self.change(
            &CACHE_CONTROL_ON_EMPTY,
            path,
            Moved,
            format!("{shown} moved to {to}"),
        );
    }
}

/// The text block that the string content of a joined message becomes
/// (none for an empty string).
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
pub(crate) fn joined_text_block(msg: &Msg<'_>) -> Option<Box<str>> {
    msg.str_text()
        .filter(|t| !t.is_empty())
        .map(|t| text_block(&[&t]))
}

pub(crate) fn holds_thinking(msg: &Msg<'_>) -> bool {
    match &msg.content {
        Content::Blocks(list) => list.iter().any(|b| is_thinking(&b.ty())),
        _ => false,
    }
}
