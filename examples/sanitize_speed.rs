//! Native sanitize throughput over the corpus next to the bare parser (a quick
//! profiling aid; the real benchmark is `npm run bench`).
//! `cargo run --release --example sanitize_speed`
use sse_sanitizer::claude::{SanitizerOptions, StreamSanitizer};
use sse_sanitizer::sse::Parser;
use std::time::Instant;

fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut all = Vec::new();
    for dir in ["streams", "handwritten/streams", "compatible/streams"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("tests/corpus/{dir}"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for p in paths {
            all.extend(std::fs::read(p).unwrap());
        }
    }
    let data = all.repeat((16 << 20) / all.len() + 1);
    let mb = data.len() as f64 / 1e6;
    println!("{mb:.1} MB of corpus streams");
    for size in [64usize, 1024, 16384] {
        let mut events = 0usize;
        let only = std::env::var("ONLY").unwrap_or_default();
        let parse = best_of(if only == "sanitize" { 0 } else { 3 }, || {
            let mut p = Parser::default();
            for c in data.chunks(size) {
                p.push_raw(c, &mut |_| events += 1).unwrap();
            }
        });
        let mut out = Vec::with_capacity(size * 2);
        let mut written = 0usize;
        let sanitize = best_of(if only == "parse" { 0 } else { 3 }, || {
            let mut s = StreamSanitizer::new(SanitizerOptions::default());
            for c in data.chunks(size) {
                s.push(c, &mut out);
                written += out.len();
                out.clear();
            }
            s.finish(&mut out);
        });
        println!(
            "chunk {size:>5}: parse {:>5.0} MB/s, sanitize {:>5.0} MB/s ({events} events, {written} bytes out)",
            mb / parse,
            mb / sanitize
        );
    }
}
