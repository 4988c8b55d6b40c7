//! Tool call ids the upstream's pattern refuses (`tool-use-id-pattern`):
//! ids from other providers (`call_…` with dots or colons, `functions.get:0`)
//! in a history moved to Claude. The fix rewrites each such id to one the
//! pattern takes and rewrites the `tool_use_id` of every tool_result that
//! answers it the same way, so the pairs stay pairs. Runs before the pairing
//! phase; two passes over the blocks, lookups through a set and a map.

use super::json::{escape, ObjEdit};
use super::model::{Content, Role, Run, Src, MAX_REPORTED};
use super::rules::*;
use super::ChangeAction;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Whether `id` matches `^[a-zA-Z0-9_-]+$`.
pub(crate) fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `id` with every character the pattern refuses replaced by `_`, or `toolu_`
/// for an empty id.
fn sanitized(id: &str) -> String {
    if id.is_empty() {
        return "toolu_".into();
    }
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_tool_ids(&mut self) {
        // Pass 1: the ids in use, and the refused ones of tool_use blocks.
        // NOTE: ids are borrowed from the body where they can be (no copy per block).
        let mut taken: HashSet<Cow<'b, str>> = HashSet::new();
        let mut refused: Vec<(usize, usize, Cow<'b, str>)> = Vec::new();
        for (mi, msg) in self.msgs.iter().enumerate() {
            let Content::Blocks(list) = &msg.content else {
                continue;
            };
            if msg.role == Role::System {
                continue;
            }
            for (bi, blk) in list.iter().enumerate() {
                if blk.ty() != "tool_use" {
                    continue;
                }
                let Some(id) = blk.get_str("id") else {
                    continue;
                };
                if id_ok(&id) {
                    taken.insert(id);
                } else {
                    refused.push((mi, bi, id));
                }
            }
        }
        if refused.is_empty() {
            return;
        }
        for (mi, bi, _) in &refused {
            if self.report_full() {
                self.omit_violation(&TOOL_USE_ID_PATTERN);
                continue;
            }
            let at = match &self.msgs[*mi].content {
                Content::Blocks(list) => list[*bi].at(),
                _ => continue,
            };
            let (m, b) = Self::input_coords(at);
            let path = format!("{}/id", self.at_ptr(at));
            let message = render(
                TOOL_USE_ID_PATTERN.message,
                &[("m", &m), ("b", &b), ("type", "tool_use")],
            );
            self.report(&TOOL_USE_ID_PATTERN, path, message);
        }
        if !self.fixing(&TOOL_USE_ID_PATTERN) {
            return;
        }
        // New ids: the refused characters replaced, a numeric suffix where
        // that collides with an id in use (each refused id maps to one new id).
        let mut map: HashMap<Cow<'b, str>, String> = HashMap::new();
        for (_, _, id) in &refused {
            if map.contains_key(id) {
                continue;
            }
            let base = sanitized(id);
            let mut new = base.clone();
            let mut n = 2u64;
            while taken.contains(new.as_str()) {
                new = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(Cow::Owned(new.clone()));
            map.insert(id.clone(), new);
        }
        // Pass 2: the tool_use blocks and every tool_result that answers one.
        for mi in 0..self.msgs.len() {
            if self.msgs[mi].role == Role::System {
                continue;
            }
            // NOTE: only the changes the report can still list are kept
            // (a message of a million rewritten ids holds no million strings).
            let room = MAX_REPORTED.saturating_sub(self.changes.len());
            let mut reports = Vec::new();
            let mut omitted = 0usize;
            if let Content::Blocks(list) = &mut self.msgs[mi].content {
                for blk in list.iter_mut() {
                    let field = match blk.ty().as_ref() {
                        "tool_use" => "id",
                        "tool_result" => "tool_use_id",
                        _ => continue,
                    };
                    let j = blk.view();
                    let Some(old) = j.get_str(field) else {
                        continue;
                    };
                    let Some(new) = map.get(old.as_ref()) else {
                        continue;
                    };
                    let report = (reports.len() < room).then(|| (old.into_owned(), new.clone()));
                    let mut edit = ObjEdit::default();
                    edit.set(field, escape(new));
                    let text = edit.apply(j);
                    blk.set_src(Src::Owned(text.into()));
                    match report {
                        Some((old, new)) => reports.push((blk.at(), field, old, new)),
                        None => omitted += 1,
                    }
                }
            }
            if reports.is_empty() && omitted == 0 {
                continue;
            }
            self.msgs[mi].touched = true;
            for (at, field, old, new) in reports {
                if self.report_full() {
                    self.omit(&TOOL_USE_ID_PATTERN);
                    continue;
                }
                let detail = if field == "id" {
                    format!("id {} became {}: the upstream takes only ^[a-zA-Z0-9_-]+$; every tool_result that answers it is rewritten the same way", escape(&old), escape(&new))
                } else {
                    format!(
                        "tool_use_id {} became {}, as the id of its tool_use",
                        escape(&old),
                        escape(&new)
                    )
                };
                let path = format!("{}/{field}", self.at_ptr(at));
                self.change(&TOOL_USE_ID_PATTERN, path, ChangeAction::Replaced, detail);
            }
            for _ in 0..omitted {
                self.omit(&TOOL_USE_ID_PATTERN);
            }
        }
    }
}
