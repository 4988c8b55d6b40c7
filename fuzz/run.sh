#!/usr/bin/env bash
# Runs one fuzz target niced, logging to /tmp/fuzz-<target>.log:
#   fuzz/run.sh <target> [max seconds (default 3600)] [runs (default 10000000)]
# Seeds come from fuzz/seeds.sh (generated from tests/corpus; fuzz/corpus is
# gitignored). Built without ASan (the crate denies unsafe code; only the wasm
# binding, not built here, allows it) but with
# debug assertions, so integer overflow panics.
set -euo pipefail
cd "$(dirname "$0")"
target=$1
secs=${2:-3600}
runs=${3:-10000000}
dict=sse.dict
# NOTE: the normalizer takes inputs up to 32 KiB under a 1 s bound per input,
# so that a quadratic path (issue 14) is a finding: a linear pass over 32 KiB
# takes about a millisecond, a quadratic one about a second.
timeout=10
max_len=4096
if [ "$target" = normalizer ]; then dict=json.dict; timeout=1; max_len=32768; fi
[ -d "corpus/$target" ] || bash seeds.sh
exec nice -n 10 cargo +nightly fuzz run -a -s none "$target" -- \
  -runs="$runs" -max_total_time="$secs" -max_len="$max_len" -dict="$dict" -timeout="$timeout" \
  -print_final_stats=1 >"/tmp/fuzz-$target.log" 2>&1
