#!/usr/bin/env bash
# Search benchmark: gawah-search (tantivy) beside SQLite FTS5 in the same run, on the same
# synthetic incidents and queries. See docs/BENCHMARKS.md, section "Search (step 4)".
#
#   scripts/bench-search.sh                      1,000,000 incidents (several minutes)
#   scripts/bench-search.sh --incidents 100000   any other size
#   scripts/bench-search.sh --rounds 20          more timed rounds of the query set (default 10)
#
# Prints markdown tables: build speed, faceted query latency (p50/p99), recall on spelling
# variants. Nothing is asserted: a missed target is reported, not failed.
#
# Scratch data goes to a temp dir under $BENCH_TMP, else $TMPDIR, else /var/tmp (a disk, not
# tmpfs, so that commits cost what they cost); it is removed on exit.
# Needs: bash, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --incidents|--rounds|--seed) [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
            ARGS+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--incidents N] [--rounds R] [--seed S]" >&2; exit 2 ;;
    esac
done

BASE="${BENCH_TMP:-${TMPDIR:-/var/tmp}}"
W="$(mktemp -d "$BASE/gawah-search-bench.XXXXXX")"
trap 'rm -rf "$W"' EXIT
if [ "$(df --output=fstype "$W" | tail -1)" = tmpfs ]; then
    echo "bench-search: warning: $W is on tmpfs; set BENCH_TMP to a disk" >&2
fi

cargo build --release --locked -p gawah-search --example bench >&2
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), nproc: $(nproc), rustc: $(rustc --version | cut -d' ' -f2)"
echo "command: scripts/bench-search.sh ${ARGS[*]:-}"
target/release/examples/bench --scratch "$W" "${ARGS[@]}"
