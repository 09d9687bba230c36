#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and prints each one's executions.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target: the first argument, else $FUZZ_SECONDS, else 60. TARGETs: the rest of the
# arguments, else all of them. $FUZZ_SANITIZER picks the sanitizer (default: none; `address`
# for ASan). Builds once (release optimisations with debug assertions and overflow checks, one
# job), then fuzzes each target from its committed seeds (fuzz/seeds/TARGET) into its generated
# corpus (fuzz/corpus/TARGET, git-ignored), which is minimised after each run (FUZZ_CMIN=0 skips
# that). A crash leaves the input in fuzz/artifacts/TARGET/; the script goes on with the other
# targets and exits 1 at the end. Logs: fuzz/logs/TARGET.log.
#
# cargo-fuzz needs nightly flags; on a stable toolchain RUSTC_BOOTSTRAP=1 allows them.
set -euo pipefail
cd "$(dirname "$0")"

ALL_TARGETS=(idx png_target rle rule checkpoint_meta)
SECONDS_EACH="${1:-${FUZZ_SECONDS:-60}}"
shift || true
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi
for t in "${TARGETS[@]}"; do
    if [ ! -f "fuzz_targets/$t.rs" ]; then
        echo "run.sh: no fuzz target '$t' (targets: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done
SANITIZER="${FUZZ_SANITIZER:-none}"
case "$SECONDS_EACH" in
    '' | *[!0-9]*)
        echo "run.sh: seconds must be a whole number, got '$SECONDS_EACH'" >&2
        exit 2
        ;;
esac

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

BUILD_FLAGS=(--debug-assertions --sanitizer "$SANITIZER")
echo "building the fuzz targets (sanitizer: $SANITIZER)"
build_start=$(date +%s)
cargo fuzz build "${BUILD_FLAGS[@]}"
echo "build: $(($(date +%s) - build_start)) s"

dict_for() {
    case "$1" in
        checkpoint_meta) echo dicts/json.dict ;;
        rle | rule) echo dicts/rle.dict ;;
    esac
}

mkdir -p logs
failed=()
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
    args=(
        -max_total_time="$SECONDS_EACH"
        -max_len=4096
        -timeout=10
        -rss_limit_mb=2048
        -print_final_stats=1
        -artifact_prefix="artifacts/$t/"
    )
    dict=$(dict_for "$t")
    if [ -n "$dict" ]; then
        args+=(-dict="$dict")
    fi
    echo "fuzzing $t for $SECONDS_EACH s"
    start=$(date +%s)
    status=0
    cargo fuzz run "${BUILD_FLAGS[@]}" "$t" "corpus/$t" "seeds/$t" -- "${args[@]}" \
        >"logs/$t.log" 2>&1 || status=$?
    took=$(($(date +%s) - start))
    # Keep the generated corpus small: only the inputs that add coverage.
    if [ "$status" -eq 0 ] && [ "${FUZZ_CMIN:-1}" != 0 ]; then
        cargo fuzz cmin "${BUILD_FLAGS[@]}" "$t" "corpus/$t" >"logs/$t.cmin.log" 2>&1 ||
            echo "run.sh: minimising corpus/$t failed (see logs/$t.cmin.log)" >&2
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1 || true)
    # Without final stats (a crash), the last progress line's count.
    if [ -z "$execs" ]; then
        execs=$(grep -oE '^#[0-9]+' "logs/$t.log" | tail -1 | tr -d '#' || true)
    fi
    corpus=$(find "corpus/$t" -type f | wc -l)
    line="$t: ${execs:-?} execs in ${took} s, corpus ${corpus} files"
    if [ "$status" -ne 0 ]; then
        line="$line, FAILED (exit $status; see logs/$t.log and artifacts/$t/)"
        failed+=("$t")
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "summary (${SECONDS_EACH} s per target, sanitizer $SANITIZER):"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
