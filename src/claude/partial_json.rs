//! The partial JSON parser that the official TypeScript SDK (`@anthropic-ai/sdk`
//! 1.12, `src/_vendor/partial-json-parser`) applies to a tool block's
//! `input_json_delta` text, ported so that a tool block cut off mid-input
//! accumulates to the same `input` as the SDK's `finalMessage()`.
//!
//! The SDK tokenizes the text, strips a trailing token that cannot end a value
//! (a separator, a number that may go on or is cut short, an object key
//! without its value, one trailing comma), closes the brackets left open and
//! hands the result to `JSON.parse`; text holding anything but JSON tokens (an
//! unknown word, a stray character, a mismatched closer) goes to `JSON.parse`
//! unchanged, so it fails. Quirks kept on purpose: a string left open is
//! dropped, a string item of an array is kept (SDK 1.12 keeps every whole
//! array item), a literal cut short at the very end (`tru`) is ignored.
//!
//! [`PartialCheck`] follows those rules fed the text piece by piece, in
//! constant memory per nesting level: it says whether the SDK's parse
//! succeeds (the verdict and the accumulator ask at every
//! `content_block_stop`, where the SDK parses), and where the tokens the SDK
//! keeps end. They are a prefix of the text, so [`PartialCheck::parse`] reads
//! that prefix with the open containers closed: the SDK's value. The tests
//! check it against the SDK's parser transcribed step by step (`port`).
//!
//! Known differences with `JSON.parse`: nesting deeper than the caller's limit
//! (serde_json: 128) fails here, and so does a string holding a lone surrogate
//! escape (`"\ud800"`), which `JSON.parse` accepts.

use crate::json;

const LITERALS: [&str; 3] = ["true", "false", "null"];

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `word` is a literal cut short (`tru`, `nul`).
fn is_literal_prefix(word: &[u8]) -> bool {
    LITERALS
        .iter()
        .any(|l| l.len() > word.len() && l.as_bytes().starts_with(word))
}

/// Whether `c` continues a number whose last character is `prev`.
fn continues_number(c: u8, prev: u8) -> bool {
    c.is_ascii_digit()
        || matches!(c, b'.' | b'e' | b'E')
        || matches!(c, b'+' | b'-') && matches!(prev, b'e' | b'E')
}

/// A DFA for the JSON number grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumState {
    Start,
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
    Dead,
}

impl NumState {
    fn next(self, c: u8) -> NumState {
        use NumState::*;
        match (self, c) {
            (Start, b'-') => Minus,
            (Start | Minus, b'0') => Zero,
            (Start | Minus, b'1'..=b'9') => Int,
            (Int, b'0'..=b'9') => Int,
            (Zero | Int, b'.') => Dot,
            (Dot | Frac, b'0'..=b'9') => Frac,
            (Zero | Int | Frac, b'e' | b'E') => E,
            (E, b'+' | b'-') => ESign,
            (E | ESign | Exp, b'0'..=b'9') => Exp,
            _ => Dead,
        }
    }

    fn accepting(self) -> bool {
        matches!(
            self,
            NumState::Zero | NumState::Int | NumState::Frac | NumState::Exp
        )
    }

    #[cfg(test)]
    fn accepts_str(s: &str) -> bool {
        s.bytes().fold(NumState::Start, NumState::next).accepting()
    }
}

/// What the JSON grammar expects next at the innermost level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    TopValue,
    TopDone,
    KeyOrClose,
    Key,
    Colon,
    ObjValue,
    ObjNext,
    ItemOrClose,
    Item,
    ArrNext,
}

impl Expect {
    fn wants_value(self) -> bool {
        matches!(
            self,
            Expect::TopValue | Expect::ObjValue | Expect::ItemOrClose | Expect::Item
        )
    }

    /// The state after a value ends at this level.
    fn after_value(self) -> Expect {
        match self {
            Expect::TopValue => Expect::TopDone,
            Expect::ObjValue => Expect::ObjNext,
            _ => Expect::ArrNext,
        }
    }
}

/// The grammar state at a token boundary: what comes next, and whether the
/// tokens so far are still a valid JSON prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Snap {
    expect: Expect,
    ok: bool,
    /// Where the last token so far ends in the text.
    end: usize,
}

/// Token kinds the strip rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    OpenObj,
    Comma,
    Str,
    Other,
}

/// The last token that is not a separator or a cut-short number, with what
/// the strip rules need to drop it (and the comma before it).
#[derive(Debug, Clone, Copy)]
struct Last {
    kind: Kind,
    prev: Kind,
    before: Snap,
    before_prev: Snap,
}

/// Where the tokenizer is between two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Between,
    /// Inside a string: backslashes just before (odd count: the next quote is
    /// escaped), and the string's JSON validity so far.
    Str {
        odd: bool,
        esc: Esc,
        valid: bool,
    },
    Num(NumState, u8),
    /// A word: its first bytes (a literal has at most 5) and its length.
    Word([u8; 5], usize),
    /// A literal cut short was seen: only whitespace may follow.
    CutLiteral,
}

/// Escape state inside a JSON string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    Backslash,
    /// Hex digits of `\u` still to come.
    Hex(u8),
}

/// The grammar part of [`PartialCheck`]: one token at a time.
#[derive(Debug, Clone)]
struct Grammar {
    /// Open containers, innermost last (`true`: an object).
    stack: Vec<bool>,
    max_depth: usize,
    cur: Snap,
    last_kind: Kind,
    before_last: Snap,
    last: Option<Last>,
    /// The state after `last`, before the separators and cut-short numbers
    /// that followed it.
    after_last: Snap,
    /// A bracket out of place: the SDK fails whatever follows.
    broken: bool,
    too_deep: bool,
}

/// Whether the SDK's `partialParse` accepts a text fed in pieces; see the
/// module docs. Memory: one bit per open container, up to `max_depth`.
#[derive(Debug, Clone)]
pub(crate) struct PartialCheck {
    lex: Lex,
    grammar: Grammar,
    empty: bool,
    /// Bytes fed so far.
    pos: usize,
}

/// A [`PartialCheck`] that went deeper than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep;

impl PartialCheck {
    pub(crate) fn new(max_depth: usize) -> Self {
        let start = Snap {
            expect: Expect::TopValue,
            ok: true,
            end: 0,
        };
        PartialCheck {
            lex: Lex::Between,
            grammar: Grammar {
                stack: Vec::new(),
                max_depth,
                cur: start,
                last_kind: Kind::None,
                before_last: start,
                last: None,
                after_last: start,
                broken: false,
                too_deep: false,
            },
            empty: true,
            pos: 0,
        }
    }

    /// No text fed yet (the SDK then gives `{}` without parsing).
    pub(crate) fn is_empty(&self) -> bool {
        self.empty
    }

    pub(crate) fn push(&mut self, text: &str) {
        self.empty &= text.is_empty();
        for &c in text.as_bytes() {
            if self.grammar.broken {
                return;
            }
            self.byte(c);
            self.pos += 1;
        }
    }

    fn byte(&mut self, c: u8) {
        match self.lex {
            Lex::Str { odd, esc, valid } => {
                if c == b'"' && !odd {
                    self.lex = Lex::Between;
                    self.grammar
                        .token(Tok::Str(valid && esc == Esc::None), self.pos + 1);
                    return;
                }
                let next = match (esc, c) {
                    (Esc::None, b'\\') => Some(Esc::Backslash),
                    (Esc::None, _) => (c >= 0x20).then_some(Esc::None),
                    (Esc::Backslash, b'u') => Some(Esc::Hex(4)),
                    (Esc::Backslash, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                        Some(Esc::None)
                    }
                    (Esc::Hex(n), _) if c.is_ascii_hexdigit() => {
                        Some(if n == 1 { Esc::None } else { Esc::Hex(n - 1) })
                    }
                    _ => None,
                };
                self.lex = Lex::Str {
                    odd: c == b'\\' && !odd,
                    esc: next.unwrap_or(Esc::None),
                    valid: valid && next.is_some(),
                };
            }
            Lex::Num(state, prev) => {
                if continues_number(c, prev) {
                    self.lex = Lex::Num(state.next(c), c);
                } else {
                    self.lex = Lex::Between;
                    self.grammar.token(Tok::Num(state.accepting()), self.pos);
                    self.byte(c);
                }
            }
            Lex::Word(mut word, len) => {
                if c.is_ascii_alphabetic() {
                    if len < word.len() {
                        word[len] = c;
                    }
                    self.lex = Lex::Word(word, len + 1);
                } else {
                    self.end_word(word, len);
                    self.byte(c);
                }
            }
            Lex::CutLiteral => self.grammar.broken |= !is_ws(c),
            Lex::Between => match c {
                b'{' | b'[' => self.grammar.token(Tok::Open(c == b'{'), self.pos + 1),
                b'}' | b']' => self.grammar.token(Tok::Close(c == b'}'), self.pos + 1),
                b':' => self.grammar.token(Tok::Colon, self.pos + 1),
                b',' => self.grammar.token(Tok::Comma, self.pos + 1),
                b'"' => {
                    self.lex = Lex::Str {
                        odd: false,
                        esc: Esc::None,
                        valid: true,
                    }
                }
                b'0'..=b'9' | b'-' | b'.' => self.lex = Lex::Num(NumState::Start.next(c), c),
                _ if c.is_ascii_alphabetic() => {
                    let mut word = [0; 5];
                    word[0] = c;
                    self.lex = Lex::Word(word, 1);
                }
                _ if is_ws(c) => {}
                _ => self.grammar.broken = true,
            },
        }
    }

    /// A word ended: a literal is a token, a literal cut short may only be
    /// followed by whitespace, anything else is not JSON.
    fn end_word(&mut self, word: [u8; 5], len: usize) {
        let word = &word[..len.min(5)];
        self.lex = Lex::Between;
        if len <= 5 && LITERALS.iter().any(|l| l.as_bytes() == word) {
            self.grammar.token(Tok::Name, self.pos);
        } else if len < 5 && is_literal_prefix(word) {
            self.lex = Lex::CutLiteral;
        } else {
            self.grammar.broken = true;
        }
    }

    /// Whether the SDK's `partialParse` of the text fed so far succeeds;
    /// `Err` when the nesting went past the limit.
    pub(crate) fn accepts(&self) -> Result<bool, TooDeep> {
        self.completion().map(|c| c.is_some())
    }

    /// The SDK's `partialParse` of `text`, which must be the text fed so far,
    /// as JSON text (serde_json's reading of it: a lone surrogate escape or
    /// nesting past 127 levels fails). The tokens the SDK keeps are a prefix
    /// of the text, so the value is that prefix with the open containers
    /// closed.
    pub(crate) fn parse(&self, text: &str) -> Option<String> {
        let (end, stack) = self.completion().ok()??;
        let kept = text.get(..end)?.trim_start_matches([' ', '\t', '\n', '\r']);
        let mut json = String::with_capacity(kept.len() + stack.len());
        json.push_str(kept);
        json.extend(stack.iter().rev().map(|&obj| if obj { '}' } else { ']' }));
        json::read(&json).is_ok().then_some(json)
    }

    /// Where the tokens the SDK keeps end, and the containers left open
    /// (innermost last); `None` when its parse fails.
    fn completion(&self) -> Result<Option<(usize, Vec<bool>)>, TooDeep> {
        let mut check = self.clone();
        // NOTE: at the end a number may go on (dropped), a string left open is
        // dropped, a literal cut short is ignored.
        if let Lex::Word(word, len) = check.lex {
            check.end_word(word, len);
        }
        let g = &check.grammar;
        if g.too_deep {
            return Err(TooDeep);
        }
        if g.broken {
            return Ok(None);
        }
        let innermost_obj = g.stack.last() == Some(&true);
        let cut = match g.last {
            Some(Last {
                kind: Kind::Comma,
                before,
                ..
            }) => before,
            Some(Last {
                kind: Kind::Str,
                prev,
                before,
                before_prev,
            }) if innermost_obj && matches!(prev, Kind::Comma | Kind::OpenObj) => {
                if prev == Kind::Comma {
                    before_prev
                } else {
                    before
                }
            }
            _ => g.after_last,
        };
        let closable = match cut.expect {
            Expect::TopDone => true,
            Expect::KeyOrClose | Expect::ObjNext | Expect::ItemOrClose | Expect::ArrNext => {
                !g.stack.is_empty()
            }
            _ => false,
        };
        Ok((cut.ok && closable).then(|| (cut.end, g.stack.clone())))
    }
}

/// A token as the grammar sees it: scalars carry their JSON validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Open(bool),
    Close(bool),
    Colon,
    Comma,
    Str(bool),
    Num(bool),
    Name,
}

impl Grammar {
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn token(&mut self, tok: Tok, end: usize) {
        if self.broken {
            return;
        }
        let before = self.cur;
        let kind = match tok {
            Tok::Open(true) => Kind::OpenObj,
            Tok::Comma => Kind::Comma,
            Tok::Str(_) => Kind::Str,
            _ => Kind::Other,
        };
        self.apply(tok);
        self.cur.end = end;
        // NOTE: separators and cut-short numbers are what the SDK strips
        // without limit; only the state before the run of them is kept.
        if !matches!(tok, Tok::Colon | Tok::Num(false)) {
            self.last = Some(Last {
                kind,
                prev: self.last_kind,
                before,
                before_prev: self.before_last,
            });
            self.after_last = self.cur;
        }
        self.before_last = before;
        self.last_kind = kind;
    }

    fn apply(&mut self, tok: Tok) {
        let cur = &mut self.cur;
        match tok {
            Tok::Open(obj) => {
                if !cur.ok || !cur.expect.wants_value() {
                    self.broken = true;
                    return;
                }
                if self.stack.len() >= self.max_depth {
                    self.too_deep = true;
                    self.broken = true;
                    return;
                }
                self.stack.push(obj);
                cur.expect = if obj {
                    Expect::KeyOrClose
                } else {
                    Expect::ItemOrClose
                };
            }
            Tok::Close(obj) => {
                let fits = match cur.expect {
                    Expect::KeyOrClose | Expect::ObjNext => obj,
                    Expect::ItemOrClose | Expect::ArrNext => !obj,
                    _ => false,
                };
                if !cur.ok || !fits {
                    self.broken = true;
                    return;
                }
                self.stack.pop();
                cur.expect = match self.stack.last() {
                    None => Expect::TopDone,
                    Some(true) => Expect::ObjNext,
                    Some(false) => Expect::ArrNext,
                };
            }
            Tok::Colon => match cur.expect {
                Expect::Colon => cur.expect = Expect::ObjValue,
                _ => cur.ok = false,
            },
            Tok::Comma => match cur.expect {
                Expect::ObjNext => cur.expect = Expect::Key,
                Expect::ArrNext => cur.expect = Expect::Item,
                _ => cur.ok = false,
            },
            Tok::Str(valid) if matches!(cur.expect, Expect::KeyOrClose | Expect::Key) => {
                cur.ok &= valid;
                cur.expect = Expect::Colon;
            }
            Tok::Str(valid) | Tok::Num(valid) => {
                cur.ok &= valid && cur.expect.wants_value();
                cur.expect = cur.expect.after_value();
            }
            Tok::Name => {
                cur.ok &= cur.expect.wants_value();
                cur.expect = cur.expect.after_value();
            }
        }
    }
}

/// The SDK's parser as it is written (tokens, strip, close, `JSON.parse`), the
/// oracle of [`PartialCheck`] in the tests (checked against the SDK's own
/// parser on 30k texts when it was written).
#[cfg(test)]
mod port {
    use super::{continues_number, is_literal_prefix, is_ws, LITERALS};
    use serde_json::Value;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Token<'a> {
        Open(u8),
        Close(u8),
        Colon,
        Comma,
        /// String contents as written (escapes kept).
        Str(&'a str),
        /// A number as written; `unterminated` when it runs to the end of the text.
        Num(&'a str, bool),
        Name(&'static str),
    }

    /// The SDK's `partialParse`, step by step; `None` when it throws.
    pub(super) fn partial_parse(input: &str) -> Option<Value> {
        let Some(mut tokens) = tokenize(input) else {
            return serde_json::from_str(input).ok();
        };
        let keep = strip(&tokens);
        tokens.truncate(keep);
        if !close(&mut tokens) {
            return serde_json::from_str(input).ok();
        }
        let mut text = String::with_capacity(input.len() + 8);
        let mut prev_scalar = false;
        for token in &tokens {
            let scalar = matches!(token, Token::Str(_) | Token::Num(..) | Token::Name(_));
            // NOTE: the SDK keeps adjacent scalars apart so `1 2` still fails.
            if scalar && prev_scalar {
                text.push(' ');
            }
            prev_scalar = scalar;
            match token {
                Token::Open(c) | Token::Close(c) => text.push(char::from(*c)),
                Token::Colon => text.push(':'),
                Token::Comma => text.push(','),
                Token::Str(s) => {
                    text.push('"');
                    text.push_str(s);
                    text.push('"');
                }
                Token::Num(s, _) => text.push_str(s),
                Token::Name(s) => text.push_str(s),
            }
        }
        serde_json::from_str(&text).ok()
    }

    /// The SDK's tokenizer; `None` where it gives up (anything but JSON tokens and
    /// whitespace outside strings).
    fn tokenize(input: &str) -> Option<Vec<Token<'_>>> {
        let b = input.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b'{' | b'[' => tokens.push(Token::Open(c)),
                b'}' | b']' => tokens.push(Token::Close(c)),
                b':' => tokens.push(Token::Colon),
                b',' => tokens.push(Token::Comma),
                b'"' => {
                    // A quote closes the string after an even number of backslashes.
                    let start = i + 1;
                    let mut end = start;
                    let mut backslashes = 0;
                    while end < b.len() && (b[end] != b'"' || backslashes % 2 == 1) {
                        backslashes = if b[end] == b'\\' { backslashes + 1 } else { 0 };
                        end += 1;
                    }
                    if end == b.len() {
                        // A string left open is dropped, and ends the text.
                        break;
                    }
                    tokens.push(Token::Str(&input[start..end]));
                    i = end + 1;
                    continue;
                }
                b'0'..=b'9' | b'-' | b'.' => {
                    let start = i;
                    i += 1;
                    while i < b.len() && continues_number(b[i], b[i - 1]) {
                        i += 1;
                    }
                    tokens.push(Token::Num(&input[start..i], i == b.len()));
                    continue;
                }
                _ if c.is_ascii_alphabetic() => {
                    let start = i;
                    while i < b.len() && b[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = &b[start..i];
                    match LITERALS.iter().find(|l| l.as_bytes() == word) {
                        Some(literal) => tokens.push(Token::Name(literal)),
                        None if is_literal_prefix(word) && b[i..].iter().all(|&c| is_ws(c)) => {}
                        None => return None,
                    }
                    continue;
                }
                _ if is_ws(c) => {}
                _ => return None,
            }
            i += 1;
        }
        Some(tokens)
    }

    /// How many tokens the SDK keeps: it drops trailing separators, numbers that
    /// may go on or are cut short, a key without its value, and one comma.
    fn strip(tokens: &[Token<'_>]) -> usize {
        let mut open = Vec::new();
        for token in tokens {
            match token {
                Token::Open(c) => open.push(*c),
                Token::Close(_) => {
                    open.pop();
                }
                _ => {}
            }
        }
        let innermost = open.last().copied();
        let mut len = tokens.len();
        while len > 0 {
            match tokens[len - 1] {
                Token::Colon => len -= 1,
                Token::Num(n, unterminated) if unterminated || !super::NumState::accepts_str(n) => {
                    len -= 1
                }
                Token::Str(_)
                    if innermost == Some(b'{')
                        && matches!(
                            len.checked_sub(2).map(|i| tokens[i]),
                            Some(Token::Comma | Token::Open(b'{'))
                        ) =>
                {
                    len -= 1
                }
                Token::Comma => return len - 1,
                _ => break,
            }
        }
        len
    }

    /// Appends the closers of the brackets left open; false when a closer does
    /// not match its opener (the SDK then parses the text as given).
    fn close(tokens: &mut Vec<Token<'_>>) -> bool {
        let mut open = Vec::new();
        for token in tokens.iter() {
            match token {
                Token::Open(b'{') => open.push(b'}'),
                Token::Open(_) => open.push(b']'),
                Token::Close(c) if open.pop() != Some(*c) => return false,
                _ => {}
            }
        }
        tokens.extend(open.into_iter().rev().map(Token::Close));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::{port, PartialCheck};
    use crate::json::tests::rng;
    use serde_json::json;
    use serde_json::Value;

    /// The value of the JSON text `PartialCheck::parse` gives.
    fn parsed(text: Option<String>) -> Option<Value> {
        text.map(|t| serde_json::from_str(&t).unwrap())
    }

    #[test]
    fn completes_like_sdk_1_12() {
        // The incremental check's value, which must be the port's.
        let p = |s: &str| {
            let mut c = PartialCheck::new(64);
            c.push(s);
            let ours = parsed(c.parse(s));
            assert_eq!(ours, port::partial_parse(s), "{s:?}");
            ours
        };
        assert_eq!(p(r#"{"a": 1, "b": [1, 2"#), Some(json!({"a": 1, "b": [1]})));
        assert_eq!(p(r#"{"a": "x", "b": "unfinis"#), Some(json!({"a": "x"})));
        assert_eq!(p(r#"{"a": "x\"y", "c": tr"#), Some(json!({"a": "x\"y"})));
        assert_eq!(p(r#"{"a": {"b": null, "#), Some(json!({"a": {"b": null}})));
        assert_eq!(p(r#"{"a": -"#), Some(json!({})));
        assert_eq!(p(r#"{"a": 1.5e"#), Some(json!({})));
        assert_eq!(
            p(r#"{"a": 1.5e3}"#),
            serde_json::from_str(r#"{"a":1.5e3}"#).ok()
        );
        assert_eq!(p(""), None);
        assert_eq!(
            p("12"),
            None,
            "a top-level number may go on: dropped, nothing left"
        );
        assert_eq!(p(r#"{"k": "v"}"#), Some(json!({"k": "v"})));
        // SDK 1.12 keeps every whole string item of an array (0.x kept one).
        assert_eq!(
            p("{\"filename\": \"taxes.txt\", \"lines\": [\n\"# A\",\n\"\",\n\"## B\",\n\"Fil"),
            Some(json!({"filename": "taxes.txt", "lines": ["# A", "", "## B"]}))
        );
        // Not JSON tokens, mismatched closers, adjacent scalars: JSON.parse fails.
        assert_eq!(p(r#"{"a": undefined}"#), None);
        assert_eq!(p(r#"{"a": 1]"#), None);
        assert_eq!(p(r#"[1 2]"#), None);
        assert_eq!(p(r#"{"foo": "bar", "baz": "qux": "quux"}"#), None);
        // A literal cut short is ignored only at the very end.
        assert_eq!(p("[true, fa"), Some(json!([true])));
        assert_eq!(p("[true, fa ]"), None);
    }

    fn check(s: &str) -> bool {
        let mut c = PartialCheck::new(64);
        c.push(s);
        c.accepts().unwrap()
    }

    #[test]
    fn the_incremental_check_agrees_with_the_port_at_every_split() {
        let cases = [
            r#"{"a": 1, "b": [1, 2"#,
            r#"{"a": "x", "b": "unfinis"#,
            r#"{"a" : : : "#,
            r#"{"a":1,"b"::"#,
            r#"[01, 02"#,
            r#"{"a":1} t"#,
            r#"{"a":1} 5"#,
            r#"{"a":1},"#,
            r#"{"a":1}{"b":2}"#,
            r#"{"a":"\u00"}"#,
            "{\"a\":\"x\ny\"}",
            r#"{"a":"x\qy"}"#,
            r#"{"a\q"#,
            r#"{"a\q""#,
            r#"["a\q""#,
            r#"[-"#,
            r#"[--1]"#,
            r#"{"a": nul"#,
            r#"{"a": nul }"#,
            r#"{"a": nulx"#,
            r#"truex"#,
            r#"true1"#,
            "\"abc\"",
            "   ",
            r#"{"a": [1, {"b": "c"}, "d"], "e": {"f": -0.5e-3, "g": false}}"#,
        ];
        for case in cases {
            let want = port::partial_parse(case).is_some();
            assert_eq!(check(case), want, "{case}");
            for at in 0..=case.len() {
                if !case.is_char_boundary(at) {
                    continue;
                }
                let prefix = &case[..at];
                let mut c = PartialCheck::new(64);
                for piece in prefix.as_bytes().chunks(3) {
                    c.push(std::str::from_utf8(piece).unwrap());
                }
                assert_eq!(
                    parsed(c.parse(prefix)),
                    port::partial_parse(prefix),
                    "{prefix:?}"
                );
            }
        }
    }

    /// Random texts from JSON's alphabet (and a few bytes that are not):
    /// the incremental check says what the port does, fed in random pieces.
    #[test]
    fn the_incremental_check_agrees_with_the_port_on_random_texts() {
        const PIECES: [&str; 24] = [
            "{", "}", "[", "]", ":", ",", "\"", "\\", "a", "1", "-", ".", "e", "+", "0", " ",
            "true", "nul", "fa", "\"k\"", "\\u00", "\n", "x", "\u{e9}",
        ];
        let mut next = rng(0x2545_f491);
        for _ in 0..20_000 {
            let len = next(14);
            let text: String = (0..len).map(|_| PIECES[next(PIECES.len())]).collect();
            let mut c = PartialCheck::new(64);
            let mut rest = text.as_str();
            while !rest.is_empty() {
                let mut at = (next(4) + 1).min(rest.len());
                while !rest.is_char_boundary(at) {
                    at += 1;
                }
                c.push(&rest[..at]);
                rest = &rest[at..];
            }
            assert_eq!(
                c.accepts().unwrap(),
                port::partial_parse(&text).is_some(),
                "{text:?}"
            );
            assert_eq!(
                parsed(c.parse(&text)),
                port::partial_parse(&text),
                "{text:?}"
            );
        }
    }

    /// Every prefix of random valid JSON (what a tool input cut off looks
    /// like), with a random byte changed in one run of ten.
    #[test]
    fn the_incremental_check_agrees_with_the_port_on_cut_json() {
        let mut next = rng(0x9e37_79b9);
        fn value(next: &mut dyn FnMut(usize) -> usize, depth: usize, out: &mut String) {
            const SCALARS: [&str; 9] = [
                "1",
                "-0.5e-3",
                "12.25",
                "true",
                "false",
                "null",
                "\"x\\\"y\"",
                "\"\"",
                "\"caf\u{e9} \\u00e9\"",
            ];
            match if depth > 3 { 2 } else { next(3) } {
                0 => {
                    out.push('{');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(&format!("\"k{i}\": "));
                        value(next, depth + 1, out);
                    }
                    out.push('}');
                }
                1 => {
                    out.push('[');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        value(next, depth + 1, out);
                    }
                    out.push(']');
                }
                _ => out.push_str(SCALARS[next(SCALARS.len())]),
            }
        }
        for round in 0..3_000 {
            let mut text = String::from("{\"input\": ");
            value(&mut next, 0, &mut text);
            text.push('}');
            if round % 10 == 0 {
                let at = next(text.len());
                if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                    text.replace_range(at..at + 1, ["]", ",", ":", "\"", "x"][next(5)]);
                }
            }
            for at in (0..=text.len()).filter(|&at| text.is_char_boundary(at)) {
                let prefix = &text[..at];
                let mut c = PartialCheck::new(64);
                c.push(prefix);
                assert_eq!(
                    parsed(c.parse(prefix)),
                    port::partial_parse(prefix),
                    "{prefix:?}"
                );
            }
        }
    }
}
