//! Server tool calls left without their result (`server-tool-pairing`): a
//! `server_tool_use` (web search, web fetch, code execution, tool search)
//! whose result block never came, in a turn the conversation has moved past.
//!
//! A call without its result is legitimate while the turn is open: the last
//! assistant turn of the request (a `pause_turn` response sent back to let the
//! server continue), or an assistant turn answered by a user message of
//! tool_result blocks only (the server runs the deferred call then; its result
//! opens the next assistant turn). Anything after the tool_result blocks (text
//! the user typed, say) ends the turn, and the upstream refuses the call.
//!
//! The fix drops such a call where that is safe: not from a message that holds
//! thinking blocks (their signatures cover the turn), nor the only block of a
//! message, nor the last block before a system message (which may only follow
//! an assistant message ending in a server tool block). Linear: one pass over
//! the turns, the result ids of every turn in one set, by turn.

use super::model::{Content, Role, Run, TOOL_USE_ID};
use super::rules::*;
use super::ChangeAction;
use crate::hash::Set;
use crate::is_thinking;
use std::borrow::Cow;

/// The result block type that answers a server tool, by the tool's name.
fn result_type(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "web_search" => "web_search_tool_result",
        "web_fetch" => "web_fetch_tool_result",
        "code_execution" => "code_execution_tool_result",
        "bash_code_execution" => "bash_code_execution_tool_result",
        "text_editor_code_execution" => "text_editor_code_execution_tool_result",
        "tool_search_tool_regex" | "tool_search_tool_bm25" => "tool_search_tool_result",
        _ => return None,
    })
}

/// An unresolved call: its message and block, id, tool and result type.
struct Open {
    mi: usize,
    bi: usize,
    id: String,
    tool: String,
    result: &'static str,
}

impl<'b> Run<'b, '_> {
    pub(crate) fn phase_server_tools(&mut self) {
        // Turns without the system messages: a system message after a paused
        // turn does not end it (the continuation follows it).
        let turns: Vec<(usize, usize)> = self
            .turns()
            .into_iter()
            .filter(|&(s, _)| self.msgs[s].role != Role::System)
            .collect();
        // NOTE: one table for every turn, of ids borrowed from the body (not a
        // table of copies per turn).
        let mut results = Set::default();
        for (t, &turn) in turns.iter().enumerate() {
            self.result_ids(t, turn, &mut results);
        }
        let mut open = Vec::new();
        for (t, &(start, end)) in turns.iter().enumerate() {
            if self.msgs[start].role != Role::Assistant || t + 1 == turns.len() {
                continue;
            }
            let next = turns[t + 1];
            // A user turn of tool_result blocks only keeps the turn open: the
            // server runs the deferred call and its result opens the next
            // assistant turn (if any yet).
            let deferred = self.msgs[next.0].role == Role::User && self.only_tool_results(next);
            let later = match (deferred, turns.get(t + 2)) {
                (true, None) => continue,
                (true, Some(&after)) if self.msgs[after.0].role == Role::Assistant => Some(t + 2),
                _ => None,
            };
            // Consecutive assistant turns (a system message between them)
            // continue one another.
            let continued = (self.msgs[next.0].role == Role::Assistant).then_some(t + 1);
            for mi in start..end {
                let Content::Blocks(list) = &self.msgs[mi].content else {
                    continue;
                };
                for (bi, blk) in list.iter().enumerate() {
                    let j = blk.view();
                    // NOTE: a call made by code (programmatic tool calling)
                    // carries `caller` and is answered through that code's
                    // result; it is not judged here.
                    if blk.ty() != "server_tool_use" || j.get("caller").is_some() {
                        continue;
                    }
                    let (Some(id), Some(tool)) = (j.get_str("id"), j.get_str("name")) else {
                        continue;
                    };
                    let Some(result) = result_type(&tool) else {
                        continue;
                    };
                    let answered = [Some(t), later, continued]
                        .into_iter()
                        .flatten()
                        .any(|k| results.contains(&(k, id.clone())));
                    if !answered {
                        open.push(Open {
                            mi,
                            bi,
                            id: id.into_owned(),
                            tool: tool.into_owned(),
                            result,
                        });
                    }
                }
            }
        }
        self.report_open_calls(open);
    }

    fn report_open_calls(&mut self, open: Vec<Open>) {
        // By message (calls come in message order): which of its calls may go.
        let mut start = 0;
        while start < open.len() {
            let mi = open[start].mi;
            let end = start + open[start..].iter().take_while(|c| c.mi == mi).count();
            self.open_calls_of(&open[start..end]);
            start = end;
        }
    }

    /// Reports the open calls of one message and drops those that may go.
    fn open_calls_of(&mut self, calls: &[Open]) {
        let mi = calls[0].mi;
        let Content::Blocks(list) = &self.msgs[mi].content else {
            return;
        };
        let thinking = list.iter().any(|b| is_thinking(&b.ty()));
        let before_system = self
            .msgs
            .get(mi + 1)
            .is_some_and(|m| m.role == Role::System);
        let last = list.len() - 1;
        let keeps_last = before_system && calls.iter().any(|c| c.bi == last);
        let emptied = calls.len() == list.len();
        let mut drop = Vec::new();
        for call in calls {
            let at = list[call.bi].at();
            let unsafe_because = if thinking {
                Some("its message holds thinking blocks, whose signatures cover the turn")
            } else if emptied {
                Some("removing the message's open calls would leave it empty")
            } else if keeps_last && call.bi == last {
                Some("a system message follows it, which may only follow an assistant message ending in a server tool block")
            } else {
                None
            };
            drop.push((call, at, unsafe_because));
        }
        let mut removed = Vec::new();
        for (call, at, unsafe_because) in drop {
            let fix = unsafe_because.is_none() && self.fixing(&SERVER_TOOL_PAIRING);
            if fix {
                removed.push(call.bi);
            }
            // NOTE: past the report bound the call is counted, not described.
            if self.report_full() {
                self.omit_violation(&SERVER_TOOL_PAIRING);
                if fix {
                    self.omit(&SERVER_TOOL_PAIRING);
                }
                continue;
            }
            let (um, _) = self.up(mi, call.bi);
            let message = render(
                SERVER_TOOL_PAIRING.message,
                &[
                    ("m", &um),
                    ("tool", &call.tool),
                    ("id", &call.id),
                    ("result", call.result),
                ],
            );
            let hint = unsafe_because.map(|why| {
                format!("normalize() leaves this call: {why}. The turn ended without its {} block: send the paused message back as the last message to let the server finish it, or add the result", call.result)
            });
            let path = self.at_ptr(at);
            self.report_hint(&SERVER_TOOL_PAIRING, path.clone(), message, hint);
            if !fix {
                continue;
            }
            let value = match &self.msgs[mi].content {
                Content::Blocks(list) => list[call.bi].view().compact(),
                _ => String::new(),
            };
            self.change(
                &SERVER_TOOL_PAIRING,
                path,
                ChangeAction::Removed,
                format!(
                    "{value}: no {} block answers it and the turn is over",
                    call.result
                ),
            );
        }
        if !removed.is_empty() {
            if let Content::Blocks(list) = &mut self.msgs[mi].content {
                super::model::retain_unmarked(list, &removed);
            }
            self.msgs[mi].touched = true;
        }
    }

    /// The ids the server tool result blocks of turn `t` answer, as `(t, id)`.
    fn result_ids(
        &self,
        t: usize,
        (start, end): (usize, usize),
        out: &mut Set<(usize, Cow<'b, str>)>,
    ) {
        for msg in &self.msgs[start..end] {
            let Content::Blocks(list) = &msg.content else {
                continue;
            };
            for blk in list {
                if is_server_result(&blk.ty()) {
                    if let Some(id) = blk.get_str(TOOL_USE_ID) {
                        out.insert((t, id));
                    }
                }
            }
        }
    }

    /// Whether a turn is tool_result blocks and nothing else.
    fn only_tool_results(&self, (start, end): (usize, usize)) -> bool {
        self.msgs[start..end].iter().all(|m| match &m.content {
            Content::Blocks(list) => {
                !list.is_empty() && list.iter().all(|b| b.ty() == "tool_result")
            }
            _ => false,
        })
    }
}
