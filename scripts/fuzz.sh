#!/usr/bin/env bash
# Fuzzes every parser of outside input: the bundle reader and the parsers the offline
# verifier relies on, and the server's and the CLI's (cargo-fuzz, libFuzzer). See
# docs/RELIABILITY.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   each target for that long (default 600)
#   scripts/fuzz.sh --smoke                each target for 15 s (for CI)
#
#   FUZZ_TARGETS="manifest tlog_proof" scripts/fuzz.sh 60    only some targets
#
# Targets (fuzz/fuzz_targets/): bundle_reader (bytes -> BundleReader + verify_archive),
# signed_note (gawah-log's signed notes, checkpoints, verifier keys), tlog_proof
# (TlogProof::parse), manifest (Manifest::parse), import_csv and import_jsonl (gawah import's
# file reader), tile_path (/log/tile/ paths), tus_headers (tus 1.0 upload headers),
# search_query (the search text parser and analyzer), multipart (the evidence form reader).
#
# Runs on stable Rust: cargo-fuzz needs nightly flags, so RUSTC_BOOTSTRAP=1 is set for it.
# Installs cargo-fuzz (cargo install cargo-fuzz --locked) if it is missing. Seeds are written
# to fuzz/corpus/<target>/ before each run by fuzz/seed (real bundles made with BundleWriter);
# the corpus grows across runs. Build: release with debug assertions (overflow checks on),
# AddressSanitizer (cargo-fuzz's default).
#
# Exit status: 0 if no target crashed, 1 if one did (the crashing input is kept under
# fuzz/artifacts/<target>/ and its path printed with the command that replays it),
# 2 on a usage or build error.
set -euo pipefail

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

seconds=600
case "${1:-}" in
"") ;;
--smoke) seconds=15 ;;
-h | --help) usage ;;
*[!0-9]* | 0) usage ;;
*) seconds=$1 ;;
esac
[[ $# -le 1 ]] || usage

cd "$(dirname "$0")/.."
all="bundle_reader signed_note tlog_proof manifest import_csv import_jsonl tile_path"
all+=" tus_headers search_query multipart"
read -r -a targets <<<"${FUZZ_TARGETS:-$all}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
    cargo install cargo-fuzz --locked || {
        echo "fuzz.sh: could not install cargo-fuzz" >&2
        exit 2
    }
fi
export RUSTC_BOOTSTRAP=1
flags=(-O -a) # release, with debug assertions

echo "fuzz.sh: writing seeds to fuzz/corpus/" >&2
cargo run --quiet --release --manifest-path fuzz/Cargo.toml --example seed -- fuzz/corpus || {
    echo "fuzz.sh: the seed writer failed" >&2
    exit 2
}
echo "fuzz.sh: building the targets" >&2
cargo fuzz build "${flags[@]}" >&2 || {
    echo "fuzz.sh: cargo fuzz build failed" >&2
    exit 2
}

# A figure from libFuzzer's final statistics (-print_final_stats=1), or "?".
figure() {
    grep -o "stat::$2: *[0-9.]*" "$1" | tail -1 | grep -o '[0-9.]*$' || echo "?"
}

mkdir -p fuzz/artifacts
summary=()
failed=0
for t in "${targets[@]}"; do
    log="fuzz/artifacts/$t.log"
    mkdir -p "fuzz/artifacts/$t"
    echo "fuzz.sh: $t for ${seconds} s (log: $log)" >&2
    rc=0
    cargo fuzz run "${flags[@]}" "$t" -- \
        -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=32768 \
        -print_final_stats=1 >"$log" 2>&1 || rc=$?
    execs=$(figure "$log" number_of_executed_units)
    rate=$(figure "$log" average_exec_per_sec)
    rss=$(figure "$log" peak_rss_mb)
    # libFuzzer's own count at the end: inputs kept (each adds coverage) / their size.
    corpus=$(grep -o 'DONE .* corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | sed 's/.*corp: //' || true)
    cov=$(grep -o 'DONE .*cov: [0-9]*' "$log" | tail -1 | sed 's/.*cov: //' || true)
    if [[ $rc -eq 0 ]]; then
        verdict="no crash"
    else
        failed=1
        artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //' || true)
        verdict="FAILED (exit $rc)"
        {
            echo
            echo "fuzz.sh: $t FAILED (exit $rc). Last lines of $log:"
            tail -n 40 "$log"
            if [[ -n $artifact ]]; then
                echo "fuzz.sh: the input is $artifact"
                echo "fuzz.sh: replay it with: RUSTC_BOOTSTRAP=1 cargo fuzz run ${flags[*]} $t $artifact"
            else
                echo "fuzz.sh: no input was written (build or harness problem); see $log"
            fi
        } >&2
    fi
    summary+=("$(printf '%-14s %6ss %12s %8s/s %6s MB %7s %14s  %s' \
        "$t" "$seconds" "$execs" "$rate" "$rss" "${cov:-?}" "${corpus:-?}" "$verdict")")
done

echo
echo "target            time   executions     rate    peak RSS  edges  corpus (inputs/size)  verdict"
printf '%s\n' "${summary[@]}"
exit "$failed"
