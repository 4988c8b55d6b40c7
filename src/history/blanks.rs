//! Blank text blocks: `empty-text`, `whitespace-text`, `cache-control-on-empty`
//! and `thinking-position` (a blank block before a thinking block gets the
//! placeholder instead of being removed), for a message's content, a
//! tool_result's content and the system prompt alike.

use super::json::{escape, Blank, Kind, ObjEdit, Raw};
use super::model::{retain_unmarked, Blk, Origin, Role, Run, Src, CACHE_CONTROL};
use super::rules::{self, *};
use super::ChangeAction::{Moved, Removed, Replaced};
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

/// What the blank planning needs to know of a block, read in one scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockScan {
    /// `Some` for a blank text block.
    pub(crate) blank: Option<BlankText>,
    /// A thinking or redacted_thinking block.
    pub(crate) thinking: bool,
    /// It has a cache_control (not `null`).
    pub(crate) cache_control: bool,
    /// Its type has a cache_control field.
    pub(crate) takes_cache_control: bool,
}

/// Reads the fields of block `j` that the blank rules look at, in one pass
/// (with duplicate keys the last one counts, as everywhere).
pub(crate) fn scan_block(j: Raw<'_>) -> BlockScan {
    let (mut ty, mut text, mut cc) = (None, None, None);
    for (k, v) in j.entries() {
        if k.str_eq("type") {
            ty = Some(v);
        } else if k.str_eq("text") {
            text = Some(v);
        } else if k.str_eq("cache_control") {
            cc = Some(v);
        }
    }
    let ty = ty.and_then(Raw::str).unwrap_or_default();
    scan_fields(&ty, text, cc)
}

/// [`scan_block`] of a message's block. NOTE: the block's type and field
/// bits answer it without a scan of the fields, unless it is a text block
/// (its text is read) or has a cache_control.
fn scan_message_block(blk: &Blk<'_>) -> BlockScan {
    let ty = blk.ty();
    if ty == "text" || blk.may_have(CACHE_CONTROL) {
        return scan_block(blk.view());
    }
    scan_fields(&ty, None, None)
}

/// The scan of a block of type `ty` from its `text` and `cache_control` fields.
fn scan_fields(ty: &str, text: Option<Raw<'_>>, cc: Option<Raw<'_>>) -> BlockScan {
    let blank = (ty == "text")
        .then(|| match text {
            None => Some(BlankText::Missing),
            Some(t) if t.kind() == Kind::Null => Some(BlankText::Null),
            Some(t) => match t.blank()? {
                Blank::Empty => Some(BlankText::Empty),
                Blank::Whitespace => Some(BlankText::Whitespace),
                Blank::Text => None,
            },
        })
        .flatten();
    BlockScan {
        blank,
        thinking: is_thinking(ty),
        cache_control: cc.is_some_and(|c| c.kind() != Kind::Null),
        takes_cache_control: rules::block_fields(ty).is_some_and(|f| f.contains(&"cache_control")),
    }
}

/// The plan for the blank text blocks of one block list.
pub(crate) struct BlankPlan {
    /// `(index, why)` of the blocks to remove.
    pub(crate) remove: Vec<(u32, BlankText)>,
    /// `(index, why, thinking)`: blank blocks that stay, with the placeholder
    /// appended, because the thinking block at `thinking` comes after them.
    pub(crate) fill: Vec<(u32, BlankText, u32)>,
    /// `(from, to)`: cache_control of a removed block and the kept block that takes
    /// it (`None`: dropped).
    pub(crate) cache: Vec<(u32, Option<u32>)>,
}

impl BlankPlan {
    /// Nothing to remove, fill or move.
    pub(crate) fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.fill.is_empty() && self.cache.is_empty()
    }
}

/// Where the blank blocks of a list go. `pinned`: the list is an assistant
/// message's content, whose thinking blocks must not move.
pub(crate) fn plan_blanks(
    scans: &[BlockScan],
    profile: Profile,
    always_whitespace: bool,
    pinned: bool,
) -> BlankPlan {
    let blanks = scans.iter().filter(|s| s.blank.is_some()).count();
    let only_blanks = blanks == scans.len();
    // NOTE: sized exactly: a crafted list can be millions of blank blocks.
    let mut remove = Vec::with_capacity(blanks);
    let mut fill = Vec::new();
    // NOTE: from the end, so "the first thinking block after it" is known at
    // each block with no rescan (linear in the list).
    let mut next_thinking = None;
    for (i, scan) in scans.iter().enumerate().rev() {
        let i = i as u32;
        if let Some(k) = scan.blank {
            if let (true, Some(t)) = (pinned, next_thinking) {
                fill.push((i, k, t));
            } else {
                // NOTE: anthropic accepts a whitespace-only text next to other
                // content (a real accepted request has "\n\n" before a tool_use);
                // it rejects one only when the message holds nothing else.
                let drop = k != BlankText::Whitespace
                    || always_whitespace
                    || profile.rejects_whitespace_text()
                    || only_blanks;
                if drop {
                    remove.push((i, k));
                }
            }
        }
        if scan.thinking {
            next_thinking = Some(i);
        }
    }
    remove.reverse();
    fill.reverse();
    let mut cache = Vec::new();
    if remove.iter().any(|&(i, _)| scans[i as usize].cache_control) {
        let mut removed = vec![false; scans.len()];
        for &(i, _) in &remove {
            removed[i as usize] = true;
        }
        let mut taken = vec![false; scans.len()];
        // The nearest kept block before each removed one, walking forward.
        let mut last_kept = None;
        for (i, scan) in scans.iter().enumerate() {
            if !removed[i] {
                last_kept = Some(i);
                continue;
            }
            if !scan.cache_control {
                continue;
            }
            let target = last_kept
                .filter(|&p| scans[p].takes_cache_control && !scans[p].cache_control && !taken[p]);
            if let Some(t) = target {
                taken[t] = true;
            }
            cache.push((i as u32, target.map(|t| t as u32)));
        }
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
    let scan = scan_block(j);
    scan.takes_cache_control && !scan.cache_control
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
    pub(crate) removed: Vec<u32>,
    /// cache_control moves `(from, to)`.
    pub(crate) moves: Vec<(usize, Option<usize>)>,
    /// Blocks that get the placeholder appended.
    pub(crate) filled: Vec<usize>,
}

/// A block list the blank rules look at: a message's blocks (which know
/// where they came from), or the items of a nested list.
#[derive(Clone, Copy)]
pub(crate) enum Items<'l, 'x> {
    /// The blocks of message `mi`.
    Message(&'l [Blk<'x>], usize),
    /// A nested list (a tool_result's content, the system prompt).
    Nested(&'l [Raw<'x>]),
}

impl<'l> Items<'l, '_> {
    fn get(self, i: usize) -> Raw<'l> {
        match self {
            Items::Message(blocks, _) => blocks[i].view(),
            Items::Nested(items) => items[i],
        }
    }

    pub(crate) fn scans(self) -> Vec<BlockScan> {
        match self {
            Items::Message(blocks, _) => blocks.iter().map(scan_message_block).collect(),
            Items::Nested(items) => items.iter().map(|j| scan_block(*j)).collect(),
        }
    }
}

impl<'b> Run<'b, '_> {
    /// Reports a blank plan's violations and records its changes (when fixing).
    /// Returns what to apply (all empty when the rules are off). A message's
    /// blocks report the upstream's coordinates (validate); a nested list
    /// uses `m` and `b_prefix` + index, and `list_ptr` for paths.
    pub(crate) fn apply_blank_plan_reports(
        &mut self,
        plan: &BlankPlan,
        scans: &[BlockScan],
        items: Items<'_, '_>,
        list_ptr: &str,
        m: &str,
        b_prefix: &str,
    ) -> BlankEdits {
        let coords = |i: usize| match items {
            Items::Message(blocks, _) => Self::input_coords(blocks[i].at()),
            Items::Nested(_) => (m.to_string(), format!("{b_prefix}{i}")),
        };
        let path_of = |run: &Self, i: usize| match items {
            Items::Message(blocks, _) => run.at_ptr(blocks[i].at()),
            Items::Nested(_) => format!("{list_ptr}/{i}"),
        };
        let up = |i: usize| match items {
            Items::Message(blocks, mi) => Some((blocks[i].at(), mi)),
            Items::Nested(_) => None,
        };
        let mut edits = BlankEdits {
            removed: Vec::with_capacity(plan.remove.len()),
            ..BlankEdits::default()
        };
        for &(i, kind) in &plan.remove {
            let i = i as usize;
            let rule = if kind == BlankText::Whitespace {
                &WHITESPACE_TEXT
            } else {
                &EMPTY_TEXT
            };
            let cache = kind != BlankText::Whitespace && scans[i].cache_control;
            // NOTE: past the report's bound nothing is formatted, only counted
            // (a crafted body can hold millions of blank blocks).
            if self.report_full() {
                if self.validating() {
                    self.omit_violation(rule);
                    if cache {
                        self.omit_violation(&CACHE_CONTROL_ON_EMPTY);
                    }
                } else if self.fixing(rule) {
                    self.omit(rule);
                    edits.removed.push(i as u32);
                }
                continue;
            }
            let (bm, bb) = coords(i);
            let path = path_of(self, i);
            let message = self
                .blank_message(kind, &bm, &bb)
                .unwrap_or_else(|| WHITESPACE_TEXT.message.to_string());
            self.report(rule, path.clone(), message);
            if cache {
                self.cache_on_empty(&path, up(i), (&bm, &bb));
            }
            if self.fixing(rule) {
                let detail = match kind {
                    BlankText::Missing => "text block without a `text` field".to_string(),
                    BlankText::Null => "text block with `text: null`".to_string(),
                    BlankText::Empty => "empty text block".to_string(),
                    BlankText::Whitespace => format!(
                        "whitespace-only text block {}",
                        items
                            .get(i)
                            .get("text")
                            .map(|t| t.compact())
                            .unwrap_or_default()
                    ),
                };
                self.change(rule, path, Removed, detail);
                edits.removed.push(i as u32);
            }
        }
        for &(i, kind, thinking) in &plan.fill {
            let (i, thinking) = (i as usize, thinking as usize);
            let (bm, bb) = coords(i);
            let path = path_of(self, i);
            let thinking_path = path_of(self, thinking);
            let thinking_type = items.get(thinking).type_name();
            if let Some(message) = self.blank_message(kind, &bm, &bb) {
                let (tm, tb) = coords(thinking);
                let hint = format!(
                    "do not remove this block: that would move the {thinking_type} block at {thinking_path}, and the upstream answers \"{}\"; normalize() appends placeholder text instead",
                    render(MSG_THINKING_MOVED, &[("m", &tm), ("b", &tb)]),
                );
                self.report_hint(&THINKING_POSITION, path.clone(), message, Some(hint));
            }
            if kind != BlankText::Whitespace && scans[i].cache_control {
                self.cache_on_empty(&path, up(i), (&bm, &bb));
            }
            if self.fixing(&THINKING_POSITION) {
                let j = items.get(i);
                let before = j.get("text").map_or_else(
                    || "no text".to_string(),
                    |t| format!("text {}", t.compact()),
                );
                let after = escape(&filled_text(j, self.placeholder()));
                let detail = format!(
                    "{before} became {after}: the {thinking_type} block at {thinking_path} comes after it, and removing it would move that block",
                );
                self.change(&THINKING_POSITION, format!("{path}/text"), Replaced, detail);
                edits.filled.push(i);
            }
        }
        if plan.cache.is_empty() {
            return edits;
        }
        let mut removed = vec![false; scans.len()];
        for &i in &edits.removed {
            removed[i as usize] = true;
        }
        for &(from, to) in &plan.cache {
            let (from, to) = (from as usize, to.map(|t| t as usize));
            if !removed[from] {
                continue;
            }
            let path = format!("{}/cache_control", path_of(self, from));
            let value = items
                .get(from)
                .get("cache_control")
                .map(|c| c.compact())
                .unwrap_or_default();
            if self.fixing(&CACHE_CONTROL_ON_EMPTY) {
                match to {
                    Some(t) => {
                        let detail = format!("{value} moved to {}", path_of(self, t));
                        self.change(&CACHE_CONTROL_ON_EMPTY, path, Moved, detail);
                        edits.moves.push((from, Some(t)));
                    }
                    None => {
                        let detail = format!(
                            "{value} dropped: no earlier block of this message can take it"
                        );
                        self.change(&CACHE_CONTROL_ON_EMPTY, path, Removed, detail);
                    }
                }
            } else {
                // The block goes, and its cache_control with it: say so.
                self.change(
                    &CACHE_CONTROL_ON_EMPTY,
                    path,
                    Removed,
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

    /// Reports `cache-control-on-empty` for a blank block (not whitespace)
    /// that carries cache_control. `up`: its origin and message, for the
    /// upstream's (turn-merged) coordinates; else `input` coordinates are used.
    fn cache_on_empty(&mut self, path: &str, up: Option<(Origin, usize)>, input: (&str, &str)) {
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
        let items = Items::Message(blocks, mi);
        let scans = items.scans();
        let plan = plan_blanks(&scans, self.profile, false, pinned);
        if plan.remove.is_empty() && plan.fill.is_empty() {
            return false;
        }
        let edits =
            self.apply_blank_plan_reports(&plan, &scans, items, "", &origin.to_string(), "");
        drop(scans);
        if edits.removed.is_empty() && edits.filled.is_empty() {
            return false;
        }
        let placeholder = self.placeholder();
        for &i in &edits.filled {
            let j = blocks[i].view();
            let mut edit = ObjEdit::default();
            edit.set("text", escape(&filled_text(j, placeholder)));
            let text = edit.apply(j);
            blocks[i].set_src(Src::Owned(text.into()));
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
    blk.set_src(Src::Owned(text.into()));
}
