//! The partial JSON parser that the official TypeScript SDK (`@anthropic-ai/sdk`,
//! `src/_vendor/partial-json-parser`) applies to a tool block's `input_json_delta`
//! text, ported so that a tool block cut off mid-input accumulates to the same
//! `input` as the SDK's `finalMessage()`. It keeps the SDK's quirks on purpose
//! (an incomplete string is dropped, and so is a trailing value after a comma).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open(char),
    Close(char),
    Colon,
    Comma,
    /// String contents as written (escapes kept).
    Str(String),
    Num(String),
    Name(&'static str),
}

/// Completes and parses a prefix of a JSON text, as the SDK does; `None` when
/// even the completed text does not parse.
pub(crate) fn partial_parse(input: &str) -> Option<Value> {
    let mut tokens = tokenize(input);
    strip(&mut tokens);
    close(&mut tokens);
    let mut text = String::with_capacity(input.len() + 8);
    for token in &tokens {
        match token {
            Token::Open(c) | Token::Close(c) => text.push(*c),
            Token::Colon => text.push(':'),
            Token::Comma => text.push(','),
            Token::Str(s) => {
                text.push('"');
                text.push_str(s);
                text.push('"');
            }
            Token::Num(s) => text.push_str(s),
            Token::Name(s) => text.push_str(s),
        }
    }
    serde_json::from_str(&text).ok()
}

fn tokenize(input: &str) -> Vec<Token> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' | '[' => tokens.push(Token::Open(c)),
            '}' | ']' => tokens.push(Token::Close(c)),
            ':' => tokens.push(Token::Colon),
            ',' => tokens.push(Token::Comma),
            '"' => {
                let mut value = String::new();
                let mut dangling = false;
                i += 1;
                loop {
                    let Some(&ch) = chars.get(i) else {
                        dangling = true;
                        break;
                    };
                    if ch == '"' {
                        break;
                    }
                    if ch == '\\' {
                        i += 1;
                        let Some(&escaped) = chars.get(i) else {
                            dangling = true;
                            break;
                        };
                        value.push('\\');
                        value.push(escaped);
                    } else {
                        value.push(ch);
                    }
                    i += 1;
                }
                if !dangling {
                    tokens.push(Token::Str(value));
                }
            }
            '0'..='9' | '-' | '.' => {
                let mut value = String::new();
                if c == '-' {
                    value.push(c);
                    i += 1;
                }
                while let Some(&d @ ('0'..='9' | '.')) = chars.get(i) {
                    value.push(d);
                    i += 1;
                }
                tokens.push(Token::Num(value));
                continue;
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                while chars.get(i).is_some_and(char::is_ascii_alphabetic) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match ["true", "false", "null"].into_iter().find(|w| *w == word) {
                    Some(name) => tokens.push(Token::Name(name)),
                    // NOTE: the SDK also skips the character after an unknown word.
                    None => i += 1,
                }
                continue;
            }
            // A backslash outside a string, whitespace, anything else: skipped.
            _ => {}
        }
        i += 1;
    }
    tokens
}

/// Drops trailing tokens that cannot end a value.
fn strip(tokens: &mut Vec<Token>) {
    while let Some(last) = tokens.last() {
        let drop = match last {
            Token::Colon | Token::Comma => true,
            Token::Num(n) if n.ends_with(['.', '-']) => true,
            Token::Num(_) | Token::Str(_) => matches!(
                tokens.len().checked_sub(2).map(|i| &tokens[i]),
                Some(Token::Comma | Token::Open('{'))
            ),
            _ => false,
        };
        if !drop {
            break;
        }
        tokens.pop();
    }
}

/// Appends the closers of the containers left open.
fn close(tokens: &mut Vec<Token>) {
    let mut open: Vec<char> = Vec::new();
    for token in tokens.iter() {
        match token {
            Token::Open('{') => open.push('}'),
            Token::Open(_) => open.push(']'),
            Token::Close(c) => {
                // NOTE: like the SDK's `splice(lastIndexOf(c), 1)`, which removes
                // the last entry when `c` is not there.
                match open.iter().rposition(|o| o == c) {
                    Some(p) => {
                        open.remove(p);
                    }
                    None => {
                        open.pop();
                    }
                }
            }
            _ => {}
        }
    }
    tokens.extend(open.into_iter().rev().map(Token::Close));
}

#[cfg(test)]
mod tests {
    use super::partial_parse;
    use serde_json::json;

    #[test]
    fn completes_like_the_sdk() {
        let p = |s: &str| partial_parse(s);
        assert_eq!(p(r#"{"a": 1, "b": [1, 2"#), Some(json!({"a": 1, "b": [1]})));
        assert_eq!(p(r#"{"a": "x", "b": "unfinis"#), Some(json!({"a": "x"})));
        assert_eq!(p(r#"{"a": "x\"y", "c": tr"#), Some(json!({"a": "x\"y"})));
        assert_eq!(p(r#"{"a": {"b": null, "#), Some(json!({"a": {"b": null}})));
        assert_eq!(p(r#"{"a": -"#), Some(json!({})));
        assert_eq!(p(""), None);
        assert_eq!(p(r#"{"k": "v"}"#), Some(json!({"k": "v"})));
        assert_eq!(
            p("{\"filename\": \"taxes.txt\", \"lines\": [\n\"# A\",\n\"\",\n\"## B\",\n\"Fil"),
            Some(json!({"filename": "taxes.txt", "lines": ["# A"]}))
        );
    }
}
