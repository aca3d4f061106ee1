#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, one job each.
#
#   fuzz/run.sh 600            # ten minutes per target
#   fuzz/run.sh 60 operations  # only the named targets
#   FUZZ_PROFILE=dev fuzz/run.sh 5   # unoptimized build (.ci/run's smoke run)
#
# libFuzzer needs nightly compiler features; RUSTC_BOOTSTRAP=1 unlocks them on the stable
# toolchain. Builds with debug assertions (so integer overflow panics) and AddressSanitizer.
# Crashes land in fuzz/artifacts/TARGET/; logs in fuzz/logs/TARGET.log (the final
# `#N ... exec/s` lines are the exec counts; a failed target's end is printed). Exits non-zero
# if the build or any target failed. .ci/run runs it with 5 seconds per target.
# One fuzzing process (one core) at a time: no -jobs/-workers, whose fork mode would also move
# the output into fuzz-N.log files.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# cargo-fuzz, pinned (installing it compiles 56 crates: 43 s on two cores).
cargo_fuzz_version=0.13.2
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
    cargo install --locked cargo-fuzz --version "$cargo_fuzz_version"
fi

targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(share_parse request_json request_json_validity pgp_key operations face_http)
fi

# The default, release, is what finds bugs (optimized, ~30x the executions of dev), but
# cargo-fuzz builds it with one codegen unit: minutes for rPGP alone. dev (opt-level 0, debug
# assertions on) builds in about a minute: enough to prove every target builds and runs clean.
case "${FUZZ_PROFILE:-release}" in
    release) build_flags=(--debug-assertions) pgp_timeout=2 ;;
    dev) build_flags=(--dev) pgp_timeout=10 ;;
    *) echo "FUZZ_PROFILE must be release or dev" >&2; exit 2 ;;
esac

export RUSTC_BOOTSTRAP=1
mkdir -p logs
cargo fuzz build "${build_flags[@]}"

failed=0
# Per-target libFuzzer options. pgp_key: inputs up to past the 64 KiB size cap of a `pgp_key`
# (libFuzzer's default max_len would stay far below it; -len_control=0 uses that length from the
# start instead of growing to it over hours), and a timeout far above the bounded
# parse time (milliseconds in release; 10 s for the unoptimized dev build), so a slow input is
# reported.
extra_args() {
    case "$1" in
        pgp_key) echo "-max_len=66000 -len_control=0 -timeout=$pgp_timeout" ;;
        *) echo "" ;;
    esac
}

for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${seconds}s"
    # shellcheck disable=SC2046 # word splitting of the options is intended
    if cargo fuzz run "${build_flags[@]}" "$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 $(extra_args "$t") \
        >"logs/$t.log" 2>&1; then
        echo "   ok"
    else
        echo "   FAILED (see fuzz/logs/$t.log and fuzz/artifacts/$t/); its end:"
        tail -n 40 "logs/$t.log"
        failed=1
    fi
    grep -E '^#[0-9]+.*(DONE|exec/s)' "logs/$t.log" | tail -n 1 || true
    grep -E '^stat::number_of_executed_units' "logs/$t.log" || true
done
exit "$failed"
