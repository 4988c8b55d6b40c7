//! A small scanner for the top level of a JSON object: finds the raw byte
//! spans of a few keys' values without building a tree, so the sanitizer can
//! classify most events without parsing them.
//!
//! It checks only the structure it walks through (objects, arrays, strings,
//! the shape of literals); a full parse (`serde_json`) is done only before an
//! event is changed.

use std::ops::Range;

/// The scanned bytes are not a JSON object (or are cut short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// The raw value spans of `keys` in the JSON object `json`, in the order of
/// `keys`. Returns as soon as every key is found.
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
        let key_end = skip_string(json, i + 1)?;
        let key = &json[i + 1..key_end - 1];
        i = skip_ws(json, key_end);
        if json.get(i) != Some(&b':') {
            return Err(Malformed);
        }
        let start = skip_ws(json, i + 1);
        let end = skip_value(json, start)?;
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

fn skip_ws(json: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = json.get(i) {
        i += 1;
    }
    i
}

/// `i` is just past the opening quote; returns the offset just past the
/// closing quote.
fn skip_string(json: &[u8], mut i: usize) -> Result<usize, Malformed> {
    loop {
        let rest = json.get(i..).ok_or(Malformed)?;
        let p = memchr::memchr2(b'"', b'\\', rest).ok_or(Malformed)?;
        if rest[p] == b'"' {
            return Ok(i + p + 1);
        }
        i += p + 2;
    }
}

/// Returns the offset just past the value starting at `i`.
fn skip_value(json: &[u8], i: usize) -> Result<usize, Malformed> {
    match json.get(i) {
        Some(b'"') => skip_string(json, i + 1),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(&b) = json.get(j) {
                match b {
                    b'"' => {
                        j = skip_string(json, j + 1)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(Malformed)
        }
        Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
            let mut j = i + 1;
            while let Some(b) = json.get(j) {
                match b {
                    b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E' => j += 1,
                    _ => break,
                }
            }
            Ok(j)
        }
        _ => Err(Malformed),
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

/// How a text value reads, for the decision to drop its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blank {
    /// `""` (or `null`, or absent).
    Empty,
    /// Only whitespace (`char::is_whitespace`).
    Whitespace,
    /// Anything else, including a value that is not a string.
    No,
}

/// Classifies a raw JSON text value.
pub(crate) fn blank(value: Option<&[u8]>) -> Blank {
    let value = match value {
        None | Some(b"null") | Some(b"\"\"") => return Blank::Empty,
        Some(v) => v,
    };
    if value.len() < 2 || value[0] != b'"' {
        return Blank::No;
    }
    let inner = &value[1..value.len() - 1];
    // Fast answer for the common case: a visible ASCII character up front.
    if inner[0].is_ascii_graphic() && inner[0] != b'\\' {
        return Blank::No;
    }
    let decoded;
    let text = if memchr::memchr(b'\\', inner).is_some() {
        match serde_json::from_slice::<String>(value) {
            Ok(s) => {
                decoded = s;
                decoded.as_str()
            }
            Err(_) => return Blank::No,
        }
    } else {
        match std::str::from_utf8(inner) {
            Ok(s) => s,
            Err(_) => return Blank::No,
        }
    };
    if text.is_empty() {
        Blank::Empty
    } else if text.chars().all(char::is_whitespace) {
        Blank::Whitespace
    } else {
        Blank::No
    }
}

/// The lines of one raw SSE block, without their terminators.
pub(crate) fn lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= raw.len() {
            return None;
        }
        let (end, next) = match memchr::memchr2(b'\r', b'\n', &raw[pos..]) {
            Some(p) => {
                let e = pos + p;
                let crlf = raw[e] == b'\r' && raw.get(e + 1) == Some(&b'\n');
                (e, e + 1 + usize::from(crlf))
            }
            None => (raw.len(), raw.len()),
        };
        let line = &raw[pos..end];
        pos = next;
        Some(line)
    })
}

/// Calls `f` with the raw range of the value of every `data` line of one raw
/// SSE block (comments and other fields skipped, one leading space stripped).
fn data_lines(raw: &[u8], mut f: impl FnMut(Range<usize>)) {
    let mut pos = 0;
    while pos < raw.len() {
        let (end, next) = match memchr::memchr2(b'\r', b'\n', &raw[pos..]) {
            Some(p) => {
                let e = pos + p;
                let crlf = raw[e] == b'\r' && raw.get(e + 1) == Some(&b'\n');
                (e, e + 1 + usize::from(crlf))
            }
            None => (raw.len(), raw.len()),
        };
        let line = &raw[pos..end];
        if line.starts_with(b"data") {
            if line.len() == 4 {
                f(end..end);
            } else if line[4] == b':' {
                let space = usize::from(line.get(5) == Some(&b' '));
                f(pos + 5 + space..end);
            }
        }
        pos = next;
    }
}

/// Appends `raw` (one SSE block) to `out` with the digits of the top-level
/// `"index"` value of its data replaced by `new`. Returns false, appending
/// nothing, when the block has no such plain-digit value.
pub(crate) fn rewrite_index(
    raw: &[u8],
    new: u64,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> bool {
    // Where, in `raw`, the digits are.
    let mut lines = 0usize;
    let mut first = 0..0;
    data_lines(raw, |r| {
        if lines == 0 {
            first = r;
        }
        lines += 1;
    });
    let span = if lines == 1 {
        match find_keys(&raw[first.clone()], [b"index"]) {
            Ok([Some(v)]) => first.start + v.start..first.start + v.end,
            _ => return false,
        }
    } else {
        // Data split over several lines: scan the joined data, then map the
        // span back. A number holds no line break, so it lies in one line.
        scratch.clear();
        let mut map: Vec<(usize, Range<usize>)> = Vec::with_capacity(lines);
        data_lines(raw, |r| {
            if !map.is_empty() {
                scratch.push(b'\n');
            }
            map.push((scratch.len(), r.clone()));
            scratch.extend_from_slice(&raw[r]);
        });
        let v = match find_keys(scratch, [b"index"]) {
            Ok([Some(v)]) => v,
            _ => return false,
        };
        let Some((at, r)) = map.iter().rev().find(|(at, _)| *at <= v.start) else {
            return false;
        };
        r.start + (v.start - at)..r.start + (v.end - at)
    };
    if as_u64(&raw[span.clone()]).is_none() {
        return false;
    }
    out.extend_from_slice(&raw[..span.start]);
    push_u64(out, new);
    out.extend_from_slice(&raw[span.end..]);
    true
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(json: &'a str, key: &str) -> Option<&'a str> {
        find_keys(json.as_bytes(), [key.as_bytes()])
            .unwrap()
            .into_iter()
            .next()
            .flatten()
            .map(|r| &json[r])
    }

    #[test]
    fn finds_top_level_keys_only() {
        let j = r#" { "a" : {"type":"x","b":[1,"]}"]} , "type":"ping" , "index" : 12 }"#;
        assert_eq!(get(j, "type"), Some(r#""ping""#));
        assert_eq!(get(j, "index"), Some("12"));
        assert_eq!(get(j, "a"), Some(r#"{"type":"x","b":[1,"]}"]}"#));
        assert_eq!(get(j, "zz"), None);
        assert_eq!(get("{}", "a"), None);
        assert_eq!(get(r#"{"a\"b":"c\\","d":true}"#, "d"), Some("true"));
    }

    #[test]
    fn rejects_non_objects() {
        for bad in [
            "",
            "[]",
            "[DONE]",
            "{",
            r#"{"a""#,
            r#"{"a":}"#,
            r#"{"a":"x"#,
            r#"{"a":1 "b":2}"#,
        ] {
            assert_eq!(find_keys(bad.as_bytes(), [b"z"]), Err(Malformed), "{bad}");
        }
    }

    #[test]
    fn classifies_text() {
        let b = |s: &str| blank(Some(s.as_bytes()));
        assert_eq!(blank(None), Blank::Empty);
        assert_eq!(b(r#""""#), Blank::Empty);
        assert_eq!(b("null"), Blank::Empty);
        assert_eq!(b(r#"" \n""#), Blank::Whitespace);
        assert_eq!(b(r#""\n\t\u00a0""#), Blank::Whitespace);
        assert_eq!(b("\"\u{3000}\""), Blank::Whitespace);
        assert_eq!(b(r#"" x""#), Blank::No);
        assert_eq!(b(r#""\u0041""#), Blank::No);
        assert_eq!(b("1"), Blank::No);
    }

    #[test]
    fn rewrites_only_the_index_digits() {
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let raw = b"event: x\r\ndata: {\"type\":\"a\",\"index\":12      }\r\n\r\n";
        assert!(rewrite_index(raw, 3, &mut scratch, &mut out));
        assert_eq!(
            out,
            b"event: x\r\ndata: {\"type\":\"a\",\"index\":3      }\r\n\r\n"
        );
        out.clear();
        let raw = b"data:{\"type\":\"a\",\ndata:\"index\":\ndata: 7}\n\n";
        assert!(rewrite_index(raw, 10, &mut scratch, &mut out));
        assert_eq!(
            out,
            b"data:{\"type\":\"a\",\ndata:\"index\":\ndata: 10}\n\n"
        );
        out.clear();
        assert!(!rewrite_index(
            b"data: {\"index\":-1}\n\n",
            0,
            &mut scratch,
            &mut out
        ));
        assert!(!rewrite_index(
            b"data: {\"index\":1.0}\n\n",
            0,
            &mut scratch,
            &mut out
        ));
        assert!(out.is_empty());
    }
}
