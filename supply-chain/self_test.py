"""Self-test of the supply-chain checks: synthetic metadata with one seeded violation of each
rule must be reported, exactly, and the clean parts must pass. Run by
`scripts/check-deps.sh --self-test`; exit 0 when every assertion holds.
"""

import os
import sys

import check_deps as cd
import spdx

ROOT = "/repo"
CRATES_IO = cd.CRATES_IO[0]


def pkg(name, version, license, deps=(), source=CRATES_IO, manifest=None):
    return {
        "id": f"{name} {version}",
        "name": name,
        "version": version,
        "license": license,
        "license_file": None,
        "source": source,
        "manifest_path": manifest or f"/registry/{name}-{version}/Cargo.toml",
        "dependencies": list(deps),
        "targets": [],
    }


def dep(name, req="1", kind=None, source=CRATES_IO, path=None):
    d = {"name": name, "req": req, "kind": kind, "source": source, "rename": None}
    if path is not None:
        d["path"] = path
        d["source"] = None
    return d


def synthetic_metadata():
    member = pkg("app", "0.1.0", "AGPL-3.0-or-later", source=None,
                 manifest=f"{ROOT}/crates/app/Cargo.toml", deps=[
                     dep("good"),
                     dep("gpl-crate"),
                     dep("unjustified-crate"),
                     dep("test-only", kind="dev"),
                     dep("from-git", source="git+https://example.invalid/x.git#abc"),
                     dep("wild", req="*"),
                     dep("other-registry", source="registry+https://example.invalid/index"),
                     dep("lib", path=f"{ROOT}/crates/lib"),
                     dep("outside", path="/elsewhere/outside"),
                 ])
    lib = pkg("lib", "0.1.0", None, source=None, manifest=f"{ROOT}/crates/lib/Cargo.toml")
    packages = [
        member, lib,
        pkg("good", "1.0.0", "MIT/Apache-2.0"),
        pkg("gpl-crate", "1.0.0", "GPL-3.0-only"),
        pkg("unjustified-crate", "1.0.0", "(MIT OR GPL-2.0-only) AND Unicode-3.0"),
        pkg("test-only", "1.0.0", "Apache-2.0 WITH LLVM-exception OR MIT"),
        pkg("from-git", "1.0.0", "MIT", source="git+https://example.invalid/x.git#abc"),
        pkg("wild", "1.0.0", "ISC"),
        pkg("other-registry", "1.0.0", "MIT", source="registry+https://example.invalid/index"),
        pkg("outside", "1.0.0", "MIT", source=None, manifest="/elsewhere/outside/Cargo.toml"),
        pkg("dup-listed", "1.0.0", "MIT"), pkg("dup-listed", "2.0.0", "MIT"),
        pkg("dup-unlisted", "0.1.0", "Zlib"), pkg("dup-unlisted", "0.2.0", "Zlib"),
        pkg("no-licence", "1.0.0", None),
        pkg("clarified", "1.0.0", None),
        pkg("gpl-and-mit", "1.0.0", "MIT AND GPL-2.0-or-later"),
        pkg("classpath", "1.0.0", "GPL-2.0-only WITH Classpath-exception-2.0"),
        pkg("garbled", "1.0.0", "MIT OR (Apache-2.0"),
        pkg("special", "1.0.0", "Special-1.0 OR GPL-3.0-only"),
    ]
    return {"packages": packages, "workspace_members": [member["id"]], "resolve": {"nodes": []}}


POLICY = {
    "allow": ["MIT", "Apache-2.0", "ISC", "Zlib", "Unicode-3.0"],
    "exceptions": ["LLVM-exception"],
    "clarify": [{"name": "clarified", "expression": "MIT", "reason": "LICENSE is the MIT text"}],
    "crate_allow": [{"name": "special", "allow": ["Special-1.0"], "reason": "read and accepted"}],
    "duplicates": [{"name": "dup-listed", "reason": "two majors in transition"},
                   {"name": "long-gone", "reason": "was duplicated once"}],
}

DEPS_MD = """# Dependencies
## Rust crates
- `good`: does the good thing we need
- `gpl-crate`: listed, so only its licence fails
- `test-only`: used by the tests only
- `from-git`: listed, so only its source fails
- `wild`: listed, so only its version fails
- `other-registry`: listed, so only its registry fails
- `outside`: listed, so only its path fails
- `terse`: two words
## npm packages
- `axe-core`: accessibility rules for the browser tests
- `gpl-npm`: listed, so only its licence fails
"""

NPM_PACKAGE = {"devDependencies": {"axe-core": "4.14.1", "unjustified-npm": "1.0.0",
                                   "gpl-npm": "^2.0.0", "star": "*"}}
NPM_LOCK = {"packages": {
    "": {"name": "x"},
    "node_modules/axe-core": {"version": "4.14.1", "license": "MPL-2.0 OR MIT"},
    "node_modules/unjustified-npm": {"version": "1.0.0", "license": "MIT"},
    "node_modules/gpl-npm": {"version": "2.0.0", "license": "GPL-3.0-or-later"},
    "node_modules/star": {"version": "1.0.0", "license": "MIT",
                          "resolved": "git+ssh://git@example.invalid/star.git"},
}}

# Cargo.lock, all platforms: a path crate (no source), crates.io, and a git source for a
# package of another platform, which the host graph would not show.
LOCK = [
    {"name": "app", "version": "0.1.0"},
    {"name": "good", "version": "1.0.0", "source": CRATES_IO},
    {"name": "windows-thing", "version": "0.1.0", "source": "git+https://example.invalid/w.git#1"},
]

EXPECTED = {
    ("sources", "windows-thing 0.1.0"),
    ("licences", "gpl-crate 1.0.0"),
    ("licences", "no-licence 1.0.0"),
    ("licences", "gpl-and-mit 1.0.0"),
    ("licences", "classpath 1.0.0"),
    ("licences", "garbled 1.0.0"),
    ("duplicates", "dup-unlisted"),
    ("justified", "unjustified-crate"),
    ("justified", "terse"),
    ("sources", "app -> from-git (normal)"),
    ("sources", "app -> wild (normal)"),
    ("sources", "app -> other-registry (normal)"),
    ("sources", "app -> outside (normal)"),
    ("sources", "from-git 1.0.0"),
    ("sources", "other-registry 1.0.0"),
    ("sources", "outside 1.0.0"),
    ("justified", "unjustified-npm"),
    ("justified", "star"),
    ("sources", "npm star"),
    ("sources", "npm star 1.0.0"),
    ("licences", "npm gpl-npm 2.0.0"),
}


def check_spdx():
    cases = [
        ("MIT OR Apache-2.0", ["MIT"]),
        ("Apache-2.0 / MIT", ["Apache-2.0"]),
        ("(MIT OR Apache-2.0) AND Unicode-3.0", ["MIT", "Unicode-3.0"]),
        ("GPL-2.0-only OR MIT AND ISC", ["MIT", "ISC"]),  # AND binds tighter than OR
        ("GPL-2.0-only AND MIT OR ISC", ["ISC"]),
        ("Apache-2.0 WITH LLVM-exception", ["Apache-2.0 WITH LLVM-exception"]),
        ("GPL-2.0-only WITH LLVM-exception", None),
        ("mit or isc", ["mit"]),
        ("MIT AND (GPL-3.0-only OR LGPL-2.1-only)", None),
    ]
    failures = []
    for text, want in cases:
        got = spdx.choose(spdx.parse(text), ["MIT", "Apache-2.0", "ISC", "Unicode-3.0"], ["LLVM-exception"])
        if got != want:
            failures.append(f"spdx {text!r}: chose {got}, expected {want}")
    for bad in ["", "MIT OR", "(MIT", "MIT)", "MIT WITH", "AND MIT", "MIT % ISC", "(MIT OR ISC) WITH X"]:
        try:
            spdx.parse(bad)
            failures.append(f"spdx {bad!r}: parsed, expected an error")
        except spdx.SpdxError:
            pass
    return failures


def run():
    failures = check_spdx()
    report = cd.run_checks([("synthetic", synthetic_metadata())], (NPM_PACKAGE, NPM_LOCK),
                           POLICY, DEPS_MD, ROOT, [("synthetic", LOCK)])
    got = {(check, subject) for check, subject, _ in report.problems}
    for missing in sorted(EXPECTED - got):
        failures.append(f"not reported: {missing}")
    for extra in sorted(got - EXPECTED):
        failures.append(f"reported but clean: {extra}")
    if ("duplicates", "long-gone") not in {(c, s) for c, s, _ in report.warnings}:
        failures.append("a stale duplicates entry is not warned about")
    clean = cd.run_checks([("clean", {"packages": [pkg("good", "1.0.0", "MIT")],
                                      "workspace_members": [], "resolve": None})],
                          None, POLICY, DEPS_MD.replace("- `terse`: two words\n", ""), ROOT)
    if clean.problems:
        failures.append(f"a clean graph reported problems: {clean.problems}")
    for f in failures:
        print(f"self-test FAIL: {f}")
    if failures:
        return 1
    print(f"self-test ok: {len(EXPECTED)} seeded violations reported, nothing else; "
          "SPDX parsing and choice cases pass")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(run())
