//! Message roles (validator only): `unknown-role`, and the rules for
//! mid-conversation system messages (`system-message-placement`,
//! `system-role-unsupported`).
//!
//! A `role: "system"` message in `messages` is a feature of the Anthropic API
//! and of Bedrock InvokeModel (Claude Opus 4.8 and later): an instruction added
//! partway through a conversation without touching the cached prefix. No fix
//! ever changes, merges or moves one (moving it changes what the model was
//! told and when; hoisting it into the top-level `system` invalidates the
//! prompt cache), so every rule here only reports, with a hint.

use super::json::Kind;
use super::model::{Content, Role, Run};
use super::models::Model;
use super::rules::*;
use super::Profile;

impl Run<'_, '_> {
    pub(crate) fn role_checks(&mut self) {
        self.unknown_roles();
        if !SYSTEM_MESSAGE_PLACEMENT.applies(self.profile) {
            return;
        }
        self.system_placement();
        let first_system = self.msgs.iter().find(|m| m.role == Role::System);
        let refused = Model::of(self.top("model")).is_some_and(|m| m.refuses_system_role());
        if let (Some(msg), true) = (first_system, refused) {
            let path = format!("{}/role", self.msg_ptr(msg.origin));
            self.report_hint(
                &SYSTEM_ROLE_UNSUPPORTED,
                path,
                SYSTEM_ROLE_UNSUPPORTED.message.into(),
                Some("this model takes system text only in the top-level `system` field; mid-conversation system messages need Claude Opus 4.8 or later (normalize() never changes a system message)".into()),
            );
        }
    }

    fn unknown_roles(&mut self) {
        let converse = self.profile == Profile::Bedrock;
        for mi in 0..self.msgs.len() {
            let (role, origin, raw) = (self.msgs[mi].role, self.msgs[mi].origin, self.msgs[mi].raw);
            if role.alternates() || (role == Role::System && !converse) {
                continue;
            }
            let m = origin.to_string();
            let value = match raw.get("role") {
                Some(r) if r.kind() == Kind::Str => r.str().unwrap_or_default().into_owned(),
                Some(r) => r.compact(),
                None => "null".into(),
            };
            let message = render(
                UNKNOWN_ROLE.message_for(self.profile),
                &[("m", &m), ("role", &value)],
            );
            let hint = (role == Role::System).then(|| {
                "Bedrock Converse takes system text only in its top-level `system` field: move this message's text there, or into a user message (normalize() never changes a system message)".to_string()
            });
            self.report_hint(
                &UNKNOWN_ROLE,
                format!("{}/role", self.msg_ptr(origin)),
                message,
                hint,
            );
        }
    }

    /// Each run of consecutive system messages must come after a user message
    /// (or an assistant message that ends in a server tool block) and before
    /// an assistant message or the end of `messages`; none may be first.
    fn system_placement(&mut self) {
        let n = self.msgs.len();
        let mut i = 0;
        while i < n {
            if self.msgs[i].role != Role::System {
                i += 1;
                continue;
            }
            let start = i;
            while i < n && self.msgs[i].role == Role::System {
                i += 1;
            }
            let origin = self.msgs[start].origin;
            let m = origin.to_string();
            let path = format!("{}/role", self.msg_ptr(origin));
            if start == 0 {
                self.report_hint(
                    &SYSTEM_MESSAGE_PLACEMENT,
                    path,
                    MSG_SYSTEM_FIRST.into(),
                    Some("put the instruction in the top-level `system` field; a system message may only come later in the conversation (normalize() never moves one)".into()),
                );
                continue;
            }
            // NOTE: the directive-only form is accepted anywhere but first.
            if self.msgs[start..i].iter().all(|msg| is_directive_only(msg)) {
                continue;
            }
            let before = &self.msgs[start - 1];
            let follows = before.role == Role::User
                || (before.role == Role::Assistant && ends_in_server_tool(&before.content));
            let precedes = self
                .msgs
                .get(i)
                .map_or(true, |next| next.role == Role::Assistant);
            let (message, hint) = if !follows {
                (
                    MSG_SYSTEM_FOLLOW,
                    "move it after a user message (normalize() never moves a system message)",
                )
            } else if !precedes {
                (MSG_SYSTEM_PRECEDE, "move it before the next assistant message, or to the end (normalize() never moves a system message)")
            } else {
                continue;
            };
            self.report_hint(
                &SYSTEM_MESSAGE_PLACEMENT,
                path,
                render(message, &[("m", &m)]),
                Some(hint.into()),
            );
        }
    }
}

/// `{"role": "system", "content": [], "output_config": {…}}`: a directive
/// that changes the output configuration from that point on.
fn is_directive_only(msg: &super::model::Msg<'_>) -> bool {
    matches!(&msg.content, Content::Blocks(b) if b.is_empty())
        && msg
            .raw
            .get("output_config")
            .is_some_and(|c| c.kind() == Kind::Obj)
}

/// Whether an assistant message ends with a server tool block (a server tool
/// use or its result, e.g. `web_search_tool_result`): a turn the server tool
/// loop paused in, which a system message may follow.
fn ends_in_server_tool(content: &Content<'_>) -> bool {
    let Content::Blocks(blocks) = content else {
        return false;
    };
    blocks.last().is_some_and(|b| is_server_tool_block(&b.ty()))
}
