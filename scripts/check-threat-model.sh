#!/usr/bin/env bash
# Every test docs/THREAT_MODEL.md cites must exist: a cited `path::name` whose path is a Rust
# file needs that file and a `fn name` in it; one whose path is a browser test (.mjs) needs
# that file and a test titled exactly `name`. Exit 0 when all exist, 1 when one is missing
# (each printed), 2 when the document cannot be read or cites nothing.
#
#   scripts/check-threat-model.sh [DOC]      (default docs/THREAT_MODEL.md)
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "${1:-docs/THREAT_MODEL.md}" <<'PY'
import os, re, sys

doc = sys.argv[1]
try:
    text = open(doc, encoding="utf-8").read()
except OSError as e:
    print(f"check-threat-model: cannot read {doc}: {e}", file=sys.stderr)
    sys.exit(2)

# A citation is a code span `path::name`, path relative to the repository root.
cite = re.compile(r"`((?:crates|tests|fuzz)/[^`\s:]+\.(rs|mjs))::([^`]+)`")
cited = [(m.group(1), m.group(2), m.group(3).strip()) for m in cite.finditer(text)]
if not cited:
    print(f"check-threat-model: {doc} cites no test", file=sys.stderr)
    sys.exit(2)

def is_test(src, at):
    """Whether the attributes right above the fn at `at` include a test attribute."""
    lines = src[:at].split("\n")[:-1]
    for line in reversed(lines):
        line = line.strip()
        if line.startswith("#[") and "test" in line:
            return True
        if not (line.startswith("#[") or line.startswith("//") or line.startswith(")]") or line == ""):
            return False
    return False


missing, sources = [], {}
for path, kind, name in cited:
    if path not in sources:
        try:
            sources[path] = open(path, encoding="utf-8").read()
        except OSError:
            sources[path] = None
    src = sources[path]
    if src is None:
        missing.append(f"{path}::{name}: no such file")
        continue
    if kind == "rs":
        found = re.fullmatch(r"[a-z_][a-z0-9_]*", name) and re.search(rf"\bfn\s+{name}\s*[(<]", src)
        if found and not is_test(src, found.start()):
            missing.append(f"{path}::{name}: fn {name} is not marked #[test] (or #[tokio::test])")
            continue
    else:
        found = re.search(r"\btest\(\s*(['\"`])" + re.escape(name) + r"\1", src)
    if not found:
        missing.append(f"{path}::{name}: no {'fn' if kind == 'rs' else 'test'} of that name in the file")

for m in missing:
    print(f"MISSING {m}")
# The marker in a claim, not where the document explains it (written in bold there).
untested = len(re.findall(r"(?<!\*\*)NOT\s+TESTED\s+YET(?!\*\*)", text))
distinct = len(set(cited))
print(f"check-threat-model: {len(cited)} citations ({distinct} distinct tests), "
      f"{len(missing)} missing; {untested} claims marked NOT TESTED YET")
sys.exit(1 if missing else 0)
PY
