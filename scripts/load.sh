#!/usr/bin/env bash
# Read-path load test: a server on loopback with a large synthetic corpus, many concurrent
# clients listing incidents. See docs/BENCHMARKS.md ("Read-path load test").
#
#   scripts/load.sh [--incidents N] [--clients N] [--requests N] [--duration S]
#                   [--mix api:1,html:1] [--think-ms 0,1000] [--threads N] [--dir D]
#
# Defaults: 100,000 incidents, 200 clients, at most 20,000 requests or 60 s per phase, half
# API and half HTML list requests at random pages, one load-generator thread; the list is
# measured twice: clients in a closed loop (no pause: saturation), then pausing 0-2 s (mean
# 1 s) after each page, as people paging through a list do.
# --dir D keeps the data dir at D and reuses it on the next run if it has the same number of
# incidents (generating 100,000 takes a few minutes); otherwise a temp dir is used and removed.
# The server listens on 127.0.0.1 on a port the kernel picks; the script reads the address
# the server prints. Nothing is asserted: the numbers are printed beside baselines measured in
# the same run (a trivial route of the same server, and the same query in-process).
# Needs: bash, coreutils, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/serve.sh
source scripts/lib/serve.sh

INCIDENTS=100000; CLIENTS=200; REQUESTS=20000; DURATION=60; MIX=api:1,html:1; THREADS=1
THINK=0,1000
DIR=""
while [ $# -gt 0 ]; do
    case "$1" in
        --incidents) INCIDENTS=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --requests) REQUESTS=$2; shift 2 ;;
        --duration) DURATION=$2; shift 2 ;;
        --mix) MIX=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --think-ms) THINK=$2; shift 2 ;;
        --dir) DIR=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--incidents N] [--clients N] [--requests N] [--duration S] [--mix M] [--think-ms N,..] [--threads N] [--dir D]" >&2; exit 2 ;;
    esac
done

W="$(mktemp -d "${TMPDIR:-/var/tmp}/gawah-load.XXXXXX")"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT
if [ -z "$DIR" ]; then DIR="$W/data"; fi
ORG="Load Test Organisation"
LUSER=loadanalyst

log() { printf '\n== %s\n' "$*" >&2; }

log "machine"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)" >&2
echo "nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "rustc: $(rustc --version)" >&2

log "build (release)"
cargo build --release -p gawah --locked
# The load generator in the same release profile; its path is in cargo's JSON messages
# (`tee /dev/stderr` of cargo's text would truncate a stderr redirected to a file).
BENCH="$(cargo build --release -p gawah --bench load --locked \
    --message-format=json-render-diagnostics \
    | grep -o '"executable":"[^"]*/load-[0-9a-f]*"' | tail -1 | cut -d'"' -f4)"
GAWAH="${CARGO_TARGET_DIR:-target}/release/gawah"
[ -x "$GAWAH" ] && [ -x "$BENCH" ] || { echo "load: no binaries ($GAWAH, $BENCH)" >&2; exit 1; }

# The keys open with a key file (no key derivation); it lives beside the data dir.
export GAWAH_KEY_FILE="$DIR.key"
if [ -f "$DIR/.load-ready" ] && [ "$(cat "$DIR/.load-ready")" = "$INCIDENTS" ]; then
    log "reusing $DIR ($INCIDENTS incidents)"
else
    log "data dir $DIR: $INCIDENTS synthetic incidents"
    rm -rf "$DIR" "$DIR.key"
    "$GAWAH" init --data-dir "$DIR" --origin load.gawah.local/log >/dev/null
    "$GAWAH" admin org add --data-dir "$DIR" "$ORG" >/dev/null
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$DIR.password"
    "$GAWAH" admin user add --data-dir "$DIR" --username "$LUSER" --role analyst --org "$ORG" \
        --password-stdin < "$DIR.password" >/dev/null
    "$GAWAH" admin token create --data-dir "$DIR" --username "$LUSER" 2>/dev/null | tail -1 > "$DIR.token"
    start=$(date +%s.%N)
    "$GAWAH" demo generate --data-dir "$DIR" --org "$ORG" --incidents "$INCIDENTS"
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" -v n="$INCIDENTS" \
        'BEGIN { printf "generated %d incidents in %.1f s (%.0f/s)\n", n, b - a, n / (b - a) }' >&2
    # The search index catches up when the server starts; built here instead, so that the
    # measured server is not indexing 100,000 incidents while it answers (CPU and memory).
    "$GAWAH" index rebuild --data-dir "$DIR" >/dev/null
    echo "$INCIDENTS" > "$DIR/.load-ready"
fi
echo "database: $(du -sh "$DIR/gawah.db" | cut -f1)" >&2

log "server"
start_server load "$GAWAH" "$DIR" "$W"

log "load"
"$BENCH" --url "$URL" --token "$(cat "$DIR.token")" --username "$LUSER" \
    --password-file "$DIR.password" --pid "$SERVER" --data-dir "$DIR" --org "$ORG" \
    --clients "$CLIENTS" --requests "$REQUESTS" --duration "$DURATION" --mix "$MIX" \
    --think-ms "$THINK" --threads "$THREADS"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if grep -qiE 'error|panic' "$W/serve.err"; then
    echo "server log:" >&2; cat "$W/serve.err" >&2
fi
