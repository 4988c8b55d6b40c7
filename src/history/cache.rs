//! Prompt-cache breakpoints across the whole request, in the order the API
//! reads them (`tools`, `system`, `messages`): `cache-control-limit` (at most
//! 4; with `capCacheControl` the normalizer keeps the last 4) and
//! `cache-ttl-order` (a `1h` breakpoint after a `5m` one; validator only).
//!
//! Runs first, on the body as sent: no later phase adds a breakpoint (a blank
//! block's is moved to a neighbour or dropped, never duplicated), so capping
//! here leaves at most 4 in the output.

use super::json::{Kind, ObjEdit, Raw};
use super::model::{
    Blk, Content, Role, Run, Src, System, CACHE_CONTROL, CONTENT, MAX_REPORTED, NESTED_ITEM_COST,
};
use super::rules::*;
use super::ChangeAction;
use crate::is_thinking;
use std::borrow::Cow;

/// Where a breakpoint sits, in input coordinates.
#[derive(Debug, Clone, Copy)]
enum Place {
    Tool(usize),
    System(usize),
    /// `messages[m].content[b]`, a block of the model's message `mi`.
    Block {
        mi: usize,
        b: usize,
    },
    /// Item `k` of the content of the tool_result `messages[m].content[b]`.
    Nested {
        mi: usize,
        b: usize,
        k: usize,
    },
    /// A mid-conversation system message (its own, or one of its blocks):
    /// never changed.
    SystemMessage {
        m: usize,
        b: Option<usize>,
    },
    /// A thinking block (which rejects it anyway): never changed.
    Thinking {
        mi: usize,
        b: usize,
    },
}

struct Breakpoint {
    place: Place,
    /// `ttl: "1h"` (anything else is the default five minutes).
    long: bool,
}

impl Place {
    /// Whether a fix may remove the breakpoint here.
    fn removable(self) -> bool {
        !matches!(self, Place::SystemMessage { .. } | Place::Thinking { .. })
    }
}

/// Every breakpoint, and the `cache_control` JSON text of the first
/// [`MAX_REPORTED`] removable ones (for the report, compacted when reported).
// NOTE: only those: the report lists no more, and a body of a million
// breakpoints would otherwise hold a million values (borrowed from the body
// where they can be, but 12 bytes each).
#[derive(Default)]
struct Points<'b> {
    list: Vec<Breakpoint>,
    values: Vec<Cow<'b, str>>,
}

/// Adds the breakpoint at `place` when `cc` is a cache_control (not `null`).
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
fn point<'r, 'b>(
    out: &mut Points<'b>,
    place: Place,
    cc: Option<Raw<'r>>,
    value: fn(Raw<'r>) -> Cow<'b, str>,
) {
    if let Some(cc) = cc.filter(|c| c.kind() != Kind::Null) {
        out.list.push(Breakpoint {
            place,
            long: is_long(cc),
        });
        if place.removable() && out.values.len() < MAX_REPORTED {
            out.values.push(value(cc));
        }
    }
}

/// The breakpoints of block `blk` (`messages[mi]` block `b`, its text `j`) and
/// of the items of a tool_result's content.
fn block_points<'r, 'b>(
    out: &mut Points<'b>,
    (blk, j): (&Blk<'_>, Raw<'r>),
    (mi, b): (usize, usize),
    value: fn(Raw<'r>) -> Cow<'b, str>,
) {
    let ty = blk.ty();
    let cc = blk.find(j, CACHE_CONTROL);
    if is_thinking(&ty) {
        point(out, Place::Thinking { mi, b }, cc, value);
        return;
    }
    point(out, Place::Block { mi, b }, cc, value);
    if ty == "tool_result" {
        let content = blk.find(j, CONTENT).into_iter().flat_map(|c| c.items());
        for (k, item) in content.enumerate() {
            point(
                out,
                Place::Nested { mi, b, k },
                item.get("cache_control"),
                value,
            );
        }
    }
}

fn borrowed(cc: Raw<'_>) -> Cow<'_, str> {
    Cow::Borrowed(cc.text())
}

fn owned<'b>(cc: Raw<'_>) -> Cow<'b, str> {
    Cow::Owned(cc.text().to_string())
}

/// Most breakpoints one request may hold.
const LIMIT: usize = 4;

fn is_long(cc: Raw<'_>) -> bool {
    cc.get("ttl").is_some_and(|t| t.str_eq("1h"))
}

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_cache(&mut self) {
        let Points {
            list: points,
            values,
        } = self.breakpoints();
        if self.validating() {
            self.ttl_order(&points);
        }
        if points.len() <= LIMIT || !CACHE_CONTROL_LIMIT.applies(self.profile) {
            return;
        }
        let n = points.len().to_string();
        let message = render(CACHE_CONTROL_LIMIT.message, &[("n", &n)]);
        let first_over = self.cc_pointer(points[LIMIT].place);
        self.report_hint(
            &CACHE_CONTROL_LIMIT,
            first_over,
            message,
            Some(format!("normalize() with capCacheControl keeps the last {LIMIT} (tools, then system, then messages) and removes the {} before them", points.len() - LIMIT)),
        );
        if !self.fixing(&CACHE_CONTROL_LIMIT) {
            return;
        }
        // The earliest removable breakpoints go, until 4 are left.
        // `nth`: the index of a removable breakpoint among them (of its value).
        let mut nth = 0;
        let mut excess = points.len() - LIMIT;
        let mut nested: Vec<(usize, usize, Vec<usize>)> = Vec::new();
        for p in &points {
            if excess == 0 {
                break;
            }
            if !p.place.removable() {
                continue;
            }
            let value = values.get(nth);
            nth += 1;
            if !self.remove_breakpoint(p.place, &mut nested) {
                continue;
            }
            excess -= 1;
            // NOTE: past the report bound the removal is counted, not described.
            if self.report_full() {
                self.omit(&CACHE_CONTROL_LIMIT);
                continue;
            }
            let path = self.cc_pointer(p.place);
            let detail = format!(
                "{} removed: the request held {n} cache_control breakpoints and the upstream takes {LIMIT}; the last {LIMIT} are kept",
                value.map_or_else(String::new, |v| Raw::whole(v).compact())
            );
            self.change(&CACHE_CONTROL_LIMIT, path, ChangeAction::Removed, detail);
        }
        // Each tool_result rebuilt once, whatever the number of its items capped.
        for (mi, b, ks) in nested {
            let Content::Blocks(list) = &mut self.msgs[mi].content else {
                continue;
            };
            let block = list[b].view();
            let Some(content) = list[b].find(block, CONTENT) else {
                continue;
            };
            let mut text = String::from("[");
            let mut drop = ks.iter().peekable();
            for (k, item) in content.items().enumerate() {
                if k > 0 {
                    text.push(',');
                }
                if drop.peek() == Some(&&k) {
                    drop.next();
                    text.push_str(&without_cc(item));
                } else {
                    text.push_str(item.text());
                }
            }
            text.push(']');
            let mut edit = ObjEdit::default();
            edit.set("content", text);
            let text = edit.apply(block).into();
            list[b].set_src(Src::Owned(text));
            self.msgs[mi].touched = true;
        }
    }

    /// Removes a breakpoint from the model (nested ones are collected in
    /// `nested`, each tool_result rebuilt once later); false for one no fix
    /// may change.
    fn remove_breakpoint(
        &mut self,
        place: Place,
        nested: &mut Vec<(usize, usize, Vec<usize>)>,
    ) -> bool {
        match place {
            Place::Tool(t) => {
                let Some(list) = self.tools_for_edit() else {
                    return false;
                };
                let new = without_cc(list[t].view());
                list[t] = Src::Owned(new);
            }
            Place::System(i) => self.system_cc_strip.push(i),
            Place::Block { mi, b } => {
                let Content::Blocks(list) = &mut self.msgs[mi].content else {
                    return false;
                };
                let new = without_cc(list[b].view());
                list[b].set_src(Src::Owned(new));
                self.msgs[mi].touched = true;
            }
            Place::Nested { mi, b, k } => match nested.last_mut() {
                Some((m2, b2, ks)) if *m2 == mi && *b2 == b => ks.push(k),
                _ => nested.push((mi, b, vec![k])),
            },
            Place::SystemMessage { .. } | Place::Thinking { .. } => return false,
        }
        true
    }

    /// Every breakpoint, in the order the API reads them.
    fn breakpoints(&self) -> Points<'b> {
        let mut out = Points::default();
        if !self.bare {
            for (t, tool) in self
                .top("tools")
                .into_iter()
                .flat_map(|t| t.items())
                .enumerate()
            {
                point(
                    &mut out,
                    Place::Tool(t),
                    tool.get("cache_control"),
                    borrowed,
                );
            }
            if let (Some(sys), System::Keep) = (self.top("system"), &self.system) {
                for (i, block) in sys.items().enumerate() {
                    point(
                        &mut out,
                        Place::System(i),
                        block.get("cache_control"),
                        borrowed,
                    );
                }
            }
        }
        for (mi, msg) in self.msgs.iter().enumerate() {
            let m = msg.origin;
            if msg.role == Role::System {
                let place = Place::SystemMessage { m, b: None };
                point(&mut out, place, msg.raw.get("cache_control"), borrowed);
                let content = msg.raw.get("content").into_iter().flat_map(|c| c.items());
                for (b, block) in content.enumerate() {
                    let place = Place::SystemMessage { m, b: Some(b) };
                    point(&mut out, place, block.get("cache_control"), borrowed);
                }
                continue;
            }
            let Content::Blocks(list) = &msg.content else {
                continue;
            };
            for (b, blk) in list.iter().enumerate() {
                // NOTE: most blocks hold no breakpoint, which their field bits
                // tell without a scan of their fields.
                if !blk.may_have(CACHE_CONTROL) && !blk.may_have(CONTENT) {
                    continue;
                }
                match blk.source() {
                    Some(j) => block_points(&mut out, (blk, j), (mi, b), borrowed),
                    None => block_points(&mut out, (blk, blk.view()), (mi, b), owned),
                }
            }
        }
        out
    }

    /// A `1h` breakpoint after a `5m` one (validate only).
    fn ttl_order(&mut self, points: &[Breakpoint]) {
        let mut short_seen = false;
        for p in points {
            if !p.long {
                short_seen = true;
                continue;
            }
            if !short_seen {
                continue;
            }
            if self.report_full() {
                self.omit_violation(&CACHE_TTL_ORDER);
                continue;
            }
            let at = self.cc_dotted(p.place);
            self.report_hint(
                &CACHE_TTL_ORDER,
                format!("{}/ttl", self.cc_pointer(p.place)),
                render(CACHE_TTL_ORDER.message, &[("path", &at)]),
                Some("give every breakpoint before it ttl '1h' too, or this one the default five minutes; no automatic fix: which cache lives longer is a billing decision".into()),
            );
        }
    }

    /// The tools list, as editable blocks (made once from the source; `None`
    /// when it does not fit the run's budget, which refuses the run).
    fn tools_for_edit(&mut self) -> Option<&mut Vec<Src<'b>>> {
        if self.tools.is_none() {
            let tools = self.top("tools");
            let count = tools.map_or(0, |t| t.items().count());
            if !self.spend(count.saturating_mul(NESTED_ITEM_COST)) {
                return None;
            }
            let mut list = Vec::with_capacity(count);
            list.extend(tools.into_iter().flat_map(|t| t.items()).map(Src::Raw));
            self.tools = Some(list);
        }
        self.tools.as_mut()
    }

    /// JSON Pointer of a breakpoint's `cache_control`.
    fn cc_pointer(&self, place: Place) -> String {
        match place {
            Place::Tool(t) => format!("/tools/{t}/cache_control"),
            Place::System(i) => format!("/system/{i}/cache_control"),
            Place::Block { mi, b } | Place::Thinking { mi, b } => {
                format!(
                    "{}/content/{b}/cache_control",
                    self.msg_ptr(self.msgs[mi].origin)
                )
            }
            Place::Nested { mi, b, k } => format!(
                "{}/content/{b}/content/{k}/cache_control",
                self.msg_ptr(self.msgs[mi].origin)
            ),
            Place::SystemMessage { m, b: None } => format!("{}/cache_control", self.msg_ptr(m)),
            Place::SystemMessage { m, b: Some(b) } => {
                format!("{}/content/{b}/cache_control", self.msg_ptr(m))
            }
        }
    }

    /// The upstream's dotted path of the block that holds a breakpoint.
    fn cc_dotted(&self, place: Place) -> String {
        match place {
            Place::Tool(t) => format!("tools.{t}"),
            Place::System(i) => format!("system.{i}"),
            Place::Block { mi, b } | Place::Thinking { mi, b } => {
                format!("messages.{}.content.{b}", self.msgs[mi].origin)
            }
            Place::Nested { mi, b, k } => {
                format!("messages.{}.content.{b}.content.{k}", self.msgs[mi].origin)
            }
            Place::SystemMessage { m, b: None } => format!("messages.{m}"),
            Place::SystemMessage { m, b: Some(b) } => format!("messages.{m}.content.{b}"),
        }
    }
}

/// A block's text without its `cache_control`.
fn without_cc(block: Raw<'_>) -> Box<str> {
    let mut edit = ObjEdit::default();
    edit.remove("cache_control");
    edit.apply(block).into()
}

#[cfg(test)]
mod tests {
    use crate::history::{normalize_bytes, NormalizeOptions};

    #[test]
    fn the_cap_reports_each_removed_value_past_the_ones_it_keeps() {
        let cc = |n: u32| format!(r#"{{"type":"ephemeral","n":{n}}}"#);
        // A thinking block's breakpoint (never removed) among removable ones,
        // nested ones included.
        let body = format!(
            r#"{{"tools":[{{"name":"t","input_schema":{{}},"cache_control":{}}}],"messages":[
            {{"role":"user","content":[{{"type":"text","text":"a","cache_control":{}}}]}},
            {{"role":"assistant","content":[{{"type":"thinking","thinking":"t","signature":"s","cache_control":{}}},{{"type":"tool_use","id":"x","name":"t","input":{{}}}}]}},
            {{"role":"user","content":[{{"type":"tool_result","tool_use_id":"x","content":[{{"type":"text","text":"r","cache_control":{}}},{{"type":"text","text":"s","cache_control":{}}}]}},{{"type":"text","text":"b","cache_control":{}}},{{"type":"text","text":"c","cache_control":{}}},{{"type":"text","text":"d","cache_control":{}}}]}}]}}"#,
            cc(1),
            cc(2),
            cc(3),
            cc(4),
            cc(5),
            cc(6),
            cc(7),
            cc(8)
        );
        let options = NormalizeOptions {
            cap_cache_control: true,
            ..Default::default()
        };
        let (_, changes) = normalize_bytes(body.as_bytes(), &options).unwrap();
        let removed: Vec<_> = changes
            .iter()
            .filter(|c| c.rule == "cache-control-limit")
            .map(|c| (c.path.as_str(), c.detail.split(' ').next().unwrap()))
            .collect();
        // Eight breakpoints, four kept: the first four removable ones go
        // (not the thinking block's, the third).
        let nested = "/messages/2/content/0/content";
        assert_eq!(
            removed,
            [
                ("/tools/0/cache_control", r#"{"type":"ephemeral","n":1}"#),
                (
                    "/messages/0/content/0/cache_control",
                    r#"{"type":"ephemeral","n":2}"#
                ),
                (
                    &format!("{nested}/0/cache_control"),
                    r#"{"type":"ephemeral","n":4}"#
                ),
                (
                    &format!("{nested}/1/cache_control"),
                    r#"{"type":"ephemeral","n":5}"#
                ),
            ]
        );
    }
}
