"""The npm side of the supply-chain checks: tests/browser/package.json and its lock.

Every declared package needs a line in docs/DEPENDENCIES.md (under an "npm" heading) and an
exact or ranged registry version (no `*`, tag, URL, git or file spec); every locked package
must come from the npm registry and carry a licence allowed by supply-chain/licenses.toml.
"""

import re

import spdx

NPM_REGISTRY = "https://registry.npmjs.org/"

_NPM_BAD_SPEC = re.compile(r"^(\*|x|latest|next|)$|^(git|git\+|http|https|file|link|github):|/", re.I)


def check(package, lock, justified, policy, report):
    deps = {}
    for field in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
        deps.update(package.get(field, {}))
    for name, spec in sorted(deps.items()):
        if name not in justified:
            report.problem("justified", name, "npm package of tests/browser has no line in docs/DEPENDENCIES.md")
        if _NPM_BAD_SPEC.search(spec.strip()) or "*" in spec:
            report.problem("sources", f"npm {name}", f"version {spec!r} is a wildcard, a tag or not from the registry")
    checked = 0
    for path, entry in sorted((lock or {}).get("packages", {}).items()):
        if not path:
            continue
        checked += 1
        name = path.rsplit("node_modules/", 1)[-1]
        subject = f"npm {name} {entry.get('version', '?')}"
        resolved = entry.get("resolved")
        if entry.get("link") or (resolved and not resolved.startswith(NPM_REGISTRY)):
            report.problem("sources", subject, f"not from the npm registry: {resolved or 'a link'}")
        expr = entry.get("license")
        try:
            ok = expr and spdx.choose(spdx.parse(expr), policy["allow"], policy["exceptions"]) is not None
        except spdx.SpdxError:
            ok = False
        if not ok:
            report.problem("licences", subject, f"licence {expr!r} is missing or not allowed")
    report.note(f"tests/browser: {len(deps)} npm packages declared, licences of {checked} locked packages checked")
