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

#[cfg(test)]
mod tests {
    use super::*;

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
