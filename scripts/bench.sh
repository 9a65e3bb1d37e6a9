#!/usr/bin/env bash
# Runs gawah's benchmarks and prints one summary table. See docs/BENCHMARKS.md.
#
#   scripts/bench.sh           full run: 1 GiB file, 20,000 files, 1,000,000 log entries
#   scripts/bench.sh --quick   smoke run: 64 MiB file, 2,000 files, 100,000 log entries
#   scripts/bench.sh --sealing [--rounds N]
#                              benchmarks 1 and 1c only (plain and sealed ingest of the 1 GiB
#                              file), N rounds (default 5); 1c reports the median of the
#                              per-round ratios sealed / plain as well as best-of-rounds
#
# Every number is printed beside a baseline measured in the same run on the same bytes.
# Nothing is asserted: a missed target is reported, not failed.
#
# Scratch data goes to a temp dir under $BENCH_TMP, else $TMPDIR, else /var/tmp (it must be
# a disk file system, not tmpfs, for the fsync numbers to mean anything); it is removed on exit.
# Needs: bash, coreutils, /usr/bin/time (Debian package `time`), cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
SEALING=0
ROUNDS_ARG=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --sealing) SEALING=1 ;;
        --rounds) ROUNDS_ARG="${2:?--rounds needs a number}"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "usage: $0 [--quick] [--sealing [--rounds N]]" >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    BIG_MIB=64; DIRS=10; FILES_PER_DIR=200; ENTRIES=100000; ROUNDS=1
else
    BIG_MIB=1024; DIRS=100; FILES_PER_DIR=200; ENTRIES=1000000; ROUNDS=2
fi
[ "$SEALING" = 1 ] && ROUNDS=5
ROUNDS="${ROUNDS_ARG:-$ROUNDS}"
NFILES=$((DIRS * FILES_PER_DIR))
BATCH=10000

TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }

BASE="${BENCH_TMP:-${TMPDIR:-/var/tmp}}"
W="$(mktemp -d "$BASE/gawah-bench.XXXXXX")"
cleanup() { chmod -R u+w "$W" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
# Commands that open the keys need a passphrase or a key file. A key file (which `gawah init`
# creates) needs no key derivation, so the timings below include only opening it.
export GAWAH_KEY_FILE="$W/keyfile"
FSTYPE="$(df --output=fstype "$W" | tail -1)"
if [ "$FSTYPE" = tmpfs ]; then
    echo "bench: warning: $W is on tmpfs; fsync costs nothing there, set BENCH_TMP to a disk" >&2
fi

log() { printf '\n== %s\n' "$*" >&2; }
# timed OUTFILE CMD...: runs CMD, writes "seconds maxrss_kib" to OUTFILE.
timed() { local out="$1"; shift; "$TIME" -o "$out" -f '%e %M' "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }
maxn() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

log "machine"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc: $(nproc)"
    free -h | sed -n 2p | awk '{ print "memory: " $2 " total" }'
    echo "scratch: $W ($FSTYPE on $(df --output=source "$W" | tail -1))"
    echo "rustc: $(rustc --version)"
    echo "mode: $([ "$QUICK" = 1 ] && echo quick || echo full)$([ "$SEALING" = 1 ] && echo ", benchmarks 1 and 1c only")"
} | tee "$W/machine.txt" >&2

log "build (release)"
cargo build --release -p gawah --locked
[ "$SEALING" = 1 ] || cargo bench -p gawah --bench ledger --locked --no-run
GAWAH="${CARGO_TARGET_DIR:-target}/release/gawah"
[ -x "$GAWAH" ] || { echo "bench: no binary at $GAWAH" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
log "1. one ${BIG_MIB} MiB file: gawah ingest vs dd conv=fsync ($ROUNDS round(s))"
BIG="$W/big.bin"
head -c "$((BIG_MIB << 20))" /dev/urandom > "$BIG"
sync
# Both readers find the file in the page cache: it was just written, and is read once more here.
cat "$BIG" > /dev/null
DD_S=""; ING_S=""; ING_RSS=0; DD_RSS=0
for r in $(seq 1 "$ROUNDS"); do
    rm -f "$W/dd.out"; sync
    timed "$W/t.dd" dd if="$BIG" of="$W/dd.out" bs=4M conv=fsync status=none
    read -r s rss < "$W/t.dd"; echo "round $r: dd      ${s}s  ${rss} KiB" >&2
    DD_S="$(min "${DD_S:-$s}" "$s")"; DD_RSS="$(maxn "$DD_RSS" "$rss")"
    rm -f "$W/dd.out"
    rm -rf "$W/dd1"; sync
    "$GAWAH" --data-dir "$W/dd1" init --origin bench.example/gawah > /dev/null 2>&1
    sync
    timed "$W/t.ing" "$GAWAH" --data-dir "$W/dd1" ingest "$BIG" > /dev/null 2> "$W/ing.err" \
        || { cat "$W/ing.err" >&2; exit 1; }
    read -r s rss < "$W/t.ing"; echo "round $r: ingest  ${s}s  ${rss} KiB" >&2
    ING_S="$(min "${ING_S:-$s}" "$s")"; ING_RSS="$(maxn "$ING_RSS" "$rss")"
    # 1c. the same file sealed as it is written (step 3): --confidential.
    chmod -R u+w "$W/dd1"; rm -rf "$W/dd1"; sync
    "$GAWAH" --data-dir "$W/dd1" init --origin bench.example/gawah > /dev/null 2>&1
    sync
    timed "$W/t.seal" "$GAWAH" --data-dir "$W/dd1" ingest --confidential "$BIG" > /dev/null 2> "$W/ing.err" \
        || { cat "$W/ing.err" >&2; exit 1; }
    read -r s rss < "$W/t.seal"; echo "round $r: sealed  ${s}s  ${rss} KiB" >&2
    SEAL_S="$(min "${SEAL_S:-$s}" "$s")"; SEAL_RSS="$(maxn "${SEAL_RSS:-0}" "$rss")"
    # This round's plain and sealed times, for the median of the per-round ratios.
    read -r p _ < "$W/t.ing"
    echo "$p $s" >> "$W/pairs"
done
chmod -R u+w "$W/dd1"; rm -rf "$W/dd1" "$BIG"
BIG_RATIO="$(ratio "$ING_S" "$DD_S")"
SEAL_RATIO="$(ratio "$SEAL_S" "$ING_S")"
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
SEAL_MED_RATIO="$(awk '{ printf "%.4f\n", $2 / $1 }' "$W/pairs" | median)"
SEAL_MED_S="$(awk '{ print $2 }' "$W/pairs" | median)"
ING_MED_S="$(awk '{ print $1 }' "$W/pairs" | median)"
echo "1c per round (plain sealed ratio):" >&2
awk '{ printf "  %s %s %.2f\n", $1, $2, $2 / $1 }' "$W/pairs" >&2

if [ "$SEALING" = 0 ]; then

# ---------------------------------------------------------------------------------------------
log "2. $NFILES files of 4 KiB: gawah ingest vs cp -r + sync"
TREE="$W/tree"
mkdir -p "$TREE"
for d in $(seq -w 1 "$DIRS"); do
    mkdir "$TREE/d$d"
    head -c "$((FILES_PER_DIR * 4096))" /dev/urandom > "$W/chunk"
    split -b 4096 -a 4 -d "$W/chunk" "$TREE/d$d/f"
done
rm -f "$W/chunk"
[ "$(find "$TREE" -type f | wc -l)" = "$NFILES" ] || { echo "bench: tree has wrong file count" >&2; exit 1; }
sync
find "$TREE" -type f -exec cat {} + > /dev/null
timed "$W/t.cp" sh -c 'cp -r "$1" "$2" && sync' sh "$TREE" "$W/cpcopy"
read -r CP_S _ < "$W/t.cp"
# The copy is removed only after the ingest: on ext4 without a journal, creating a file
# skips over recently deleted inodes (`recently_deleted`), so 20,000 deletions just before
# would slow whichever run comes next.
sync
"$GAWAH" --data-dir "$W/dd2" init --origin bench.example/gawah > /dev/null 2>&1
sync
timed "$W/t.many" "$GAWAH" --data-dir "$W/dd2" ingest "$TREE" > /dev/null 2> "$W/many.err" \
    || { cat "$W/many.err" >&2; exit 1; }
read -r MANY_S MANY_RSS < "$W/t.many"
echo "cp -r + sync ${CP_S}s; gawah ingest ${MANY_S}s, ${MANY_RSS} KiB" >&2
chmod -R u+w "$W/dd2"; rm -rf "$W/dd2" "$TREE" "$W/cpcopy"
MANY_RATE="$(rate "$NFILES" "$MANY_S")"
CP_RATE="$(rate "$NFILES" "$CP_S")"
MANY_RATIO="$(ratio "$MANY_S" "$CP_S")"

# ---------------------------------------------------------------------------------------------
log "3+4. $ENTRIES log entries: Store::commit and verify_all (cargo bench)"
GAWAH_BENCH_TMP="$W" cargo bench -p gawah --bench ledger --locked -- \
    --entries "$ENTRIES" --batch "$BATCH" --dir "$W/dd3" | tee "$W/ledger.out"
field() { grep "^RESULT $1 " "$W/ledger.out" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
APP_RATE="$(field append entries_per_s)"
APP_S="$(field append commit_s)"
APP_BARE="$(field append bare_sqlite_s)"
APP_SHA="$(field append sha_concat_s)"
VER_S="$(field verify verify_s)"
VER_SHA="$(field verify sha_concat_s)"
VER_EACH="$(field verify sha_each_s)"
log "4b. the same data dir through the CLI: gawah log verify"
timed "$W/t.ver" "$GAWAH" --data-dir "$W/dd3" log verify > "$W/ver.out"
read -r CLI_S CLI_RSS < "$W/t.ver"
cat "$W/ver.out" >&2
echo "gawah log verify: ${CLI_S}s, ${CLI_RSS} KiB" >&2
fi # [ "$SEALING" = 0 ]

# ---------------------------------------------------------------------------------------------
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "le") ? (v <= t) : (v >= t); print ok ? "met" : "MISSED" }'; }
printf '\n== summary (%s)\n' "$([ "$QUICK" = 1 ] && echo 'quick: sizes are smaller than the targets assume' || echo full)"
cat "$W/machine.txt"
printf '%-34s %-44s %-30s %s\n' "benchmark" "result" "baseline (same run)" "target: verdict"
printf '%-34s %-44s %-30s %s\n' \
    "1. ingest ${BIG_MIB} MiB file" \
    "${ING_S}s, peak RSS ${ING_RSS} KiB" \
    "dd conv=fsync ${DD_S}s" \
    "<=1.5x dd: $(verdict "$BIG_RATIO" 1.5 le) (${BIG_RATIO}x; goal 1.2x: $(verdict "$BIG_RATIO" 1.2 le)); RSS<64MiB: $(verdict "$ING_RSS" 65536 le)"
printf '%-34s %-44s %-30s %s\n' \
    "1c. ingest --confidential (sealed)" \
    "${SEAL_S}s, peak RSS ${SEAL_RSS} KiB" \
    "plain ingest ${ING_S}s" \
    "<=1.10x plain: $(verdict "$SEAL_RATIO" 1.10 le) (${SEAL_RATIO}x best of $ROUNDS; $(ratio "$SEAL_S" "$DD_S")x dd)"
printf '%-34s %-44s %-30s %s\n' \
    "1c. median of $ROUNDS rounds" \
    "${SEAL_MED_S}s" \
    "plain ingest ${ING_MED_S}s" \
    "<=1.10x plain: $(verdict "$SEAL_MED_RATIO" 1.10 le) (${SEAL_MED_RATIO}x, median of per-round ratios)"
[ "$SEALING" = 1 ] && exit 0
printf '%-34s %-44s %-30s %s\n' \
    "2. ingest $NFILES x 4 KiB" \
    "${MANY_S}s = ${MANY_RATE} files/s" \
    "cp -r+sync ${CP_S}s=${CP_RATE}/s" \
    ">=2000 files/s: $(verdict "$MANY_RATE" 2000 ge) (${MANY_RATIO}x cp time)"
printf '%-34s %-44s %-30s %s\n' \
    "3. log append, batches of $BATCH" \
    "${APP_S}s = ${APP_RATE} entries/s" \
    "bare SQLite ${APP_BARE}s" \
    ">=100000/s: $(verdict "$APP_RATE" 100000 ge) ($(ratio "$APP_S" "$APP_BARE")x bare SQLite, $(ratio "$APP_S" "$APP_SHA")x SHA-256)"
printf '%-34s %-44s %-30s %s\n' \
    "4. verify_all, $ENTRIES entries" \
    "${VER_S}s" \
    "SHA-256 concat ${VER_SHA}s" \
    "<=3x SHA-256: $(verdict "$(ratio "$VER_S" "$VER_SHA")" 3 le) ($(ratio "$VER_S" "$VER_SHA")x; per-entry SHA-256 ${VER_EACH}s: $(ratio "$VER_S" "$VER_EACH")x)"
printf '%-34s %-44s %-30s %s\n' \
    "4b. gawah log verify (CLI)" \
    "${CLI_S}s, peak RSS ${CLI_RSS} KiB" \
    "SHA-256 concat ${VER_SHA}s" \
    "<=3x SHA-256: $(verdict "$(ratio "$CLI_S" "$VER_SHA")" 3 le) ($(ratio "$CLI_S" "$VER_SHA")x; per-entry: $(ratio "$CLI_S" "$VER_EACH")x)"
