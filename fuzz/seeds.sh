#!/usr/bin/env bash
# (Re)writes the fuzz seed corpus, fuzz/corpus/<target>/ (gitignored), from
# tests/corpus: recorded streams for parser/sanitizer/accumulator, recorded
# request bodies for normalizer. See `write_fuzz_seeds` in tests/properties/main.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test properties -- --ignored --exact write_fuzz_seeds
