#!/usr/bin/env bash
# The test command: installs what the tests need (on Debian), then runs the gates and every
# test. Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ] || need+=(golang-golang-x-mod-dev)
[ -x /usr/bin/time ] || need+=(time)
command -v unzip >/dev/null || need+=(unzip)
command -v openssl >/dev/null || need+=(openssl)
# PostgreSQL server for the PostgreSQL store tests (crates/gawah-store/tests/store_pg.rs)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v setpriv >/dev/null || need+=(util-linux)
# browser tests (tests/browser): Debian's Chromium, and Node with npm
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
# --- services the tests use, on 127.0.0.1 only, stopped on exit -------------------------------
# Garage (S3-compatible) for the S3 blob tests (crates/gawah-store/tests/blob_s3.rs,
# crates/gawah/tests/s3.rs); installed once by `cargo install garage --locked` into
# ~/.cargo/bin, outside the repo. The tests fail, not skip, without it.
SERVICES=$(mktemp -d "${TMPDIR:-/tmp}/gawah-services.XXXXXX")
cleanup() {
    scripts/garage.sh stop "$SERVICES/garage" >/dev/null 2>&1 || true
    scripts/postgres.sh stop "$SERVICES/pg" >/dev/null 2>&1 || true
    rm -rf "$SERVICES"
}
trap cleanup EXIT
# The PostgreSQL server runs as another user, who must reach its folder inside.
chmod 0755 "$SERVICES"
mkdir -p "$SERVICES/garage"
eval "$(scripts/garage.sh "$SERVICES/garage")"
# PostgreSQL 15 (Debian's), run as an unprivileged user, for the PostgreSQL store tests.
echo "== PostgreSQL (scripts/postgres.sh)"
eval "$(scripts/postgres.sh start "$SERVICES/pg")"

echo "== cargo test"
cargo test --workspace --locked
# Archives past 4 GiB (ZIP64): writing and hashing 4 GiB is for optimised code.
echo "== bundle ZIP64 tests (release)"
cargo test --release --locked -p gawah-bundle --test zip -- --ignored

echo "== supply chain (offline checks)"
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo fetch --locked --target "$host" >/dev/null
(cd fuzz && cargo fetch --locked --target "$host" >/dev/null)
scripts/check-deps.sh --self-test
scripts/check-deps.sh
# Every test docs/THREAT_MODEL.md cites exists.
scripts/check-threat-model.sh

echo "== fuzz smoke (each target briefly; scripts/fuzz.sh runs them for longer)"
scripts/fuzz.sh --smoke

echo "== soak (2 minutes; scripts/soak.sh runs 30 minutes at 200 clients)"
# The debug build the cargo step made (dependencies optimised): zero errors, every
# acknowledged upload stored, the log verified.
scripts/soak.sh --profile dev --minutes 2 --clients 50 --incidents 2000

# --- browser tests (tests/browser) -----------------------------------------------------------
# Real Chromium from Debian, driven by playwright-core, with axe-core; they start
# target/debug/gawah (built by the cargo step above) themselves. See tests/browser/README.md.
echo "== browser tests"
cargo build -p gawah --locked
(
    cd tests/browser
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline
    npm test
)
# --- end of browser tests --------------------------------------------------------------------
