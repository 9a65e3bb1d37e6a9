#!/usr/bin/env bash
# Scale-out benchmark: ingest and append throughput of SQLite + a local folder (one server,
# the baseline) against PostgreSQL + Garage with 1, 2 and 4 `gawah serve` processes, in one
# run, as ratios. See docs/BENCHMARKS.md ("Scale-out").
#
#   scripts/bench-scaleout.sh [--uploads N] [--size S] [--large N] [--large-size S]
#                             [--seconds N] [--clients N] [--servers 1,2,4]
#
# Defaults: 1,000 uploads of 64 KiB, 16 of 8 MiB, 15 s of incident creation, 16 clients.
# Builds release; starts PostgreSQL (scripts/postgres.sh) and Garage (scripts/garage.sh) in a
# temp folder under $BENCH_TMP, else $TMPDIR, else /var/tmp; then per configuration: a fresh
# data dir (`gawah init`; a fresh database and bucket prefix for PostgreSQL + Garage, copied to
# each server), an organisation, a documenter and a token, the servers on 127.0.0.1 (each
# ready when it prints its address), the load (crates/gawah/benches/scaleout.rs: uploads and
# incident creations spread round-robin over the servers), the servers stopped with SIGTERM,
# `gawah log verify` (the tree, the checkpoints, every blob read back; exactly the uploaded
# number of items) and every acknowledged write found at its log index. Prints one table with
# each configuration's throughput divided by the baseline's, measured in the same run.
# Exits 1 if any request failed, a server failed, or the log or an acknowledgement does not
# hold. Everything it started is stopped and its temp folder removed on exit.
# Needs: bash, coreutils, cargo, jq; PostgreSQL 15 and Garage (the scripts install them).
set -euo pipefail
cd "$(dirname "$0")/.."

UPLOADS=1000; SIZE=64KiB; LARGE=16; LARGE_SIZE=8MiB; SECS=15; CLIENTS=16; SERVERS=1,2,4
usage() {
    echo "usage: $0 [--uploads N] [--size S] [--large N] [--large-size S] [--seconds N] [--clients N] [--servers 1,2,4]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in -h|--help) sed -n '2,21p' "$0"; exit 0 ;; esac
    [ $# -ge 2 ] || usage
    case "$1" in
        --uploads) UPLOADS=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --large) LARGE=$2; shift 2 ;;
        --large-size) LARGE_SIZE=$2; shift 2 ;;
        --seconds) SECS=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --servers) SERVERS=$2; shift 2 ;;
        *) usage ;;
    esac
done

die() { echo "bench-scaleout: $*" >&2; exit 1; }
log() { printf '\n== %s\n' "$*" >&2; }
# hex, poll
source scripts/lib/services.sh

W=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/var/tmp}}/gawah-scaleout.XXXXXX")
# PostgreSQL runs as an unprivileged user when we are root; it must reach its folder inside.
chmod 0755 "$W"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    scripts/garage.sh stop "$W/garage" >/dev/null 2>&1 || true
    scripts/postgres.sh stop "$W/pg" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT
# Only the stores this script chooses.
unset GAWAH_DATABASE_URL GAWAH_BLOB_URL GAWAH_DATA_DIR GAWAH_PASSPHRASE_FILE PGPASSWORD
export GAWAH_KEY_FILE="$W/keys/gawah.key"
mkdir -m 0700 "$W/keys"
BEGAN=$(date +%s)

# The run's header goes to stdout with the results.
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(nproc) x $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rustc: $(rustc --version)"
echo "parameters: --uploads $UPLOADS --size $SIZE --large $LARGE --large-size $LARGE_SIZE --seconds $SECS --clients $CLIENTS --servers $SERVERS"

log "build (release)"
cargo build --release -p gawah --locked
# cargo names the bench's executable on stderr (kept in a file: `tee /dev/stderr` would
# truncate a stderr redirected to a file).
cargo bench -p gawah --bench scaleout --locked --no-run 2>"$W/bench-build.log" ||
    { cat "$W/bench-build.log" >&2; die "could not build the load generator"; }
BENCH=$(grep -o '[^ (]*/release/deps/scaleout-[0-9a-f]*' "$W/bench-build.log" | tail -1)
GAWAH="${CARGO_TARGET_DIR:-target}/release/gawah"
if [ ! -x "$GAWAH" ] || [ ! -x "$BENCH" ]; then die "no binaries ($GAWAH, $BENCH)"; fi
BUILT=$(date +%s)

log "PostgreSQL and Garage (127.0.0.1)"
mkdir -p "$W/garage"
eval "$(scripts/garage.sh "$W/garage")"
eval "$(scripts/postgres.sh start "$W/pg")"
PSQL="${PG_BIN:-/usr/lib/postgresql/15/bin}/psql"
echo "garage $AWS_ENDPOINT_URL, bucket $GAWAH_TEST_S3_URL; postgres ${GAWAH_TEST_DATABASE_URL%%:*}://...@${GAWAH_TEST_DATABASE_URL##*@}" >&2

# Fills TOKEN: an organisation, a documenter and its API token in data dir $1.
member() {
    "$GAWAH" admin org add --data-dir "$1" "Org Bench" >/dev/null
    hex 16 | "$GAWAH" admin user add --data-dir "$1" --username bench --role documenter \
        --org "Org Bench" --password-stdin >/dev/null
    TOKEN=$("$GAWAH" admin token create --data-dir "$1" --username bench | tail -1)
    [ -n "$TOKEN" ] || die "no token"
}

# Starts `gawah serve` on data dir $1 (logs under name $2); appends its pid to PIDS and its
# address to ADDRS. Ready when it prints the address (polled, bounded: 60 s).
serve() {
    local out="$W/$2.out"
    GAWAH_LOG=warn "$GAWAH" serve --data-dir "$1" --listen 127.0.0.1:0 >"$out" 2>"$W/$2.err" &
    local pid=$!
    PIDS+=("$pid")
    printed() { grep -q '^gawah is serving on ' "$out" || ! kill -0 "$pid"; }
    poll 600 printed || true
    local addr
    addr=$(sed -n 's|^gawah is serving on http://\([^/]*\).*|\1|p' "$out" | head -1)
    [ -n "$addr" ] || { cat "$W/$2.err" >&2; die "$2 did not start"; }
    ADDRS+=("$addr")
}

# Stops every server with SIGTERM (graceful); each must exit 0 with no panic in its log.
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
    for pid in "${PIDS[@]}"; do wait "$pid" || die "a server exited with status $?"; done
    PIDS=()
    if grep -l panicked "$W"/*.err >&2; then die "a server panicked"; fi
}

# CPU accounting, to tell a CPU-bound machine from a scaling limit. TCK: clock ticks a second.
TCK=$(getconf CLK_TCK)
# Ticks of CPU used so far by the processes whose pid, or whose parent's pid, is in the
# comma-separated list $1, with what their exited children used (a PostgreSQL backend's
# parent is the postmaster). Fields after "pid (comm) ": $2 ppid, $12-$15 utime stime
# cutime cstime.
ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v want=",$1," '
        { pid = $1; sub(/^.*\) /, "")
          if (index(want, "," pid ",") || index(want, "," $2 ",")) s += $12 + $13 + $14 + $15 }
        END { print s + 0 }'
}
# Ticks used by this shell's exited children (the load generator, once it has returned).
children_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'; }
# Ticks the whole machine spent busy (user, nice, system, irq, softirq), all cores.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# One line of CPU use for configuration $1: "servers pg garage client machine" ticks.
cpu_sample() {
    local pm gp sp
    pm=$(head -1 "$W/pg/data/postmaster.pid")
    gp=$(cat "$W/garage/garage.pid")
    sp=$(IFS=,; echo "${PIDS[*]}")
    echo "$(ticks "$sp") $(ticks "$pm") $(ticks "$gp") $(children_ticks) $(machine_ticks) $(date +%s.%N)"
}

# Runs the load on ADDRS as configuration $1 ($2: label), stops the servers, verifies data
# dir $3 ($4: the uploads expected) and every acknowledgement.
measure() {
    local config=$1 label=$2 dir=$3 expect=$4 floor=()
    [ "$config" != A ] || floor=(--floor)
    log "$config: $label, ${#ADDRS[@]} server(s): load"
    local servers
    servers=$(IFS=,; echo "${ADDRS[*]}")
    local rc=0 before after
    before=$(cpu_sample)
    "$BENCH" run --config "$config" --label "$label" --servers "$servers" --token "$TOKEN" \
        --acks "$W/$config.acks" --results "$W/results.tsv" --uploads "$UPLOADS" \
        --size "$SIZE" --large "$LARGE" --large-size "$LARGE_SIZE" --seconds "$SECS" \
        --clients "$CLIENTS" "${floor[@]}" || rc=$?
    after=$(cpu_sample)
    # config servers wall, then CPU seconds: servers pg garage client machine
    awk -v c="$config" -v n="${#ADDRS[@]}" -v t="$TCK" -v b="$before" -v a="$after" 'BEGIN {
        split(b, x, " "); split(a, y, " ")
        printf "%s\t%d\t%.2f", c, n, y[6] - x[6]
        for (i = 1; i <= 5; i++) printf "\t%.2f", (y[i] - x[i]) / t
        printf "\n" }' >>"$W/cpu.tsv"
    stop_all
    [ "$rc" -eq 0 ] || die "$config: requests failed (above)"
    log "$config: gawah log verify"
    local report
    report=$("$GAWAH" log verify --json --data-dir "$dir") || { echo "$report" >&2; die "$config: the log does not verify"; }
    echo "$report" >&2
    [ "$(jq -r .ok <<<"$report")" = true ] || die "$config: the log does not verify"
    [ "$(jq -r .items <<<"$report")" = "$expect" ] ||
        die "$config: $(jq -r .items <<<"$report") items in the log, $expect uploaded"
    "$BENCH" check --acks "$W/$config.acks" --data-dir "$dir" ||
        die "$config: an acknowledged write is missing or different"
}

EXPECT=$((UPLOADS + LARGE))
ORIGIN=scaleout.bench.gawah.local/log

# A: SQLite + local folder, one server.
A="$W/a/server-0"
mkdir -p "$W/a"
"$GAWAH" init --data-dir "$A" --origin "$ORIGIN" >/dev/null
member "$A"
ADDRS=()
serve "$A" a-0
measure A "SQLite + folder" "$A" "$EXPECT"

# B: PostgreSQL + Garage, N servers on one fresh database and one fresh bucket prefix.
URL=$GAWAH_TEST_DATABASE_URL
PASSWORD=${URL#*://*:}; PASSWORD=${PASSWORD%%@*}
for n in ${SERVERS//,/ }; do
    db="gawah_bench_b${n}_$(hex 3)"
    "$PSQL" -q -v ON_ERROR_STOP=1 "$URL" -c "CREATE DATABASE $db" >/dev/null
    d="$W/b$n"
    mkdir -p "$d"
    "$GAWAH" init --data-dir "$d/server-0" --origin "$ORIGIN" --database-url "${URL%/*}/$db" \
        --blob-url "$GAWAH_TEST_S3_URL/bench-b$n-$(hex 4)" >/dev/null
    export PGPASSWORD=$PASSWORD
    member "$d/server-0"
    for ((i = 1; i < n; i++)); do cp -a "$d/server-0" "$d/server-$i"; done
    ADDRS=()
    for ((i = 0; i < n; i++)); do serve "$d/server-$i" "b$n-$i"; done
    measure "B$n" "PostgreSQL + Garage" "$d/server-$((n - 1))" "$EXPECT"
    unset PGPASSWORD
done

log "results"
echo "build $((BUILT - BEGAN)) s, then $(($(date +%s) - BUILT)) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$BENCH" table --results "$W/results.tsv"
echo
echo "CPU seconds used during each configuration's load ($(nproc) cores; the machine's column counts every process, ours and others'):"
echo
echo "| configuration | servers | wall s | gawah serve | PostgreSQL | Garage | load generator | ours ÷ wall (cores) | machine ÷ wall (cores) |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '{ ours = $4 + $5 + $6 + $7
    printf "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f |\n", $1, $2, $3, $4, $5, $6, $7, ours / $3, $8 / $3 }' "$W/cpu.tsv"
