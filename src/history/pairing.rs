//! Phase 3, tool_use / tool_result pairing per user turn: `orphan-tool-result`,
//! `tool-result-first`, `missing-tool-result`. Linear: ids go through sets,
//! block lists are rebuilt once per turn.

use super::json::{blank_of, escape, Blank, Kind, ObjEdit, Raw};
use super::model::{
    retain_unmarked, Blk, Content, Msg, Origin, Role, Run, Src, BLOCK_COST, CACHE_CONTROL, CONTENT,
    CONVERTED_BLOCK_COST, ID, IS_ERROR, MAX_REPORTED, TOOL_USE_ID,
};
use super::rules::*;
use super::turns::text_block;
use super::ChangeAction::{Converted, Inserted, Moved, Removed};
use super::{Change, Violation};
use crate::hash::Map;
use std::borrow::Cow;
use std::collections::hash_map::Entry;

/// A tool_result block of a turn: its message, its position there, and its
/// `tool_use_id` (`None` when it has none).
struct TurnResult<'b> {
    mi: usize,
    bi: usize,
    id: Option<Cow<'b, str>>,
}

/// The tool_result blocks of a turn (only they are kept: a turn of a million
/// other blocks needs no list).
struct TurnResults<'b> {
    results: Vec<TurnResult<'b>>,
    /// How many blocks the turn starts with that are tool_results (the first
    /// `lead` of `results`).
    lead: usize,
    /// Message and position of the last of them.
    lead_end: Option<(usize, usize)>,
}

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_pairing(&mut self) {
        let turns = self.turns();
        // NOTE: back to front: fixing a turn may empty messages of that turn,
        // which are removed at the end (their positions stay valid meanwhile).
        let mut groups: Vec<(Vec<Change>, Vec<Violation>)> = Vec::new();
        let mut emptied = Vec::new();
        for t in (0..turns.len()).rev() {
            let (c0, v0) = (self.changes.len(), self.violations.len());
            let (start, end) = turns[t];
            if self.msgs[start].role != Role::User {
                continue;
            }
            // NOTE: a system message between the assistant turn and the user
            // turn that answers it is misplaced (rule system-message-placement),
            // not a reason to break the pairing around it: the walk goes back
            // over it (each system turn is passed by one user turn: linear).
            let prev = (0..t)
                .rev()
                .find(|&p| self.msgs[turns[p].0].role != Role::System);
            let expected = match prev.map(|p| turns[p]) {
                Some(prev) if self.msgs[prev.0].role == Role::Assistant => self.tool_use_ids(prev),
                _ => Expected::default(),
            };
            let assistant_at = prev.map(|p| turns[p].0);
            self.pair_turn(start, end, &expected, assistant_at, &mut emptied);
            let changes = self.changes.split_off(c0);
            let violations = self.violations.split_off(v0);
            groups.push((changes, violations));
        }
        // Reports in document order.
        for (changes, violations) in groups.into_iter().rev() {
            self.changes.extend(changes);
            self.violations.extend(violations);
        }
        retain_unmarked(&mut self.msgs, &emptied);
    }

    /// The ids of the tool_use blocks of the messages in `range`, in order,
    /// each once, with where the first one is.
    fn tool_use_ids(&self, range: (usize, usize)) -> Expected<'b> {
        let msgs = &self.msgs[range.0..range.1];
        // NOTE: sized once (block types are at hand): a turn of a million
        // calls never holds a list or a table beside its doubled copy.
        let n = count_blocks(msgs, "tool_use");
        let mut expected = Expected {
            ids: Vec::with_capacity(n),
            index: Map::with_capacity_and_hasher(n, Default::default()),
        };
        for msg in msgs {
            let Content::Blocks(blocks) = &msg.content else {
                continue;
            };
            for blk in blocks {
                if blk.ty() == "tool_use" {
                    if let Some(id) = blk.get_str(ID) {
                        // NOTE: a borrowed id is cloned for the table without a copy.
                        let k = expected.ids.len();
                        if let Entry::Vacant(slot) = expected.index.entry(id.clone()) {
                            slot.insert(k);
                            expected.ids.push((id, blk.at()));
                        }
                    }
                }
            }
        }
        expected
    }

    /// The tool_result blocks of the turn `start..end`, in merged order.
    fn turn_results(&self, start: usize, end: usize) -> TurnResults<'b> {
        let mut turn = TurnResults {
            results: Vec::with_capacity(count_blocks(&self.msgs[start..end], "tool_result")),
            lead: 0,
            lead_end: None,
        };
        let mut leading = true;
        for mi in start..end {
            match &self.msgs[mi].content {
                Content::Blocks(blocks) => {
                    for (bi, blk) in blocks.iter().enumerate() {
                        if blk.ty() != "tool_result" {
                            leading = false;
                            continue;
                        }
                        let id = blk.get_str(TOOL_USE_ID);
                        turn.results.push(TurnResult { mi, bi, id });
                        if leading {
                            turn.lead += 1;
                            turn.lead_end = Some((mi, bi));
                        }
                    }
                }
                Content::Str | Content::Text(..) => leading = false,
                Content::Opaque => {}
            }
        }
        turn
    }

    fn pair_turn(
        &mut self,
        start: usize,
        end: usize,
        expected: &Expected<'b>,
        assistant_at: Option<usize>,
        emptied: &mut Vec<usize>,
    ) {
        let turn = self.turn_results(start, end);
        // Each expected id (unique) with its position, and whether a result matched it.
        let (expected_ids, expected) = (&expected.index, &expected.ids[..]);
        let mut matched = vec![false; expected.len()];
        let mut orphans = Vec::new();
        // `(index in turn.results, message, block)`.
        let mut matched_at = Vec::with_capacity(turn.results.len().min(expected.len()));
        for (pos, r) in turn.results.iter().enumerate() {
            match r.id.as_deref().and_then(|id| expected_ids.get(id)) {
                Some(&k) if !matched[k] => {
                    matched[k] = true;
                    matched_at.push((pos, r.mi, r.bi));
                }
                // NOTE: by position in the turn's list (not a copy of its place and id).
                _ => orphans.push(pos),
            }
        }
        let lead = turn.lead;
        let missing: Vec<&(Cow<'b, str>, Origin)> = expected
            .iter()
            .zip(&matched)
            .filter(|(_, &m)| !m)
            .map(|(e, _)| e)
            .collect();

        // Report (validate): on the body as sent.
        if self.validating() {
            for (mi, bi, id) in orphan_entries(&turn, &orphans) {
                self.report_with(&ORPHAN_TOOL_RESULT, |run| {
                    let (um, ub) = run.up(mi, bi);
                    let message = render(
                        ORPHAN_TOOL_RESULT.message,
                        &[("m", &um), ("b", &ub), ("id", id)],
                    );
                    (run.at_ptr(run.block_at(mi, bi)), message)
                });
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
                // NOTE: joined in place (no list of the ids beside the text).
                let mut ids = String::new();
                for (k, (id, _)) in missing.iter().enumerate() {
                    if k > 0 {
                        ids.push_str(", ");
                    }
                    ids.push_str(id);
                }
                let (um, _) = self.up(a, 0);
                self.report(
                    &MISSING_TOOL_RESULT,
                    self.at_ptr(first.1),
                    render(MISSING_TOOL_RESULT.message, &[("m", &um), ("ids", &ids)]),
                );
            }
            return;
        }

        // Fix (normalize).
        let converting = self.fixing(&ORPHAN_TOOL_RESULT) && !orphans.is_empty();
        if converting {
            self.convert_orphans(orphan_entries(&turn, &orphans));
        }
        let fix_first = self.fixing(&TOOL_RESULT_FIRST);
        let fix_missing = self.fixing(&MISSING_TOOL_RESULT) && !missing.is_empty();
        if !fix_first && !fix_missing {
            return;
        }
        // NOTE: checked before any block moves: the tool_results to insert
        // are kept to the end of the run.
        let inserted_bytes = missing
            .iter()
            .map(|(id, _)| INSERTED_RESULT_COST + id.len());
        if fix_missing && !self.spend(inserted_bytes.sum()) {
            return;
        }
        // Recomputed after an orphan conversion (the lists changed): which
        // matched results sit after the leading run of tool_result blocks.
        let turn = if converting {
            drop(turn);
            self.turn_results(start, end)
        } else {
            turn
        };
        let late: Vec<(usize, usize)> = turn.results[turn.lead..]
            .iter()
            .filter(|r| {
                let k = r.id.as_deref().and_then(|i| expected_ids.get(i));
                k.is_some_and(|&k| matched[k])
            })
            .map(|r| (r.mi, r.bi))
            .collect();
        // Where the leading run ends: (message, index after its last block).
        let (ins_mi, ins_bi) = match turn.lead_end {
            Some((mi, bi)) => (mi, bi + 1),
            None => (start, 0),
        };
        drop(turn);
        // NOTE: a message whose `content` is absent or neither a string nor an
        // array cannot take blocks (and the upstream refuses it with a schema
        // error no rule fixes): leave the turn's pairing as it is, rather than
        // report an insertion that cannot be written or move blocks into it
        // (they would vanish from the output).
        if matches!(self.msgs[ins_mi].content, Content::Opaque) {
            return;
        }
        let move_late = fix_first && !late.is_empty();
        if move_late || fix_missing {
            let rule = if move_late {
                &TOOL_RESULT_FIRST
            } else {
                &MISSING_TOOL_RESULT
            };
            self.ensure_blocks(ins_mi, rule);
        }
        let mut moved: Vec<Blk<'b>> = Vec::with_capacity(if move_late { late.len() } else { 0 });
        if move_late {
            // One pass per message: take the late blocks out, in order.
            let mut by_msg: Vec<(usize, Vec<usize>)> = Vec::new();
            for &(mi, bi) in &late {
                match by_msg.last_mut() {
                    Some((m, list)) if *m == mi => list.push(bi),
                    _ => by_msg.push((mi, vec![bi])),
                }
            }
            for (mi, positions) in by_msg {
                let Content::Blocks(list) = &mut self.msgs[mi].content else {
                    continue;
                };
                let mut taken = vec![false; list.len()];
                for &bi in &positions {
                    taken[bi] = true;
                }
                let old = std::mem::take(list);
                for (blk, take) in old.into_iter().zip(taken) {
                    if take {
                        moved.push(blk);
                    } else {
                        list.push(blk);
                    }
                }
                self.msgs[mi].touched = true;
            }
            let to = self.msg_ptr(self.msgs[ins_mi].origin);
            for blk in &moved {
                self.change_with(&TOOL_RESULT_FIRST, Moved, |run| {
                    let detail = format!("tool_result moved to the start of the user message {to}");
                    (run.at_ptr(blk.at()), detail)
                });
            }
        }
        let inserts = if fix_missing { missing.len() } else { 0 };
        if moved.is_empty() && inserts == 0 {
            return;
        }
        let Content::Blocks(list) = &mut self.msgs[ins_mi].content else {
            return;
        };
        // NOTE: grown once to its size, not doubled (a turn can gain hundreds
        // of thousands of blocks). The new blocks go at its end, then turn into
        // place: no list of them is held beside it.
        let mut list = std::mem::take(list);
        let at = ins_bi.min(list.len());
        let tail = list.len() - at;
        let first_new = ins_bi + moved.len();
        list.reserve_exact(moved.len() + inserts);
        list.extend(moved);
        if fix_missing {
            let origin = self.msgs[ins_mi].origin;
            for (k, (id, _)) in missing.iter().enumerate() {
                let id = self.out_id(id).into_owned();
                let new_at = Origin::New(origin, first_new + k);
                self.change_with(&MISSING_TOOL_RESULT, Inserted, |run| {
                    let detail =
                        format!("tool_result with is_error: true for the unanswered tool_use {id}");
                    (run.at_ptr(new_at), detail)
                });
                let text = format!(
                    "{{\"type\":\"tool_result\",\"tool_use_id\":{},\"content\":\"No result was recorded for this tool call (it was interrupted).\",\"is_error\":true}}",
                    escape(&id)
                );
                list.push(Blk::new(Src::Owned(text.into()), new_at));
            }
        }
        list[at..].rotate_left(tail);
        self.msgs[ins_mi].content = Content::Blocks(list);
        self.msgs[ins_mi].touched = true;
        // Later messages of the turn may be left empty by the moves.
        let newly: Vec<usize> = (start + 1..end)
            .filter(|&i| self.msgs[i].is_empty_content())
            .collect();
        self.report_empty(&newly);
        if self.fixing(&EMPTY_MESSAGE) {
            emptied.extend(newly);
        }
    }

    /// Turns each orphan tool_result `(message, block, id)` into text that
    /// keeps its content; every message rebuilt once.
    fn convert_orphans<'i>(&mut self, orphans: impl Iterator<Item = (usize, usize, &'i str)>) {
        // Per message: each orphan's block and the id the output gives it.
        let mut by_msg: Vec<(usize, Vec<(usize, OutId<'_>)>)> = Vec::new();
        for (mi, bi, id) in orphans {
            let id = self.out_id(id);
            match by_msg.last_mut() {
                Some((m, list)) if *m == mi => list.push((bi, id)),
                _ => by_msg.push((mi, vec![(bi, id)])),
            }
        }
        for (mi, list) in by_msg {
            let Content::Blocks(blocks) = &self.msgs[mi].content else {
                continue;
            };
            // What the conversion can make (a header and one block per content
            // item; fewer when blank items go), and what the new blocks keep:
            // each its block and text wrapper, at most the orphan's own text
            // copied in, and the orphan's entry.
            let (most, copied) = list.iter().fold((0usize, 0usize), |(n, bytes), (bi, _)| {
                let view = blocks[*bi].view();
                let content = blocks[*bi].find(view, CONTENT);
                let items = 1 + content.map_or(0, |c| c.items().count());
                (n + items, bytes + view.text().len() + ORPHAN_COST)
            });
            if !self.spend(
                most.saturating_mul(CONVERTED_BLOCK_COST)
                    .saturating_add(copied),
            ) {
                return;
            }
            let Content::Blocks(blocks) = &mut self.msgs[mi].content else {
                continue;
            };
            // NOTE: sized once: grown by doubling beside the old list, it held
            // up to seven times the old list's size at once.
            let old = std::mem::take(blocks);
            blocks.reserve_exact(old.len() - list.len() + most);
            let mut reports = Vec::new();
            let mut next = list.iter().peekable();
            for (bi, blk) in old.into_iter().enumerate() {
                match next.peek() {
                    Some((at_bi, id)) if *at_bi == bi => {
                        next.next();
                        let new = orphan_to_text(&blk, id);
                        // NOTE: only what the report can still list is kept.
                        let room = MAX_REPORTED.saturating_sub(self.changes.len());
                        reports.push((
                            blk.at(),
                            (reports.len() < room).then(|| id.to_string()),
                            new.len(),
                        ));
                        blocks.extend(
                            new.into_iter()
                                .map(|text| Blk::new(Src::Owned(text), blk.at())),
                        );
                    }
                    _ => blocks.push(blk),
                }
            }
            self.msgs[mi].touched = true;
            for (at, id, n) in reports {
                self.change_with(&ORPHAN_TOOL_RESULT, Converted, |run| {
                    let id = id.unwrap_or_default();
                    (run.at_ptr(at), format!("tool_result for {id} has no tool_use in the previous assistant message; its content kept as {n} text/content block(s)"))
                });
            }
        }
    }

    /// Reports the messages at `positions` as empty (and records their removal
    /// when fixing); the caller removes them.
    pub(crate) fn report_empty(&mut self, positions: &[usize]) {
        for &pos in positions {
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
                    Role::System => "system",
                    Role::Other => "other-role",
                };
                self.change(
                    &EMPTY_MESSAGE,
                    path,
                    Removed,
                    format!("{role} message with empty content"),
                );
            }
        }
    }

    fn block_at(&self, mi: usize, bi: usize) -> Origin {
        self.block(mi, bi)
            .map_or(Origin::Content(self.msgs[mi].origin), Blk::at)
    }
}

/// A JSON value as readable text that keeps every string verbatim: one
/// `key: value` line per scalar, nested values indented under their key.
fn plain_text(value: Raw<'_>) -> String {
    fn walk(value: Raw<'_>, key: Option<&str>, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let label = key.map(|k| format!("{k}: ")).unwrap_or_default();
        match value.kind() {
            Kind::Str => {
                let s = value.str().unwrap_or_default();
                out.push_str(&format!("{pad}{label}{s}\n"));
            }
            Kind::Obj | Kind::Arr => {
                if key.is_some() {
                    out.push_str(&format!("{pad}{label}\n"));
                }
                let inner = depth + usize::from(key.is_some());
                if value.kind() == Kind::Obj {
                    for (k, v) in value.entries() {
                        walk(v, Some(&k.str().unwrap_or_default()), inner, out);
                    }
                } else {
                    for v in value.items() {
                        walk(v, None, inner, out);
                    }
                }
            }
            _ => out.push_str(&format!("{pad}{label}{}\n", value.text())),
        }
    }
    let mut out = String::new();
    walk(value, None, 0, &mut out);
    out.trim_end().to_string()
}

/// A tool call id as the output writes it (see `Run::out_id`).
type OutId<'i> = Cow<'i, str>;

/// How many blocks of type `ty` the messages hold.
fn count_blocks(msgs: &[Msg<'_>], ty: &str) -> usize {
    msgs.iter()
        .map(|msg| match &msg.content {
            Content::Blocks(blocks) => blocks.iter().filter(|b| b.ty() == ty).count(),
            _ => 0,
        })
        .sum()
}

/// The orphan results at `positions` of `turn`: `(message, block, id)`.
fn orphan_entries<'t, 'b>(
    turn: &'t TurnResults<'b>,
    positions: &'t [usize],
) -> impl Iterator<Item = (usize, usize, &'t str)> + 't {
    positions.iter().map(|&pos| {
        let r = &turn.results[pos];
        (r.mi, r.bi, r.id.as_deref().unwrap_or("null"))
    })
}

/// The tool calls a user turn answers: their ids in order (each once) with
/// where the first one is, and each id's index in that list.
// NOTE: one table, both the ids seen and the lookup of a result's id.
#[derive(Default)]
struct Expected<'b> {
    ids: Vec<(Cow<'b, str>, Origin)>,
    index: Map<Cow<'b, str>, usize>,
}

/// What converting an orphan holds besides its blocks: its place and id in
/// the message's list, its report.
const ORPHAN_COST: usize = 48;

/// What an inserted tool_result keeps besides its id: its block and its text
/// (~140 B besides the id, see `pair_turn`).
const INSERTED_RESULT_COST: usize = BLOCK_COST + 148;

/// What an orphan tool_result becomes: text (and content blocks) that keeps
/// its whole content.
fn orphan_to_text(blk: &Blk<'_>, id: &str) -> Vec<Box<str>> {
    let j = blk.view();
    let is_error = blk.find(j, IS_ERROR).is_some_and(|e| e.text() == "true");
    let some = |key| blk.find(j, key).filter(|v| v.kind() != Kind::Null);
    let head = if is_error {
        "Tool error ("
    } else {
        "Tool result ("
    };
    // NOTE: the text is written in parts (no header formatted, then copied).
    let header = |rest: &[&str]| text_block(&[&[head, id, "):"], rest].concat());
    let mut out: Vec<Box<str>> = match some(CONTENT) {
        Some(c) if c.kind() == Kind::Str => {
            let s = c.str().unwrap_or_default();
            if blank_of(&s) == Blank::Text {
                vec![header(&["\n", &s])]
            } else {
                vec![header(&[" (empty)"])]
            }
        }
        Some(c) if c.kind() == Kind::Arr => {
            let mut v = vec![header(&[])];
            for item in c.items() {
                // NOTE: only blocks a user message may hold move out as they
                // are; anything else (a nested tool_result, say) becomes text,
                // and blank text goes, so that no other rule fires on the
                // result (fuzz regression normalizer-1ac49a35).
                match item.get_str("type").as_deref() {
                    Some("text") => {
                        let text = item.get_str("text");
                        if text.is_some_and(|t| blank_of(&t) == Blank::Text) {
                            v.push(item.text().into());
                        }
                    }
                    Some("image" | "document" | "search_result") => v.push(item.text().into()),
                    _ => {
                        let text = plain_text(item);
                        if blank_of(&text) == Blank::Text {
                            v.push(text_block(&[&text]));
                        }
                    }
                }
            }
            v
        }
        Some(c) => vec![header(&["\n", c.text()])],
        None => vec![header(&[" (empty)"])],
    };
    if let (Some(cc), Some(last)) = (some(CACHE_CONTROL), out.last_mut()) {
        let mut edit = ObjEdit::default();
        edit.set("cache_control", cc.text().to_string());
        *last = edit.apply(Raw::whole(last)).into();
    }
    out
}
