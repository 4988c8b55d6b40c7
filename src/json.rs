//! The crate's JSON layer: one validating pass over the bytes, then [`Raw`]
//! views that read values straight from the source text.
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
use std::ops::Range;

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

/// Which of serde_json's two readers a check follows. They accept the same
/// grammar and differ in the escapes a string may hold and in the wording of
/// a few errors; the crate answers exactly as the reader it replaced did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reader {
    /// `IgnoredAny`: a `\u` escape may be a lone surrogate, and string bytes
    /// are not checked as UTF-8 (what `JSON.parse` accepts, and more).
    Ignore,
    /// `Value` / `String`: strings must be text: surrogate escapes paired,
    /// and, for input given as bytes, valid UTF-8.
    Value,
}

/// The nesting serde_json's readers allow (its recursion limit of 128
/// counts down before each container: the 128th level is refused).
pub(crate) const SERDE_DEPTH: usize = 127;

/// Why a check failed: serde_json's error, with its position and wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) code: Code,
    /// 1-based line.
    pub(crate) line: usize,
    /// The column as serde_json counts it (1-based; 0 at a line's start).
    pub(crate) column: usize,
}

/// serde_json's error codes, those its readers can raise here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    EofList,
    EofObject,
    EofString,
    EofValue,
    Colon,
    ListCommaOrEnd,
    ObjectCommaOrEnd,
    Ident,
    Value,
    Escape,
    Number,
    Unicode,
    Control,
    KeyMustBeString,
    LoneSurrogate,
    TrailingComma,
    TrailingCharacters,
    HexEnd,
    /// Nesting deeper than the limit the check was given.
    Depth,
}

impl Error {
    /// serde_json's text for the error, without the position.
    pub(crate) fn reason(&self) -> &'static str {
        match self.code {
            Code::EofList => "EOF while parsing a list",
            Code::EofObject => "EOF while parsing an object",
            Code::EofString => "EOF while parsing a string",
            Code::EofValue => "EOF while parsing a value",
            Code::Colon => "expected `:`",
            Code::ListCommaOrEnd => "expected `,` or `]`",
            Code::ObjectCommaOrEnd => "expected `,` or `}`",
            Code::Ident => "expected ident",
            Code::Value => "expected value",
            Code::Escape => "invalid escape",
            Code::Number => "invalid number",
            Code::Unicode => "invalid unicode code point",
            Code::Control => "control character (\\u0000-\\u001F) found while parsing a string",
            Code::KeyMustBeString => "key must be a string",
            Code::LoneSurrogate => "lone leading surrogate in hex escape",
            Code::TrailingComma => "trailing comma",
            Code::TrailingCharacters => "trailing characters",
            Code::HexEnd => "unexpected end of hex escape",
            Code::Depth => "recursion limit exceeded",
        }
    }
}

impl Error {
    /// The error's text (its `Display`), made without `core::fmt`.
    pub(crate) fn message(&self) -> String {
        let reason = self.reason();
        let (line, column) = (self.line, self.column);
        crate::text::cat(&[&reason, &" at line ", &line, &" column ", &column])
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

/// Checks that `src` is one JSON value as serde_json's `reader` reads it from
/// bytes, nested at most `max_depth` deep. No allocation below 64 levels;
/// linear in `src`, whatever its nesting.
pub(crate) fn check(src: &[u8], reader: Reader, max_depth: usize) -> Result<(), Error> {
    Checker::new(src, reader, max_depth, reader == Reader::Value).run()
}

/// [`check`] of text (no UTF-8 to check: serde_json's `from_str`).
pub(crate) fn check_str(src: &str, reader: Reader, max_depth: usize) -> Result<(), Error> {
    Checker::new(src.as_bytes(), reader, max_depth, false).run()
}

/// Checks that `src` is one JSON value (RFC 8259, with lone surrogate escapes
/// as `JSON.parse` takes them) nested at most `max_depth` deep.
pub(crate) fn validate(src: &str, max_depth: usize) -> Result<(), Error> {
    check_str(src, Reader::Ignore, max_depth)
}

/// The value `src` holds, as serde_json reads a `Value` from text.
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
pub(crate) fn read(src: &str) -> Result<Raw<'_>, Error> {
    check_str(src, Reader::Value, SERDE_DEPTH)?;
    Ok(Raw::root(src))
}

/// [`read`] of bytes.
pub(crate) fn read_bytes(src: &[u8]) -> Result<Raw<'_>, Error> {
    check(src, Reader::Value, SERDE_DEPTH)?;
    // NOTE: a checked Value is UTF-8 throughout: strings were checked, and
    // everything outside them is ASCII.
    let src = std::str::from_utf8(src).map_err(|_| Error {
        code: Code::Unicode,
        line: 0,
        column: 0,
    })?;
    Ok(Raw::root(src))
}

/// The open containers of a check: one bit per level (set: an object).
struct Nest {
    depth: usize,
    low: u64,
    high: Vec<u64>,
}

impl Nest {
    fn push(&mut self, obj: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        let w = if word == 0 {
            &mut self.low
        } else {
            if self.high.len() < word {
                self.high.push(0);
            }
            &mut self.high[word - 1]
        };
        *w = (*w & !(1 << bit)) | (u64::from(obj) << bit);
        self.depth += 1;
    }

    /// Whether the innermost open container is an object.
    fn top(&self) -> bool {
        let d = self.depth - 1;
        let w = if d < 64 {
            self.low
        } else {
            self.high[d / 64 - 1]
        };
        w >> (d % 64) & 1 == 1
    }
}

struct Checker<'a> {
    b: &'a [u8],
    i: usize,
    reader: Reader,
    max_depth: usize,
    /// Strings must be valid UTF-8 (a `Value` read from bytes).
    utf8: bool,
    nest: Nest,
}

/// `ESC[b]`: the bytes that stop a scan inside a string: the closing quote, a
/// backslash, and the control characters JSON forbids raw.
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

/// A byte of ones in each of a word's eight.
const ONES: u64 = u64::MAX / 255;

/// The eight bytes of `b` from `i` as a little-endian word (zeros past the end).
#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    let mut w = [0; 8];
    if let Some(chunk) = b.get(i..i + 8) {
        w.copy_from_slice(chunk);
    }
    u64::from_le_bytes(w)
}

/// The high bit of each byte of `v` equal to `c`, exact up to the first one
/// (the lowest set bit; a later one may be false, after a borrow).
#[inline(always)]
fn bytes_eq(v: u64, c: u8) -> u64 {
    let x = v ^ (ONES * u64::from(c));
    x.wrapping_sub(ONES) & !x & (ONES << 7)
}

/// The first offset from `i` on whose byte is in [`ESC`] (or `b.len()`).
fn string_stop(b: &[u8], mut i: usize) -> usize {
    // NOTE: eight bytes at a time (the "has a byte less than" trick): text
    // deltas are mostly long runs of plain bytes.
    while i + 8 <= b.len() {
        let v = word(b, i);
        let hit = (v.wrapping_sub(ONES * 0x20) & !v & (ONES << 7))
            | bytes_eq(v, b'"')
            | bytes_eq(v, b'\\');
        if hit != 0 {
            return i + hit.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while i < b.len() && !ESC[b[i] as usize] {
        i += 1;
    }
    i
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t')
}

impl<'a> Checker<'a> {
    fn new(b: &'a [u8], reader: Reader, max_depth: usize, utf8: bool) -> Self {
        Checker {
            b,
            i: 0,
            reader,
            max_depth,
            utf8,
            nest: Nest {
                depth: 0,
                low: 0,
                high: Vec::new(),
            },
        }
    }

    /// The next byte that is not whitespace (not consumed).
    fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.i) {
            if !is_ws(c) {
                return Some(c);
            }
            self.i += 1;
        }
        None
    }

    /// An error at the last byte read (serde_json's `error`).
    #[cold]
    fn err(&self, code: Code) -> Error {
        self.error_at(code, self.i)
    }

    /// An error at the byte peeked at (serde_json's `peek_error`).
    #[cold]
    fn peek_err(&self, code: Code) -> Error {
        self.error_at(code, (self.i + 1).min(self.b.len()))
    }

    fn error_at(&self, code: Code, i: usize) -> Error {
        // NOTE: plain loops, not memchr: an error's position is read once,
        // and memchr's vector search would be ~0.9 KB of wasm here.
        let before = &self.b[..i];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        Error {
            code,
            line: 1 + before[..line_start].iter().filter(|&&b| b == b'\n').count(),
            column: i - line_start,
        }
    }

    fn run(mut self) -> Result<(), Error> {
        let value = self.reader == Reader::Value;
        'value: loop {
            let Some(c) = self.peek() else {
                return Err(self.peek_err(Code::EofValue));
            };
            match c {
                b'{' | b'[' => {
                    let obj = c == b'{';
                    if self.nest.depth >= self.max_depth {
                        return Err(self.peek_err(Code::Depth));
                    }
                    self.i += 1;
                    self.nest.push(obj);
                    match self.peek() {
                        None if obj => return Err(self.peek_err(Code::EofObject)),
                        None => return Err(self.peek_err(Code::EofList)),
                        Some(b'}') if obj => self.i += 1,
                        Some(b']') if !obj => self.i += 1,
                        Some(b'"') if obj => {
                            self.key()?;
                            continue 'value;
                        }
                        Some(_) if obj => return Err(self.peek_err(Code::KeyMustBeString)),
                        Some(_) => continue 'value,
                    }
                    self.nest.depth -= 1;
                }
                b'"' => {
                    self.i += 1;
                    self.string()?;
                }
                b't' => self.ident(b"rue")?,
                b'f' => self.ident(b"alse")?,
                b'n' => self.ident(b"ull")?,
                b'-' => {
                    self.i += 1;
                    self.number()?;
                }
                b'0'..=b'9' => self.number()?,
                _ => return Err(self.peek_err(Code::Value)),
            }
            // After a value: a separator, or the ends of containers.
            while self.nest.depth > 0 {
                let obj = self.nest.top();
                match self.peek() {
                    None if obj => return Err(self.peek_err(Code::EofObject)),
                    None => return Err(self.peek_err(Code::EofList)),
                    Some(b',') => {
                        self.i += 1;
                        // NOTE: the readers word a few errors after a comma
                        // differently (`Value` reads ahead for the next item).
                        match self.peek() {
                            Some(b']') if value && !obj => {
                                return Err(self.peek_err(Code::TrailingComma))
                            }
                            Some(b'}') if value && obj => {
                                return Err(self.peek_err(Code::TrailingComma))
                            }
                            Some(b'"') if obj => {
                                self.key()?;
                                continue 'value;
                            }
                            Some(_) if obj => return Err(self.peek_err(Code::KeyMustBeString)),
                            None if obj && !value => return Err(self.peek_err(Code::EofObject)),
                            None if obj => return Err(self.peek_err(Code::EofValue)),
                            _ => continue 'value,
                        }
                    }
                    Some(b'}') if obj => self.i += 1,
                    Some(b']') if !obj => self.i += 1,
                    Some(_) if obj => return Err(self.peek_err(Code::ObjectCommaOrEnd)),
                    Some(_) => return Err(self.peek_err(Code::ListCommaOrEnd)),
                }
                self.nest.depth -= 1;
            }
            break;
        }
        if self.peek().is_some() {
            return Err(self.peek_err(Code::TrailingCharacters));
        }
        Ok(())
    }

    /// A key (at its opening quote) and its colon.
    fn key(&mut self) -> Result<(), Error> {
        self.i += 1;
        self.string()?;
        match self.peek() {
            Some(b':') => {
                self.i += 1;
                Ok(())
            }
            Some(_) => Err(self.peek_err(Code::Colon)),
            None => Err(self.peek_err(Code::EofObject)),
        }
    }

    /// The rest of `true`, `false` or `null` after its first byte.
    fn ident(&mut self, rest: &[u8]) -> Result<(), Error> {
        self.i += 1;
        for &want in rest {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.err(Code::EofValue));
            };
            self.i += 1;
            if c != want {
                return Err(self.err(Code::Ident));
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> bool {
        let from = self.i;
        while matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i > from
    }

    /// The error where a number needs a digit and has none: past the byte
    /// found there, or at the end (`value`: the `Value` reader's wording).
    #[cold]
    fn no_digit(&mut self, value: bool) -> Error {
        if self.i < self.b.len() {
            self.i += 1;
            self.err(Code::Number)
        } else if value {
            self.err(Code::EofValue)
        } else {
            self.err(Code::Number)
        }
    }

    /// A number after its sign.
    fn number(&mut self) -> Result<(), Error> {
        let value = self.reader == Reader::Value;
        match self.b.get(self.i) {
            Some(b'0') => {
                self.i += 1;
                if matches!(self.b.get(self.i), Some(b'0'..=b'9')) {
                    return Err(self.peek_err(Code::Number));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.no_digit(value)),
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !self.digits() {
                let eof = self.i == self.b.len();
                return Err(self.peek_err(if eof && value {
                    Code::EofValue
                } else {
                    Code::Number
                }));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !self.digits() {
                return Err(self.no_digit(value));
            }
        }
        Ok(())
    }

    /// A string after its opening quote.
    fn string(&mut self) -> Result<(), Error> {
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = string_stop(self.b, self.i);
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return if self.utf8 {
                        self.utf8_text(start, escaped)
                    } else {
                        Ok(())
                    };
                }
                Some(b'\\') => {
                    self.i += 1;
                    escaped = true;
                    self.escape()?;
                }
                Some(_) => {
                    if self.reader == Reader::Value {
                        self.i += 1;
                    }
                    return Err(self.err(Code::Control));
                }
                None => return Err(self.err(Code::EofString)),
            }
        }
    }

    /// An escape after its backslash.
    fn escape(&mut self) -> Result<(), Error> {
        let Some(&c) = self.b.get(self.i) else {
            return Err(self.err(Code::EofString));
        };
        self.i += 1;
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let n = self.hex4()?;
                if self.reader == Reader::Ignore {
                    return Ok(());
                }
                if (0xDC00..0xE000).contains(&n) {
                    return Err(self.err(Code::LoneSurrogate));
                }
                if !(0xD800..0xDC00).contains(&n) {
                    return Ok(());
                }
                for want in [b'\\', b'u'] {
                    let Some(&c) = self.b.get(self.i) else {
                        return Err(self.err(Code::EofString));
                    };
                    self.i += 1;
                    if c != want {
                        return Err(self.err(Code::HexEnd));
                    }
                }
                if (0xDC00..0xE000).contains(&self.hex4()?) {
                    Ok(())
                } else {
                    Err(self.err(Code::LoneSurrogate))
                }
            }
            _ => Err(self.err(Code::Escape)),
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let Some(hex) = self.b.get(self.i..self.i + 4) else {
            self.i = self.b.len();
            return Err(self.err(Code::EofString));
        };
        self.i += 4;
        hex.iter()
            .try_fold(0, |n, &h| Some(n << 4 | char::from(h).to_digit(16)?))
            .ok_or_else(|| self.err(Code::Escape))
    }

    /// The UTF-8 check of a string that ended just before `self.i`; the
    /// column of an error points at the first bad byte of the decoded text,
    /// as serde_json counts it.
    fn utf8_text(&self, start: usize, escaped: bool) -> Result<(), Error> {
        let raw = &self.b[start..self.i - 1];
        if raw.is_ascii() {
            return Ok(());
        }
        let decoded;
        let text = if escaped {
            decoded = unescape_bytes(raw);
            &decoded[..]
        } else {
            raw
        };
        match std::str::from_utf8(text) {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut err = self.err(Code::Unicode);
                err.column = err.column.saturating_sub(text.len() - e.valid_up_to());
                Err(err)
            }
        }
    }
}

/// The bytes a checked string's inside stands for (escapes decoded, other
/// bytes as they are), for the position of a UTF-8 error.
fn unescape_bytes(inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] != b'\\' {
            out.push(inner[i]);
            i += 1;
            continue;
        }
        let (text, used) = unescape_one(inner.get(i..).unwrap_or_default());
        let mut buf = [0; 4];
        out.extend_from_slice(text.encode_utf8(&mut buf).as_bytes());
        i += used;
    }
    out
}

// Scanning: where values are, in text that may not be valid JSON (the
// sanitizer classifies events this way without checking them), and in
// checked text (the `Raw` views below).

/// The text scanned is not a JSON object (or is cut short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// Just past the closing quote of the string literal that opens at `i`.
// NOTE: inlined into its callers: the wasm engine does not inline calls, and
// one per string was ~12% of normalize time on bodies of many small blocks.
#[inline(always)]
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    // NOTE: most strings are short keys and type names: a byte loop ends them
    // faster than setting up memchr; long ones switch to it.
    let mut j = i + 1;
    let short = (i + 32).min(b.len());
    // NOTE: eight bytes at a time first, as `string_stop` (a key or a type
    // name is mostly read in one or two words): 5-10% of normalize's time on
    // bodies of small blocks. Not in the stream module: there it measured
    // within noise, for 0.2 KB.
    while cfg!(feature = "history") && j + 8 <= short {
        let v = word(b, j);
        let hit = bytes_eq(v, b'"') | bytes_eq(v, b'\\');
        if hit == 0 {
            j += 8;
            continue;
        }
        let at = j + hit.trailing_zeros() as usize / 8;
        if b.get(at) == Some(&b'"') {
            return Some(at + 1);
        }
        j = at + 2;
    }
    while j < short {
        match b[j] {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
    while let Some(p) = memchr::memchr2(b'"', b'\\', b.get(j..)?) {
        let at = j + p;
        if b[at] == b'"' {
            return Some(at + 1);
        }
        j = at + 2;
    }
    None
}

/// Just past the value that starts at `i`: a string, a bracketed value
/// (brackets matched by count only), or a number or literal (`-`, a digit,
/// `t`, `f` or `n`, then `[-+.0-9a-zE]`). `None` for anything else and for a
/// value cut short. In checked text, exactly the value.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            // NOTE: the index is asked once, when the scan first reaches
            // this far: text it does not hold (an edited block, an event)
            // is scanned on at no further cost.
            #[cfg(feature = "history")]
            let mut probe = i + index::LARGE;
            while let Some(&c) = b.get(j) {
                #[cfg(feature = "history")]
                if j >= probe {
                    if let Some(end) = index::indexed_end(b, i) {
                        return Some(end);
                    }
                    probe = usize::MAX;
                }
                match c {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
            let mut j = i + 1;
            while matches!(
                b.get(j),
                Some(b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E')
            ) {
                j += 1;
            }
            Some(j)
        }
        _ => None,
    }
}

/// The index of a body's large values (the history engine's; the stream
/// module, built without it, has a stand-in that indexes nothing).
#[cfg(feature = "history")]
mod index {
    use super::value_end;

    /// A container at least this long is looked up in the body's index of ends
    /// ([`Ends`]), once a scan of it has read this far.
    pub(super) const LARGE: usize = 256;

    thread_local! {
        /// The body the history engine reads (its address and length) and the
        /// ends of its large containers, by start: see [`Ends`].
        // NOTE: a `Cell`, taken and put back (no borrow flag, no panic path).
        pub(super) static ENDS: std::cell::Cell<Index> =
            const { std::cell::Cell::new((0, 0, Vec::new())) };
    }

    #[cfg(test)]
    thread_local! {
        /// Calls of [`indexed_end`] on this thread.
        pub(super) static LOOKUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Puts `new` in [`ENDS`], returns what it held.
    // NOTE: `try_with`: no panic path (a thread's locals are not read while
    // they are destroyed); `with` formats its error into the module.
    fn swap(new: Index) -> Index {
        ENDS.try_with(|e| e.replace(new)).unwrap_or_default()
    }

    type Index = (usize, usize, Vec<(u32, u32)>);

    /// The end of the container that starts at `i` of `b`, if `b` is the body
    /// indexed ([`Ends`]) and the container is large.
    #[cold]
    pub(super) fn indexed_end(b: &[u8], i: usize) -> Option<usize> {
        #[cfg(test)]
        LOOKUPS.set(LOOKUPS.get() + 1);
        let (at, len, ends) = swap(Default::default());
        let end = if (at, len) == (b.as_ptr() as usize, b.len()) {
            ends.binary_search_by_key(&(i as u32), |&(s, _)| s)
                .ok()
                .map(|k| ends[k].1 as usize)
        } else {
            None
        };
        swap((at, len, ends));
        end
    }

    /// The ends of the large containers (at least [`LARGE`] bytes) of a checked
    /// body, for as long as this lives: the end of such a value is found by a
    /// lookup, not a scan of it. The history engine reads a value's end at each
    /// level it is nested in (the messages, a message, its content), most of them
    /// twice (once to count the items, once to read them): without the index, a
    /// body of a few large messages was scanned whole about seven times.
    // NOTE: kept in a thread-local, not in each `Raw` (a `Raw` is in every block
    // the engine keeps; one more pointer would grow each by a third). A lookup
    // checks the slice is the very body indexed, so text the engine wrote (an
    // edited block) or another body is scanned as before; the guard borrows
    // the body (it cannot change or go while indexed), stays on its thread,
    // and clears the index when dropped. A run inside another (none today)
    // would leave the outer one scanning, correct but slower.
    // Only containers nested at most `DEEP` levels are indexed: each byte is
    // in at most `DEEP` of them, so the index holds at most one entry (8
    // bytes) per `LARGE / DEEP` bytes of body: a quarter of its size.
    pub(crate) struct Ends<'a> {
        at: usize,
        body: std::marker::PhantomData<(&'a str, *const ())>,
    }

    /// The deepest containers indexed: those the history engine reads (the
    /// body, messages, a message, its content, a block, a field of it, a
    /// tool_result's content items, a field of one).
    const DEEP: usize = 8;

    impl<'a> Ends<'a> {
        /// Indexes `src` (checked JSON). Returns the guard and the bytes the
        /// index holds.
        pub(crate) fn index(src: &'a str) -> (Ends<'a>, usize) {
            let b = src.as_bytes();
            let mut ends: Vec<(u32, u32)> = Vec::new();
            // Per open container: its entry, if it is shallow enough for one.
            let mut open: Vec<Option<usize>> = Vec::new();
            let mut j = 0;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => {
                        // NOTE: `value_end`, not `string_end`: that one is
                        // inlined (~1 KB more here for one pass a run).
                        j = value_end(b, j).unwrap_or(b.len());
                        continue;
                    }
                    b'{' | b'[' => {
                        let entry = (open.len() < DEEP).then_some(ends.len());
                        if entry.is_some() {
                            ends.push((j as u32, 0));
                        }
                        open.push(entry);
                    }
                    b'}' | b']' => {
                        if let Some(Some(k)) = open.pop() {
                            // NOTE: what a small container holds is small and
                            // already gone: it is the last in the list.
                            if j + 1 - (ends[k].0 as usize) < LARGE {
                                ends.truncate(k);
                            } else {
                                ends[k].1 = j as u32 + 1;
                            }
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            ends.shrink_to_fit();
            let bytes = ends.capacity() * std::mem::size_of::<(u32, u32)>();
            let at = b.as_ptr() as usize;
            swap((at, b.len(), ends));
            let body = std::marker::PhantomData;
            (Ends { at, body }, bytes)
        }
    }

    impl Drop for Ends<'_> {
        fn drop(&mut self) {
            let kept = swap(Default::default());
            if kept.0 != self.at {
                swap(kept);
            }
        }
    }
}

#[cfg(not(feature = "history"))]
mod index {
    /// Stands in for the index (see the `history` feature's): none kept.
    pub(crate) struct Ends<'a>(std::marker::PhantomData<&'a str>);

    impl<'a> Ends<'a> {
        pub(crate) fn index(_src: &'a str) -> (Ends<'a>, usize) {
            (Ends(std::marker::PhantomData), 0)
        }
    }
}

pub(crate) use index::Ends;

/// The raw value spans of `keys` in the JSON object `json` (not checked), in
/// the order of `keys`. Returns as soon as every key is found.
///
/// NOTE: the first occurrence of a duplicated key wins, and a key written with
/// escapes (`"ty\u0070e"`) does not match. Neither occurs in Claude events;
/// the worst outcome is an event classified as unknown and passed through.
pub(crate) fn find_keys<const N: usize>(
    json: &[u8],
    keys: [&[u8]; N],
) -> Result<[Option<Range<usize>>; N], Malformed> {
    let mut found: [Option<Range<usize>>; N] = std::array::from_fn(|_| None);
    let mut missing = N;
    let mut i = skip_ws(json, 0);
    if json.get(i) != Some(&b'{') {
        return Err(Malformed);
    }
    i = skip_ws(json, i + 1);
    if json.get(i) == Some(&b'}') {
        return Ok(found);
    }
    loop {
        if json.get(i) != Some(&b'"') {
            return Err(Malformed);
        }
        let key_end = string_end(json, i).ok_or(Malformed)?;
        let key = &json[i + 1..key_end - 1];
        i = skip_ws(json, key_end);
        if json.get(i) != Some(&b':') {
            return Err(Malformed);
        }
        let start = skip_ws(json, i + 1);
        let end = value_end(json, start).ok_or(Malformed)?;
        if let Some(k) = keys.iter().position(|k| *k == key) {
            if found[k].is_none() {
                found[k] = Some(start..end);
                missing -= 1;
                if missing == 0 {
                    return Ok(found);
                }
            }
        }
        i = skip_ws(json, end);
        match json.get(i) {
            Some(b',') => i = skip_ws(json, i + 1),
            Some(b'}') => return Ok(found),
            _ => return Err(Malformed),
        }
    }
}

/// Whether the raw value `value` is the JSON string `s` written without escapes.
pub(crate) fn is_str(value: &[u8], s: &[u8]) -> bool {
    value.len() == s.len() + 2
        && value[0] == b'"'
        && value[value.len() - 1] == b'"'
        && &value[1..value.len() - 1] == s
}

/// The raw value as a non-negative integer written in plain digits (at most
/// `u64::MAX`).
pub(crate) fn as_u64(value: &[u8]) -> Option<u64> {
    if value.is_empty() || (value.len() > 1 && value[0] == b'0') {
        return None;
    }
    value.iter().try_fold(0u64, |n, &d| {
        let d = d.is_ascii_digit().then(|| u64::from(d - b'0'))?;
        n.checked_mul(10)?.checked_add(d)
    })
}

/// How blank a raw text value (not checked) is, as the stream sanitizer
/// decides: absent, `null` and `""` are empty; a value that is not a string,
/// or a string serde_json would refuse, is text.
pub(crate) fn blank_raw(value: Option<&[u8]>) -> Blank {
    let value = match value {
        None | Some(b"null") | Some(b"\"\"") => return Blank::Empty,
        Some(v) => v,
    };
    if value.len() < 2 || value[0] != b'"' {
        return Blank::Text;
    }
    let inner = &value[1..value.len() - 1];
    // Fast answer for the common case: a visible ASCII character up front.
    if inner[0].is_ascii_graphic() && inner[0] != b'\\' {
        return Blank::Text;
    }
    // NOTE: without escapes the bytes are the text (raw control characters
    // included, as they always were); with escapes, only a string serde_json
    // reads as a `String` counts.
    let escaped = memchr::memchr(b'\\', inner).is_some();
    if escaped && check(value, Reader::Value, SERDE_DEPTH).is_err() {
        return Blank::Text;
    }
    match std::str::from_utf8(inner) {
        Ok(s) if escaped => blank_of(&unescape(s)),
        Ok(s) => blank_of(s),
        Err(_) => Blank::Text,
    }
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
        let end = value_end(src.as_bytes(), start).unwrap_or(src.len());
        Raw {
            src,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The value that starts at `offset` of the same source (a place an
    /// earlier view of it found).
    pub(crate) fn at_offset(self, offset: usize) -> Raw<'a> {
        Raw::at(self.src, offset)
    }

    /// Where the value starts in its source.
    pub(crate) fn offset(self) -> usize {
        self.start as usize
    }

    /// The value's exact source text.
    // NOTE: left to inline (51 callers): out of line, normalize took 5-6%
    // longer on every shape with fixes, for 2.1 KB of wasm.
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
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    pub(crate) fn str(self) -> Option<Cow<'a, str>> {
        if self.kind() != Kind::Str {
            return None;
        }
        let inner = self.inner();
        Some(if has_escape(inner) {
            Cow::Owned(unescape(inner))
        } else {
            Cow::Borrowed(inner)
        })
    }

    /// Compares a string value with `s` without decoding when it has no escapes.
    pub(crate) fn str_eq(self, s: &str) -> bool {
        if self.kind() != Kind::Str {
            return false;
        }
        let inner = self.inner();
        // NOTE: an escape is always longer than what it decodes to, so text of
        // `s`'s length equals `s` only as written, and shorter text never does.
        // Most comparisons (keys while looking one up) end on the length.
        match inner.len().cmp(&s.len()) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => inner == s && !has_escape(inner),
            std::cmp::Ordering::Greater => has_escape(inner) && unescape(inner) == s,
        }
    }

    pub(crate) fn blank(self) -> Option<Blank> {
        (self.kind() == Kind::Str).then(|| blank_escaped(self.inner()))
    }

    /// `(key, value)` pairs of an object, in source order (empty otherwise).
    pub(crate) fn entries(self) -> Entries<'a> {
        let (at, end) = self.members(Kind::Obj);
        Entries {
            src: self.src,
            at,
            end,
        }
    }

    /// Elements of an array, in order (empty otherwise).
    pub(crate) fn items(self) -> Items<'a> {
        let (at, end) = self.members(Kind::Arr);
        Items {
            src: self.src,
            at,
            end,
        }
    }

    /// Where the members of a container of `kind` are read from and to (from
    /// the end of the source when it is no such container: none).
    fn members(self, kind: Kind) -> (usize, usize) {
        let at = if self.kind() == kind {
            self.start as usize + 1
        } else {
            self.src.len()
        };
        (at, self.end as usize)
    }

    /// The value of `key`; with duplicate keys the last one, as `JSON.parse` and
    /// serde_json read it.
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
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
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
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
                    let end = string_end(b, i).unwrap_or(b.len());
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
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
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

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
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
// NOTE: out of line: inlined, its one-part list grew each of its many callers.
#[inline(never)]
pub(crate) fn escape_into(out: &mut String, s: &str) {
    escape_parts_into(out, &[s]);
}

/// Appends `parts`, joined, as one JSON string literal (no joined copy).
pub(crate) fn escape_parts_into(out: &mut String, parts: &[&str]) {
    out.push('"');
    for s in parts {
        // NOTE: runs of bytes that need no escape are copied whole; every
        // byte that needs one is ASCII, so a run ends on a char boundary.
        let mut run = 0;
        for (i, &c) in s.as_bytes().iter().enumerate() {
            let escaped = match c {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            // NOTE: `get`, not an index: no panic path (its message's
            // formatting would be most of the stream module's growth).
            out.push_str(s.get(run..i).unwrap_or_default());
            run = i + 1;
            if escaped.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            } else {
                out.push_str(escaped);
            }
        }
        out.push_str(s.get(run..).unwrap_or_default());
    }
    out.push('"');
}

/// `s` as a JSON string literal.
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    escape_into(&mut out, s);
    out
}

/// Decodes the inside of a JSON string literal (never panics, whatever the text;
/// meaningful for literals the validator accepted). Lone surrogates become
/// U+FFFD (the validator, like browsers' `JSON.parse`, accepts them).
pub(crate) fn unescape(inner: &str) -> String {
    let b = inner.as_bytes();
    let mut out = String::with_capacity(inner.len());
    let mut from = 0;
    while let Some(at) = b.get(from..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let at = from + at;
        out.push_str(inner.get(from..at).unwrap_or_default());
        let (ch, used) = unescape_one(b.get(at..).unwrap_or_default());
        out.push(ch);
        from = (at + used).min(b.len());
        while !inner.is_char_boundary(from) {
            from += 1;
        }
    }
    out.push_str(inner.get(from..).unwrap_or_default());
    out
}

fn has_escape(inner: &str) -> bool {
    let b = inner.as_bytes();
    // NOTE: most strings asked are ids, keys and type names: a byte loop ends
    // them sooner than memchr's setup (as in `string_end`).
    if b.len() < 32 {
        b.contains(&b'\\')
    } else {
        memchr::memchr(b'\\', b).is_some()
    }
}

/// The character the escape at the start of `s` (a backslash) stands for, and
/// the bytes it takes. Lone surrogates and malformed escapes are U+FFFD.
fn unescape_one(s: &[u8]) -> (char, usize) {
    match s.get(1) {
        Some(b'n') => ('\n', 2),
        Some(b't') => ('\t', 2),
        Some(b'r') => ('\r', 2),
        Some(b'b') => ('\u{8}', 2),
        Some(b'f') => ('\u{c}', 2),
        Some(b'u') => {
            let hi = hex4(s.get(2..));
            if (0xD800..0xDC00).contains(&hi) && s.get(6..8) == Some(b"\\u") {
                let lo = hex4(s.get(8..));
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
    }
}

/// Four hex digits at the start of `s` (U+FFFD when there are none).
fn hex4(s: Option<&[u8]>) -> u32 {
    s.and_then(|s| s.get(..4))
        .and_then(|h| {
            h.iter()
                .try_fold(0, |n, &d| Some(n << 4 | char::from(d).to_digit(16)?))
        })
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
#[inline(never)] // NOTE: one copy for its many callers (wasm size)
pub(crate) fn pointer_token(s: &str) -> Cow<'_, str> {
    if s.contains(['~', '/']) {
        Cow::Owned(s.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn string_ends_agree_with_a_byte_by_byte_scan() {
        fn naive(b: &[u8], i: usize) -> Option<usize> {
            let mut j = i + 1;
            while let Some(&c) = b.get(j) {
                match c {
                    b'"' => return Some(j + 1),
                    b'\\' => j += 2,
                    _ => j += 1,
                }
            }
            None
        }
        // A quote, an escaped quote, an escaped backslash, a multibyte char
        // and the end of the text at every place across the words read.
        for len in 0..48 {
            for at in 0..len {
                for piece in [&b"\\\""[..], b"\\\\", "é".as_bytes(), b"\\"] {
                    let mut b = vec![b'"'];
                    b.extend(std::iter::repeat(b'a').take(at));
                    b.extend_from_slice(piece);
                    b.extend(std::iter::repeat(b'x').take(len - at));
                    let cut = b.clone();
                    b.extend_from_slice(b"\",1");
                    assert_eq!(
                        string_end(&b, 0),
                        naive(&b, 0),
                        "{:?}",
                        String::from_utf8_lossy(&b)
                    );
                    assert_eq!(string_end(&cut, 0), naive(&cut, 0));
                }
            }
        }
    }

    #[cfg(feature = "history")]
    #[test]
    fn text_the_index_does_not_hold_asks_it_once_a_value() {
        // Review repro: past 256 bytes every byte asked the index again.
        let body = format!("[{}]", vec!["1"; 2000].join(","));
        let (_guard, _) = Ends::index(&body);
        let other = body.clone();
        let before = index::LOOKUPS.get();
        assert_eq!(value_end(other.as_bytes(), 0), Some(other.len()));
        assert_eq!(index::LOOKUPS.get() - before, 1);
    }

    #[cfg(feature = "history")]
    #[test]
    fn the_index_of_deeply_nested_large_values_stays_small() {
        // Review repro: each level of a deep chain around a 254-byte string
        // is large, and each took an entry: 3.5 times the body at depth 1000.
        let chain = format!(
            "{}\"{}\"{}",
            "[".repeat(1000),
            "x".repeat(254),
            "]".repeat(1000)
        );
        let src = format!("[{}]", vec![chain; 40].join(","));
        let (_guard, bytes) = Ends::index(&src);
        assert!(bytes <= src.len() / 4, "{bytes} for {}", src.len());
        assert_eq!(all_ends(&src), {
            drop(_guard);
            all_ends(&src)
        });
    }

    /// Every value's end in `src`, each container's items and fields walked.
    #[cfg(feature = "history")]
    fn all_ends(src: &str) -> Vec<(usize, usize)> {
        fn walk(v: Raw<'_>, out: &mut Vec<(usize, usize)>) {
            out.push((v.offset(), v.offset() + v.text().len()));
            v.items().for_each(|i| walk(i, out));
            v.entries().for_each(|(_, f)| walk(f, out));
        }
        let mut out = Vec::new();
        walk(Raw::root(src), &mut out);
        out
    }

    #[cfg(feature = "history")]
    #[test]
    fn the_index_of_ends_agrees_with_a_scan_and_goes_with_its_guard() {
        let long = "x".repeat(300);
        let inner = format!(r#"{{"a":[1,"{long}",{{"b":"]}}"}}],"c":{{}}}}"#);
        let src = format!(
            r#" [{inner}, [{inner},{inner}], "{long}", {{"d":[[],[[{inner}]]]}}, [1,2] ] "#
        );
        let scanned = all_ends(&src);
        let (guard, bytes) = Ends::index(&src);
        // Only containers of LARGE bytes or more are kept: the root, each
        // copy of `inner` and its list `a`, and the five that hold one.
        assert_eq!(bytes, 14 * 8, "{bytes}");
        let b = src.as_bytes();
        assert_eq!(index::indexed_end(b, 1), Some(src.len() - 1));
        let small = src.find("[1,2]").unwrap();
        assert_eq!(index::indexed_end(b, small), None);
        assert_eq!(all_ends(&src), scanned);
        // Another text with the same values (not the body indexed) is scanned.
        let copy = src.clone();
        assert_eq!(all_ends(&copy), scanned);
        drop(guard);
        let (at, len, ends) = index::ENDS.take();
        assert_eq!((at, len, ends.len()), (0, 0, 0));
        assert_eq!(all_ends(&src), scanned);
    }

    /// serde_json's answer for the four ways the crate reads JSON.
    fn serde(src: &[u8], reader: Reader, text: bool) -> Result<(), String> {
        use serde::de::IgnoredAny;
        use serde_json::Value;
        let s = std::str::from_utf8(src);
        let r = match (reader, text) {
            (Reader::Value, true) => serde_json::from_str::<Value>(s.unwrap()).map(drop),
            (Reader::Ignore, true) => serde_json::from_str::<IgnoredAny>(s.unwrap()).map(drop),
            (Reader::Value, false) => serde_json::from_slice::<Value>(src).map(drop),
            (Reader::Ignore, false) => serde_json::from_slice::<IgnoredAny>(src).map(drop),
        };
        r.map_err(|e| e.to_string())
    }

    fn ours(src: &[u8], reader: Reader, text: bool) -> Result<(), String> {
        let depth = match reader {
            Reader::Value => SERDE_DEPTH,
            Reader::Ignore => usize::MAX,
        };
        let r = if text {
            check_str(std::str::from_utf8(src).unwrap(), reader, depth)
        } else {
            check(src, reader, depth)
        };
        r.map_err(|e| e.to_string())
    }

    fn same_as_serde(src: &[u8]) {
        let text = std::str::from_utf8(src).is_ok();
        for reader in [Reader::Value, Reader::Ignore] {
            for as_text in [false, true] {
                if as_text && !text {
                    continue;
                }
                assert_eq!(
                    ours(src, reader, as_text),
                    serde(src, reader, as_text),
                    "{reader:?} text={as_text} {:?}",
                    String::from_utf8_lossy(src)
                );
            }
        }
    }

    /// xorshift32: `next(n)` is in `0..n` (the unit tests' one RNG).
    pub(crate) fn rng(mut seed: u32) -> impl FnMut(usize) -> usize {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize % n
        }
    }

    #[test]
    fn checks_as_serde_json_reads() {
        let cases: [&[u8]; 34] = [
            b"{}",
            b"1e+",
            b"[1E-x]",
            b"-x",
            b"[-",
            b" [1, -0.5e+3, true, false, null, \"a\\u00e9\\n\"] ",
            b"{\"a\":{\"b\":[{}]}}",
            b"01",
            b"[1,]",
            b"{\"a\" 1}",
            b"\"\x01\"",
            b"\"\\x\"",
            b"1.",
            b"-",
            b"[1] x",
            b"",
            b"\"\\u12\"",
            b"{\"a\":1,}",
            b"tru",
            b"1e",
            b"\"\\ud800\"",
            b"\"\\udc00\"",
            b"\"\\ud800\\u0041\"",
            b"\"\\ud800x\"",
            b"\"\\ud800\\n\"",
            b"\"\\ud83d\\ude00\"",
            b"\"\xff\"",
            b"\"ab\\n\xc3\"",
            b"\"\xe2\x82\\u00e9\"",
            b"{\"a\":\n [1,\n 2 x",
            b"\xff",
            b"[\"\xc3\xa9\", \"\xc3\"]",
            b"{\"\\ud800\": 1}",
            b"  \n\n  ",
        ];
        for case in cases {
            same_as_serde(case);
        }
    }

    #[test]
    fn checks_random_texts_as_serde_json_reads() {
        const PIECES: [&[u8]; 30] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b",",
            b"\"",
            b"\\",
            b"a",
            b"1",
            b"-",
            b".",
            b"e",
            b"+",
            b"0",
            b" ",
            b"\n",
            b"true",
            b"nul",
            b"fa",
            b"\"k\"",
            b"\\u00",
            b"\\ud800",
            b"\\udc01",
            b"\\u",
            b"\x01",
            b"\xc3\xa9",
            b"\xc3",
            b"\xff",
            b"E",
        ];
        let mut next = rng(0x1234_5679);
        for _ in 0..60_000 {
            let len = next(16);
            let text: Vec<u8> = (0..len)
                .flat_map(|_| PIECES[next(PIECES.len())].iter().copied())
                .collect();
            same_as_serde(&text);
        }
    }

    /// Valid JSON with one or two pieces inserted, replaced or cut: the
    /// errors deep inside values (commas, colons, escapes, numbers).
    #[test]
    fn checks_broken_json_as_serde_json_reads() {
        fn value(next: &mut dyn FnMut(usize) -> usize, depth: usize, out: &mut Vec<u8>) {
            const SCALARS: [&[u8]; 12] = [
                b"1",
                b"-0.5e-3",
                b"12.25E+2",
                b"true",
                b"false",
                b"null",
                b"\"x\\\"y\"",
                b"\"\"",
                b"\"caf\xc3\xa9 \\u00e9\"",
                b"\"\\ud83d\\ude00\"",
                b"0",
                b"\"\\/\\b\"",
            ];
            let ws = |next: &mut dyn FnMut(usize) -> usize, out: &mut Vec<u8>| {
                out.extend_from_slice([&b""[..], b" ", b"\n", b"\r\n\t"][next(8).min(3)]);
            };
            match if depth > 3 { 2 } else { next(3) } {
                0 => {
                    out.push(b'{');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(b',');
                        }
                        ws(next, out);
                        out.extend_from_slice(format!("\"k{i}\"").as_bytes());
                        ws(next, out);
                        out.push(b':');
                        ws(next, out);
                        value(next, depth + 1, out);
                    }
                    out.push(b'}');
                }
                1 => {
                    out.push(b'[');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(b',');
                        }
                        ws(next, out);
                        value(next, depth + 1, out);
                    }
                    ws(next, out);
                    out.push(b']');
                }
                _ => out.extend_from_slice(SCALARS[next(SCALARS.len())]),
            }
        }
        const BITS: [&[u8]; 20] = [
            b",", b":", b"]", b"}", b"[", b"{", b"\"", b"\\", b"\\u", b"\\ud800", b"1", b"-", b".",
            b"e", b" ", b"x", b"\x01", b"\xff", b"\xc3", b"",
        ];
        let mut next = rng(0x9e37_79b9);
        for _ in 0..40_000 {
            let mut text = Vec::new();
            value(&mut next, 0, &mut text);
            for _ in 0..1 + next(2) {
                let at = next(text.len() + 1);
                match next(3) {
                    0 => drop(text.splice(at..at, BITS[next(BITS.len())].iter().copied())),
                    1 if at < text.len() => {
                        text.splice(at..at + 1, BITS[next(BITS.len())].iter().copied());
                    }
                    _ => text.truncate(at),
                }
            }
            same_as_serde(&text);
        }
    }

    #[test]
    fn depth_limits_as_serde_json() {
        for n in [126, 127, 128, 129, 2000] {
            let deep = format!("{}1{}", "[".repeat(n), "]".repeat(n));
            same_as_serde(deep.as_bytes());
            let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
            same_as_serde(objects.as_bytes());
        }
        assert_eq!(validate("[[[1]]]", 2).unwrap_err().code, Code::Depth);
        assert!(validate("[[1]]", 2).is_ok());
        assert!(validate("[{\"a\":[1]},[2]]", 3).is_ok());
    }

    #[test]
    fn finds_top_level_keys_only() {
        let get = |json: &'static str, key: &str| {
            find_keys(json.as_bytes(), [key.as_bytes()]).unwrap()[0]
                .clone()
                .map(|r| &json[r])
        };
        let j = r#" { "a" : {"type":"x","b":[1,"]}"]} , "type":"ping" , "index" : 12 }"#;
        assert_eq!(get(j, "type"), Some(r#""ping""#));
        assert_eq!(get(j, "index"), Some("12"));
        assert_eq!(get(j, "a"), Some(r#"{"type":"x","b":[1,"]}"]}"#));
        assert_eq!(get(j, "zz"), None);
        assert_eq!(get("{}", "a"), None);
        assert_eq!(get(r#"{"a\"b":"c\\","d":true}"#, "d"), Some("true"));
        for bad in [
            "",
            "[]",
            "[DONE]",
            "{",
            r#"{"a""#,
            r#"{"a":}"#,
            r#"{"a":"x"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":1,"b":[}"#,
        ] {
            assert_eq!(find_keys(bad.as_bytes(), [b"z"]), Err(Malformed), "{bad}");
        }
    }

    #[test]
    fn classifies_raw_text() {
        let b = |s: &str| blank_raw(Some(s.as_bytes()));
        assert_eq!(blank_raw(None), Blank::Empty);
        assert_eq!(b(r#""""#), Blank::Empty);
        assert_eq!(b("null"), Blank::Empty);
        assert_eq!(b(r#"" \n""#), Blank::Whitespace);
        assert_eq!(b(r#""\n\t\u00a0""#), Blank::Whitespace);
        assert_eq!(b("\"\u{3000}\""), Blank::Whitespace);
        assert_eq!(b("\"\t\""), Blank::Whitespace);
        assert_eq!(b("\"\t\\n\""), Blank::Text, "a raw tab and an escape");
        assert_eq!(b(r#"" \ud800""#), Blank::Text);
        assert_eq!(b(r#"" x""#), Blank::Text);
        assert_eq!(b(r#""\u0041""#), Blank::Text);
        assert_eq!(b("1"), Blank::Text);
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
    fn str_eq_decodes_escapes_whatever_the_lengths() {
        let eq = |json: &str, s: &str| Raw::root(json).str_eq(s);
        assert!(eq(r#""type""#, "type"));
        assert!(
            eq(r#""ty\u0070e""#, "type"),
            "longer as written, equal decoded"
        );
        assert!(eq(r#""a\"b""#, "a\"b"));
        assert!(eq(r#""\ud83d\ude00""#, "\u{1f600}"));
        assert!(!eq(r#""typ""#, "type"));
        assert!(!eq(r#""types""#, "type"));
        assert!(
            !eq(r#""a\nb""#, "a\\nb"),
            "same length as written: an escape, not a backslash"
        );
        assert!(!eq(r#""ty\u0070es""#, "type"));
        assert!(!eq("1", "1"));
        assert!(eq(r#""""#, ""));
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
