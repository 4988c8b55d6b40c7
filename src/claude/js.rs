//! The JavaScript semantics that the official SDK's stream helpers apply to
//! event fields, so that the accumulator reads an event as the SDK does:
//! `String(x)` of a field (`+` concatenation).

use crate::history::json::{Kind, J};

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
    // NOTE: Rust's `{:e}` prints the shortest digits that round-trip, as JS does.
    let exp = format!("{:e}", x.abs());
    let (mantissa, e) = exp.split_once('e').unwrap_or((&exp, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let n = e.parse::<i32>().unwrap_or(0) + 1;
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

/// `String(v)`; `None` is `undefined`.
pub(crate) fn to_string(v: Option<J<'_>>) -> String {
    let Some(v) = v else {
        return "undefined".into();
    };
    match v.kind() {
        Kind::Str => v.str().map(|s| s.into_owned()).unwrap_or_default(),
        Kind::Num => number(to_f64(&v.json())),
        Kind::Null | Kind::Bool => v.json().into_owned(),
        // `Array.prototype.join`: null items are empty.
        Kind::Arr => v
            .items()
            .into_iter()
            .map(|item| match item.kind() {
                Kind::Null => String::new(),
                _ => to_string(Some(item)),
            })
            .collect::<Vec<_>>()
            .join(","),
        Kind::Obj => "[object Object]".into(),
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
            (f64::INFINITY, "Infinity"),
        ];
        for (x, want) in cases {
            assert_eq!(number(x), want, "{x}");
        }
    }
}
