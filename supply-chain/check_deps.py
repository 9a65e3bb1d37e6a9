#!/usr/bin/env python3
"""Offline supply-chain checks of gawah's dependencies (run through scripts/check-deps.sh).

    supply-chain/check_deps.py            check the repository; exit 0 clean, 1 problems, 2 tool error
    supply-chain/check_deps.py --self-test  feed synthetic metadata with seeded violations

What is checked, for the main workspace and the fuzz workspace (`fuzz/`, its own Cargo.lock),
from `cargo metadata --locked --offline` (nothing is fetched, nothing is built):

  licences     every third-party package's `license` is an SPDX expression satisfiable with
               the licences of supply-chain/licenses.toml; a package without one needs a
               `[[clarify]]` entry there, with a reason
  duplicates   a crate resolved in more than one version is listed, with a reason, in
               supply-chain/duplicates.toml
  justified    every direct dependency (normal, dev, build) of every workspace crate has a
               line in docs/DEPENDENCIES.md
  sources      dependencies come from crates.io or from path crates inside this repository:
               no git source, no other registry, no path outside the repository, no `*`
               (and every package of each Cargo.lock, whatever its platform, is from crates.io
               or a path)
  npm          tests/browser/package.json: the same rules for its packages, with licences
               from package-lock.json

The package graph is the host platform's (`--filter-platform`): cargo cannot read the manifests
of packages for other platforms (Windows, wasm) without downloading them. Those packages are
counted in the output; their sources are checked from Cargo.lock, their licences and versions
are not. Warnings (a dependency declared but not used, a stale policy
entry) do not fail the check.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tomllib

import npm_deps
import spdx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES_IO = (
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
)


class ToolError(RuntimeError):
    """cargo or a policy file could not be read: the check cannot run (exit 2)."""


class Report:
    """Problems fail the check; warnings and notes are printed only."""

    def __init__(self):
        self.problems, self.warnings, self.notes = [], [], []

    def problem(self, check, subject, message):
        self.problems.append((check, subject, message))

    def warn(self, check, subject, message):
        self.warnings.append((check, subject, message))

    def note(self, message):
        self.notes.append(message)


# --- inputs ------------------------------------------------------------------------------


def load_policy(root):
    def load(name):
        path = os.path.join(root, "supply-chain", name)
        try:
            with open(path, "rb") as f:
                return tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ToolError(f"cannot read {path}: {e}") from e

    lic, dup = load("licenses.toml"), load("duplicates.toml")
    return {
        "allow": lic.get("allow", []),
        "exceptions": lic.get("exceptions", []),
        "clarify": lic.get("clarify", []),
        "crate_allow": lic.get("exception", []),
        "duplicates": dup.get("duplicate", []),
    }


_LINE = re.compile(r"^[-*]\s+`([^`\s]+)`\s*[:—–-]+\s*(.*)$")


def read_justified(text, report):
    """Names justified in DEPENDENCIES.md: `- \\`name\\`: why`, by section (npm or crates)."""
    crates, npm, section = {}, {}, None
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            title = line.lower()
            section = "npm" if "npm" in title else "crates" if "crate" in title else None
            continue
        m = _LINE.match(line.strip())
        if not m or section is None:
            continue
        name, why = m.group(1), m.group(2).strip()
        table = npm if section == "npm" else crates
        if len(why.split()) < 3:
            report.problem("justified", name, f"docs/DEPENDENCIES.md:{n}: the justification is too short")
        if name in table:
            report.problem("justified", name, f"docs/DEPENDENCIES.md:{n}: listed twice")
        table[name] = n
    return crates, npm


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True)
    m = re.search(r"^host: (\S+)$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise ToolError(f"rustc -vV failed: {out.stderr.strip()}")
    return m.group(1)


def cargo_metadata(ws_dir, host):
    cmd = ["cargo", "metadata", "--locked", "--offline", "--format-version", "1",
           "--filter-platform", host]
    out = subprocess.run(cmd, cwd=ws_dir, capture_output=True, text=True)
    if out.returncode != 0:
        hint = ""
        if "--offline" in out.stderr:
            hint = " (a package is not in ~/.cargo/registry yet: `cargo fetch --locked` once, or build first)"
        raise ToolError(f"`{' '.join(cmd)}` in {ws_dir} failed{hint}:\n{out.stderr.strip()}")
    return json.loads(out.stdout)


def lock_packages(lock_path):
    try:
        with open(lock_path, "rb") as f:
            return tomllib.load(f).get("package", [])
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ToolError(f"cannot read {lock_path}: {e}") from e


# --- cargo checks --------------------------------------------------------------------------


def in_repo(path, root):
    path, root = os.path.realpath(path), os.path.realpath(root)
    return path == root or path.startswith(root + os.sep)


def ours(pkg, root):
    return pkg.get("source") is None and in_repo(pkg["manifest_path"], root)


def check_licences(label, meta, policy, root, report):
    clarify = {c.get("name"): c for c in policy["clarify"]}
    per_crate = {c.get("name"): c for c in policy["crate_allow"]}
    used_clarify, checked = set(), 0
    for pkg in meta["packages"]:
        if ours(pkg, root):
            continue
        checked += 1
        subject = f"{pkg['name']} {pkg['version']}"
        expr = pkg.get("license")
        if pkg["name"] in clarify:
            entry = clarify[pkg["name"]]
            used_clarify.add(pkg["name"])
            if not str(entry.get("reason", "")).strip() or not entry.get("expression"):
                report.problem("licences", subject, "its [[clarify]] entry needs an expression and a reason")
                continue
            expr = entry["expression"]
        if not expr:
            file_note = f" (license-file {pkg['license_file']})" if pkg.get("license_file") else ""
            report.problem("licences", subject,
                           f"no `license` field{file_note}: read its licence and add a [[clarify]] entry with a reason")
            continue
        try:
            tree = spdx.parse(expr)
        except spdx.SpdxError as e:
            report.problem("licences", subject, f"licence {expr!r} does not parse: {e}")
            continue
        allowed = list(policy["allow"])
        extra = per_crate.get(pkg["name"])
        if extra and str(extra.get("reason", "")).strip():
            allowed += extra.get("allow", [])
        if spdx.choose(tree, allowed, policy["exceptions"]) is None:
            bad = [l for l in spdx.leaves(tree) if spdx.choose(spdx.parse(l), allowed, policy["exceptions"]) is None]
            report.problem("licences", subject,
                           f"licence {expr!r} is not allowed (not on the list: {', '.join(bad)})")
    for name in clarify.keys() - used_clarify:
        report.warn("licences", name, f"[[clarify]] entry in supply-chain/licenses.toml matches no package of {label}")
    report.note(f"{label}: licences of {checked} third-party packages checked")


def dependents(meta):
    names = {p["id"]: f"{p['name']} {p['version']}" for p in meta["packages"]}
    rev = {}
    for node in (meta.get("resolve") or {}).get("nodes", []):
        for dep in node.get("deps", []):
            rev.setdefault(dep["pkg"], []).append(names.get(node["id"], node["id"]))
    return names, rev


def check_duplicates(label, meta, policy, root, report):
    listed = {d.get("name"): d for d in policy["duplicates"]}
    _, rev = dependents(meta)
    versions = {}
    for pkg in meta["packages"]:
        if not ours(pkg, root):
            versions.setdefault(pkg["name"], []).append(pkg)
    dups = {n: ps for n, ps in versions.items() if len(ps) > 1}
    for name, pkgs in sorted(dups.items()):
        entry = listed.get(name)
        if entry and str(entry.get("reason", "")).strip():
            continue
        detail = "; ".join(
            f"{p['version']} for {', '.join(sorted(set(rev.get(p['id'], [])))) or '?'}"
            for p in sorted(pkgs, key=lambda p: p["version"]))
        report.problem("duplicates", name,
                       f"{label} resolves {len(pkgs)} versions ({detail}): remove one, or list it with a reason in supply-chain/duplicates.toml")
    report.note(f"{label}: {len(dups)} crates in more than one version, all checked against the list")
    return set(dups)


def check_direct(label, meta, justified, root, report):
    members = set(meta["workspace_members"])
    for pkg in meta["packages"]:
        if pkg["id"] not in members:
            continue
        for dep in pkg["dependencies"]:
            name, kind = dep["name"], dep.get("kind") or "normal"
            subject = f"{pkg['name']} -> {name} ({kind})"
            source, path = dep.get("source"), dep.get("path")
            if path is not None:
                if not in_repo(path, root):
                    report.problem("sources", subject, f"path dependency outside the repository: {path}")
                continue  # a crate of this repository: justified by ARCHITECTURE.md
            if source is None or source.startswith("git+"):
                report.problem("sources", subject, f"not from crates.io: {source}")
            elif source not in CRATES_IO:
                report.problem("sources", subject, f"from another registry: {source}")
            if "*" in (dep.get("req") or "*"):
                report.problem("sources", subject, f"wildcard version requirement {dep.get('req')!r}")
            if name not in justified:
                report.problem("justified", name,
                               f"direct dependency of {pkg['name']} ({kind}) has no line in docs/DEPENDENCIES.md")


def check_lock_sources(label, lock, report):
    """Every package of Cargo.lock, for any platform: crates.io or a path (no `source`)."""
    for pkg in lock:
        source = pkg.get("source")
        if source is not None and source not in CRATES_IO:
            report.problem("sources", f"{pkg['name']} {pkg['version']}",
                           f"{label}'s Cargo.lock takes it from {source}, not crates.io")


def check_resolved_sources(label, meta, root, report):
    for pkg in meta["packages"]:
        source = pkg.get("source")
        subject = f"{pkg['name']} {pkg['version']}"
        if source is None:
            if not in_repo(pkg["manifest_path"], root):
                report.problem("sources", subject, f"{label} resolves a path package outside the repository: {pkg['manifest_path']}")
        elif source not in CRATES_IO:
            report.problem("sources", subject, f"{label} resolves it from {source}, not crates.io")


def _rust_files(dirs):
    files = set()
    for d in dirs:
        files.update(glob.glob(os.path.join(d, "**", "*.rs"), recursive=True))
    return files


def _mentions(files, ident):
    pattern = re.compile(rf"\b{re.escape(ident)}\b")
    for path in sorted(files):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                if pattern.search(f.read()):
                    return True
        except OSError:
            continue
    return False


def check_unused(meta, report):
    """Warns about a declared dependency that no source file of its kind of target names.

    A heuristic (a crate used only through a feature or a re-export is reported too), so it
    only warns. Library, binary and build-script targets are "main"; tests, benches and
    examples may use dev-dependencies.
    """
    members = set(meta["workspace_members"])
    for pkg in meta["packages"]:
        if pkg["id"] not in members:
            continue
        main_dirs, other_dirs = set(), set()
        for t in pkg["targets"]:
            d = os.path.dirname(t["src_path"])
            (main_dirs if set(t["kind"]) & {"lib", "bin", "custom-build", "rlib", "proc-macro"} else other_dirs).add(d)
        main_files, other_files = _rust_files(main_dirs), _rust_files(other_dirs) - _rust_files(main_dirs)
        for dep in pkg["dependencies"]:
            kind = dep.get("kind") or "normal"
            ident = (dep.get("rename") or dep["name"]).replace("-", "_")
            subject = f"{pkg['name']} -> {dep['name']} ({kind})"
            if kind == "dev":
                if not _mentions(main_files | other_files, ident):
                    report.warn("unused", subject, "no test, bench or example names it: remove it?")
            elif not _mentions(main_files, ident):
                where = "only tests, benches or examples name it: a dev-dependency?" if _mentions(
                    other_files, ident) else "no source file names it: remove it?"
                report.warn("unused", subject, where)


# --- running -------------------------------------------------------------------------------


def run_checks(workspaces, npm, policy, deps_md, root, locks=()):
    """`workspaces`: [(label, metadata)]; `npm`: (package.json, package-lock.json) or None;
    `locks`: [(label, Cargo.lock packages)]."""
    report = Report()
    for label, lock in locks:
        check_lock_sources(label, lock, report)
    crates, npm_names = read_justified(deps_md, report)
    all_dups = set()
    for label, meta in workspaces:
        check_licences(label, meta, policy, root, report)
        all_dups |= check_duplicates(label, meta, policy, root, report)
        check_direct(label, meta, crates, root, report)
        check_resolved_sources(label, meta, root, report)
    for entry in policy["duplicates"]:
        if entry.get("name") not in all_dups:
            report.warn("duplicates", entry.get("name"), "listed in supply-chain/duplicates.toml but no longer duplicated")
    if npm is not None:
        npm_deps.check(npm[0], npm[1], npm_names, policy, report)
    return report


def collect(root):
    host = host_triple()
    workspaces, locks, report_notes = [], [], []
    for label, sub in (("workspace", "."), ("fuzz", "fuzz")):
        ws = os.path.normpath(os.path.join(root, sub))
        meta = cargo_metadata(ws, host)
        workspaces.append((label, meta))
        graph = {(p["name"], p["version"]) for p in meta["packages"]}
        lock = lock_packages(os.path.join(ws, "Cargo.lock"))
        locks.append((label, lock))
        other = [p for p in lock if (p["name"], p["version"]) not in graph]
        if other:
            report_notes.append(f"{label}: {len(other)} packages of Cargo.lock are for other platforms than {host} and not judged")
    npm = None
    pkg_path = os.path.join(root, "tests", "browser", "package.json")
    if os.path.exists(pkg_path):
        with open(pkg_path) as f:
            package = json.load(f)
        lock_path = os.path.join(root, "tests", "browser", "package-lock.json")
        lock = json.load(open(lock_path)) if os.path.exists(lock_path) else None
        npm = (package, lock)
    return workspaces, locks, npm, report_notes


def print_report(report, extra_notes=()):
    for n in list(report.notes) + list(extra_notes):
        print(f"  {n}")
    for check, subject, message in report.warnings:
        print(f"warning [{check}] {subject}: {message}")
    for check, subject, message in report.problems:
        print(f"FAIL [{check}] {subject}: {message}")
    if report.problems:
        print(f"check-deps: {len(report.problems)} problem(s)")
    else:
        print(f"check-deps: ok ({len(report.warnings)} warning(s))")


def main(argv):
    if argv[1:] == ["--self-test"]:
        import self_test
        return self_test.run()
    if len(argv) > 1:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        policy = load_policy(ROOT)
        workspaces, locks, npm, notes = collect(ROOT)
        deps_path = os.path.join(ROOT, "docs", "DEPENDENCIES.md")
        deps_md = open(deps_path, encoding="utf-8").read() if os.path.exists(deps_path) else ""
    except ToolError as e:
        print(f"check-deps: {e}", file=sys.stderr)
        return 2
    report = run_checks(workspaces, npm, policy, deps_md, ROOT, locks)
    for _, meta in workspaces:
        check_unused(meta, report)
    print_report(report, notes)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
