//! Raw SSE blocks as the sanitizer rewrites them: their lines, their `data`
//! lines, and the digits of their top-level `"index"`.

use crate::json;
use std::ops::Range;

/// The lines of one raw SSE block, without their terminators.
pub(crate) fn lines(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    line_spans(raw).map(move |line| &raw[line])
}

/// Where each line of one raw SSE block is, without its terminator.
fn line_spans(raw: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
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
        let line = pos..end;
        pos = next;
        Some(line)
    })
}

/// Calls `f` with the raw range of the value of every `data` line of one raw
/// SSE block (comments and other fields skipped, one leading space stripped).
fn data_lines(raw: &[u8], mut f: impl FnMut(Range<usize>)) {
    for span in line_spans(raw) {
        let line = &raw[span.clone()];
        if line.starts_with(b"data") {
            if line.len() == 4 {
                f(span.end..span.end);
            } else if line[4] == b':' {
                let space = usize::from(line.get(5) == Some(&b' '));
                f(span.start + 5 + space..span.end);
            }
        }
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
        match json::find_keys(&raw[first.clone()], [b"index"]) {
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
        let v = match json::find_keys(scratch, [b"index"]) {
            Ok([Some(v)]) => v,
            _ => return false,
        };
        let Some((at, r)) = map.iter().rev().find(|(at, _)| *at <= v.start) else {
            return false;
        };
        r.start + (v.start - at)..r.start + (v.end - at)
    };
    if json::as_u64(&raw[span.clone()]).is_none() {
        return false;
    }
    out.extend_from_slice(&raw[..span.start]);
    crate::text::push_decimal_bytes(out, new);
    out.extend_from_slice(&raw[span.end..]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

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
