//! The TypeScript surface names exactly the codes the core defines: every
//! code union of `js/index.d.ts` against its Rust enum (`ALL`), and the
//! error codes against every code the core's errors, the binding and the JS
//! layer can raise. (`RuleId` and `StreamAnomalyCode` are checked against the
//! catalogs by `pkg-tests/types.test.js`.)

use sse_sanitizer::claude::{NoteCode, SdkOutcome, TraceAction};
use sse_sanitizer::history::ChangeAction;
use sse_sanitizer::{BlankText, KeptReason};
use std::collections::BTreeSet;
use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// The binding's sources: src/wasm.rs and its modules (src/wasm/*.rs).
fn binding() -> String {
    let mut text = read("src/wasm.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/wasm");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        text += &std::fs::read_to_string(path).unwrap();
    }
    text
}

/// The quoted strings of a TypeScript union text (`'a' | 'b' | (string & {})`).
fn quoted(text: &str) -> BTreeSet<String> {
    text.split('\'')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// The union of field `field` of `export interface name` in index.d.ts.
fn field_union(interface: &str, field: &str) -> BTreeSet<String> {
    let dts = read("js/index.d.ts");
    let start = dts
        .find(&format!("export interface {interface} "))
        .unwrap_or_else(|| panic!("no interface {interface}"));
    let body = &dts[start..start + dts[start..].find("\n}").unwrap()];
    let at = body
        .find(&format!("\n  {field}:"))
        .unwrap_or_else(|| panic!("no field {interface}.{field}"));
    let text = &body[at..];
    quoted(&text[..text.find(';').unwrap()])
}

fn strings<T: ToString>(all: &[T]) -> BTreeSet<String> {
    all.iter().map(ToString::to_string).collect()
}

#[test]
fn report_unions_match_the_rust_enums() {
    assert_eq!(field_union("ReportNote", "code"), strings(NoteCode::ALL));
    assert_eq!(
        field_union("TraceEntry", "action"),
        strings(TraceAction::ALL)
    );
    assert_eq!(
        field_union("DroppedBlock", "reason"),
        strings(BlankText::ALL)
    );
    assert_eq!(
        field_union("ReplacedBlock", "blank"),
        strings(BlankText::ALL)
    );
    assert_eq!(
        field_union("ReplacedBlock", "reason"),
        strings(KeptReason::ALL)
    );
    assert_eq!(field_union("Change", "action"), strings(ChangeAction::ALL));
    assert_eq!(
        field_union("StreamAnomaly", "sdk"),
        strings(SdkOutcome::ALL)
    );
}

/// The kebab-case strings that follow `marker` in `text` (`=> "code"`,
/// `Fault("code"`, `new SanitizerError('code'`), whitespace allowed
/// between.
fn codes_after(text: &str, marker: &str, quote: char) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for piece in text.split(marker).skip(1) {
        let rest = piece.trim_start();
        if let Some(rest) = rest.strip_prefix(quote) {
            let code = &rest[..rest.find(quote).unwrap()];
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                out.insert(code.to_string());
            }
        }
    }
    out
}

#[test]
fn error_codes_match_what_the_core_the_binding_and_js_raise() {
    let dts = read("js/index.d.ts");
    let start = dts.find("export type SanitizerErrorCode =").unwrap();
    let typed = quoted(&dts[start..start + dts[start..].find(';').unwrap()]);

    // The core: every `code()` arm of src/error.rs.
    let mut raised = codes_after(&read("src/error.rs"), "=>", '"');
    raised.extend(codes_after(
        &read("src/error.rs"),
        "fn code(&self) -> &'static str {",
        '"',
    ));
    // The binding's own (a finished stream, a bad argument).
    raised.extend(codes_after(&binding(), "Fault(", '"'));
    // The JS layer's (loading, arguments).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "js") {
            let text = std::fs::read_to_string(&path).unwrap();
            raised.extend(codes_after(&text, "new SanitizerError(", '\''));
        }
    }
    assert_eq!(typed, raised, "SanitizerErrorCode in js/index.d.ts");
}

/// A failed call's u32 result is the same word in the binding and in the JS
/// that reads it.
#[test]
fn the_failed_call_sentinel_matches_in_rust_and_js() {
    assert!(read("src/wasm.rs").contains("const FAILED: u32 = u32::MAX;"));
    assert!(read("js/load.js").contains("const FAILED = 0xffffffff;"));
}

/// Options read from JSON as the JS API passes them: camelCase, typed (a
/// value of another type is `invalid-option`, naming the option), `null` and
/// unknown keys ignored; an unknown rule id refused by the Rust API as by JS.
#[test]
fn options_from_json_are_typed() {
    use sse_sanitizer::auth::{AuthConfig, AuthMode};
    use sse_sanitizer::claude::{AccumulateOptions, Messages, OnTruncated, SanitizerOptions};
    use sse_sanitizer::history::{normalize_bytes, NormalizeOptions};
    use sse_sanitizer::{Limits, Placeholder, Profile};

    let json = r#"{"profile":"bedrock","strictFields":true,"capCacheControl":true,"placeholderText":"…",
        "rules":{"merge-roles":false,"empty-text":true},"maxBodyBytes":10,
        "onReport":null,"somethingElse":[1]}"#;
    assert_eq!(
        NormalizeOptions::from_json(json).unwrap(),
        NormalizeOptions {
            profile: Profile::Bedrock,
            strict_fields: true,
            cap_cache_control: true,
            disabled_rules: vec!["merge-roles".into()],
            placeholder: Placeholder::new("…").unwrap(),
            limits: Limits::default().with_max_body_bytes(10),
        }
    );
    assert_eq!(
        NormalizeOptions::from_json("null").unwrap(),
        NormalizeOptions::default()
    );
    // A repeated key counts by its last value, as `JSON.parse` reads it.
    let repeated = r#"{"rules":{"merge-roles":false,"empty-text":false,"merge-roles":true}}"#;
    assert_eq!(
        NormalizeOptions::from_json(repeated)
            .unwrap()
            .disabled_rules,
        ["empty-text"]
    );
    for (json, name) in [
        (r#"{"profile":"openai"}"#, "profile"),
        (r#"{"strictFields":"yes"}"#, "strictFields"),
        (r#"{"capCacheControl":1}"#, "capCacheControl"),
        (r#"{"rules":{"no-such-rule":false}}"#, "rules"),
        (r#"{"rules":{"no-such-rule":true}}"#, "rules"),
        (r#"{"rules":{"empty-text":"off"}}"#, "rules"),
        (r#"{"rules":["empty-text"]}"#, "rules"),
        (r#"{"placeholderText":3}"#, "placeholderText"),
        (r#"{"placeholderText":" "}"#, "placeholderText"),
        (r#"{"maxBodyBytes":-1}"#, "maxBodyBytes"),
        (r#"{"maxBodyBytes":1.5}"#, "maxBodyBytes"),
        (r#"{"maxBodyBytes":"10"}"#, "maxBodyBytes"),
        (r#""bedrock""#, "options"),
        ("{", "options"),
    ] {
        let err = NormalizeOptions::from_json(json).unwrap_err();
        assert_eq!((err.code(), err.name), ("invalid-option", name), "{json}");
    }
    // The Rust API refuses an unknown rule id too, as JS does.
    let misspelt = NormalizeOptions {
        disabled_rules: vec!["empty-texts".into()],
        ..NormalizeOptions::default()
    };
    let err = normalize_bytes(b"[]", &misspelt).unwrap_err();
    assert_eq!(err.code(), "invalid-option");
    // A JS number past 2^64 is written with all its digits: it saturates.
    let huge = Limits::from_json(r#"{"maxLineBytes":100000000000000000000000}"#).unwrap();
    assert_eq!(huge.max_line_bytes, usize::MAX);

    let sanitizer = SanitizerOptions::from_json(
        r#"{"dropWhitespaceOnlyText":true,"onTruncated":"error-event","eventNames":false,"trace":true,"maxHeldBytes":7}"#,
    )
    .unwrap();
    assert_eq!(
        sanitizer,
        SanitizerOptions {
            profile: Profile::Bedrock,
            on_truncated: OnTruncated::ErrorEvent,
            event_names: false,
            trace: true,
            limits: Limits::default().with_max_held_bytes(7),
            ..SanitizerOptions::default()
        }
    );
    // `profile` wins over the old option.
    let both = r#"{"dropWhitespaceOnlyText":true,"profile":"anthropic"}"#;
    assert_eq!(
        SanitizerOptions::from_json(both).unwrap().profile,
        Profile::Anthropic
    );
    let err = SanitizerOptions::from_json(r#"{"trace":1}"#).unwrap_err();
    assert_eq!(err.name, "trace");

    let all = AccumulateOptions::from_json(r#"{"messages":"all"}"#).unwrap();
    assert_eq!(all.messages, Messages::All);
    assert_eq!(
        AccumulateOptions::from_json(r#"{"messages":"last"}"#)
            .unwrap_err()
            .name,
        "messages"
    );

    let config = AuthConfig::from_json(
        r#"{"apiKey":"k","baseURL":"http://127.0.0.1:1","authMode":"bearer","env":{"ANTHROPIC_AUTH_TOKEN":"t","PATH":"/bin"}}"#,
    )
    .unwrap();
    assert_eq!(config.key.as_deref(), Some("k"));
    assert_eq!(config.env_auth_token.as_deref(), Some("t"));
    assert_eq!(config.auth_mode, Some(AuthMode::Bearer));
    let err = AuthConfig::from_json(r#"{"authMode":"basic"}"#).unwrap_err();
    assert_eq!(err.code(), "invalid-auth-mode");
    let err = AuthConfig::from_json(r#"{"apiKey":42}"#).unwrap_err();
    assert_eq!(err.code(), "invalid-option");
    assert!(!err.to_string().contains("42"));
}

/// The memory layout JS decodes (`words('…')` in js/stream-api.js) is the
/// one the binding (src/wasm.rs, src/wasm/) writes (its `#[repr(C)]` structs
/// of u32 words, camelCase),
/// word for word in order. (`Output` is read in js/load.js.)
#[test]
fn js_reads_the_memory_layout_the_binding_writes() {
    let rust = binding();
    let js = read("js/stream-api.js") + &read("js/load.js");
    let camel = |snake: &str| {
        let mut out = String::new();
        let mut upper = false;
        for c in snake.chars() {
            match (c, upper) {
                ('_', _) => upper = true,
                (c, true) => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                (c, false) => out.push(c),
            }
        }
        out
    };
    let mut structs = 0;
    for piece in rust.split("\n#[repr(C)]\n").skip(1) {
        let name = piece.split("struct ").nth(1).unwrap();
        let name = &name[..name.find(' ').unwrap()];
        let body = &piece[piece.find('{').unwrap() + 1..piece.find('}').unwrap()];
        let fields: Vec<String> = body
            .split(',')
            .filter_map(|f| f.trim().strip_suffix(": u32"))
            .map(camel)
            .collect();
        let marker = format!("const {name} = words('");
        let at = js
            .find(&marker)
            .unwrap_or_else(|| panic!("js/stream-api.js and js/load.js have no `{marker}`"));
        let listed = &js[at + marker.len()..];
        let listed: Vec<&str> = listed[..listed.find('\'').unwrap()].split(' ').collect();
        assert_eq!(listed, fields, "{name}");
        structs += 1;
    }
    assert_eq!(structs, 3);
}

/// JS calls exactly the exports the binding has: every `extern "C" fn` of
/// src/wasm.rs and src/wasm/ is called from js/ (through `exports.` or its alias `x.`), and
/// js/ calls no other name (but the module's `memory`).
#[test]
fn js_calls_exactly_the_exports_of_the_binding() {
    let name_after = |text: &str, marker: &str| -> BTreeSet<String> {
        text.split(marker)
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect::<String>()
            })
            .filter(|name| !name.is_empty())
            .collect()
    };
    let exported = name_after(&binding(), "pub extern \"C\" fn ");
    let mut called = BTreeSet::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "js") {
            let text = std::fs::read_to_string(&path).unwrap();
            called.extend(name_after(&text, "exports."));
            called.extend(name_after(&text, " x."));
            called.extend(name_after(&text, "(x."));
        }
    }
    assert!(called.remove("memory"));
    assert_eq!(called, exported);
}
