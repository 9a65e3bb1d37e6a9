#!/usr/bin/env bash
# Supply-chain checks, offline: licences against supply-chain/licenses.toml, crates in more
# than one version against supply-chain/duplicates.toml, a line in docs/DEPENDENCIES.md for
# every direct dependency (crates of both workspaces, npm packages of tests/browser), and no
# git, foreign-registry, out-of-tree path or wildcard dependency.
#
#   scripts/check-deps.sh              exit 0 clean, 1 a problem found, 2 the check could not run
#   scripts/check-deps.sh --self-test  seeded violations in synthetic metadata must be reported
#
# Needs bash, python3 (3.11+, for tomllib) and cargo; reads `cargo metadata --offline`, so
# every package must already be in ~/.cargo/registry (any build or `cargo fetch --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."
# No __pycache__ beside the sources.
export PYTHONDONTWRITEBYTECODE=1
exec python3 supply-chain/check_deps.py "$@"
