#!/usr/bin/env bash
# Runs the fuzz targets of the file readers one after the other, each for SECONDS
# (600 by default) on one core, with the committed seeds (fuzz/seeds/<target>/) and the
# corpus kept in fuzz/corpus/<target>/ (not committed); logs go to $LOG_DIR/fuzz-<target>.log
# (/tmp by default). On stable Rust, RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly
# flags (docs/testing.md, "Fuzzing").
#
#     scripts/fuzz_readers.sh                      # csv_reader npy weights_file model_file parquet
#     SECONDS_EACH=60 scripts/fuzz_readers.sh npy  # one target, one minute
set -u
cd "$(dirname "$0")/../fuzz"
seconds=${SECONDS_EACH:-600}
log_dir=${LOG_DIR:-/tmp}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(csv_reader npy weights_file model_file parquet)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    echo "$(date -u +%FT%TZ) start $t" >>"$log_dir/fuzz-runs.log"
    RUSTC_BOOTSTRAP=1 cargo fuzz run ${FUZZ_FLAGS:-} "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log_dir/fuzz-$t.log" 2>&1
    rc=$?
    echo "$(date -u +%FT%TZ) end $t: exit $rc" >>"$log_dir/fuzz-runs.log"
done
