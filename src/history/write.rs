//! Writing the normalized body: every part no fix touched keeps its exact
//! source text; a touched message is written field by field, its blocks as
//! they are (source text or the text an edit made).

use super::json::escape;
use super::model::{Content, Run, Src, System};

impl Run<'_, '_> {
    /// The normalized body.
    pub(crate) fn write(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.root.text().len() + 256);
        if self.bare {
            self.write_messages(&mut out);
            return out;
        }
        out.push(b'{');
        let mut first = true;
        let tools_at = self.root.get("tools").map(|t| t.offset());
        for (k, v) in self.root.entries() {
            if self.dropped_top.contains(&k.offset()) {
                continue;
            }
            let sep = |out: &mut Vec<u8>, first: &mut bool| {
                if !std::mem::take(first) {
                    out.push(b',');
                }
            };
            if v.offset() == self.messages.offset() {
                sep(&mut out, &mut first);
                out.extend_from_slice(k.text().as_bytes());
                out.push(b':');
                self.write_messages(&mut out);
            } else if let (Some(list), true) = (&self.tools, Some(v.offset()) == tools_at) {
                sep(&mut out, &mut first);
                out.extend_from_slice(k.text().as_bytes());
                out.push(b':');
                write_list(&mut out, list.iter());
            } else if k.str_eq("system") && !matches!(self.system, System::Keep) {
                if let System::Blocks(list) = &self.system {
                    sep(&mut out, &mut first);
                    out.extend_from_slice(k.text().as_bytes());
                    out.push(b':');
                    write_list(&mut out, list.iter());
                }
            } else {
                sep(&mut out, &mut first);
                out.extend_from_slice(k.text().as_bytes());
                out.push(b':');
                out.extend_from_slice(v.text().as_bytes());
            }
        }
        out.push(b'}');
        out
    }

    fn write_messages(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, msg) in self.msgs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if !msg.touched {
                out.extend_from_slice(msg.raw.text().as_bytes());
                continue;
            }
            out.push(b'{');
            let fields = msg
                .raw
                .entries()
                .filter(|(k, _)| !self.dropped_fields.contains(&k.offset()));
            for (n, (k, v)) in fields.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(k.text().as_bytes());
                out.push(b':');
                if !k.str_eq("content") {
                    out.extend_from_slice(v.text().as_bytes());
                    continue;
                }
                match &msg.content {
                    Content::Blocks(list) => write_list(out, list.iter().map(|b| &b.src)),
                    Content::Str(_, Some(s)) => out.extend_from_slice(escape(s).as_bytes()),
                    Content::Str(raw, None) => out.extend_from_slice(raw.text().as_bytes()),
                    Content::Opaque => out.extend_from_slice(v.text().as_bytes()),
                }
            }
            out.push(b'}');
        }
        out.push(b']');
    }
}

fn write_list<'s, 'b: 's>(out: &mut Vec<u8>, items: impl Iterator<Item = &'s Src<'b>>) {
    out.push(b'[');
    for (i, src) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(src.view().text().as_bytes());
    }
    out.push(b']');
}
