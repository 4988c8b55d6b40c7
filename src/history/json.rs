//! The history engine's JSON layer: one validating pass over the request bytes,
//! then [`Raw`] views that read values straight from the source text.
//!
//! Why no tree: a history parsed into `serde_json::Value` (or a node per value)
//! costs several times its size in memory, and crafted bodies of tiny values make
//! that many times. A `Raw` is a span of the validated source; reading a field
//! scans the object it belongs to, so the engine visits each block a constant
//! number of times and its memory is per block, not per value. Edits produce new
//! text for the block they change ([`ObjEdit`]); untouched parts keep their exact
//! bytes (key order, number formatting, whitespace), and a clean body comes back
//! as the same bytes.

use std::borrow::Cow;

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

/// Why validation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not JSON; the byte offset where the validator gave up.
    Syntax(usize),
    /// Nesting deeper than the limit.
    Depth,
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

/// Checks that `src` is one JSON value (RFC 8259, as serde_json reads it) nested
/// at most `max_depth` deep. No allocation; linear in `src`.
pub(crate) fn validate(src: &str, max_depth: usize) -> Result<(), ParseError> {
    let mut v = Validator {
        b: src.as_bytes(),
        i: 0,
        max_depth,
    };
    v.value(0)?;
    v.ws();
    if v.i != src.len() {
        return v.err();
    }
    Ok(())
}

struct Validator<'a> {
    b: &'a [u8],
    i: usize,
    max_depth: usize,
}

impl Validator<'_> {
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

    fn value(&mut self, depth: usize) -> Result<(), ParseError> {
        self.ws();
        match self.b.get(self.i) {
            Some(&open @ (b'{' | b'[')) => {
                if depth >= self.max_depth {
                    return Err(ParseError::Depth);
                }
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.ws();
                if self.b.get(self.i) == Some(&close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    if open == b'{' {
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
                    }
                    self.value(depth + 1)?;
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(&c) if c == close => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err(),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.err(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ParseError> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
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
        Ok(())
    }

    fn string(&mut self) -> Result<(), ParseError> {
        self.i += 1;
        loop {
            while self.i < self.b.len() && !ESC[self.b[self.i] as usize] {
                self.i += 1;
            }
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => match self.b.get(self.i + 1) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                    Some(b'u') => {
                        let hex = self.b.get(self.i + 2..self.i + 6);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return self.err();
                        }
                        self.i += 6;
                    }
                    _ => return self.err(),
                },
                _ => return self.err(),
            }
        }
    }
}

/// The end of the JSON value that starts at `i` in validated text (after any
/// whitespace). Linear in the value's length; never panics, whatever the text.
fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            b.len()
        }
        Some(_) => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                j += 1;
            }
            j
        }
        None => i,
    }
}

/// The end of the string literal that starts at `i`.
fn skip_string(b: &[u8], i: usize) -> usize {
    // NOTE: most strings of a history are short keys and type names: a byte
    // loop ends them faster than setting up memchr; long ones switch to it.
    let mut j = i + 1;
    let short = (i + 32).min(b.len());
    while j < short {
        match b[j] {
            b'"' => return j + 1,
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
    while let Some(p) = memchr::memchr2(b'"', b'\\', &b[j.min(b.len())..]) {
        let at = j + p;
        if b[at] == b'"' {
            return at + 1;
        }
        j = at + 2;
    }
    b.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        i += 1;
    }
    i
}

/// A JSON value in validated source text: its exact span, read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    src: &'a str,
    start: u32,
    end: u32,
}

impl<'a> Raw<'a> {
    /// The one value of validated `src` (surrounding whitespace excluded).
    pub(crate) fn root(src: &'a str) -> Raw<'a> {
        let b = src.as_bytes();
        let start = skip_ws(b, 0);
        Raw::at(src, start)
    }

    /// A view of `text`, which is one JSON value and nothing else (text this
    /// engine wrote itself).
    pub(crate) fn whole(text: &'a str) -> Raw<'a> {
        Raw {
            src: text,
            start: 0,
            end: text.len() as u32,
        }
    }

    fn at(src: &'a str, start: usize) -> Raw<'a> {
        let end = skip_value(src.as_bytes(), start);
        Raw {
            src,
            start: start as u32,
            end: end as u32,
        }
    }

    /// Where the value starts in its source.
    pub(crate) fn offset(self) -> usize {
        self.start as usize
    }

    /// The value's exact source text.
    pub(crate) fn text(self) -> &'a str {
        self.src
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    pub(crate) fn kind(self) -> Kind {
        match self.src.as_bytes().get(self.start as usize) {
            Some(b'{') => Kind::Obj,
            Some(b'[') => Kind::Arr,
            Some(b'"') => Kind::Str,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Num,
        }
    }

    /// A string's text between its quotes, escapes left as written.
    fn inner(self) -> &'a str {
        let t = self.text();
        t.get(1..t.len().saturating_sub(1)).unwrap_or_default()
    }

    /// A string value, unescaped.
    pub(crate) fn str(self) -> Option<Cow<'a, str>> {
        if self.kind() != Kind::Str {
            return None;
        }
        let inner = self.inner();
        Some(if inner.contains('\\') {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        })
    }

    /// Compares a string value with `s` without decoding when it has no escapes.
    pub(crate) fn str_eq(self, s: &str) -> bool {
        self.kind() == Kind::Str && {
            let inner = self.inner();
            if inner.contains('\\') {
                unescape(inner) == s
            } else {
                inner == s
            }
        }
    }

    pub(crate) fn blank(self) -> Option<Blank> {
        (self.kind() == Kind::Str).then(|| blank_escaped(self.inner()))
    }

    /// `(key, value)` pairs of an object, in source order (empty otherwise).
    pub(crate) fn entries(self) -> Entries<'a> {
        let b = self.src.as_bytes();
        let open = self.kind() == Kind::Obj;
        Entries {
            src: self.src,
            at: if open {
                self.start as usize + 1
            } else {
                b.len()
            },
            end: self.end as usize,
        }
    }

    /// Elements of an array, in order (empty otherwise).
    pub(crate) fn items(self) -> Items<'a> {
        let b = self.src.as_bytes();
        let open = self.kind() == Kind::Arr;
        Items {
            src: self.src,
            at: if open {
                self.start as usize + 1
            } else {
                b.len()
            },
            end: self.end as usize,
        }
    }

    /// The value of `key`; with duplicate keys the last one, as `JSON.parse` and
    /// serde_json read it.
    pub(crate) fn get(self, key: &str) -> Option<Raw<'a>> {
        self.entries()
            .filter(|(k, _)| k.str_eq(key))
            .last()
            .map(|(_, v)| v)
    }

    /// `get` that treats an explicit `null` as absent.
    pub(crate) fn get_some(self, key: &str) -> Option<Raw<'a>> {
        self.get(key).filter(|v| v.kind() != Kind::Null)
    }

    /// A string field's value, unescaped.
    pub(crate) fn get_str(self, key: &str) -> Option<Cow<'a, str>> {
        self.get(key).and_then(Raw::str)
    }

    /// The value of the `type` field ("" when absent or not a string).
    pub(crate) fn type_name(self) -> Cow<'a, str> {
        self.get_str("type").unwrap_or_default()
    }

    /// Compact JSON text (whitespace outside strings removed), for reports.
    pub(crate) fn compact(self) -> String {
        let t = self.text();
        let b = t.as_bytes();
        let mut out = String::with_capacity(t.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let end = skip_string(b, i);
                    let literal = &t[i..end];
                    // NOTE: a string written with escapes serde_json would not
                    // use (`\u003c`) is shown as serde_json writes it, so a
                    // report quotes a value the way its reader (and the
                    // nothing-lost check) spells it.
                    match literal.get(1..literal.len().saturating_sub(1)) {
                        Some(inner) if inner.contains('\\') => {
                            escape_into(&mut out, &unescape(inner))
                        }
                        _ => out.push_str(literal),
                    }
                    i = end;
                }
                b' ' | b'\n' | b'\r' | b'\t' => i += 1,
                _ => {
                    let start = i;
                    while i < b.len() && !matches!(b[i], b'"' | b' ' | b'\n' | b'\r' | b'\t') {
                        i += 1;
                    }
                    out.push_str(&t[start..i]);
                }
            }
        }
        out
    }
}

pub(crate) struct Entries<'a> {
    src: &'a str,
    at: usize,
    end: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (Raw<'a>, Raw<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.src.as_bytes();
        let i = skip_ws(b, self.at);
        if i >= self.end || b.get(i) != Some(&b'"') {
            self.at = self.end;
            return None;
        }
        let key = Raw::at(self.src, i);
        let colon = skip_ws(b, key.end as usize);
        if b.get(colon) != Some(&b':') {
            self.at = self.end;
            return None;
        }
        let value = Raw::at(self.src, skip_ws(b, colon + 1));
        let after = skip_ws(b, value.end as usize);
        self.at = if b.get(after) == Some(&b',') {
            after + 1
        } else {
            self.end
        };
        Some((key, value))
    }
}

pub(crate) struct Items<'a> {
    src: &'a str,
    at: usize,
    end: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Raw<'a>;
    fn next(&mut self) -> Option<Raw<'a>> {
        let b = self.src.as_bytes();
        let i = skip_ws(b, self.at);
        if i >= self.end || matches!(b.get(i), Some(b']') | None) {
            self.at = self.end;
            return None;
        }
        let item = Raw::at(self.src, i);
        let after = skip_ws(b, item.end as usize);
        self.at = if b.get(after) == Some(&b',') {
            after + 1
        } else {
            self.end
        };
        Some(item)
    }
}

/// Changes to one JSON object's fields, applied in one pass by [`ObjEdit::apply`].
#[derive(Debug, Default, Clone)]
pub(crate) struct ObjEdit {
    /// Fields to remove.
    pub(crate) remove: Vec<String>,
    /// Fields to set to this JSON text (replaced in place, or appended).
    pub(crate) set: Vec<(String, String)>,
}

impl ObjEdit {
    pub(crate) fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.set.is_empty()
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.remove.push(key.to_string());
    }

    pub(crate) fn set(&mut self, key: &str, json: String) {
        self.set.retain(|(k, _)| k != key);
        self.set.push((key.to_string(), json));
    }

    /// The object's text with the edits applied; every other field keeps its
    /// exact key and value text. Duplicate keys are all removed or replaced.
    pub(crate) fn apply(&self, obj: Raw<'_>) -> String {
        let mut out = String::with_capacity(obj.text().len() + 16);
        out.push('{');
        let mut done = vec![false; self.set.len()];
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
        };
        for (k, v) in obj.entries() {
            let name = k.str().unwrap_or_default();
            if self.remove.iter().any(|r| *r == name) {
                continue;
            }
            sep(&mut out);
            out.push_str(k.text());
            out.push(':');
            match self.set.iter().position(|(s, _)| *s == name) {
                Some(at) => {
                    out.push_str(&self.set[at].1);
                    done[at] = true;
                }
                None => out.push_str(v.text()),
            }
        }
        for ((key, json), done) in self.set.iter().zip(done) {
            if !done {
                sep(&mut out);
                escape_into(&mut out, key);
                out.push(':');
                out.push_str(json);
            }
        }
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string literal (escaped as serde_json does).
pub(crate) fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `s` as a JSON string literal.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(&mut out, s);
    out
}

/// Decodes the inside of a JSON string literal (never panics, whatever the text;
/// meaningful for literals the validator accepted). Lone surrogates become
/// U+FFFD (the validator, like browsers' `JSON.parse`, accepts them).
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
        validate(s, 128).is_ok()
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
        let src = r#" {"a" : [1, {"k":"v\"x"} , "]}" ], "n": 1.50, "n": 2 } "#;
        validate(src, 128).unwrap();
        let root = Raw::root(src);
        let a = root.get("a").unwrap();
        let items: Vec<_> = a.items().collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].text(), "1");
        assert_eq!(items[1].get("k").unwrap().str().unwrap(), "v\"x");
        assert_eq!(items[2].str().unwrap(), "]}");
        assert_eq!(
            root.get("n").unwrap().text(),
            "2",
            "the last duplicate wins"
        );
        assert_eq!(root.entries().count(), 3);
        assert_eq!(items[1].compact(), r#"{"k":"v\"x"}"#);
        assert_eq!(Raw::root("[]").items().count(), 0);
        assert_eq!(Raw::root("{ }").entries().count(), 0);
    }

    #[test]
    fn edits_keep_the_other_fields_verbatim() {
        let src =
            r#"{"type" : "text", "text":"", "x": [1, 2 ], "cache_control":{"type":"ephemeral"}}"#;
        let mut edit = ObjEdit::default();
        edit.remove("x");
        edit.set("text", escape("a\"b\n"));
        edit.set("new", "true".into());
        assert_eq!(
            edit.apply(Raw::root(src)),
            r#"{"type":"text","text":"a\"b\n","cache_control":{"type":"ephemeral"},"new":true}"#
        );
    }

    #[test]
    fn depth_limit() {
        assert_eq!(validate("[[[1]]]", 2).unwrap_err(), ParseError::Depth);
        assert!(validate("[[1]]", 2).is_ok());
    }

    #[test]
    fn unescape_escape_and_blank() {
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
        for s in ["", "a\"\\\n\r\t\u{1}\u{8}\u{c}é😀", "\u{7f}"] {
            assert_eq!(escape(s), serde_json::to_string(s).unwrap());
        }
        assert_eq!(blank_escaped(r"\n\n"), Blank::Whitespace);
        assert_eq!(blank_escaped(r"\u0020"), Blank::Whitespace);
        assert_eq!(blank_escaped(r"\nx"), Blank::Text);
        assert_eq!(blank_escaped(""), Blank::Empty);
        assert_eq!(blank_escaped(" a"), Blank::Text);
    }
}
