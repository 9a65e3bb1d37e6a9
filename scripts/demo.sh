#!/usr/bin/env bash
# A walk through the evidence ledger on a fresh data dir: init, ingest, prove, verify.
# Usage: scripts/demo.sh [DATA_DIR]   (default: a new temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p gawah
G=target/release/gawah
D=${1:-$(mktemp -d)/gawah-demo}
export GAWAH_DATA_DIR=$D

echo "== init $D"
$G init --origin demo.gawah.local/ledger
echo "== ingest this project's documents as sample evidence"
$G ingest --case DEMO-1 --json README.md ARCHITECTURE.md docs
echo "== the signed checkpoint"
$G log checkpoint
echo "== an inclusion proof for entry 0"
$G log prove --index 0 --json
echo "== entry 0 (ids, a commitment and a time; no content, no plain hash, no name)"
$G log entry --index 0; echo
echo "== verify everything"
$G log verify
echo "data dir: $D"
