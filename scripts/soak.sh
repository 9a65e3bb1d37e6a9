#!/usr/bin/env bash
# Mixed load and soak: a real `gawah serve` on loopback, many paced clients reading, searching,
# uploading and signing in and out for a bounded time, the server's memory watched, then every
# acknowledged upload checked in the data dir and the whole log verified.
# See docs/BENCHMARKS.md ("Mixed load and soak") and docs/RELIABILITY.md ("Soak").
#
#   scripts/soak.sh [--minutes 30] [--clients 200] [--incidents 20000] [--think-ms 1000]
#                   [--mix M] [--accounts 20] [--rss-growth-max PCT] [--dir D]
#                   [--profile release|dev]
#
# Defaults: 30 minutes, 200 clients each pausing 0-2 s (mean 1 s) after every operation,
# 20,000 synthetic incidents, the mix below, 20 login accounts. Exit 1 when any operation
# failed (a 4xx, a 5xx, an I/O error or timeout, a wrong answer), when an acknowledged upload
# is missing or different in the data dir, when `gawah log verify` fails, when the server
# exits badly or logs a panic, or when the server's RSS grew by PCT % or more from after
# the warm-up to the end. The RSS check applies by default to runs of 10 minutes or more (10 %);
# shorter runs (CI: --minutes 2) report the growth without asserting it, since there the
# warm-up dominates; --rss-growth-max PCT asserts it at any length.
# --dir D (new or empty) keeps the data dir, its key, the server log and the generator's
# output at D. --profile dev runs the debug build the test command has already made (its
# dependencies, Argon2 and the ciphers among them, are optimised; see Cargo.toml), so that
# the CI run does not build the workspace a second time; figures worth recording come from
# the default, release.
# Needs: bash, coreutils, cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/serve.sh
source scripts/lib/serve.sh

MINUTES=30; CLIENTS=200; INCIDENTS=20000; THINK=1000; ACCOUNTS=20
MIX=api:25,html:15,key:5,search:20,search-html:10,upload:20,login:5
RSS_MAX=""; KEEP=""; PROFILE=release
usage() {
    echo "usage: $0 [--minutes N] [--clients N] [--incidents N] [--think-ms N] [--mix M] [--accounts N] [--rss-growth-max PCT] [--dir D] [--profile release|dev]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES=$2; shift 2 ;;
        --clients) CLIENTS=$2; shift 2 ;;
        --incidents) INCIDENTS=$2; shift 2 ;;
        --think-ms) THINK=$2; shift 2 ;;
        --mix) MIX=$2; shift 2 ;;
        --accounts) ACCOUNTS=$2; shift 2 ;;
        --rss-growth-max) RSS_MAX=$2; shift 2 ;;
        --dir) KEEP=$2; shift 2 ;;
        --profile) PROFILE=$2; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) usage ;;
    esac
done
for n in "$MINUTES" "$CLIENTS" "$INCIDENTS" "$THINK" "$ACCOUNTS"; do
    case "$n" in ''|*[!0-9]*) usage ;; esac
done
[ "$MINUTES" -ge 1 ] && [ "$ACCOUNTS" -ge 1 ] || usage
case "$PROFILE" in release) OUT=release ;; dev) OUT=debug ;; *) usage ;; esac
if [ -z "$RSS_MAX" ] && [ "$MINUTES" -ge 10 ]; then RSS_MAX=10; fi

if [ -n "$KEEP" ]; then
    if [ -e "$KEEP" ] && [ -n "$(ls -A "$KEEP")" ]; then
        echo "soak: $KEEP is not empty (--dir wants a new or empty directory)" >&2; exit 2
    fi
    mkdir -p "$KEEP"; W="$(cd "$KEEP" && pwd)"
else
    W="$(mktemp -d "${TMPDIR:-/var/tmp}/gawah-soak.XXXXXX")"
fi
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    if [ -z "$KEEP" ]; then rm -rf "$W"; fi
}
trap cleanup EXIT
DIR="$W/data"
ORG="Soak Test Organisation"
log() { printf '\n== %s\n' "$*" >&2; }
fail=()

log "machine"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)" >&2
echo "nproc: $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "rustc: $(rustc --version)" >&2
echo "soak: $PROFILE build, $MINUTES min, $CLIENTS clients, think ${THINK} ms, mix $MIX" >&2

log "build ($PROFILE)"
cargo build --profile "$PROFILE" -p gawah --locked
# The load generator, in the same profile (`cargo bench` would build the workspace again in
# the bench profile); its path is in cargo's JSON messages.
BENCH="$(cargo build --profile "$PROFILE" -p gawah --bench load --locked \
    --message-format=json-render-diagnostics \
    | grep -o '"executable":"[^"]*/load-[0-9a-f]*"' | tail -1 | cut -d'"' -f4)"
GAWAH="${CARGO_TARGET_DIR:-target}/$OUT/gawah"
[ -x "$GAWAH" ] && [ -x "$BENCH" ] || { echo "soak: no binaries ($GAWAH, $BENCH)" >&2; exit 1; }

log "data dir $DIR: $INCIDENTS synthetic incidents, members, tokens"
# The keys open with a key file (no key derivation); it lives beside the data dir.
export GAWAH_KEY_FILE="$DIR.key"
"$GAWAH" init --data-dir "$DIR" --origin soak.gawah.local/log >/dev/null
"$GAWAH" admin org add --data-dir "$DIR" "$ORG" >/dev/null
password() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9'; }
add_user() { # username role password
    printf '%s' "$3" | "$GAWAH" admin user add --data-dir "$DIR" --username "$1" --role "$2" \
        --org "$ORG" --password-stdin >/dev/null
}
password > "$W/analyst.password"
add_user soak-analyst analyst "$(cat "$W/analyst.password")"
add_user soak-documenter documenter "$(password)"
"$GAWAH" admin token create --data-dir "$DIR" --username soak-analyst 2>/dev/null | tail -1 > "$W/analyst.token"
"$GAWAH" admin token create --data-dir "$DIR" --username soak-documenter 2>/dev/null | tail -1 > "$W/documenter.token"
# Accounts only the login flow uses: always the right password, so none is ever locked.
: > "$W/accounts"
for i in $(seq -w 1 "$ACCOUNTS"); do
    p="$(password)"
    add_user "soak-login-$i" analyst "$p"
    echo "soak-login-$i $p" >> "$W/accounts"
done
"$GAWAH" demo generate --data-dir "$DIR" --org "$ORG" --incidents "$INCIDENTS"
"$GAWAH" index rebuild --data-dir "$DIR" >/dev/null
echo "database: $(du -sh "$DIR/gawah.db" | cut -f1)" >&2

log "server"
start_server soak "$GAWAH" "$DIR" "$W"

log "mixed load for $MINUTES min"
"$BENCH" --soak --url "$URL" --token "$(cat "$W/analyst.token")" \
    --upload-token "$(cat "$W/documenter.token")" \
    --username soak-analyst --password-file "$W/analyst.password" \
    --login-accounts "$W/accounts" --pid "$SERVER" --acks "$W/acks" \
    --clients "$CLIENTS" --requests 0 --duration $((MINUTES * 60)) --mix "$MIX" \
    --think-ms "$THINK" | tee "$W/load.out"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

log "stop the server"
kill -TERM "$SERVER"
status=0; wait "$SERVER" || status=$?
SERVER=""
echo "server exit status: $status" >&2
[ "$status" -eq 0 ] || fail+=("the server exited with status $status")
if grep -qiE 'panic|error' "$W/serve.err"; then
    echo "server log (errors):" >&2; grep -iE 'panic|error' "$W/serve.err" | head -50 >&2
    grep -qi 'panic' "$W/serve.err" && fail+=("the server panicked")
fi

# A field of a RESULT line: result NAME FIELD.
result() { awk -v n="$1" -v f="$2" '$1 == "RESULT" && $2 == n {
    for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$W/load.out"; }

errors="$(result mixed errors)"; s5xx="$(result mixed s5xx)"; io="$(result mixed io)"
acked="$(result uploads acknowledged)"
[ -n "$errors" ] && [ -n "$acked" ] || fail+=("the load generator did not finish")
[ "${errors:-1}" = 0 ] || fail+=("$errors operations failed ($s5xx 5xx, $io I/O; see the table above)")

log "every acknowledged upload in the data dir, as acknowledged"
"$BENCH" --check-uploads "$W/acks" --data-dir "$DIR" | tee "$W/check.out" \
    || fail+=("acknowledged uploads are missing or different")

log "gawah log verify"
if "$GAWAH" log verify --data-dir "$DIR" --json | tee "$W/verify.json"; then
    items="$(sed -n 's/.*"items":\([0-9]*\).*/\1/p' "$W/verify.json")"
    echo "items in the data dir: $items; uploads acknowledged: ${acked:-?}" >&2
    [ -n "$items" ] && [ -n "$acked" ] && [ "$items" -ge "$acked" ] \
        || fail+=("the data dir holds ${items:-?} items, fewer than the ${acked:-?} acknowledged")
else
    fail+=("gawah log verify failed")
fi

growth="$(result rss growth_pct)"
if [ -n "$RSS_MAX" ]; then
    if [ -z "$growth" ]; then
        fail+=("no RSS growth measured")
    elif awk -v g="$growth" -v m="$RSS_MAX" 'BEGIN { exit !(g >= m) }'; then
        fail+=("server RSS grew by $growth % (limit: under $RSS_MAX %)")
    fi
    rss_note="asserted: under $RSS_MAX %"
else
    rss_note="reported, not asserted (run shorter than 10 minutes)"
fi

log "summary"
grep -E '^(mixed|  latency|  [a-z-]+ +[0-9]|  kind|server RSS|  RSS|  logins deferred|acknowledged uploads)' \
    "$W/load.out" "$W/check.out" | cut -d: -f2- >&2 || true
echo "RSS growth: ${growth:-?} % ($rss_note)" >&2
if [ ${#fail[@]} -gt 0 ]; then
    for f in "${fail[@]}"; do echo "SOAK FAILED: $f" >&2; done
    exit 1
fi
echo "SOAK PASSED: $MINUTES min, $CLIENTS clients, $errors errors, ${acked} uploads all stored and logged, log verified" >&2
