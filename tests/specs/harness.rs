//! A small test runner with the command line and output of Rust's built-in
//! one (`running N tests`, `test NAME ... ok`, `test result: …`), so that each
//! spec file is one test: `cargo test --test specs -- thinking` runs the files
//! whose name holds `thinking`; `--exact`, `--skip`, `--list`, `--ignored`,
//! `--include-ignored`, `--quiet`, `--nocapture` and `--test-threads` work as
//! they do there. A test fails by panicking.

use std::cell::RefCell;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// One test: a name and the function that runs it.
pub struct Test {
    pub name: String,
    pub run: Box<dyn Fn() + Send + Sync>,
}

impl Test {
    pub fn new(name: impl Into<String>, run: impl Fn() + Send + Sync + 'static) -> Self {
        Test {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

#[derive(Default)]
struct Args {
    filters: Vec<String>,
    skip: Vec<String>,
    exact: bool,
    list: bool,
    ignored_only: bool,
    quiet: bool,
    nocapture: bool,
    threads: Option<usize>,
}

impl Args {
    fn from_env() -> Args {
        let mut args = Args {
            nocapture: std::env::var_os("RUST_TEST_NOCAPTURE").is_some(),
            threads: std::env::var("RUST_TEST_THREADS")
                .ok()
                .and_then(|n| n.parse().ok()),
            ..Args::default()
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = || inline.clone().or_else(|| it.next()).unwrap_or_default();
            match flag.as_str() {
                "--exact" => args.exact = true,
                "--list" => args.list = true,
                "--ignored" => args.ignored_only = true,
                "-q" | "--quiet" => args.quiet = true,
                "--nocapture" | "--no-capture" => args.nocapture = true,
                "--skip" => args.skip.push(value()),
                "--test-threads" => args.threads = value().parse().ok(),
                // Options of the built-in runner that take a value and do not
                // matter here.
                "--format" | "--color" | "--logfile" | "-Z" => {
                    value();
                }
                f if f.starts_with('-') => {}
                _ => args.filters.push(arg),
            }
        }
        args
    }

    fn selects(&self, name: &str) -> bool {
        let matches = |filter: &String| {
            if self.exact {
                name == filter
            } else {
                name.contains(filter.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(matches)
    }
}

thread_local! {
    /// The message of the panic that ended the current test.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs the selected tests on worker threads and prints what the built-in
/// runner prints; exit code 101 when one failed.
pub fn run(tests: Vec<Test>) -> ExitCode {
    let args = Args::from_env();
    if args.list {
        for t in tests.iter().filter(|t| args.selects(&t.name)) {
            println!("{}: test", t.name);
        }
        return ExitCode::SUCCESS;
    }
    let total = tests.len();
    // NOTE: no spec is ignored, so `--ignored` selects none.
    let selected: Vec<Test> = if args.ignored_only {
        Vec::new()
    } else {
        tests
            .into_iter()
            .filter(|t| args.selects(&t.name))
            .collect()
    };
    let filtered_out = total - selected.len();
    println!("\nrunning {} tests", selected.len());

    let nocapture = args.nocapture;
    std::panic::set_hook(Box::new(move |info| {
        let message = match info.payload().downcast_ref::<&str>() {
            Some(s) => s.to_string(),
            None => info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default(),
        };
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!("panicked at {at}:\n{message}");
        if nocapture {
            eprintln!("{text}");
        }
        PANIC.with(|p| *p.borrow_mut() = Some(text));
    }));

    let started = Instant::now();
    let threads = args
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .clamp(1, selected.len().max(1));
    let next = AtomicUsize::new(0);
    let (done, results) = mpsc::channel::<(usize, Option<String>)>();
    let mut failures = Vec::new();
    let mut passed = 0;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done = done.clone();
            let (next, selected) = (&next, &selected);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(test) = selected.get(i) else { break };
                let outcome = catch_unwind(AssertUnwindSafe(|| (test.run)()));
                let failure = outcome
                    .err()
                    .map(|_| PANIC.with(|p| p.borrow_mut().take().unwrap_or_default()));
                if done.send((i, failure)).is_err() {
                    break;
                }
            });
        }
        drop(done);
        let mut out = std::io::stdout().lock();
        for (i, failure) in results {
            let name = &selected[i].name;
            let ok = failure.is_none();
            if args.quiet {
                let _ = write!(out, "{}", if ok { '.' } else { 'F' });
                let _ = out.flush();
            } else {
                let _ = writeln!(out, "test {name} ... {}", if ok { "ok" } else { "FAILED" });
            }
            match failure {
                None => passed += 1,
                Some(text) => failures.push((name.clone(), text)),
            }
        }
        if args.quiet {
            let _ = writeln!(out);
        }
    });

    failures.sort();
    if !failures.is_empty() {
        println!("\nfailures:\n");
        for (name, text) in &failures {
            println!("---- {name} stdout ----\n{text}\n");
        }
        println!("failures:");
        for (name, _) in &failures {
            println!("    {name}");
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; 0 ignored; 0 measured; {filtered_out} filtered out; finished in {:.2}s\n",
        if failures.is_empty() { "ok" } else { "FAILED" },
        failures.len(),
        started.elapsed().as_secs_f64()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

/// The `*.txt` files of `tests/specs/<dir>`, sorted.
pub fn files(dir: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}
