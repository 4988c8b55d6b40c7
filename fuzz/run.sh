#!/usr/bin/env bash
# Runs one fuzz target niced, logging to /tmp/fuzz-<target>.log:
#   fuzz/run.sh <target> [max seconds (default 3600)] [runs (default 10000000)]
# Seeds come from fuzz/seeds.sh (generated from tests/corpus; fuzz/corpus is
# gitignored). Built without ASan (the crate forbids unsafe code) but with
# debug assertions, so integer overflow panics.
set -euo pipefail
cd "$(dirname "$0")"
target=$1
secs=${2:-3600}
runs=${3:-10000000}
dict=sse.dict
# NOTE: the normalizer runs under a per-input time bound, so that a quadratic
# path (issue 14) is a finding, not a slow run: inputs are at most 4 KiB.
timeout=10
[ "$target" = normalizer ] && dict=json.dict && timeout=2
[ -d "corpus/$target" ] || bash seeds.sh
exec nice -n 10 cargo +nightly fuzz run -a -s none "$target" -- \
  -runs="$runs" -max_total_time="$secs" -max_len=4096 -dict="$dict" -timeout="$timeout" \
  -print_final_stats=1 >"/tmp/fuzz-$target.log" 2>&1
