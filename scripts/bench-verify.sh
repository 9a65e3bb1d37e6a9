#!/usr/bin/env bash
# Times `gawah verify` on a legal bundle of N GiB of files against `openssl dgst -sha256`
# over the same original files, and prints the ratio. See docs/BENCHMARKS.md, "Bundle
# verification".
#
#   scripts/bench-verify.sh [GiB]     (default 10: ten random files of 1 GiB)
#
# Steps: build gawah (release); make a data dir in a temp folder on disk; write N files of
# 1 GiB of random bytes; ingest them into one case; export a legal bundle
# (gawah export --case C --purpose legal --out B.zip); then, page cache warm (one untimed run
# first), time 3 runs of `gawah verify B.zip --key K`; delete the bundle, write the same
# files again and time 3 runs of `openssl dgst -sha256 FILES...` (its warm-up run also checks
# that the files are the ones in the bundle); report the medians and their ratio, and how
# much of each input was in the page cache. Everything is removed on exit.
#
# Scratch space: under $BENCH_TMP, else $TMPDIR, else /var/tmp; it must be a disk, not tmpfs
# (refused). At most two copies of the data exist at once (originals and data dir, then data
# dir and bundle, then bundle and originals written again), so it needs 2 × N GiB plus 5 GiB
# of margin: 25 GiB free for the default 10 GiB. With less, the size is lowered to what fits,
# with a note; below 7 GiB free (less than a 1 GiB run) the script refuses.
#
# Needs: bash, coreutils, cargo, openssl. Prints the figures on stdout, progress on stderr.
set -euo pipefail

want=${1:-10}
if [[ ! $want =~ ^[1-9][0-9]*$ || $# -gt 1 ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
cd "$(dirname "$0")/.."
log() { echo "bench-verify: $*" >&2; }
command -v openssl >/dev/null || {
    log "openssl is needed for the baseline"
    exit 2
}

BASE="${BENCH_TMP:-${TMPDIR:-/var/tmp}}"
W="$(mktemp -d "$BASE/gawah-bench-verify.XXXXXX")"
trap 'rm -rf "$W"' EXIT
FSTYPE="$(df --output=fstype "$W" | tail -1 | tr -d ' ')"
if [[ $FSTYPE == tmpfs || $FSTYPE == ramfs ]]; then
    log "refusing: $W is on $FSTYPE (memory); set BENCH_TMP to a folder on disk"
    exit 2
fi
free_kib="$(df --output=avail -k "$W" | tail -1 | tr -d ' ')"
free_gib=$((free_kib / 1024 / 1024))
fits=$(((free_gib - 5) / 2))
gib=$want
note=""
if ((fits < 1)); then
    log "refusing: only $free_gib GiB free on $W; even a 1 GiB run needs 7 GiB"
    exit 2
elif ((fits < want)); then
    gib=$fits
    note="only $free_gib GiB free on $W: measured ${gib} GiB instead of ${want} GiB (which needs $((2 * want + 5)) GiB)"
    log "NOTE: $note"
fi
log "scratch: $W ($FSTYPE on $(df --output=source "$W" | tail -1), $free_gib GiB free); size: $gib GiB"

cargo build --release -p gawah --locked >&2
GAWAH="$(pwd)/${CARGO_TARGET_DIR:-target}/release/gawah"

export GAWAH_KEY_FILE="$W/keyfile"
D="$W/data"
"$GAWAH" --data-dir "$D" init --origin bench.example/verify >/dev/null 2>&1

# The originals are an AES-CTR keystream under a fixed password per file: random-looking bytes
# at GB/s (/dev/urandom is several times slower), and the same bytes each time, so they can
# be deleted while the bundle is made and written again for openssl (peak disk use 2 × N).
make_files() {
    local i f
    for i in $(seq 1 "$gib"); do
        f="$W/files/evidence-$i.bin"
        # (openssl stops with SIGPIPE when head has enough: not an error.)
        (openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:gawah-bench-verify-$i" </dev/zero 2>/dev/null || true) |
            head -c $((1 << 30)) >"$f"
        [[ $(stat -c %s "$f") -eq $((1 << 30)) ]] || {
            log "could not write $f"
            exit 1
        }
    done
}
files=()
for i in $(seq 1 "$gib"); do files+=("$W/files/evidence-$i.bin"); done
mkdir "$W/files"
log "writing $gib files of 1 GiB"
make_files
log "ingesting into case BENCH-VERIFY"
# Output: one line per file, "<item> <sha256> <bytes> <path>".
"$GAWAH" --data-dir "$D" ingest --case BENCH-VERIFY "${files[@]}" >"$W/ingested"
"$GAWAH" --data-dir "$D" log key >"$W/key"
rm -f "${files[@]}"
log "exporting the legal bundle"
"$GAWAH" --data-dir "$D" export --case BENCH-VERIFY --purpose legal --out "$W/B.zip" 2>/dev/null
rm -rf "$D"
sync
bundle_bytes=$(stat -c %s "$W/B.zip")

# Seconds (3 decimals) taken by a command; its output is discarded, its failure is fatal.
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null || {
        log "failed: $*"
        exit 1
    }
    t1=$(date +%s%N)
    printf '%d.%03d\n' $(((t1 - t0) / 1000000000)) $((((t1 - t0) / 1000000) % 1000))
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
cached() { fincore --bytes --noheadings --output RES "$@" 2>/dev/null | awk '{s += $1} END {printf "%.0f", s / 1048576}'; }

log "gawah verify: one warm-up run, then 3 timed runs"
seconds "$GAWAH" verify "$W/B.zip" --key "$W/key" >/dev/null
v_cached=$(cached "$W/B.zip" || true)
v=()
for _ in 1 2 3; do v+=("$(seconds "$GAWAH" verify "$W/B.zip" --key "$W/key")"); done
# Deleting the bundle also drops it from the page cache, which could not hold both it and the
# originals for a 10 GiB run on a machine with 24 GiB of memory.
rm -f "$W/B.zip"
log "writing the same $gib files again for openssl"
make_files
sync
log "openssl dgst -sha256: one warm-up run, then 3 timed runs"
# The warm-up run also shows that the files written again are the ones in the bundle: the
# hashes openssl prints are those gawah logged at ingest.
logged=$(awk 'NF >= 4 {print $2}' "$W/ingested" | sort)
hashed=$(openssl dgst -sha256 "${files[@]}" | sed 's/.*= //' | sort)
if [[ $logged != "$hashed" || $(wc -l <<<"$logged") -ne $gib ]]; then
    log "the files written again differ from the ingested ones (or gawah ingest printed something unexpected)"
    exit 1
fi
o_cached=$(cached "${files[@]}" || true)
o=()
for _ in 1 2 3; do o+=("$(seconds openssl dgst -sha256 "${files[@]}")"); done

vm=$(median "${v[@]}")
om=$(median "${o[@]}")
mib=$((gib * 1024))
echo
echo "bundle verification, $gib GiB in $gib files of 1 GiB (bundle $bundle_bytes bytes), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $FSTYPE on $(df --output=source "$W" | tail -1)"
[[ -n $note ]] && echo "NOTE: $note"
echo "page cache before timing: bundle ${v_cached:-?} MiB cached, originals ${o_cached:-?} MiB cached (of $mib MiB)"
printf '%-32s %s s  (runs: %s)  %s MiB/s\n' "gawah verify B.zip --key K" "$vm" "${v[*]}" \
    "$(awk -v m="$mib" -v s="$vm" 'BEGIN {printf "%.0f", m / s}')"
printf '%-32s %s s  (runs: %s)  %s MiB/s\n' "openssl dgst -sha256 FILES" "$om" "${o[*]}" \
    "$(awk -v m="$mib" -v s="$om" 'BEGIN {printf "%.0f", m / s}')"
awk -v a="$vm" -v b="$om" 'BEGIN {r = a / b; printf "ratio (median / median): %.2fx  (target <= 1.30x: %s)\n", r, r <= 1.30 ? "met" : "MISSED"}'
