//! Phase 6, the top-level `system` prompt: `empty-system` (and the
//! cache_control of a removed system block, `cache-control-on-empty`).

use super::blanks::{plan_blanks, BlankText, Items};
use super::json::{Blank, Kind, ObjEdit};
use super::model::{retain_unmarked, Run, Src, System};
use super::rules::*;
use super::ChangeAction::{Moved, Removed};

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_system(&mut self) {
        if self.bare {
            return;
        }
        let Some(sys) = self.top("system") else {
            return;
        };
        match sys.kind() {
            Kind::Str => {
                let blank = sys.blank();
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
                        Removed,
                        format!("blank system prompt {}", sys.text()),
                    );
                }
            }
            Kind::Arr => {
                let Some(items) = self.nested_items(sys) else {
                    return;
                };
                // NOTE: every blank system block goes, whatever the profile: the
                // system prompt has no "other content" exception.
                let scans = Items::Nested(&items).scans();
                let plan = plan_blanks(&scans, self.profile, true, false);
                let mut stripped = vec![false; items.len()];
                for i in std::mem::take(&mut self.system_cc_strip) {
                    if let Some(s) = stripped.get_mut(i) {
                        *s = true;
                    }
                }
                let any_stripped = stripped.contains(&true);
                if plan.remove.is_empty() && !any_stripped {
                    return;
                }
                let mut removed = Vec::new();
                for &(i, kind) in &plan.remove {
                    let i = i as usize;
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
                            Removed,
                            format!("blank system text block {}", items[i].compact()),
                        );
                        removed.push(i);
                    }
                }
                if removed.is_empty() && !any_stripped {
                    return;
                }
                let mut out: Vec<Src<'b>> = items.iter().map(|r| Src::Raw(*r)).collect();
                for (i, src) in out.iter_mut().enumerate() {
                    if stripped[i] {
                        let mut edit = ObjEdit::default();
                        edit.remove("cache_control");
                        *src = Src::Owned(edit.apply(items[i]).into());
                    }
                }
                // NOTE: `plan.cache` is about removed blocks; none are when
                // the rule is off.
                let moves = if removed.is_empty() {
                    &[][..]
                } else {
                    &plan.cache[..]
                };
                for &(from, to) in moves {
                    let (from, to) = (from as usize, to.map(|t| t as usize));
                    // Its cache_control went already (cache-control-limit).
                    if stripped[from] {
                        continue;
                    }
                    let value = items[from]
                        .get("cache_control")
                        .map(|c| c.compact())
                        .unwrap_or_default();
                    let path = format!("/system/{from}/cache_control");
                    match (to, self.fixing(&CACHE_CONTROL_ON_EMPTY)) {
                        (Some(t), true) => {
                            if let Some(cc) = items[from].get("cache_control") {
                                let mut edit = ObjEdit::default();
                                edit.set("cache_control", cc.text().to_string());
                                out[t] = Src::Owned(edit.apply(items[t]).into());
                                self.change(
                                    &CACHE_CONTROL_ON_EMPTY,
                                    path,
                                    Moved,
                                    format!("{value} moved to /system/{t}"),
                                );
                            }
                        }
                        _ => self.change(
                            &CACHE_CONTROL_ON_EMPTY,
                            path,
                            Removed,
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
}
