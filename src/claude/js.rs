//! The JavaScript semantics that the official SDK's stream helpers apply to
//! event fields, so that the accumulator and the verdict read an event as the
//! SDK does: `String(x)` of a field (`+` concatenation), `JSON.stringify` of
//! an error body, the index `Array.prototype.at` takes, and whether an index
//! assignment lands on an array element.

use crate::json::{self, Kind, Raw};
use std::borrow::Cow;

/// `Number.prototype.toString()` of `x` (shortest round trip, exponent past
/// 1e21 and below 1e-6, as ECMAScript's Number::toString specifies).
pub(crate) fn number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // NOTE: ryu prints the shortest digits that round-trip (closest on a tie),
    // as JS does; only the layout differs. (`format!("{:e}")` would do too, at
    // ~30 KB of wasm for core's float formatting.)
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(x.abs());
    let (mantissa, e) = text.split_once('e').unwrap_or((text, "0"));
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut n = int.len() as i32 + e.parse::<i32>().unwrap_or(0);
    let digits = format!("{int}{frac}");
    let trimmed = digits.trim_start_matches('0');
    n -= (digits.len() - trimmed.len()) as i32;
    let digits = trimmed.trim_end_matches('0');
    let k = digits.len() as i32;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let rest = if k > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let e = n - 1;
        format!(
            "{}{rest}e{}{}",
            &digits[..1],
            if e < 0 { '-' } else { '+' },
            e.abs()
        )
    };
    format!("{sign}{body}")
}

/// The JS number a JSON number literal parses to.
fn to_f64(raw: &str) -> f64 {
    raw.parse().unwrap_or(f64::NAN)
}

/// `String(v)` of a value serde_json reads (see [`json::read`]); `None` is
/// `undefined`. NOTE: a number comes out as written, where JS prints its
/// shortest form (`1.50` is `1.5`); the same for the integers streams carry,
/// and it keeps JS float printing (~40 KB of wasm) out of the stream-only
/// module. [`text_of`] prints a number exactly.
pub(crate) fn to_string(v: Option<Raw<'_>>) -> String {
    let Some(v) = v else {
        return "undefined".into();
    };
    match v.kind() {
        Kind::Str => v.str().map(Cow::into_owned).unwrap_or_default(),
        Kind::Num | Kind::Null | Kind::Bool => v.text().to_string(),
        // `Array.prototype.join`: null items are empty.
        Kind::Arr => {
            let mut out = String::new();
            for (i, item) in v.items().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if item.kind() != Kind::Null {
                    out.push_str(&to_string(Some(item)));
                }
            }
            out
        }
        Kind::Obj => "[object Object]".into(),
    }
}

/// [`to_string`] of any value read in place (numbers as JS prints them).
pub(crate) fn text_of(v: Option<Raw<'_>>) -> String {
    match v {
        Some(v) if v.kind() == Kind::Str => v.str().map(|s| s.into_owned()).unwrap_or_default(),
        Some(v) if v.kind() == Kind::Num => number(to_f64(v.text())),
        // NOTE: serde_json refuses what the tape accepts only for a lone
        // surrogate or past its depth; the text as written is then close enough.
        Some(v) if json::check_str(v.text(), json::Reader::Value, json::SERDE_DEPTH).is_err() => {
            v.text().to_string()
        }
        v => to_string(v),
    }
}

/// `ToNumber(v)`; `None` is `undefined`.
fn to_number(v: Option<Raw<'_>>) -> f64 {
    let Some(v) = v else {
        return f64::NAN;
    };
    match v.kind() {
        Kind::Null => 0.0,
        Kind::Bool => f64::from(u8::from(v.text() == "true")),
        Kind::Num => to_f64(v.text()),
        Kind::Str | Kind::Arr => string_to_number(&text_of(Some(v))),
        Kind::Obj => f64::NAN,
    }
}

/// ECMAScript `StringToNumber`.
fn string_to_number(s: &str) -> f64 {
    let s = s.trim_matches(|c: char| c.is_whitespace() && c != '\u{85}' || c == '\u{feff}');
    if s.is_empty() {
        return 0.0;
    }
    match s {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = s.strip_prefix(prefix) {
            return match u128::from_str_radix(digits, radix) {
                Ok(n) if !digits.starts_with('+') => n as f64,
                _ => f64::NAN,
            };
        }
    }
    // NOTE: Rust also reads "inf" and "nan"; JS reads only a decimal literal.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return f64::NAN;
    }
    s.parse().unwrap_or(f64::NAN)
}

/// The position `array.at(v)` reads in an array of `len` items, if any.
pub(crate) fn at(v: Option<Raw<'_>>, len: usize) -> Option<usize> {
    let n = to_number(v);
    let n = if n.is_nan() { 0.0 } else { n.trunc() };
    let len = len as f64;
    let k = if n < 0.0 { len + n } else { n };
    (0.0 <= k && k < len).then_some(k as usize)
}

/// Whether `array[v] = x` writes an array element (the key `String(v)` is a
/// canonical array index) rather than a stray property.
pub(crate) fn is_array_index(v: Option<Raw<'_>>) -> bool {
    let key = match v {
        Some(v) if v.kind() == Kind::Num => number(to_f64(v.text())),
        _ => text_of(v),
    };
    let canonical = key == "0"
        || !key.starts_with('0') && !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
    canonical && key.parse::<u64>().is_ok_and(|n| n < u64::from(u32::MAX))
}

/// Truthiness, `None` being `undefined`.
pub(crate) fn truthy(v: Option<Raw<'_>>) -> bool {
    let Some(v) = v else {
        return false;
    };
    match v.kind() {
        Kind::Null => false,
        Kind::Bool => v.text() == "true",
        Kind::Num => {
            let n = to_f64(v.text());
            n != 0.0 && !n.is_nan()
        }
        Kind::Str => v.str().is_some_and(|s| !s.is_empty()),
        Kind::Arr | Kind::Obj => true,
    }
}

/// How V8 names a primitive in `Cannot create property 'x' on number '5'`.
pub(crate) fn describe_primitive(v: Raw<'_>) -> String {
    let kind = match v.kind() {
        Kind::Num => "number",
        Kind::Str => "string",
        _ => "boolean",
    };
    format!("{kind} '{}'", text_of(Some(v)))
}

/// `JSON.stringify(v)` of a value serde_json reads (see [`json::read`]):
/// compact, integer-like keys first in ascending order (JS property order),
/// a duplicated key in the place of its first occurrence with its last value
/// (as `JSON.parse` leaves it), numbers as JS prints them.
pub(crate) fn stringify(v: Raw<'_>, out: &mut String) {
    match v.kind() {
        Kind::Null | Kind::Bool => out.push_str(v.text()),
        Kind::Num => {
            let x = to_f64(v.text());
            out.push_str(&if x.is_finite() {
                number(x)
            } else {
                "null".into()
            });
        }
        Kind::Str => json::escape_into(out, &v.str().unwrap_or_default()),
        Kind::Arr => {
            out.push('[');
            for (i, item) in v.items().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                stringify(item, out);
            }
            out.push(']');
        }
        Kind::Obj => {
            let mut keys: Vec<(Cow<'_, str>, Raw<'_>)> = Vec::new();
            let mut seen: crate::hash::Map<Cow<'_, str>, usize> = Default::default();
            for (k, item) in v.entries() {
                let k = k.str().unwrap_or_default();
                match seen.get(&k) {
                    Some(&at) => keys[at].1 = item,
                    None => {
                        seen.insert(k.clone(), keys.len());
                        keys.push((k, item));
                    }
                }
            }
            let index = |k: &str| {
                let canonical = k == "0"
                    || !k.starts_with('0')
                        && !k.is_empty()
                        && k.bytes().all(|b| b.is_ascii_digit());
                canonical
                    .then(|| k.parse::<u64>().ok())
                    .flatten()
                    .filter(|n| *n < u64::from(u32::MAX))
            };
            // NOTE: a stable sort keeps the other keys in insertion order.
            keys.sort_by_key(|(k, _)| index(k).map_or((1, 0), |n| (0, n)));
            out.push('{');
            for (i, (k, item)) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::escape_into(out, &k);
                out.push(':');
                stringify(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_in_js() {
        let cases = [
            (5.0, "5"),
            (-0.0, "0"),
            (1.5e300, "1.5e+300"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123.456, "123.456"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-8, "-2.5e-8"),
            (0.1 + 0.2, "0.30000000000000004"),
            // Two shortest candidates (…562.2 and …562.3): V8 prints the closer.
            (1658206780088562.2, "1658206780088562.2"),
            (f64::INFINITY, "Infinity"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x}");
        }
    }

    /// Random doubles: what `number` prints reads back exactly, with as few
    /// digits as core's shortest `{:e}` (which may pick the other of two
    /// shortest candidates: JS and ryu take the closer one, see above).
    #[test]
    fn numbers_round_trip_with_the_shortest_digits() {
        let mut bits = 0x9e37_79b9_7f4a_7c15_u64;
        let digits = |s: &str| {
            s.split('e')
                .next()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        };
        for _ in 0..100_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let x = f64::from_bits(bits);
            if !x.is_finite() {
                continue;
            }
            let s = number(x);
            assert_eq!(s.parse::<f64>().unwrap(), x, "{s}");
            let shortest = digits(&format!("{:e}", x.abs()));
            assert_eq!(
                digits(&s).trim_matches('0').len(),
                shortest.trim_matches('0').len(),
                "{x:e} printed {s}"
            );
        }
    }

    #[test]
    fn stringify_orders_keys_and_numbers_as_js() {
        let mut out = String::new();
        let v = r#"{"b":1.0,"10":2,"a":[1e2,"x\u0001"],"2":null,"b":true}"#;
        stringify(json::read(v).unwrap(), &mut out);
        assert_eq!(out, r#"{"2":null,"10":2,"b":true,"a":[100,"x\u0001"]}"#);
    }

    #[test]
    fn at_and_array_keys() {
        let v = r#"[1, "1", 1.7, -1, null, true, "x", [1], " 2 "]"#;
        let items: Vec<_> = Raw::root(v).items().map(|v| at(Some(v), 3)).collect();
        assert_eq!(
            items,
            [
                Some(1),
                Some(1),
                Some(1),
                Some(2),
                Some(0),
                Some(1),
                Some(0),
                Some(1),
                Some(2)
            ]
        );
        assert_eq!(at(None, 3), Some(0));
        assert_eq!(at(Some(Raw::root("3")), 3), None);
        let keys: Vec<_> = Raw::root(v)
            .items()
            .map(|v| is_array_index(Some(v)))
            .collect();
        assert_eq!(
            keys,
            [true, true, false, false, false, false, false, true, false]
        );
    }
}
