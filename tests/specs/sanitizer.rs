//! Sanitizer specs (`tests/specs/sanitizer/*.txt`): a stream, the options,
//! and the sanitizer's output and report. Every case runs whole, split in two
//! at every byte, and in 1-byte chunks, with the same result; and sanitizing
//! the output again changes nothing.

use crate::SpecFile;
use sse_sanitizer::claude::{sanitize, Report, SanitizerOptions, StreamSanitizer};
use std::path::Path;

const SECTIONS: [&str; 2] = ["# output", "# report"];

/// Stands for a CR byte in a stream section.
const CR: char = '\u{240D}'; // ␍
/// Ends a stream section whose last byte is not a LF (the LF after it is
/// not part of the stream).
const END: char = '\u{2403}'; // ␃

fn options(spec: &SpecFile, path: &Path) -> SanitizerOptions {
    let known = [
        "profile",
        "placeholderText",
        "onTruncated",
        "eventNames",
        "trace",
    ];
    SanitizerOptions::from_json(&spec.options_json(path, &known))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The stream bytes a section's text stands for.
fn decode(text: &str) -> Vec<u8> {
    let text = match text.strip_suffix(&format!("{END}\n")) {
        Some(cut) => cut,
        None => text,
    };
    text.replace(CR, "\r").into_bytes()
}

/// The section text of stream bytes (UTF-8 only; CR written as `␍`, a last
/// byte other than LF followed by `␃`).
fn encode(bytes: &[u8]) -> String {
    let text = std::str::from_utf8(bytes).expect("a spec stream is UTF-8");
    assert!(
        !text.contains([CR, END]),
        "a spec stream holds no ␍ or ␃ of its own"
    );
    let mut out = text.replace('\r', &CR.to_string());
    if !out.is_empty() && !out.ends_with('\n') {
        out.push(END);
        out.push('\n');
    }
    out
}

fn chunked(
    input: &[u8],
    chunks: &mut dyn Iterator<Item = &[u8]>,
    options: &SanitizerOptions,
) -> (Vec<u8>, Report) {
    let mut sanitizer = StreamSanitizer::new(options.clone());
    let mut out = Vec::new();
    let mut fed = 0;
    for chunk in chunks {
        sanitizer.push(chunk, &mut out);
        fed += chunk.len();
    }
    assert_eq!(fed, input.len());
    let report = sanitizer.finish(&mut out);
    (out, report)
}

pub fn run(path: &Path) {
    let name = path.display();
    let spec = SpecFile::parse(path, &std::fs::read_to_string(path).unwrap(), &SECTIONS);
    let options = options(&spec, path);
    let input = decode(&spec.input);
    let (output, report) = sanitize(&input, &options);

    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        let split = chunked(&input, &mut [a, b].into_iter(), &options);
        assert!(
            split.0 == output,
            "{name}: output differs when split at byte {at}"
        );
        assert_eq!(
            split.1, report,
            "{name}: report differs when split at byte {at}"
        );
    }
    let ones = chunked(&input, &mut input.chunks(1), &options);
    assert!(ones.0 == output, "{name}: output differs in 1-byte chunks");
    assert_eq!(ones.1, report, "{name}: report differs in 1-byte chunks");
    let (again, _) = sanitize(&output, &options);
    assert!(
        again == output,
        "{name}: sanitizing the output changes it again"
    );

    let shown = if output == input {
        "unchanged\n".to_string()
    } else {
        encode(&output)
    };
    let report = serde_json::to_string_pretty(&report).unwrap() + "\n";
    spec.check(
        path,
        &spec.input,
        &[("# output", shown), ("# report", report)],
    );
}
