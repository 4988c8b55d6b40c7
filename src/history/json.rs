//! A one-pass JSON indexer ("tape") over the request bytes, plus a read-only view
//! ([`J`]) that works the same over the tape and over an owned `serde_json::Value`.
//!
//! Why not `serde_json::Value` everywhere: a 2 MB history parsed into `Value` costs
//! an allocation per string and per object. The tape costs one scan and one small
//! node per value; strings stay in the input. The normalizer reads the tape, edits
//! only the blocks it changes (as `Value`), and writes the output by stitching the
//! untouched raw slices, so untouched parts keep their exact bytes (key order,
//! number formatting, whitespace) and a clean body is returned as the same bytes.

use serde_json::Value;
use std::borrow::Cow;

pub(crate) type NodeId = u32;

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Num,
    Str,
    Arr,
    Obj,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    /// Strings only: the literal holds at least one backslash escape.
    escaped: bool,
    start: u32,
    end: u32,
    /// Index of the node after this value's whole subtree.
    next: u32,
}

/// Why the indexer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not JSON; the byte offset where the indexer gave up.
    Syntax(usize),
    /// Nesting deeper than the limit.
    Depth,
}

/// An indexed JSON document borrowing its source text.
#[derive(Debug)]
pub(crate) struct Doc<'a> {
    src: &'a str,
    nodes: Vec<Node>,
}

// NOTE: `ESC[b]` is true for the bytes that end a fast scan inside a string: the
// closing quote, a backslash, and the control characters JSON forbids raw.
const ESC: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

struct Parser<'a, 'n> {
    b: &'a [u8],
    i: usize,
    nodes: &'n mut Vec<Node>,
    max_depth: usize,
}

impl Parser<'_, '_> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn err<T>(&self) -> Result<T, ParseError> {
        Err(ParseError::Syntax(self.i))
    }

    fn push(&mut self, kind: Kind, start: usize) -> usize {
        let id = self.nodes.len();
        self.nodes.push(Node {
            kind,
            escaped: false,
            start: start as u32,
            end: start as u32,
            next: 0,
        });
        id
    }

    fn close(&mut self, id: usize) {
        let next = self.nodes.len() as u32;
        let node = &mut self.nodes[id];
        node.end = self.i as u32;
        node.next = next;
    }

    fn value(&mut self, depth: usize) -> Result<(), ParseError> {
        self.ws();
        let start = self.i;
        match self.b.get(self.i) {
            Some(b'{') => {
                if depth >= self.max_depth {
                    return Err(ParseError::Depth);
                }
                let id = self.push(Kind::Obj, start);
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        if self.b.get(self.i) != Some(&b'"') {
                            return self.err();
                        }
                        self.string()?;
                        self.ws();
                        if self.b.get(self.i) != Some(&b':') {
                            return self.err();
                        }
                        self.i += 1;
                        self.value(depth + 1)?;
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err(),
                        }
                    }
                }
                self.close(id);
            }
            Some(b'[') => {
                if depth >= self.max_depth {
                    return Err(ParseError::Depth);
                }
                let id = self.push(Kind::Arr, start);
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        self.value(depth + 1)?;
                        self.ws();
                        match self.b.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return self.err(),
                        }
                    }
                }
                self.close(id);
            }
            Some(b'"') => self.string()?,
            Some(b't') => self.literal(b"true", Kind::Bool)?,
            Some(b'f') => self.literal(b"false", Kind::Bool)?,
            Some(b'n') => self.literal(b"null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return self.err(),
        }
        Ok(())
    }

    fn literal(&mut self, word: &[u8], kind: Kind) -> Result<(), ParseError> {
        if self.b[self.i..].starts_with(word) {
            let id = self.push(kind, self.i);
            self.i += word.len();
            self.close(id);
            Ok(())
        } else {
            self.err()
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> Result<(), ParseError> {
        let id = self.push(Kind::Num, self.i);
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.err(),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return self.err();
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return self.err();
            }
        }
        self.close(id);
        Ok(())
    }

    fn string(&mut self) -> Result<(), ParseError> {
        let id = self.push(Kind::Str, self.i);
        self.i += 1;
        let mut escaped = false;
        loop {
            while self.i < self.b.len() && !ESC[self.b[self.i] as usize] {
                self.i += 1;
            }
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    break;
                }
                Some(b'\\') => {
                    escaped = true;
                    match self.b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            let hex = self.b.get(self.i + 2..self.i + 6);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return self.err();
                            }
                            self.i += 6;
                        }
                        _ => return self.err(),
                    }
                }
                _ => return self.err(),
            }
        }
        self.close(id);
        self.nodes[id].escaped = escaped;
        Ok(())
    }
}

impl<'a> Doc<'a> {
    /// Indexes `src`. `max_depth` bounds the nesting of arrays and objects.
    pub(crate) fn parse(src: &'a str, max_depth: usize) -> Result<Doc<'a>, ParseError> {
        // NOTE: a JSON value needs at least one node per ~6 bytes of a typical
        // history; reserving src.len()/16 avoids most regrowth without overshooting.
        let mut nodes = Vec::with_capacity(src.len() / 16 + 4);
        let mut p = Parser {
            b: src.as_bytes(),
            i: 0,
            nodes: &mut nodes,
            max_depth,
        };
        p.value(0)?;
        p.ws();
        if p.i != src.len() {
            return p.err();
        }
        Ok(Doc { src, nodes })
    }

    pub(crate) fn root(&self) -> NodeId {
        0
    }

    pub(crate) fn kind(&self, id: NodeId) -> Kind {
        self.nodes[id as usize].kind
    }

    /// The value's exact source text.
    pub(crate) fn raw(&self, id: NodeId) -> &'a str {
        let n = &self.nodes[id as usize];
        &self.src[n.start as usize..n.end as usize]
    }

    /// A string's text between its quotes, escapes left as written.
    fn inner(&self, id: NodeId) -> &'a str {
        let raw = self.raw(id);
        &raw[1..raw.len() - 1]
    }

    pub(crate) fn str(&self, id: NodeId) -> Option<Cow<'a, str>> {
        let n = &self.nodes[id as usize];
        if n.kind != Kind::Str {
            return None;
        }
        let inner = self.inner(id);
        Some(if n.escaped {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        })
    }

    /// Compares a string node with `s` without decoding when it has no escapes.
    pub(crate) fn str_eq(&self, id: NodeId, s: &str) -> bool {
        let n = &self.nodes[id as usize];
        n.kind == Kind::Str
            && if n.escaped {
                unescape(self.inner(id)) == s
            } else {
                self.inner(id) == s
            }
    }

    pub(crate) fn blank(&self, id: NodeId) -> Option<Blank> {
        (self.kind(id) == Kind::Str).then(|| blank_escaped(self.inner(id)))
    }

    /// `(key, value)` node pairs of an object, in source order.
    pub(crate) fn entries(&self, id: NodeId) -> Entries<'_, 'a> {
        let n = &self.nodes[id as usize];
        let end = if n.kind == Kind::Obj { n.next } else { id + 1 };
        Entries {
            doc: self,
            at: id + 1,
            end,
        }
    }

    /// Element nodes of an array, in order.
    pub(crate) fn items(&self, id: NodeId) -> Items<'_, 'a> {
        let n = &self.nodes[id as usize];
        let end = if n.kind == Kind::Arr { n.next } else { id + 1 };
        Items {
            doc: self,
            at: id + 1,
            end,
        }
    }

    /// The value of `key`; with duplicate keys the last one, as `JSON.parse` and
    /// serde_json read it.
    pub(crate) fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        self.entries(id)
            .filter(|&(k, _)| self.str_eq(k, key))
            .last()
            .map(|(_, v)| v)
    }
}

pub(crate) struct Entries<'d, 'a> {
    doc: &'d Doc<'a>,
    at: NodeId,
    end: NodeId,
}

impl Iterator for Entries<'_, '_> {
    type Item = (NodeId, NodeId);
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.end {
            return None;
        }
        let key = self.at;
        let value = key + 1;
        self.at = self.doc.nodes[value as usize].next;
        Some((key, value))
    }
}

pub(crate) struct Items<'d, 'a> {
    doc: &'d Doc<'a>,
    at: NodeId,
    end: NodeId,
}

impl Iterator for Items<'_, '_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.at >= self.end {
            return None;
        }
        let id = self.at;
        self.at = self.doc.nodes[id as usize].next;
        Some(id)
    }
}

/// Decodes the inside of a JSON string literal (never panics, whatever the text;
/// meaningful for literals the indexer accepted). Lone
/// surrogates become U+FFFD (the indexer, like browsers' `JSON.parse`, accepts them).
pub(crate) fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(pos) = rest.find('\\') {
        out.push_str(&rest[..pos]);
        let b = rest.as_bytes();
        let (ch, used) = match b.get(pos + 1) {
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'u') => {
                let at = |i: usize| rest.get(pos + i..).unwrap_or_default();
                let hi = hex4(at(2));
                if (0xD800..0xDC00).contains(&hi) && at(6).starts_with("\\u") {
                    let lo = hex4(at(8));
                    if (0xDC00..0xE000).contains(&lo) {
                        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                        (char::from_u32(c).unwrap_or('\u{fffd}'), 12)
                    } else {
                        ('\u{fffd}', 6)
                    }
                } else {
                    (char::from_u32(hi).unwrap_or('\u{fffd}'), 6)
                }
            }
            // `"`, `\` and `/` stand for themselves.
            Some(&c) if c.is_ascii() => (c as char, 2),
            _ => ('\u{fffd}', 1),
        };
        out.push(ch);
        let mut next = (pos + used).min(rest.len());
        while !rest.is_char_boundary(next) {
            next += 1;
        }
        rest = &rest[next..];
    }
    out.push_str(rest);
    out
}

fn hex4(s: &str) -> u32 {
    s.get(..4)
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .unwrap_or(0xFFFD)
}

/// How blank a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blank {
    Empty,
    Whitespace,
    Text,
}

pub(crate) fn blank_of(s: &str) -> Blank {
    if s.is_empty() {
        Blank::Empty
    } else if s.chars().all(char::is_whitespace) {
        Blank::Whitespace
    } else {
        Blank::Text
    }
}

/// [`blank_of`] on a string literal's inside, decoding escapes only as far as
/// needed (usually the first character decides).
fn blank_escaped(inner: &str) -> Blank {
    if inner.is_empty() {
        return Blank::Empty;
    }
    let first_plain = inner.chars().next().is_some_and(|c| c != '\\');
    if first_plain && !inner.chars().next().is_some_and(char::is_whitespace) {
        return Blank::Text;
    }
    blank_of(&unescape(inner))
}

/// A read-only view of a JSON value held either by a [`Doc`] or as a `Value`.
#[derive(Clone, Copy)]
pub(crate) enum J<'b> {
    D(&'b Doc<'b>, NodeId),
    V(&'b Value),
}

impl<'b> J<'b> {
    pub(crate) fn kind(self) -> Kind {
        match self {
            J::D(d, id) => d.kind(id),
            J::V(v) => match v {
                Value::Null => Kind::Null,
                Value::Bool(_) => Kind::Bool,
                Value::Number(_) => Kind::Num,
                Value::String(_) => Kind::Str,
                Value::Array(_) => Kind::Arr,
                Value::Object(_) => Kind::Obj,
            },
        }
    }

    pub(crate) fn str(self) -> Option<Cow<'b, str>> {
        match self {
            J::D(d, id) => d.str(id),
            J::V(v) => v.as_str().map(Cow::Borrowed),
        }
    }

    pub(crate) fn str_eq(self, s: &str) -> bool {
        match self {
            J::D(d, id) => d.str_eq(id, s),
            J::V(v) => v.as_str() == Some(s),
        }
    }

    pub(crate) fn blank(self) -> Option<Blank> {
        match self {
            J::D(d, id) => d.blank(id),
            J::V(v) => v.as_str().map(blank_of),
        }
    }

    pub(crate) fn get(self, key: &str) -> Option<J<'b>> {
        match self {
            J::D(d, id) => d.get(id, key).map(|v| J::D(d, v)),
            J::V(v) => v.get(key).map(J::V),
        }
    }

    /// `get` that treats an explicit `null` as absent.
    pub(crate) fn get_some(self, key: &str) -> Option<J<'b>> {
        self.get(key).filter(|v| v.kind() != Kind::Null)
    }

    pub(crate) fn keys(self) -> Vec<Cow<'b, str>> {
        match self {
            J::D(d, id) => d.entries(id).filter_map(|(k, _)| d.str(k)).collect(),
            J::V(v) => v
                .as_object()
                .map(|m| m.keys().map(|k| Cow::Borrowed(k.as_str())).collect())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn items(self) -> Vec<J<'b>> {
        match self {
            J::D(d, id) => d.items(id).map(|i| J::D(d, i)).collect(),
            J::V(v) => v
                .as_array()
                .map(|a| a.iter().map(J::V).collect())
                .unwrap_or_default(),
        }
    }

    /// The value's JSON text (source text for a `Doc`, compact for a `Value`).
    pub(crate) fn json(self) -> Cow<'b, str> {
        match self {
            J::D(d, id) => Cow::Borrowed(d.raw(id)),
            J::V(v) => Cow::Owned(v.to_string()),
        }
    }

    /// Compact JSON text, for reports (source formatting dropped).
    pub(crate) fn compact(self) -> String {
        match self {
            J::D(d, id) => serde_json::from_str::<Value>(d.raw(id))
                .map(|v| v.to_string())
                .unwrap_or_else(|_| d.raw(id).to_string()),
            J::V(v) => v.to_string(),
        }
    }

    /// An owned copy to edit. `None` when serde_json refuses the text (a lone
    /// surrogate escape, or nesting past its own recursion limit): such a block is
    /// then left as it is.
    pub(crate) fn to_value(self) -> Option<Value> {
        match self {
            J::D(d, id) => serde_json::from_str(d.raw(id)).ok(),
            J::V(v) => Some(v.clone()),
        }
    }
}

/// RFC 6901 escaping of one reference token.
pub(crate) fn pointer_token(s: &str) -> Cow<'_, str> {
    if s.contains(['~', '/']) {
        Cow::Owned(s.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> bool {
        Doc::parse(s, 128).is_ok()
    }

    #[test]
    fn accepts_exactly_what_serde_json_accepts() {
        let cases = [
            "{}",
            "[]",
            " [1, -0.5e+3, true, false, null, \"a\\u00e9\\n\"] ",
            "{\"a\":{\"b\":[{}]}}",
            "01",
            "[1,]",
            "{\"a\" 1}",
            "\"\u{1}\"",
            "\"\\x\"",
            "1.",
            "-",
            "[1] x",
            "",
            "\"\\u12\"",
            "{\"a\":1,}",
            "tru",
            "1e",
        ];
        for c in cases {
            let serde_ok = serde_json::from_str::<serde::de::IgnoredAny>(c).is_ok();
            assert_eq!(ok(c), serde_ok, "{c:?}");
        }
    }

    #[test]
    fn navigates_and_keeps_raw_text() {
        let src = r#"{"a" : [1, {"k":"v\"x"}], "n": 1.50}"#;
        let d = Doc::parse(src, 128).unwrap();
        let a = d.get(d.root(), "a").unwrap();
        let items: Vec<_> = d.items(a).collect();
        assert_eq!(d.raw(items[0]), "1");
        assert_eq!(d.str(d.get(items[1], "k").unwrap()).unwrap(), "v\"x");
        assert_eq!(d.raw(d.get(d.root(), "n").unwrap()), "1.50");
        assert_eq!(d.entries(d.root()).count(), 2);
    }

    #[test]
    fn depth_limit() {
        assert_eq!(Doc::parse("[[[1]]]", 2).unwrap_err(), ParseError::Depth);
        assert!(Doc::parse("[[1]]", 2).is_ok());
    }

    #[test]
    fn unescape_and_blank() {
        assert_eq!(unescape(r"a\ud83d\ude00\u00e9\/"), "a😀é/");
        assert_eq!(unescape(r"\ud800x"), "\u{fffd}x");
        // Malformed tails do not panic.
        for s in [
            r"\",
            r"\u",
            r"\u12",
            r"\ud800\u",
            r"\ud800\udc",
            "\\é",
            "\\uéé",
            "\\ud800\\uéé",
        ] {
            let _ = unescape(s);
        }
        assert_eq!(blank_escaped(r"\n\n"), Blank::Whitespace);
        assert_eq!(blank_escaped(r"\u0020"), Blank::Whitespace);
        assert_eq!(blank_escaped(r"\nx"), Blank::Text);
        assert_eq!(blank_escaped(""), Blank::Empty);
        assert_eq!(blank_escaped(" a"), Blank::Text);
    }
}
