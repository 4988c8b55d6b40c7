//! The validator-only rules: defects with no safe automatic fix (roles, tool
//! ids and names, tools, URL sources, thinking). They run on the body as sent,
//! after the fixable rules have reported (validate only).

use super::ids::id_ok;
use super::json::Kind;
use super::model::{Content, Origin, Role, Run, ID};
use super::models::Model;
use super::rules::*;
use super::Profile;
use crate::hash::Set;
use crate::is_thinking;
use std::borrow::Cow;

/// Whether a server tool id matches `^srvtoolu_[a-zA-Z0-9_]+$`.
fn server_id_ok(s: &str) -> bool {
    s.strip_prefix("srvtoolu_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

impl Run<'_, '_> {
    pub(crate) fn validator_only(&mut self) {
        self.role_checks();
        checks(self);
        self.media_checks();
        self.model_checks();
    }
}

fn checks<'b>(run: &mut Run<'b, '_>) {
    let is_obj = run.root.kind() == Kind::Obj;

    // tool_use ids: pattern and uniqueness.
    // NOTE: ids are borrowed from the body, and only the blocks that break a
    // rule are listed (no copy of each id and type per block).
    let mut seen: Set<Cow<'b, str>> = Set::default();
    let mut any_tool_block = false;
    for mi in 0..run.msgs.len() {
        let Content::Blocks(blocks) = &run.msgs[mi].content else {
            continue;
        };
        let mut found = Vec::new();
        let mut urls = Vec::new();
        for (bi, blk) in blocks.iter().enumerate() {
            let j = blk.view();
            let ty = blk.ty();
            any_tool_block |= ty == "tool_use" || ty == "tool_result";
            let url_source = j
                .get("source")
                .and_then(|s| s.get("type"))
                .is_some_and(|t| t.str_eq("url"));
            if (ty == "image" || ty == "document") && url_source {
                urls.push((blk.at(), ty.to_string()));
            }
            let server = match ty.as_ref() {
                "tool_use" => false,
                "server_tool_use" => true,
                _ => continue,
            };
            let Some(id) = blk.get_str(ID) else {
                continue;
            };
            if server && !server_id_ok(&id) {
                found.push((bi, blk.at(), &SERVER_TOOL_ID_PATTERN));
            } else if !server && !seen.insert(id) {
                found.push((bi, blk.at(), &DUPLICATE_TOOL_USE_ID));
            }
        }
        for (at, ty) in urls {
            let ptr = run.at_ptr(at);
            let (m, b) = match at {
                Origin::Block(m, b) => (m, b),
                _ => continue,
            };
            run.report(
                &URL_SOURCE,
                format!("{ptr}/source"),
                render(
                    URL_SOURCE.message,
                    &[("m", &m.to_string()), ("b", &b.to_string()), ("type", &ty)],
                ),
            );
        }
        for (bi, at, rule) in found {
            let ptr = run.at_ptr(at);
            let (m, b) = if std::ptr::eq(rule, &SERVER_TOOL_ID_PATTERN) {
                Run::input_coords(at)
            } else {
                run.up(mi, bi)
            };
            run.report(
                rule,
                format!("{ptr}/id"),
                render(rule.message, &[("m", &m), ("b", &b)]),
            );
        }
    }

    // Tool definitions.
    let tools = run.top("tools");
    if let Some(tools) = tools {
        for (t, tool) in tools.items().enumerate() {
            let custom = tool
                .get("type")
                .map_or(true, |ty| ty.str_eq("custom") || ty.kind() == Kind::Null);
            let Some(name) = tool.get_str("name") else {
                continue;
            };
            if !custom {
                continue;
            }
            // NOTE: Converse checks the pattern and the length separately
            // (AWS texts); the Anthropic schema has one pattern with the
            // length in it.
            let t = t.to_string();
            let args = [("t", t.as_str()), ("name", &name)];
            let message = match run.profile {
                Profile::Bedrock if !id_ok(&name) => {
                    Some(render(TOOL_NAME_PATTERN.message_for(run.profile), &args))
                }
                Profile::Bedrock if name.len() > 64 => {
                    Some(render(MSG_CONVERSE_NAME_LENGTH, &args))
                }
                Profile::Bedrock => None,
                _ if !id_ok(&name) || name.len() > 128 => {
                    Some(render(TOOL_NAME_PATTERN.message, &args))
                }
                _ => None,
            };
            if let Some(message) = message {
                run.report(&TOOL_NAME_PATTERN, format!("/tools/{t}/name"), message);
            }
        }
    }
    let no_tools = tools.map_or(true, |t| t.items().next().is_none());
    if run.profile == Profile::Bedrock && any_tool_block && no_tools {
        let path = if is_obj { "/tools" } else { "" };
        run.report(&TOOLS_REQUIRED, path.into(), TOOLS_REQUIRED.message.into());
    }

    thinking(run);
}

fn first_type(run: &Run<'_, '_>, mi: usize) -> Option<String> {
    match &run.msgs[mi].content {
        Content::Blocks(b) => b.first().map(|blk| blk.ty().into_owned()),
        Content::Str | Content::Text(..) => Some("text".into()),
        Content::Opaque => None,
    }
}

fn block_types(run: &Run<'_, '_>, mi: usize) -> Vec<String> {
    match &run.msgs[mi].content {
        Content::Blocks(b) => b.iter().map(|blk| blk.ty().into_owned()).collect(),
        Content::Str | Content::Text(..) => vec!["text".into()],
        Content::Opaque => Vec::new(),
    }
}

fn thinking(run: &mut Run<'_, '_>) {
    let mode = run.top("thinking").and_then(|t| t.get("type"));
    let manual = mode.is_some_and(|t| t.str_eq("enabled"));
    let enabled = manual || mode.is_some_and(|t| t.str_eq("adaptive"));
    let Some(last) = run.msgs.len().checked_sub(1) else {
        return;
    };
    if run.msgs[last].role == Role::Assistant {
        let types = block_types(run, last);
        let origin = run.msgs[last].origin;
        if types.last().is_some_and(|t| is_thinking(t)) {
            let (um, _) = run.up(last, 0);
            run.report(
                &THINKING_FINAL_BLOCK,
                run.msg_ptr(origin),
                render(THINKING_FINAL_BLOCK.message, &[("m", &um)]),
            );
        }
        if !enabled {
            if let Some(b) = types.iter().position(|t| is_thinking(t)) {
                let (um, ub) = run.up(last, b);
                run.report(
                    &THINKING_DISABLED,
                    format!("{}/content/{b}", run.msg_ptr(origin)),
                    render(THINKING_DISABLED.message, &[("m", &um), ("b", &ub)]),
                );
            }
        }
    }
    // NOTE: with manual thinking (`enabled`, with or without interleaving), the
    // assistant turn answered by the final tool_result turn (the tool loop in
    // progress) must open with a thinking block. Not with `adaptive`: the
    // model itself opens adaptive turns with a text block (`["\n\n",
    // thinking, text, tool_use]`) or skips thinking, and no upstream answer
    // shows this error for adaptive (see the catalog's THINKING_FIRST notes).
    if !manual {
        return;
    }
    let turns = run.turns();
    let Some(&(us, _)) = turns.last() else { return };
    if run.msgs[us].role != Role::User || first_type(run, us).as_deref() != Some("tool_result") {
        return;
    }
    let Some(&(a, _)) = turns.len().checked_sub(2).map(|p| &turns[p]) else {
        return;
    };
    if run.msgs[a].role != Role::Assistant {
        return;
    }
    let found = first_type(run, a).unwrap_or_default();
    if !is_thinking(&found) {
        let (um, _) = run.up(a, 0);
        let origin = run.msgs[a].origin;
        run.report(
            &THINKING_FIRST,
            format!("{}/content/0", run.msg_ptr(origin)),
            render(THINKING_FIRST.message, &[("m", &um), ("type", &found)]),
        );
    }
}

impl Run<'_, '_> {
    /// Rules that depend on the model the request names: sampling parameters,
    /// a final assistant message (prefill).
    fn model_checks(&mut self) {
        let Some(model) = Model::of(self.top("model")) else {
            return;
        };
        let (refuses_both, refuses_prefill) = (
            model.refuses_temperature_with_top_p(),
            model.refuses_prefill(),
        );
        let set = |key: &str| self.top(key).is_some_and(|v| v.kind() != Kind::Null);
        if refuses_both && set("temperature") && set("top_p") {
            self.report_hint(
                &SAMPLING_EXCLUSIVE,
                "/top_p".into(),
                SAMPLING_EXCLUSIVE.message.into(),
                Some("send `temperature` or `top_p`, not both (no automatic fix: which one matters is the caller's choice)".into()),
            );
        }
        let Some(last) = self.msgs.last() else { return };
        // NOTE: a paused server tool turn is sent back last on purpose
        // (pause_turn): not a prefill.
        let server_turn = match &last.content {
            Content::Blocks(list) => list.iter().any(|b| is_server_tool_block(&b.ty())),
            _ => false,
        };
        if refuses_prefill && last.role == Role::Assistant && !server_turn {
            let path = self.msg_ptr(last.origin);
            self.report_hint(
                &PREFILL_UNSUPPORTED,
                path,
                PREFILL_UNSUPPORTED.message.into(),
                Some("end the conversation with a user message; to shape the answer's start, say so in the system prompt or use structured outputs (no automatic fix: dropping the message loses it)".into()),
            );
        }
    }
}
