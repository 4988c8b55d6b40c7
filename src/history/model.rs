//! The request model both entry points share, and how a [`Run`] reports.
//!
//! A [`Run`] holds a light model of the conversation: messages → blocks, each
//! block either still its source text ([`Src::Raw`]) or new text an edit made
//! ([`Src::Owned`]), and each remembering where it came from in the input
//! ([`Origin`]). The phases (one module each: `fields`, `blanks`, `turns`,
//! `pairing`, `system`, and `checks` for the validator-only rules) detect
//! their defects on that model and, per defect, either report a [`Violation`]
//! ([`Mode::Validate`]: the model is never changed, so every phase sees the body
//! as sent) or apply the fix and record a [`Change`] ([`Mode::Normalize`]).
//! Detection is written once, so the validator and the normalizer cannot
//! disagree about what a rule means. `write` turns the model back into bytes.
//!
//! Every phase is linear in the size of the body: blocks are visited a constant
//! number of times, lists are rebuilt in one pass, lookups go through sets.

use super::json::{Kind, Raw};
use super::rules::{Rule, BLOCK_FIELDS};
use super::{Change, ChangeAction, NormalizeOptions, Profile, Violation};
use crate::error::HistoryError;
use crate::Placeholder;

/// What a run is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode<'o> {
    /// Report every violation of the body as sent; change nothing.
    Validate,
    /// Apply every enabled fix and report the changes.
    Normalize(&'o NormalizeOptions),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
    /// A mid-conversation system message (Claude Opus 4.8 and later): its own
    /// turn, never changed, merged or moved by any fix (see `roles`).
    System,
    /// Anything else: never merged, paired or reordered.
    Other,
}

impl Role {
    /// Whether consecutive messages of this role form one turn (user and
    /// assistant); any other role stands alone.
    pub(crate) fn alternates(self) -> bool {
        matches!(self, Role::User | Role::Assistant)
    }
}

/// A block: its source text, or the new text of an edited / new block.
pub(crate) enum Src<'b> {
    Raw(Raw<'b>),
    Owned(Box<str>),
}

impl Src<'_> {
    pub(crate) fn view(&self) -> Raw<'_> {
        match self {
            Src::Raw(r) => *r,
            Src::Owned(text) => Raw::whole(text),
        }
    }
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

pub(crate) struct Blk<'b> {
    src: Src<'b>,
    // NOTE: the block's `Origin`, packed so that its tag and `ty` share a
    // word: 28 bytes a block in wasm32, not 32 (a crafted body is millions of
    // blocks). Indices fit: a body is under 4 GiB.
    m: u32,
    b: u32,
    origin: OriginKind,
    /// The block's `type`: its index in [`BLOCK_FIELDS`], or [`OTHER_TYPE`].
    // NOTE: read once per block (and again per edit, see `set_src`): every
    // phase asks it, and reading it from the text costs a scan of the fields.
    ty: u8,
    /// Which fields the block has: a bit per name in [`KEYS`],
    /// [`OTHER_KEY`] for any other, and [`DUP_KEY`] if one of [`KEYS`] is
    /// there twice. Read in the same pass as `ty`.
    // NOTE: most lookups are of fields a block lacks (`cache_control`,
    // `citations`, `is_error`, …): the bits answer those without a scan of
    // the fields; and a field no other one repeats is found at its first
    // occurrence (no scan past it, over a tool_result's content say). The
    // two bytes were padding (still 28 bytes a block).
    keys: u16,
}

/// The field names [`Blk::keys`] tracks: those the phases look up per block
/// (`type` apart: it is [`Blk::ty`]).
const KEYS: [&str; 14] = [
    "id",
    "tool_use_id",
    "name",
    "input",
    "text",
    "content",
    "cache_control",
    "citations",
    "is_error",
    "signature",
    "thinking",
    "data",
    "source",
    "caller",
];

/// The bit of [`Blk::keys`] for a field [`KEYS`] does not name.
const OTHER_KEY: u16 = 1 << 15;

/// The bit of [`Blk::keys`] for a block that has one of [`KEYS`] twice.
const DUP_KEY: u16 = 1 << 14;

/// A field of [`KEYS`], for the lookups of [`Blk`]: its name and its bit of
/// [`Blk::keys`], both known at compile time.
#[derive(Clone, Copy)]
pub(crate) struct Key {
    pub(crate) name: &'static str,
    bit: u16,
}

impl Key {
    const fn new(name: &'static str) -> Key {
        let bit = key_bit(name);
        assert!(bit != OTHER_KEY, "a Key is one of KEYS");
        Key { name, bit }
    }
}

pub(crate) const ID: Key = Key::new("id");
pub(crate) const TOOL_USE_ID: Key = Key::new("tool_use_id");
pub(crate) const CONTENT: Key = Key::new("content");
pub(crate) const CACHE_CONTROL: Key = Key::new("cache_control");
pub(crate) const CITATIONS: Key = Key::new("citations");
pub(crate) const INPUT: Key = Key::new("input");
pub(crate) const IS_ERROR: Key = Key::new("is_error");

/// The bit of [`Blk::keys`] for a field name.
// NOTE: not inlined: its loop unrolled into each caller cost ~1.3 KB of wasm.
#[inline(never)]
const fn key_bit(key: &str) -> u16 {
    let mut i = 0;
    while i < KEYS.len() {
        if KEYS[i].len() == key.len() && same(KEYS[i], key) {
            return 1 << i;
        }
        i += 1;
    }
    OTHER_KEY
}

/// `a == b`, usable in a `const fn`.
#[inline(never)]
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Per type of [`BLOCK_FIELDS`], the [`Blk::keys`] bits of its fields
/// ([`OTHER_KEY`] never set: a field [`KEYS`] does not name is told by name).
const SCHEMA_KEYS: [u16; BLOCK_FIELDS.len()] = {
    let mut out = [0; BLOCK_FIELDS.len()];
    let mut t = 0;
    while t < BLOCK_FIELDS.len() {
        let fields = BLOCK_FIELDS[t].1;
        let mut i = 0;
        while i < fields.len() {
            out[t] |= key_bit(fields[i]);
            i += 1;
        }
        out[t] &= !OTHER_KEY;
        t += 1;
    }
    out
};

#[derive(Clone, Copy)]
enum OriginKind {
    Block,
    Content,
    New,
}

/// [`Blk::ty`] of a type [`BLOCK_FIELDS`] does not name (or no `type`).
const OTHER_TYPE: u8 = u8::MAX;

/// A block's [`Blk::ty`] and [`Blk::keys`], in one pass over its fields.
fn summary(j: Raw<'_>) -> (u8, u16) {
    let (mut ty, mut keys) = (None, 0);
    for (k, v) in j.entries() {
        let Some(k) = k.str() else { continue };
        if k == "type" {
            // The last duplicate wins, as in `Raw::get`.
            ty = Some(v);
            continue;
        }
        let bit = key_bit(&k);
        if bit != OTHER_KEY && keys & bit != 0 {
            keys |= DUP_KEY;
        }
        keys |= bit;
    }
    let ty = ty.and_then(Raw::str).unwrap_or_default();
    let ty = BLOCK_FIELDS
        .iter()
        .position(|(t, _)| *t == ty)
        .map_or(OTHER_TYPE, |i| i as u8);
    (ty, keys)
}

impl<'b> Blk<'b> {
    pub(crate) fn new(src: Src<'b>, at: Origin) -> Self {
        let (ty, keys) = summary(src.view());
        let (origin, m, b) = match at {
            Origin::Block(m, b) => (OriginKind::Block, m, b),
            Origin::Content(m) => (OriginKind::Content, m, 0),
            Origin::New(m, b) => (OriginKind::New, m, b),
        };
        Blk {
            src,
            m: m as u32,
            b: b as u32,
            origin,
            ty,
            keys,
        }
    }

    /// Where the block came from in the input.
    pub(crate) fn at(&self) -> Origin {
        let (m, b) = (self.m as usize, self.b as usize);
        match self.origin {
            OriginKind::Block => Origin::Block(m, b),
            OriginKind::Content => Origin::Content(m),
            OriginKind::New => Origin::New(m, b),
        }
    }

    /// Replaces the block's text (an edit).
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn set_src(&mut self, src: Src<'b>) {
        (self.ty, self.keys) = summary(src.view());
        self.src = src;
    }

    pub(crate) fn view(&self) -> Raw<'_> {
        self.src.view()
    }

    /// The block's `type` (`""` when it has none or not a string).
    // NOTE: left to inline: its callers compare it with constants, and out
    // of line it costs ~3% on the tool-id shape for 1.3 KB of wasm.
    pub(crate) fn ty(&self) -> std::borrow::Cow<'_, str> {
        match BLOCK_FIELDS.get(self.ty as usize) {
            Some((t, _)) => std::borrow::Cow::Borrowed(t),
            None => self.view().type_name(),
        }
    }

    /// The block as sent (`None` once edited), borrowed from the body.
    pub(crate) fn source(&self) -> Option<Raw<'b>> {
        match &self.src {
            Src::Raw(r) => Some(*r),
            Src::Owned(_) => None,
        }
    }

    /// Whether the block may have field `key` (`false`: it surely has not).
    pub(crate) fn may_have(&self, key: Key) -> bool {
        self.keys & key.bit != 0
    }

    /// Whether the block may have a field its type's schema does not list
    /// (`false`: surely not; `true` for a type of no known schema).
    pub(crate) fn may_have_extra_fields(&self) -> bool {
        SCHEMA_KEYS
            .get(self.ty as usize)
            .map_or(true, |schema| self.keys & !(schema | DUP_KEY) != 0)
    }

    /// Whether one of [`KEYS`] is in the block twice (`false`: surely not).
    pub(crate) fn repeats_a_key(&self) -> bool {
        self.keys & DUP_KEY != 0
    }

    /// A field of the block (the last duplicate wins, as in `Raw::get`).
    pub(crate) fn get(&self, key: Key) -> Option<Raw<'_>> {
        self.find(self.view(), key)
    }

    /// `j.get(key)` where `j` is the block's text: none if the bits say so,
    /// the first occurrence if none of [`KEYS`] repeats.
    pub(crate) fn find<'j>(&self, j: Raw<'j>, key: Key) -> Option<Raw<'j>> {
        if !self.may_have(key) {
            return None;
        }
        self.scan(j, key)
    }

    /// [`Blk::find`] past its bit test.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn scan<'j>(&self, j: Raw<'j>, key: Key) -> Option<Raw<'j>> {
        if self.repeats_a_key() {
            return j.get(key.name);
        }
        j.entries()
            .find(|(k, _)| k.str_eq(key.name))
            .map(|(_, v)| v)
    }

    /// A string field of the block, borrowed from the body when the block is
    /// still its source text (no copy per block).
    // NOTE: out of line: inlined into the phases it grew the whole package by
    // 1.7 KB gzipped.
    #[inline(never)]
    pub(crate) fn get_str(&self, key: Key) -> Option<std::borrow::Cow<'b, str>> {
        match &self.src {
            Src::Raw(r) => self.find(*r, key)?.str(),
            Src::Owned(text) => self
                .find(Raw::whole(text), key)?
                .str()
                .map(|s| s.into_owned().into()),
        }
    }
}

pub(crate) enum Content<'b> {
    /// String content as sent (its text is the message's `content`).
    // NOTE: no copy of that source text here: a message is a few words
    // smaller, which counts in a body of a million tiny messages.
    Str,
    /// String content an edit made (the text, not JSON).
    Text(Box<str>),
    Blocks(Vec<Blk<'b>>),
    /// Missing or neither string nor array: passed through.
    Opaque,
}

impl<'b> Msg<'b> {
    /// The source text of string content as sent.
    pub(crate) fn str_raw(&self) -> Option<Raw<'b>> {
        match self.content {
            Content::Str => self.raw.get("content"),
            _ => None,
        }
    }

    /// The text of string content (edited or as sent).
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn str_text(&self) -> Option<std::borrow::Cow<'b, str>> {
        match &self.content {
            Content::Text(s) => Some(std::borrow::Cow::Owned(s.to_string())),
            Content::Str => self.str_raw().and_then(Raw::str),
            _ => None,
        }
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn is_empty_content(&self) -> bool {
        match &self.content {
            Content::Blocks(b) => b.is_empty(),
            Content::Str | Content::Text(..) => self.str_text().is_some_and(|s| s.is_empty()),
            Content::Opaque => false,
        }
    }
}

pub(crate) struct Msg<'b> {
    /// Index in the input `messages`.
    pub(crate) origin: usize,
    pub(crate) raw: Raw<'b>,
    pub(crate) role: Role,
    pub(crate) content: Content<'b>,
    /// Content changed: the message is re-serialized on output.
    pub(crate) touched: bool,
    /// Merged (`merge-roles`) into the closest earlier message that is not
    /// joined: its blocks are written at the end of that one's content, and
    /// it is not written as a message of its own.
    // NOTE: a merge leaves the blocks where they are rather than moving them
    // (a crafted body of a million one-word messages would otherwise hold a
    // new text block for each); only the writer and the last-message phase
    // (`phase_final_whitespace`, which materializes the merge) look past it.
    pub(crate) joined: bool,
}

pub(crate) enum System<'b> {
    Keep,
    Remove,
    Blocks(Vec<Src<'b>>),
}

pub(crate) struct Run<'b, 'o> {
    pub(crate) root: Raw<'b>,
    /// The body's top-level fields in order, read once: a lookup on `root`
    /// scans the whole body, messages included. `None` past [`MAX_TOP`]
    /// fields (each lookup then scans).
    top: Option<Vec<(Raw<'b>, Raw<'b>)>>,
    pub(crate) profile: Profile,
    pub(crate) mode: Mode<'o>,
    pub(crate) bare: bool,
    pub(crate) messages: Raw<'b>,
    pub(crate) msgs: Vec<Msg<'b>>,
    pub(crate) system: System<'b>,
    /// The `tools` list, once a fix edited it (else written as sent).
    pub(crate) tools: Option<Vec<Src<'b>>>,
    /// Top-level fields a fix removed: where their keys start.
    pub(crate) dropped_top: Vec<usize>,
    /// Indices of `system` blocks whose cache_control rule
    /// `cache-control-limit` removed (applied by the system phase).
    pub(crate) system_cc_strip: Vec<usize>,
    pub(crate) changes: Vec<Change>,
    pub(crate) violations: Vec<Violation>,
    /// Validate only: upstream (turn-merged) message index and block offset of
    /// each message, see `rules` module docs.
    upstream: Vec<(usize, usize)>,
    /// The JSON depth limit (for JSON inside strings, e.g. a tool input).
    depth: usize,
    /// Changes / violations past [`MAX_REPORTED`], counted per rule.
    omitted: Vec<(&'static Rule, u64)>,
    /// Message fields removed (strictFields): where their keys start in the body.
    pub(crate) dropped_fields: crate::hash::Set<usize>,
    /// Tool call ids rule `tool-use-id-pattern` rewrites, with the suffix of
    /// each new id (see `ids`): applied when the blocks are written.
    pub(crate) new_ids: crate::hash::Map<std::borrow::Cow<'b, str>, u32>,
    /// Where the writer puts those new ids in blocks still as sent: the body
    /// offset of each id value, in order, with its suffix (see `Run::id_spot`).
    pub(crate) id_spots: Vec<(u32, u32)>,
    /// The spot after the last one the writer found (see `Run::id_spot`).
    pub(crate) next_spot: std::cell::Cell<usize>,
    /// Bytes left for what the engine keeps per item of the body ([`item_budget`]).
    budget: usize,
    /// Set when a nested list would take more than `budget`: the run's result.
    refused: Option<HistoryError>,
    /// The ends of the body's large values, indexed for the run's lifetime.
    _ends: crate::json::Ends<'b>,
}

/// What the engine keeps per item of a body, in bytes (sizes in wasm32): a
/// message (36 B) with its share of the phases' per-message lists, a block,
/// an item of a nested list (a tool_result's content, the system prompt)
/// while a phase looks at it (its view, 16 B; its blank scan; a flag).
// NOTE: without a bound, a body of many tiny items (`[1,1,…]`, `{}`) takes
// many times its size: 28 B of block for each 2 B item. No real item is that
// small (a message is at least ~30 B, a block 25 B: `{"type":"text","text":""}`),
// so the budget refuses only bodies no upstream accepts.
pub(crate) const MESSAGE_COST: usize = 54;
pub(crate) const BLOCK_COST: usize = 28;
pub(crate) const NESTED_ITEM_COST: usize = 24;
/// A block an orphan tool_result's content item becomes: the block and its
/// new text beside the item's own (`{"type":"text","text":…}`, its allocation).
pub(crate) const CONVERTED_BLOCK_COST: usize = BLOCK_COST + 32;
#[cfg(target_arch = "wasm32")]
const _: () = assert!(
    std::mem::size_of::<Msg<'static>>() <= 36
        && std::mem::size_of::<Blk<'static>>() <= BLOCK_COST
        && std::mem::size_of::<Raw<'static>>()
            + std::mem::size_of::<super::blanks::BlockScan>()
            + 4
            <= NESTED_ITEM_COST
);

/// The bytes of per-item data a body of `len` bytes may take: twice its size
/// plus 4 MiB, so that normalize's peak stays within 3× the body + 8 MiB.
const fn item_budget(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(4 << 20)
}

fn too_many_items() -> HistoryError {
    HistoryError::InvalidShape {
        reason: "more items than the memory budget of a body this size holds (lists of items a few bytes long, or fixes that would add more blocks than that)",
    }
}

/// Most top-level fields [`Run::top`] keeps (a request has a few dozen).
const MAX_TOP: usize = 256;

/// Bound of the changes (and of the violations) a run lists; past it each rule
/// gets one summary entry (action `omitted`) with the count, so that a crafted
/// body of millions of tiny defects keeps a small report.
pub(crate) const MAX_REPORTED: usize = 1000;

impl<'b, 'o> Run<'b, 'o> {
    /// The model of validated `src`; `depth` is the JSON depth limit.
    pub(crate) fn new(
        src: &'b str,
        profile: Profile,
        mode: Mode<'o>,
        depth: usize,
    ) -> Result<Self, HistoryError> {
        let (ends, index_bytes) = crate::json::Ends::index(src);
        let root = Raw::root(src);
        let top = {
            let mut fields = Vec::new();
            let mut all = root.entries();
            fields.extend(all.by_ref().take(MAX_TOP));
            all.next().is_none().then_some(fields)
        };
        let (bare, messages) = match root.kind() {
            Kind::Arr => (true, root),
            Kind::Obj => match top_field(&top, root, "messages") {
                Some(m) if m.kind() == Kind::Arr => (false, m),
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
        // NOTE: lists are sized exactly (one more scan of the array) so that a
        // body of many small values never holds a half-empty doubled buffer.
        let mut budget = item_budget(src.len());
        let mut charge = |items: usize, cost: usize| {
            budget = budget
                .checked_sub(items.saturating_mul(cost))
                .ok_or_else(too_many_items)?;
            Ok::<_, HistoryError>(())
        };
        charge(index_bytes, 1)?;
        let count = messages.items().count();
        charge(count, MESSAGE_COST)?;
        let mut msgs = Vec::with_capacity(count);
        for (origin, raw) in messages.items().enumerate() {
            // NOTE: both fields in one pass over the message (the last
            // duplicate wins, as in `Raw::get`): `content` is most of it.
            let (mut role, mut content) = (None, None);
            for (k, v) in raw.entries() {
                if k.str_eq("role") {
                    role = Some(v);
                } else if k.str_eq("content") {
                    content = Some(v);
                }
            }
            let role = match role {
                Some(r) if r.str_eq("user") => Role::User,
                Some(r) if r.str_eq("assistant") => Role::Assistant,
                Some(r) if r.str_eq("system") => Role::System,
                _ => Role::Other,
            };
            let content = match content {
                Some(c) if c.kind() == Kind::Str => Content::Str,
                Some(c) if c.kind() == Kind::Arr => {
                    let count = c.items().count();
                    charge(count, BLOCK_COST)?;
                    let mut blocks = Vec::with_capacity(count);
                    blocks.extend(
                        c.items()
                            .enumerate()
                            .map(|(b, item)| Blk::new(Src::Raw(item), Origin::Block(origin, b))),
                    );
                    Content::Blocks(blocks)
                }
                _ => Content::Opaque,
            };
            msgs.push(Msg {
                origin,
                raw,
                role,
                content,
                touched: false,
                joined: false,
            });
        }
        let mut run = Run {
            root,
            top,
            profile,
            mode,
            bare,
            messages,
            msgs,
            system: System::Keep,
            tools: None,
            dropped_top: Vec::new(),
            system_cc_strip: Vec::new(),
            changes: Vec::new(),
            violations: Vec::new(),
            upstream: Vec::new(),
            depth,
            omitted: Vec::new(),
            dropped_fields: Default::default(),
            new_ids: Default::default(),
            id_spots: Vec::new(),
            next_spot: Default::default(),
            budget,
            refused: None,
            _ends: ends,
        };
        if run.validating() {
            run.upstream = run.upstream_indices();
        }
        Ok(run)
    }

    /// Runs every phase, in catalog order.
    pub(crate) fn run(&mut self) {
        self.phase_cache();
        self.phase_tool_ids();
        self.phase_blocks();
        self.phase_empty_messages();
        self.phase_pairing();
        self.phase_server_tools();
        self.phase_merge_roles();
        self.phase_final_whitespace();
        self.phase_system();
        if self.validating() {
            self.validator_only();
        }
        self.summarize_omitted();
    }

    /// The top-level field `key` (the last of duplicates), `None` in a bare
    /// messages array.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn top(&self, key: &str) -> Option<Raw<'b>> {
        top_field(&self.top, self.root, key)
    }

    /// The top-level fields, in order (none in a bare messages array).
    pub(crate) fn top_entries(&self) -> impl Iterator<Item = (Raw<'b>, Raw<'b>)> + '_ {
        let (kept, scanned) = match &self.top {
            Some(fields) => (Some(fields.iter().copied()), None),
            None => (None, Some(self.root.entries())),
        };
        kept.into_iter()
            .flatten()
            .chain(scanned.into_iter().flatten())
    }

    /// The items of a nested list (a tool_result's content, the system
    /// prompt) for a phase to look at, if they fit the budget (they are not
    /// kept after). When they do not, the run is refused
    /// ([`Run::take_refusal`]) and the phase leaves the list alone.
    pub(crate) fn nested_items<'x>(&mut self, list: Raw<'x>) -> Option<Vec<Raw<'x>>> {
        let count = list.items().count();
        if !self.fits(count.saturating_mul(NESTED_ITEM_COST)) {
            return None;
        }
        let mut items = Vec::with_capacity(count);
        items.extend(list.items());
        Some(items)
    }

    /// Takes `bytes` of the budget for data kept to the end of the run (blocks
    /// a fix makes). When they do not fit, the run is refused as in
    /// [`Run::nested_items`].
    pub(crate) fn spend(&mut self, bytes: usize) -> bool {
        let fits = self.fits(bytes);
        if fits {
            self.budget -= bytes;
        }
        fits
    }

    fn fits(&mut self, bytes: usize) -> bool {
        let fits = bytes <= self.budget;
        if !fits && self.refused.is_none() {
            self.refused = Some(too_many_items());
        }
        fits
    }

    /// The error that refused the run, if a nested list did not fit.
    pub(crate) fn take_refusal(&mut self) -> Option<HistoryError> {
        self.refused.take()
    }

    pub(crate) fn json_depth(&self) -> usize {
        self.depth
    }

    // ---- reporting -------------------------------------------------------

    pub(crate) fn validating(&self) -> bool {
        matches!(self.mode, Mode::Validate)
    }

    /// Whether `rule`'s fix is to be applied now.
    pub(crate) fn fixing(&self, rule: &Rule) -> bool {
        match self.mode {
            Mode::Validate => false,
            Mode::Normalize(o) => rule.fixes(self.profile, o),
        }
    }

    /// The placeholder of rule `thinking-position`.
    pub(crate) fn placeholder(&self) -> &'o str {
        match self.mode {
            Mode::Normalize(o) => o.placeholder.as_str(),
            Mode::Validate => Placeholder::DEFAULT,
        }
    }

    pub(crate) fn report(&mut self, rule: &'static Rule, path: String, message: String) {
        self.report_hint(rule, path, message, None);
    }

    /// Block `bi` of message `mi`, if the message has a block list that long.
    pub(crate) fn block(&self, mi: usize, bi: usize) -> Option<&Blk<'b>> {
        match &self.msgs[mi].content {
            Content::Blocks(list) => list.get(bi),
            _ => None,
        }
    }

    /// [`Run::report`] with the path and message `make` builds, only when the
    /// list can take it (as [`Run::change_with`]).
    pub(crate) fn report_with(
        &mut self,
        rule: &'static Rule,
        make: impl FnOnce(&Self) -> (String, String),
    ) {
        if !self.validating() || !rule.applies(self.profile) {
            return;
        }
        if self.violations.len() >= MAX_REPORTED {
            self.omit(rule);
            return;
        }
        let (path, message) = make(self);
        self.report(rule, path, message);
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn report_hint(
        &mut self,
        rule: &'static Rule,
        path: String,
        message: String,
        hint: Option<String>,
    ) {
        if !self.validating() || !rule.applies(self.profile) {
            return;
        }
        if self.violations.len() >= MAX_REPORTED {
            self.omit(rule);
            return;
        }
        self.violations.push(Violation {
            rule: rule.id,
            path,
            message,
            hint,
        });
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn change(
        &mut self,
        rule: &'static Rule,
        path: String,
        action: ChangeAction,
        detail: String,
    ) {
        if self.changes.len() >= MAX_REPORTED {
            self.omit(rule);
            return;
        }
        self.changes.push(Change {
            rule: rule.id,
            path,
            action,
            detail: crate::auth::scrub_keys(&detail),
        });
    }

    /// [`Run::change`] with the path and detail `make` builds, only while the
    /// report can still list it (past the bound it is counted: a crafted body
    /// of a million fixes would otherwise format a million unlisted entries).
    pub(crate) fn change_with(
        &mut self,
        rule: &'static Rule,
        action: ChangeAction,
        make: impl FnOnce(&Self) -> (String, String),
    ) {
        if self.changes.len() >= MAX_REPORTED {
            self.omit(rule);
            return;
        }
        let (path, detail) = make(self);
        self.change(rule, path, action, detail);
    }

    /// The list of the current mode holds [`MAX_REPORTED`] entries: callers
    /// may count ([`Run::omit`]) instead of formatting an entry.
    pub(crate) fn report_full(&self) -> bool {
        let len = if self.validating() {
            self.violations.len()
        } else {
            self.changes.len()
        };
        len >= MAX_REPORTED
    }

    /// Counts a violation of `rule` without listing it (when it applies).
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn omit_violation(&mut self, rule: &'static Rule) {
        if self.validating() && rule.applies(self.profile) {
            self.omit(rule);
        }
    }

    /// Counts an entry of `rule` without listing it.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn omit(&mut self, rule: &'static Rule) {
        match self.omitted.iter_mut().find(|(r, _)| r.id == rule.id) {
            Some((_, n)) => *n += 1,
            None => self.omitted.push((rule, 1)),
        }
    }

    /// Appends the summary entries of the omitted changes or violations.
    fn summarize_omitted(&mut self) {
        let what = if self.validating() {
            "violations"
        } else {
            "changes"
        };
        for (rule, n) in std::mem::take(&mut self.omitted) {
            let detail = format!(
                "{n} more {what} of rule {} are not listed (a report lists {MAX_REPORTED})",
                rule.id
            );
            if self.validating() {
                self.violations.push(Violation {
                    rule: rule.id,
                    path: String::new(),
                    message: rule.message.to_string(),
                    hint: Some(detail),
                });
            } else {
                self.changes.push(Change {
                    rule: rule.id,
                    path: String::new(),
                    action: ChangeAction::Omitted,
                    detail,
                });
            }
        }
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn msg_ptr(&self, m: usize) -> String {
        if self.bare {
            format!("/{m}")
        } else {
            format!("/messages/{m}")
        }
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn at_ptr(&self, at: Origin) -> String {
        match at {
            Origin::Block(m, b) | Origin::New(m, b) => format!("{}/content/{b}", self.msg_ptr(m)),
            Origin::Content(m) => format!("{}/content", self.msg_ptr(m)),
        }
    }

    /// The upstream's index of message `mi` and of its block `b` (validate only).
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
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
                && m.role.alternates()
                && m.role == self.msgs[i - 1].role;
            if i > 0 && !merged {
                turn += 1;
                off = 0;
            }
            out.push((turn, off));
            off += match &m.content {
                Content::Blocks(b) => b.len(),
                Content::Str | Content::Text(..) => 1,
                Content::Opaque => 0,
            };
        }
        out
    }

    /// Input coordinates of a block, for schema-level messages.
    pub(crate) fn input_coords(at: Origin) -> (String, String) {
        match at {
            Origin::Block(m, b) | Origin::New(m, b) => (m.to_string(), b.to_string()),
            Origin::Content(m) => (m.to_string(), "0".into()),
        }
    }

    /// Runs of consecutive messages the upstream treats as one turn: same role
    /// (user or assistant); any other role stands alone.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn turns(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (i, m) in self.msgs.iter().enumerate() {
            match out.last_mut() {
                Some((s, e)) if m.role.alternates() && self.msgs[*s].role == m.role => *e = i + 1,
                _ => out.push((i, i + 1)),
            }
        }
        out
    }
}

/// [`Run::top`] of the fields kept (or the root when they were too many).
fn top_field<'b>(
    top: &Option<Vec<(Raw<'b>, Raw<'b>)>>,
    root: Raw<'b>,
    key: &str,
) -> Option<Raw<'b>> {
    match top {
        Some(fields) => fields
            .iter()
            .rev()
            .find(|(k, _)| k.str_eq(key))
            .map(|f| f.1),
        None => root.get(key),
    }
}

/// Removes the items at the positions `remove` (in any order), in one pass.
pub(crate) fn retain_unmarked<T, I: Copy + TryInto<usize>>(items: &mut Vec<T>, remove: &[I]) {
    if remove.is_empty() {
        return;
    }
    let mut marked = vec![false; items.len()];
    for &i in remove {
        if let Some(m) = i.try_into().ok().and_then(|i| marked.get_mut(i)) {
            *m = true;
        }
    }
    let mut k = 0;
    items.retain(|_| {
        k += 1;
        !marked[k - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_bits_answer_as_a_scan_of_the_fields() {
        let blk = |json: &'static str| Blk::new(Src::Raw(Raw::root(json)), Origin::Block(0, 0));
        // An escaped key is the field it decodes to; duplicates count once.
        let b = blk(r#"{"type":"text","text":"a","cache\u005fcontrol":{},"text":"b"}"#);
        assert_eq!(b.ty(), "text");
        assert_eq!(b.get(CACHE_CONTROL).map(Raw::text), Some("{}"));
        assert_eq!(
            b.get_str(Key::new("text")).as_deref(),
            Some("b"),
            "the last duplicate"
        );
        assert!(b.get(CITATIONS).is_none() && !b.may_have(CITATIONS));
        // With no field twice, the first occurrence is the field; with one,
        // the last, escaped or not.
        let once =
            blk(r#"{"type":"tool_result","tool_use_id":"a","content":[{"tool_use_id":"n"}]}"#);
        assert_eq!(once.get_str(TOOL_USE_ID).as_deref(), Some("a"));
        for twice in [
            r#"{"type":"tool_use","id":"a","name":"f","input":{},"id":"b"}"#,
            r#"{"type":"tool_use","id":"a","name":"f","input":{},"i\u0064":"b"}"#,
        ] {
            let b = blk(twice);
            assert_eq!(b.get_str(ID).as_deref(), Some("b"), "{twice}");
            assert!(!b.may_have_extra_fields(), "{twice}");
        }
        assert!(!b.may_have_extra_fields());
        // A field of another type's schema, or of none, is an extra field.
        assert!(blk(r#"{"type":"text","text":"a","input":{}}"#).may_have_extra_fields());
        assert!(blk(r#"{"type":"tool_use","id":"x","foo":1}"#).may_have_extra_fields());
        assert!(
            !blk(r#"{"type":"tool_use","id":"x","name":"f","input":{},"caller":{}}"#)
                .may_have_extra_fields()
        );
        // Fields `KEYS` does not name (here `title`, in the document schema,
        // and `foo`, in none).
        let doc = blk(r#"{"type":"document","source":{},"title":"t"}"#);
        assert!(doc.may_have_extra_fields() && doc.view().get("title").is_some());
        assert!(blk(r#"{"type":"document","foo":1}"#).may_have_extra_fields());
        assert!(
            blk(r#"{"type":"new_kind"}"#).may_have_extra_fields(),
            "no schema"
        );
        // An edit reads the bits again.
        let mut b = blk(r#"{"type":"text","text":""}"#);
        b.set_src(Src::Owned(r#"{"type":"image","source":{}}"#.into()));
        assert_eq!(
            (b.ty().as_ref(), b.may_have(Key::new("text"))),
            ("image", false)
        );
        assert!(b.get(Key::new("source")).is_some());
    }

    #[test]
    fn top_fields_read_once_answer_as_the_root_does() {
        for extra in [3, MAX_TOP + 5] {
            let mut body = String::from(r#"{"model":"a","messages":[],"system":"s""#);
            for i in 0..extra {
                body.push_str(&format!(r#","f{i}":{i}"#));
            }
            body.push_str(r#","model":"b","messages":[{"role":"user","content":"hi"}]}"#);
            let run = Run::new(&body, Profile::Anthropic, Mode::Validate, 128).unwrap();
            assert_eq!(run.top.is_some(), extra < MAX_TOP);
            for key in ["model", "messages", "system", "f0", "f2", "absent"] {
                let (ours, root) = (run.top(key), run.root.get(key));
                assert_eq!(ours.map(Raw::text), root.map(Raw::text), "{key}");
            }
            assert_eq!(
                run.top("model").map(Raw::text),
                Some(r#""b""#),
                "the last duplicate"
            );
            assert_eq!(run.msgs.len(), 1, "the last `messages`");
            let ours: Vec<_> = run
                .top_entries()
                .map(|(k, v)| (k.text(), v.text()))
                .collect();
            let root: Vec<_> = run
                .root
                .entries()
                .map(|(k, v)| (k.text(), v.text()))
                .collect();
            assert_eq!(ours, root);
        }
        let bare = Run::new(
            r#"[{"role":"user","content":"hi"}]"#,
            Profile::Anthropic,
            Mode::Validate,
            128,
        )
        .unwrap();
        assert!(bare.top("role").is_none() && bare.top_entries().next().is_none());
    }
}
