//! Messages (report details, error texts) put together without `core::fmt`:
//! `format!` and `write!` pull the formatting machinery (argument tables,
//! padding, integer `Display`) into the stream-only wasm module, which builds
//! its messages with [`cat`] instead.

use std::borrow::Cow;

/// A piece of a message: text or a whole number (in decimal).
pub(crate) trait Piece {
    fn push_to(&self, out: &mut String);
}

impl Piece for str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for &str {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for String {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for Cow<'_, str> {
    fn push_to(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Piece for u64 {
    fn push_to(&self, out: &mut String) {
        push_decimal(out, *self);
    }
}

impl Piece for usize {
    fn push_to(&self, out: &mut String) {
        push_decimal(out, *self as u64);
    }
}

/// `n` in decimal, as `{n}` prints it, written at the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut String, n: u64) {
    out.extend(decimal(n, &mut [0; 20]).iter().map(|&d| char::from(d)));
}

/// Appends `n` in decimal to bytes.
pub(crate) fn push_decimal_bytes(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(decimal(n, &mut [0; 20]));
}

/// The pieces one after the other: `cat(&[&"block ", &index])` is
/// `format!("block {index}")`.
#[inline(never)] // NOTE: one copy for every message (wasm size)
pub(crate) fn cat(pieces: &[&dyn Piece]) -> String {
    let mut out = String::new();
    for piece in pieces {
        piece.push_to(&mut out);
    }
    out
}

/// UTF-8 decode with U+FFFD replacement, as `String::from_utf8_lossy` does
/// (one U+FFFD per maximal invalid subpart, as the WHATWG decoder), borrowed
/// when `bytes` is valid. NOTE: made of `from_utf8` alone, which the modules
/// hold anyway: `from_utf8_lossy` brings a second, byte-by-byte decoder (~1 KB
/// of wasm). Linear: each byte is validated at most twice.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    let first = match std::str::from_utf8(bytes) {
        Ok(s) => return Cow::Borrowed(s),
        Err(e) => e,
    };
    let mut out = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    let mut error = Some(first);
    while let Some(e) = error {
        let (valid, after) = rest.split_at(e.valid_up_to());
        out.push_str(std::str::from_utf8(valid).unwrap_or_default());
        out.push(char::REPLACEMENT_CHARACTER);
        // NOTE: no `error_len`: an incomplete sequence at the end, one U+FFFD.
        rest = &after[e.error_len().unwrap_or(after.len())..];
        error = std::str::from_utf8(rest).err();
    }
    out.push_str(std::str::from_utf8(rest).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_decodes_as_from_utf8_lossy_does() {
        const PIECES: [&[u8]; 12] = [
            b"a",
            b"\xc3\xa9",
            b"\xc3",
            b"\xa9",
            b"\xe2\x82",
            b"\xe2\x82\xac",
            b"\xf0\x9f\x98\x80",
            b"\xf0\x9f",
            b"\xed\xa0\x80",
            b"\xff",
            b"\xc0\xaf",
            b"\n",
        ];
        let mut next = crate::json::tests::rng(0x9e37_79b9);
        for _ in 0..20_000 {
            let mut text = Vec::new();
            for _ in 0..next(9) {
                text.extend_from_slice(PIECES[next(PIECES.len())]);
            }
            let expected = String::from_utf8_lossy(&text);
            let got = lossy(&text);
            assert_eq!(got, expected, "{text:x?}");
            assert_eq!(
                matches!(got, Cow::Borrowed(_)),
                matches!(expected, Cow::Borrowed(_))
            );
        }
    }

    #[test]
    fn cat_prints_as_format_does() {
        for n in [0u64, 7, 10, 1234567890, u64::MAX] {
            assert_eq!(cat(&[&"n=", &n, &";"]), format!("n={n};"));
        }
        let owned = String::from("b");
        let cow: Cow<str> = Cow::Borrowed("c");
        assert_eq!(
            cat(&[&"a", &owned, &cow, &usize::MAX]),
            format!("abc{}", usize::MAX)
        );
        assert_eq!(cat(&[]), "");
        let mut bytes = b"x".to_vec();
        push_decimal_bytes(&mut bytes, 1234567890);
        assert_eq!(bytes, b"x1234567890");
    }
}
