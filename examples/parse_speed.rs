//! Native parse throughput over the corpus (a quick profiling aid; the real
//! benchmark is `npm run bench`). `cargo run --release --example parse_speed`
use std::time::Instant;

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
    let data = all.repeat(8);
    for size in [64usize, 1024, 16384] {
        let start = Instant::now();
        let mut n = 0usize;
        let mut p = sse_sanitizer::sse::Parser::default();
        for c in data.chunks(size) {
            p.feed(c, &mut |e| n += e.data.len()).unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "chunk {size:>5}: {:.0} MB/s ({n} data bytes)",
            data.len() as f64 / secs / 1e6
        );
    }
}
