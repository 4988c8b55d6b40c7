//! Writing the normalized body: every part no fix touched keeps its exact
//! source text; a touched message is written field by field, its blocks as
//! they are (source text or the text an edit made).

use super::ids::{new_id, put_new_id};
use super::json::{escape, ObjEdit, Raw};
use super::model::{Blk, Content, Msg, Run, Src, System};
use super::turns::joined_text_block;
use std::borrow::Cow;

/// Where the body goes: a counter first, then the buffer sized to it.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for usize {
    fn put(&mut self, bytes: &[u8]) {
        *self += bytes.len();
    }
}

/// The body in pieces of up to [`PIECE`] bytes, each handed to `put` (a text
/// longer than a piece, a large image say, is handed on as it is).
struct Pieces<F: FnMut(&[u8])> {
    buf: Vec<u8>,
    put: F,
}

/// The most [`Pieces`] holds before it hands them on.
const PIECE: usize = 64 * 1024;

impl<F: FnMut(&[u8])> Pieces<F> {
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            (self.put)(&self.buf);
            self.buf.clear();
        }
    }
}

impl<F: FnMut(&[u8])> Sink for Pieces<F> {
    // NOTE: one copy for the writer's many call sites (wasm size: inlined
    // into them, it took 2.4 KB more).
    #[inline(never)]
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > PIECE {
            self.flush();
            if bytes.len() > PIECE {
                (self.put)(bytes);
                return;
            }
        }
        self.buf.extend_from_slice(bytes);
    }
}

impl<'b> Run<'b, '_> {
    /// The normalized body in pieces: `begin` gets its exact length and gives
    /// what takes the pieces, in order; they add up to that length.
    // NOTE: the same `write_to` measures and writes, so the two agree. The
    // body is never whole in this memory: a caller that keeps it elsewhere
    // (the wasm binding: in a JS array) holds it once, not twice. Measured
    // before written, a buffer the caller sizes to it is allocated once: a
    // body that grows (inserted tool_results) never holds a doubled copy.
    pub(crate) fn write_pieces<W: FnMut(&[u8])>(&self, begin: impl FnOnce(usize) -> W) {
        let mut len = 0usize;
        self.write_to(&mut len);
        let mut out = Pieces {
            buf: Vec::with_capacity(len.min(PIECE)),
            put: begin(len),
        };
        self.write_to(&mut out);
        out.flush();
    }

    fn write_to(&self, out: &mut impl Sink) {
        if self.bare {
            self.write_messages(out);
            return;
        }
        out.put(b"{");
        let mut first = true;
        let tools_at = self.top("tools").map(|t| t.offset());
        for (k, v) in self.top_entries() {
            if self.dropped_top.contains(&k.offset()) {
                continue;
            }
            if v.offset() == self.messages.offset() {
                comma(out, &mut first);
                out.put(k.text().as_bytes());
                out.put(b":");
                self.write_messages(out);
            } else if let (Some(list), true) = (&self.tools, Some(v.offset()) == tools_at) {
                comma(out, &mut first);
                out.put(k.text().as_bytes());
                out.put(b":");
                write_list(out, list.iter());
            } else if k.str_eq("system") && !matches!(self.system, System::Keep) {
                if let System::Blocks(list) = &self.system {
                    comma(out, &mut first);
                    out.put(k.text().as_bytes());
                    out.put(b":");
                    write_list(out, list.iter());
                }
            } else {
                comma(out, &mut first);
                out.put(k.text().as_bytes());
                out.put(b":");
                out.put(v.text().as_bytes());
            }
        }
        out.put(b"}");
    }

    fn write_messages(&self, out: &mut impl Sink) {
        out.put(b"[");
        let mut first = true;
        for (i, msg) in self.msgs.iter().enumerate() {
            if msg.joined {
                continue;
            }
            comma(out, &mut first);
            if !msg.touched {
                out.put(msg.raw.text().as_bytes());
                continue;
            }
            out.put(b"{");
            let fields = msg
                .raw
                .entries()
                .filter(|(k, _)| !self.dropped_fields.contains(&k.offset()));
            for (n, (k, v)) in fields.enumerate() {
                if n > 0 {
                    out.put(b",");
                }
                out.put(k.text().as_bytes());
                out.put(b":");
                if !k.str_eq("content") {
                    out.put(v.text().as_bytes());
                    continue;
                }
                match &msg.content {
                    Content::Blocks(list) => {
                        let joined = self.msgs[i + 1..].iter().take_while(|m| m.joined);
                        self.write_blocks(out, list, joined);
                    }
                    Content::Text(s) => out.put(escape(s).as_bytes()),
                    Content::Str => out.put(msg.str_raw().unwrap_or(v).text().as_bytes()),
                    Content::Opaque => out.put(v.text().as_bytes()),
                }
            }
            out.put(b"}");
        }
        out.put(b"]");
    }

    /// A message's blocks, then those of the messages joined to it (`merge-roles`).
    fn write_blocks<'m>(
        &self,
        out: &mut impl Sink,
        list: &[Blk<'b>],
        joined: impl Iterator<Item = &'m Msg<'b>>,
    ) where
        'b: 'm,
    {
        out.put(b"[");
        let mut first = true;
        for blk in list {
            comma(out, &mut first);
            self.put_block(out, blk);
        }
        for msg in joined {
            match &msg.content {
                Content::Blocks(list) => {
                    for blk in list {
                        comma(out, &mut first);
                        self.put_block(out, blk);
                    }
                }
                Content::Str => {
                    // NOTE: string content without escapes is its own JSON text
                    // (`escape` would write it back unchanged): no copy of it.
                    let raw = msg.str_raw();
                    match raw.and_then(Raw::str) {
                        Some(Cow::Borrowed("")) => {}
                        Some(Cow::Borrowed(_)) => {
                            comma(out, &mut first);
                            out.put(b"{\"type\":\"text\",\"text\":");
                            out.put(raw.map_or("", Raw::text).as_bytes());
                            out.put(b"}");
                        }
                        _ => put_joined_text(out, msg, &mut first),
                    }
                }
                _ => put_joined_text(out, msg, &mut first),
            }
        }
        out.put(b"]");
    }

    /// A block as the output holds it: with its new tool call id, if any
    /// (see [`Run::new_id_of`]), in place of the old one; the rest as sent.
    fn put_block(&self, out: &mut impl Sink, blk: &Blk<'b>) {
        let j = blk.view();
        let Some(new) = self.new_id_of(blk) else {
            out.put(j.text().as_bytes());
            return;
        };
        if !new.duplicated {
            let text = j.text().as_bytes();
            let at = new.value.offset() - j.offset();
            out.put(&text[..at]);
            out.put(b"\"");
            put_new_id(&new.old, new.suffix, &mut |piece| out.put(piece));
            out.put(b"\"");
            out.put(&text[at + new.value.text().len()..]);
            return;
        }
        // NOTE: every duplicate of the field gets the new id (a reader may
        // take the first or the last), as `ObjEdit` sets a field.
        let mut edit = ObjEdit::default();
        edit.set(new.field, escape(&new_id(&new.old, new.suffix)));
        out.put(edit.apply(j).as_bytes());
    }
}

/// The text block of a joined message's string content, if any.
fn put_joined_text(out: &mut impl Sink, msg: &Msg<'_>, first: &mut bool) {
    if let Some(block) = joined_text_block(msg) {
        comma(out, first);
        out.put(block.as_bytes());
    }
}

fn write_list<'s, 'b: 's>(out: &mut impl Sink, items: impl Iterator<Item = &'s Src<'b>>) {
    out.put(b"[");
    for (i, src) in items.enumerate() {
        if i > 0 {
            out.put(b",");
        }
        out.put(src.view().text().as_bytes());
    }
    out.put(b"]");
}

/// A comma before every item but the first.
fn comma(out: &mut impl Sink, first: &mut bool) {
    if !std::mem::take(first) {
        out.put(b",");
    }
}
