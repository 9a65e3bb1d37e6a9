#!/usr/bin/env bash
# The test command: installs what the tests need (on Debian), then runs the gates and every
# test. Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ] || need+=(golang-golang-x-mod-dev)
[ -x /usr/bin/time ] || need+=(time)
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
echo "== cargo test"
cargo test --workspace --locked

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
