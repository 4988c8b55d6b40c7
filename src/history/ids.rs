//! Tool call ids the upstream's pattern refuses (`tool-use-id-pattern`):
//! ids from other providers (`call_…` with dots or colons, `functions.get:0`)
//! in a history moved to Claude. The fix rewrites each such id to one the
//! pattern takes and rewrites the `tool_use_id` of every tool_result that
//! answers it the same way, so the pairs stay pairs. A new id is none the
//! conversation already uses (tool_use or tool_result), so the ids pair after
//! the fix exactly as before it: the blocks keep their text until the writer
//! puts the new ids in. Runs before the pairing phase; two passes over the
//! blocks, lookups through a set and a map.

use super::json::{escape, Raw};
use super::model::{Blk, Content, Key, Role, Run, ID, MAX_REPORTED, TOOL_USE_ID};
use super::rules::*;
use super::ChangeAction;
use crate::hash::{Map, Set};
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Whether `id` matches `^[a-zA-Z0-9_-]+$`.
pub(crate) fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The hasher of the new ids' hashes (see `phase_tool_ids`).
type Fixed = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

/// `id` with every character the pattern refuses replaced by `_` (`toolu_`
/// for an empty id), then `_{suffix}` unless `suffix` is 0.
pub(crate) fn new_id(id: &str, suffix: u32) -> String {
    let mut new = Vec::with_capacity(id.len() + 4);
    put_new_id(id, suffix, &mut |piece| new.extend_from_slice(piece));
    // NOTE: every piece is ASCII.
    String::from_utf8(new).unwrap_or_default()
}

/// [`new_id`] in pieces, no allocation: the writer puts each in place
/// (twice a block, to measure then to write). The new id needs no JSON escape.
pub(crate) fn put_new_id(id: &str, suffix: u32, put: &mut dyn FnMut(&[u8])) {
    // NOTE: a short id is put together here and handed on in one piece (one
    // call of `put`, not one per piece): 4% of normalize's time on ids to
    // rewrite.
    const SHORT: usize = 64;
    if id.len() > SHORT {
        return new_id_pieces(id, suffix, put);
    }
    // At most the id (or `toolu_` for none) and `_` with ten digits.
    let mut buf = [0u8; SHORT + 11];
    let mut n = 0;
    new_id_pieces(id, suffix, |piece: &[u8]| {
        if let Some(to) = buf.get_mut(n..n + piece.len()) {
            to.copy_from_slice(piece);
            n += piece.len();
        }
    });
    put(buf.get(..n).unwrap_or_default());
}

fn new_id_pieces(id: &str, suffix: u32, mut put: impl FnMut(&[u8])) {
    if id.is_empty() {
        put(b"toolu_");
    }
    let b = id.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_alphanumeric() || c == b'-' {
            continue;
        }
        put(&b[run..i]);
        run = i + 1;
        // One `_` per character: at an ASCII byte or a UTF-8 lead byte, none
        // at a continuation byte.
        if c & 0xC0 != 0x80 {
            put(b"_");
        }
    }
    put(&b[run..]);
    if suffix > 0 {
        let mut digits = [0u8; 11];
        let mut at = digits.len();
        let mut n = suffix;
        while n > 0 {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        at -= 1;
        digits[at] = b'_';
        put(&digits[at..]);
    }
}

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_tool_ids(&mut self) {
        // Pass 1: the ids in use, and where the refused ones are (tool_use and
        // tool_result blocks, in order).
        // NOTE: ids are borrowed from the body where they can be (no copy per
        // block); a refused one is kept with its place, so that neither pass
        // after this one reads the block's fields again.
        // NOTE: the ids in use are listed, and hashed only once an id is
        // refused: most bodies have none to rewrite.
        let mut in_use: Vec<Cow<'b, str>> = Vec::new();
        // (message, block, the id value's offset in the body or `EDITED`, id)
        let mut refused: Vec<(u32, u32, u32, Cow<'b, str>)> = Vec::new();
        for (mi, msg) in self.msgs.iter().enumerate() {
            let Content::Blocks(list) = &msg.content else {
                continue;
            };
            if msg.role == Role::System {
                continue;
            }
            for (bi, blk) in list.iter().enumerate() {
                let Some(field) = id_field(&blk.ty()) else {
                    continue;
                };
                let (id, at) = match blk.source() {
                    Some(raw) => {
                        let value = blk.find(raw, field);
                        (
                            value.and_then(Raw::str),
                            value.map_or(EDITED, |v| v.offset() as u32),
                        )
                    }
                    None => (blk.get_str(field), EDITED),
                };
                let Some(id) = id else {
                    continue;
                };
                if id_ok(&id) {
                    in_use.push(id);
                } else {
                    refused.push((mi as u32, bi as u32, at, id));
                }
            }
        }
        if refused.is_empty() {
            return;
        }
        let taken: Set<Cow<'b, str>> = in_use.into_iter().collect();
        // Whether the refused block at `(mi, bi)` is a tool call (the others
        // answer one).
        let is_call = |run: &Self, (mi, bi): (u32, u32)| {
            run.block(mi as usize, bi as usize)
                .is_some_and(|blk| blk.ty() == "tool_use")
        };
        for &(mi, bi, _, _) in &refused {
            if !is_call(self, (mi, bi)) {
                continue;
            }
            let Some(at) = self.block(mi as usize, bi as usize).map(Blk::at) else {
                continue;
            };
            self.report_with(&TOOL_USE_ID_PATTERN, |run| {
                let (m, b) = Self::input_coords(at);
                let message = render(
                    TOOL_USE_ID_PATTERN.message,
                    &[("m", &m), ("b", &b), ("type", "tool_use")],
                );
                (format!("{}/id", run.at_ptr(at)), message)
            });
        }
        if !self.fixing(&TOOL_USE_ID_PATTERN) {
            return;
        }
        // New ids: the refused characters replaced, a numeric suffix where
        // that collides with an id in use (each refused id maps to one new id).
        // NOTE: the map keeps the suffix, not the new id (made again where it
        // is written), and the new ids in use are kept as hashes: a hash that
        // collides only costs a suffix. Those hashes are made with a fixed
        // hasher, so the output is the same from run to run; the table that
        // holds them places them with the secret one (`hash`).
        // NOTE: both sized once, to the refused tool_use ids (a table grown
        // by doubling holds its old copy beside the new one while it grows).
        let calls = refused
            .iter()
            .filter(|&&(mi, bi, _, _)| is_call(self, (mi, bi)))
            .count();
        let mut map: Map<Cow<'b, str>, u32> =
            Map::with_capacity_and_hasher(calls, Default::default());
        let mut made: Set<u64> = Set::with_capacity_and_hasher(calls, Default::default());
        let fixed = Fixed::default();
        for (mi, bi, _, id) in &refused {
            if !is_call(self, (*mi, *bi)) {
                continue;
            }
            if map.contains_key(id) {
                continue;
            }
            let mut suffix = 0;
            let mut new = new_id(id, suffix);
            while taken.contains(new.as_str()) || made.contains(&fixed.hash_one(&new)) {
                // NOTE: no overflow: each step passes an id in use, and a body
                // under 4 GiB holds fewer than 2^32 ids.
                suffix = suffix.max(1) + 1;
                new = new_id(id, suffix);
            }
            made.insert(fixed.hash_one(&new));
            map.insert(id.clone(), suffix);
        }
        drop((taken, made));
        // Where the writer puts each new id in a block still as sent (one
        // that repeats a field is edited as a whole, see `Run::put_block`),
        // found in pass 2. NOTE: in body order (messages and their blocks
        // are, before pairing moves any): `id_spot` searches it. Sized once,
        // to every refused id (a tool_result may answer none of the calls).
        if !self.spend(refused.len() * std::mem::size_of::<(u32, u32)>()) {
            return;
        }
        let mut spots = Vec::with_capacity(refused.len());
        // Pass 2: report the tool_use blocks and every tool_result that
        // answers one: blocks pass 1 found a refused id in (the map's keys are
        // refused ids). NOTE: the blocks stay as they are: the writer puts the
        // new ids in (`Run::put_block`), and the phases in between read the
        // ids as sent, which pair exactly as the new ones do (a new id is no
        // id the conversation already uses). No copy of every block rewritten.
        for in_msg in refused.chunk_by(|a, b| a.0 == b.0) {
            let mi = in_msg[0].0 as usize;
            let Content::Blocks(list) = &self.msgs[mi].content else {
                continue;
            };
            // NOTE: only the changes the report can still list are kept
            // (a message of a million rewritten ids holds no million strings).
            let room = MAX_REPORTED.saturating_sub(self.changes.len());
            let mut reports = Vec::new();
            let mut omitted = 0usize;
            for (_, bi, at, old) in in_msg {
                let blk = &list[*bi as usize];
                let Some(field) = id_field(&blk.ty()) else {
                    continue;
                };
                let Some(&suffix) = map.get(old.as_ref()) else {
                    continue;
                };
                if *at != EDITED && !blk.repeats_a_key() {
                    spots.push((*at, suffix));
                }
                if reports.len() < room {
                    let new = new_id(old, suffix);
                    reports.push((blk.at(), field.name, old.to_string(), new));
                } else {
                    omitted += 1;
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
        // NOTE: `id_spot` searches by offset: this phase runs before any
        // that moves blocks (`Run::run`). Checked where debug assertions are
        // on (tests, the fuzzers); a sort here would cost 4 KB of wasm.
        debug_assert!(spots.windows(2).all(|w| w[0] <= w[1]));
        self.id_spots = spots;
        self.new_ids = map;
    }

    /// The id the output gives a tool call: its new id when rule
    /// `tool-use-id-pattern` rewrote it, else `id`.
    pub(crate) fn out_id<'i>(&self, id: &'i str) -> Cow<'i, str> {
        match self.new_ids.get(id) {
            Some(&suffix) => Cow::Owned(new_id(id, suffix)),
            None => Cow::Borrowed(id),
        }
    }

    /// Where rule `tool-use-id-pattern` rewrote the id of `blk`: the value
    /// it replaces, the id as sent and its suffix, and whether the block holds the
    /// id field more than once (`None`: the block is written as it is).
    pub(crate) fn new_id_of<'j>(&self, blk: &'j Blk<'_>) -> Option<NewId<'j>> {
        if self.new_ids.is_empty() {
            return None;
        }
        let field = id_field(&blk.ty())?;
        if let (Some(raw), false) = (blk.source(), blk.repeats_a_key()) {
            return self.id_spot(raw, field);
        }
        let j = blk.view();
        let value = blk.find(j, field)?;
        let old = value.str()?;
        let &suffix = self.new_ids.get(old.as_ref())?;
        Some(NewId {
            field: field.name,
            value,
            old,
            suffix,
            duplicated: blk.repeats_a_key()
                && j.entries().filter(|(k, _)| k.str_eq(field.name)).count() > 1,
        })
    }

    /// [`Run::new_id_of`] for a block as sent that repeats no field: the
    /// phase found where its id is (no walk of its fields, no id hashed).
    fn id_spot<'j>(&self, raw: Raw<'j>, field: Key) -> Option<NewId<'j>> {
        // NOTE: the writer mostly asks in body order: the spot after the
        // last one found is tried before a search.
        let (spots, next, start) = (&self.id_spots, self.next_spot.get(), raw.offset());
        let before = |k: usize| spots.get(k).is_some_and(|&(at, _)| (at as usize) < start);
        let i = if !before(next) && (next == 0 || before(next - 1)) {
            next
        } else {
            spots.partition_point(|&(at, _)| (at as usize) < start)
        };
        let &(at, suffix) = spots.get(i)?;
        if at as usize >= start + raw.text().len() {
            return None;
        }
        self.next_spot.set(i + 1);
        let value = raw.at_offset(at as usize);
        Some(NewId {
            field: field.name,
            value,
            old: value.str()?,
            suffix,
            duplicated: false,
        })
    }
}

/// Marks a refused id found in an edited block: no place in the body.
const EDITED: u32 = u32::MAX;

/// See [`Run::new_id_of`].
pub(crate) struct NewId<'j> {
    pub(crate) field: &'static str,
    pub(crate) value: Raw<'j>,
    /// The id as sent (unescaped) and its suffix: see [`put_new_id`].
    pub(crate) old: Cow<'j, str>,
    pub(crate) suffix: u32,
    pub(crate) duplicated: bool,
}

/// The field of a block that holds a tool call's id.
fn id_field(ty: &str) -> Option<Key> {
    match ty {
        "tool_use" => Some(ID),
        "tool_result" => Some(TOOL_USE_ID),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::new_id;
    use crate::history::{normalize_bytes, NormalizeOptions};

    #[test]
    fn new_ids_replace_each_refused_character_by_one_underscore() {
        let cases = [
            ("functions.f:0", 0, "functions_f_0"),
            ("a-b_c", 0, "a-b_c"),
            ("", 0, "toolu_"),
            ("", 2, "toolu__2"),
            ("é.x", 0, "__x"),
            ("x\u{1f600}y", 0, "x_y"),
            ("call 1", 4_294_967_295, "call_1_4294967295"),
        ];
        for (id, suffix, want) in cases {
            assert_eq!(new_id(id, suffix), want, "{id:?} {suffix}");
        }
        // Past the length put together in one piece.
        assert_eq!(new_id(&"a.".repeat(40), 3), "a_".repeat(40) + "_3");
        assert_eq!(new_id(&"é".repeat(40), 0), "_".repeat(40));
    }

    #[test]
    fn a_rewritten_block_keeps_its_text_but_the_id() {
        let body = br#"{"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{ "type" : "tool_use", "id" : "a.b", "name" : "f", "input" : {} },{"type":"tool_use","id":"c.d","id":"c:d","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result", "tool_use_id":"a.b"},{"type":"tool_result","tool_use_id":"c:d"}]}]}"#;
        let (out, _) = normalize_bytes(body, &NormalizeOptions::default()).unwrap();
        let out = std::str::from_utf8(&out).unwrap();
        assert!(
            out.contains(r#"{ "type" : "tool_use", "id" : "a_b", "name" : "f", "input" : {} }"#),
            "{out}"
        );
        assert!(
            out.contains(r#"{"type":"tool_result", "tool_use_id":"a_b"}"#),
            "{out}"
        );
        // Duplicated, the field gets the new id everywhere (the last one counts).
        assert!(
            out.contains(r#"{"type":"tool_use","id":"c_d","id":"c_d","name":"f","input":{}}"#),
            "{out}"
        );
        assert!(
            out.contains(r#"{"type":"tool_result","tool_use_id":"c_d"}"#),
            "{out}"
        );
    }

    #[test]
    fn new_ids_go_into_blocks_moved_or_edited_after_the_phase() {
        // The first call's input is edited (a string made an object), the
        // results come after text (moved before it), one with a blank text
        // block in its content (edited).
        let body = br#"{"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[
            {"type":"tool_use","id":"a.b","name":"f","input":"{\"x\":1}"},
            {"type":"tool_use","id":"c:d","name":"f","input":{}}]},
            {"role":"user","content":[{"type":"text","text":"here"},
            {"type":"tool_result","tool_use_id":"c:d","content":"2"},
            {"type":"tool_result","tool_use_id":"a.b","content":[{"type":"text","text":""},{"type":"text","text":"1"}]}]}]}"#;
        let (out, _) = normalize_bytes(body, &NormalizeOptions::default()).unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(!text.contains("a.b") && !text.contains("c:d"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let ids = |m: usize, key: &str| -> Vec<String> {
            let blocks = v["messages"][m]["content"].as_array().unwrap();
            blocks
                .iter()
                .filter_map(|b| Some(b.get(key)?.as_str()?.into()))
                .collect()
        };
        assert_eq!(ids(1, "id"), ["a_b", "c_d"], "{text}");
        let results = ids(2, "tool_use_id");
        assert_eq!(results.len(), 2, "{text}");
        assert!(results.contains(&"a_b".into()) && results.contains(&"c_d".into()));
    }

    #[test]
    fn refused_ids_that_sanitize_alike_get_distinct_suffixes() {
        // `a.b` and `a:b` both become `a_b`; `a_b` is taken by a valid id.
        let body = br#"{"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[
            {"type":"tool_use","id":"a.b","name":"f","input":{}},
            {"type":"tool_use","id":"a:b","name":"f","input":{}},
            {"type":"tool_use","id":"a_b","name":"f","input":{}},
            {"type":"tool_use","id":"a.b","name":"f","input":{}}]},
            {"role":"user","content":[
            {"type":"tool_result","tool_use_id":"a:b","content":"2"},
            {"type":"tool_result","tool_use_id":"a.b","content":"1"},
            {"type":"tool_result","tool_use_id":"a_b","content":"3"}]}]}"#;
        let (out, _) = normalize_bytes(body, &NormalizeOptions::default()).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let field = |m: usize, key: &str| -> Vec<String> {
            let blocks = v["messages"][m]["content"].as_array().unwrap();
            blocks
                .iter()
                .map(|b| b[key].as_str().unwrap().into())
                .collect()
        };
        assert_eq!(field(1, "id"), ["a_b_2", "a_b_3", "a_b", "a_b_2"]);
        assert_eq!(field(2, "tool_use_id"), ["a_b_3", "a_b_2", "a_b"]);
    }
}
