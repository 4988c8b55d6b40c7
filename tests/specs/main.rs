//! Text specs, one test per file (deno_graph style): `tests/specs/history/`
//! for the history normalizer and validator, `tests/specs/sanitizer/` for the
//! stream sanitizer; the format of each is in `tests/specs/README.md`.
//!
//! `cargo test --test specs -- thinking` runs the files whose test name holds
//! `thinking`; `UPDATE=1 cargo test --test specs` rewrites every section after
//! `# input` with what the code does now (review the diff).

mod harness;
mod history;
mod sanitizer;

use harness::Test;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut tests = Vec::new();
    for (kind, run) in [
        ("history", history::run as fn(&Path)),
        ("sanitizer", sanitizer::run),
    ] {
        for path in harness::files(kind) {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            tests.push(Test::new(format!("{kind}::{stem}"), move || run(&path)));
        }
    }
    tests.push(Test::new(
        "history::every-rule-has-a-case-under-each-profile",
        history::every_rule_has_a_case,
    ));
    harness::run(tests)
}

/// Whether `UPDATE` is set: rewrite the expected sections instead of checking.
fn update() -> bool {
    std::env::var_os("UPDATE").is_some()
}

/// A spec file as written: the header (free text in `//` lines and
/// `name: value` option lines), the input and the expected sections, each the
/// exact text between its `# name` line and the next section line.
struct SpecFile {
    header: String,
    options: Vec<(String, String)>,
    input: String,
    sections: Vec<(String, String)>,
}

impl SpecFile {
    /// Parses `text`, whose sections after `# input` are named `names`.
    fn parse(path: &Path, text: &str, names: &[&str]) -> SpecFile {
        let name = path.display();
        let (header, rest) = text
            .split_once("# input\n")
            .unwrap_or_else(|| panic!("{name}: no `# input` line"));
        let mut options = Vec::new();
        for line in header.lines() {
            if line.starts_with("//") || line.trim().is_empty() {
                continue;
            }
            let (key, value) = line.split_once(": ").unwrap_or_else(|| {
                panic!("{name}: `{line}` is neither `// text` nor `option: value`")
            });
            options.push((key.to_string(), value.trim().to_string()));
        }
        let mut input = String::new();
        let mut sections: Vec<(String, String)> = Vec::new();
        for line in rest.split_inclusive('\n') {
            let bare = line.strip_suffix('\n').unwrap_or(line);
            if names.contains(&bare) {
                sections.push((bare.to_string(), String::new()));
                continue;
            }
            match sections.last_mut() {
                Some((_, body)) => body.push_str(line),
                None => input.push_str(line),
            }
        }
        SpecFile {
            header: header.to_string(),
            options,
            input,
            sections,
        }
    }

    /// The options as the JSON object the JS API takes: each value JSON when
    /// it parses as such, else a string. `known` are the names a spec of this
    /// kind may set (a misspelt one would be ignored by the core).
    fn options_json(&self, path: &Path, known: &[&str]) -> String {
        const LIMITS: [&str; 5] = [
            "maxLineBytes",
            "maxEventBytes",
            "maxHeldBytes",
            "maxJsonDepth",
            "maxBodyBytes",
        ];
        for (key, _) in &self.options {
            assert!(
                known.contains(&key.as_str()) || LIMITS.contains(&key.as_str()),
                "{}: unknown option `{key}`",
                path.display()
            );
        }
        let object: serde_json::Map<String, serde_json::Value> = self
            .options
            .iter()
            .map(|(key, value)| {
                let value = serde_json::from_str(value)
                    .unwrap_or_else(|_| serde_json::Value::String(value.clone()));
                (key.clone(), value)
            })
            .collect();
        serde_json::Value::Object(object).to_string()
    }

    /// The expected text of section `name`, if the file has it.
    fn section(&self, name: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(s, _)| s == name)
            .map(|(_, body)| body.as_str())
    }

    /// Checks `actual` (section name, text) against the file, or with
    /// `UPDATE` set writes them into it; `input` is the input section's text.
    fn check(&self, path: &Path, input: &str, actual: &[(&str, String)]) {
        if update() {
            let mut out = format!("{}# input\n{input}", self.header);
            for (section, body) in actual {
                out.push_str(&format!("{section}\n{body}"));
            }
            // NOTE: written aside, then renamed: other specs read the files
            // (the coverage check) while this one rewrites its own.
            let aside = path.with_extension("txt.new");
            std::fs::write(&aside, out).unwrap();
            std::fs::rename(&aside, path).unwrap();
            return;
        }
        let mut failures = Vec::new();
        for (section, body) in actual {
            let want = self.section(section);
            if want != Some(body.as_str()) {
                failures.push(format!(
                    "{section}\n--- expected\n{}\n--- actual\n{body}",
                    want.unwrap_or("(missing)")
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{}: rerun with UPDATE=1 to accept:\n{}",
            path.display(),
            failures.join("\n")
        );
    }
}
