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
/// `js_error("code"`, `new SanitizerError('code'`), whitespace allowed
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
    raised.extend(codes_after(&read("src/wasm.rs"), "js_error(", '"'));
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
