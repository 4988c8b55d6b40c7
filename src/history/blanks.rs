//! Blank text blocks: `empty-text`, `whitespace-text`, `cache-control-on-empty`
//! and `thinking-position` (a blank block before a thinking block gets the
//! placeholder instead of being removed), for a message's content, a
//! tool_result's content and the system prompt alike.

use super::json::{escape, Blank, Kind, ObjEdit, Raw};
use super::model::{retain_unmarked, Blk, Origin, Role, Run, Src};
use super::rules::{self, *};
use super::Profile;
use crate::is_thinking;

/// A text block's emptiness: `None` for anything that is not a blank text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlankText {
    Missing,
    Null,
    Empty,
    Whitespace,
}

pub(crate) fn blank_text(j: Raw<'_>) -> Option<BlankText> {
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
pub(crate) struct BlankPlan {
    /// `(index, why)` of the blocks to remove.
    pub(crate) remove: Vec<(usize, BlankText)>,
    /// `(index, why, thinking)`: blank blocks that stay, with the placeholder
    /// appended, because the thinking block at `thinking` comes after them.
    pub(crate) fill: Vec<(usize, BlankText, usize)>,
    /// `(from, to)`: cache_control of a removed block and the kept block that takes
    /// it (`None`: dropped).
    pub(crate) cache: Vec<(usize, Option<usize>)>,
}

/// Where the blank blocks of a list go. `pinned`: the list is an assistant
/// message's content, whose thinking blocks must not move.
pub(crate) fn plan_blanks(
    items: &[Raw<'_>],
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
            if is_thinking(&items[i].type_name()) {
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
        let target = prev_kept[i].filter(|&p| can_take_cache_control(items[p]) && !taken[p]);
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

/// Whether a block may take the cache_control of a removed one: its type has
/// the field, and it has none yet.
pub(crate) fn can_take_cache_control(j: Raw<'_>) -> bool {
    rules::block_fields(&j.type_name()).is_some_and(|f| f.contains(&"cache_control"))
        && j.get_some("cache_control").is_none()
}

/// The text of a blank block with the placeholder appended.
fn filled_text(j: Raw<'_>, placeholder: &str) -> String {
    let text = j.get_str("text").unwrap_or_default();
    format!("{text}{placeholder}")
}

/// What to apply to a block list after a blank plan was reported.
#[derive(Default)]
pub(crate) struct BlankEdits {
    /// Blocks to remove.
    pub(crate) removed: Vec<usize>,
    /// cache_control moves `(from, to)`.
    pub(crate) moves: Vec<(usize, Option<usize>)>,
    /// Blocks that get the placeholder appended.
    pub(crate) filled: Vec<usize>,
}

impl<'b> Run<'b, '_> {
    /// Reports a blank plan's violations and records its changes (when fixing).
    /// Returns what to apply (all empty when the rules are off). `up_block`
    /// gives the upstream coordinates of top-level blocks (validate); nested
    /// ones use `b_prefix` + index.
    pub(crate) fn apply_blank_plan_reports(
        &mut self,
        plan: &BlankPlan,
        items: &[Raw<'_>],
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
                    items[thinking].type_name(),
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
                let before = items[i].get("text").map_or_else(
                    || "no text".to_string(),
                    |t| format!("text {}", t.compact()),
                );
                let after = escape(&filled_text(items[i], self.placeholder()));
                let detail = format!(
                    "{before} became {after}: the {} block at {thinking_path} comes after it, and removing it would move that block",
                    items[thinking].type_name(),
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
    pub(crate) fn blank_message(&self, kind: BlankText, m: &str, b: &str) -> Option<String> {
        Some(match kind {
            BlankText::Missing => render(MSG_TEXT_MISSING, &[("m", m), ("b", b)]),
            BlankText::Null => render(MSG_TEXT_NOT_STRING, &[("m", m), ("b", b)]),
            BlankText::Empty => EMPTY_TEXT.message.to_string(),
            BlankText::Whitespace if self.profile.rejects_whitespace_text() => {
                render(MSG_BEDROCK_BLANK, &[("m", m), ("b", b)])
            }
            BlankText::Whitespace => return None,
        })
    }

    /// Reports `cache-control-on-empty` for a non-whitespace blank block that
    /// carries cache_control. `up`: its origin and message, for the upstream's
    /// (turn-merged) coordinates; else `input` coordinates are used.
    fn cache_on_empty(
        &mut self,
        j: Raw<'_>,
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

    /// The blank text blocks of message `mi` (its blocks taken out as `blocks`).
    pub(crate) fn blanks_in_message(&mut self, mi: usize, blocks: &mut Vec<Blk<'b>>) -> bool {
        let origin = self.msgs[mi].origin;
        let pinned = self.msgs[mi].role == Role::Assistant;
        let edits = {
            let items: Vec<Raw<'_>> = blocks.iter().map(Blk::view).collect();
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
        let placeholder = self.placeholder();
        for &i in &edits.filled {
            let j = blocks[i].view();
            let mut edit = ObjEdit::default();
            edit.set("text", escape(&filled_text(j, placeholder)));
            let text = edit.apply(j);
            blocks[i].src = Src::Owned(text.into());
        }
        for (from, to) in edits.moves {
            let cc = blocks[from]
                .view()
                .get("cache_control")
                .map(|c| c.text().to_string());
            if let (Some(cc), Some(to)) = (cc, to) {
                set_field(&mut blocks[to], "cache_control", cc);
            }
        }
        retain_unmarked(blocks, &edits.removed);
        true
    }
}

/// Sets one field of a block (an object) to `json`.
pub(crate) fn set_field(blk: &mut Blk<'_>, key: &str, json: String) {
    let mut edit = ObjEdit::default();
    edit.set(key, json);
    let text = edit.apply(blk.view());
    blk.src = Src::Owned(text.into());
}
