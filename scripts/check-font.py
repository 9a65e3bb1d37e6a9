#!/usr/bin/env python3
"""Checks that the web font covers every letter Dari and Pashto pages need.

    scripts/check-font.py [FONT ...]

With no argument it checks crates/gawah-web/assets/fonts/vazirmatn-variable.woff2.
Exit status: 0 when every character is covered, 1 when one is missing, 2 when the
font cannot be read (no fontTools+brotli and no fc-query, or a bad path).

It reads the font's cmap with fontTools (`pip install fonttools brotli`; brotli is
needed for WOFF2) and falls back to fontconfig's `fc-query`, which reads WOFF2 itself.
"""

import os
import re
import shutil
import subprocess
import sys

DEFAULT_FONT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "crates", "gawah-web", "assets", "fonts", "vazirmatn-variable.woff2",
)

# Letters Pashto adds to the Persian alphabet; a font without them shows boxes or
# falls back mid-word, which breaks the joining of Pashto text.
PASHTO = {
    0x067C: "ټ", 0x0681: "ځ", 0x0685: "څ", 0x0689: "ډ", 0x0693: "ړ", 0x0696: "ږ",
    0x069A: "ښ", 0x06AB: "ګ", 0x06BC: "ڼ", 0x06D0: "ې", 0x06CD: "ۍ", 0x0626: "ئ",
}

# The Persian (Dari) alphabet, with hamza and alef madda.
PERSIAN = {cp: chr(cp) for cp in [
    0x0621, 0x0622, 0x0627, 0x0628, 0x067E, 0x062A, 0x062B, 0x062C, 0x0686, 0x062D,
    0x062E, 0x062F, 0x0630, 0x0631, 0x0632, 0x0698, 0x0633, 0x0634, 0x0635, 0x0636,
    0x0637, 0x0638, 0x0639, 0x063A, 0x0641, 0x0642, 0x06A9, 0x06AF, 0x0644, 0x0645,
    0x0646, 0x0648, 0x0647, 0x06CC,
]}

# Persian digits (dates are shown with them), Arabic punctuation, and the zero-width
# non-joiner that Persian spelling relies on.
OTHER = {cp: chr(cp) for cp in range(0x06F0, 0x06FA)}
OTHER.update({0x060C: "،", 0x061B: "؛", 0x061F: "؟", 0x200C: "ZWNJ"})

REQUIRED = {"Pashto": PASHTO, "Persian": PERSIAN, "digits and punctuation": OTHER}


def cmap_with_fonttools(path):
    from fontTools.ttLib import TTFont  # noqa: PLC0415 - optional dependency

    font = TTFont(path, lazy=True)
    return set(font.getBestCmap())


def cmap_with_fc_query(path):
    result = subprocess.run(
        ["fc-query", "--index=0", "--format=%{charset}", path],
        capture_output=True, text=True, check=True,
    )
    covered = set()
    for start, end in re.findall(r"([0-9a-f]+)(?:-([0-9a-f]+))?", result.stdout):
        covered.update(range(int(start, 16), int(end or start, 16) + 1))
    if not covered:
        raise ValueError("fc-query printed no character set")
    return covered


def read_cmap(path):
    """The font's code points, and the name of the tool that read them."""
    errors = []
    try:
        return cmap_with_fonttools(path), "fontTools"
    except ImportError as err:
        errors.append(f"fontTools unavailable ({err})")
    except Exception as err:  # a broken font: try the other reader before giving up
        errors.append(f"fontTools could not read it ({err})")
    if shutil.which("fc-query"):
        try:
            return cmap_with_fc_query(path), "fc-query"
        except (subprocess.CalledProcessError, ValueError) as err:
            errors.append(f"fc-query could not read it ({err})")
    else:
        errors.append("fc-query not found")
    raise RuntimeError("; ".join(errors))


def check(path):
    """Prints the result for one font; True when it covers everything."""
    if not os.path.isfile(path):
        print(f"{path}: no such file", file=sys.stderr)
        return None
    try:
        covered, reader = read_cmap(path)
    except RuntimeError as err:
        print(
            f"{path}: cannot read the font: {err}.\n"
            "Install fontTools and brotli (pip install fonttools brotli) or fontconfig "
            "(apt-get install fontconfig).",
            file=sys.stderr,
        )
        return None
    missing = [
        (group, cp, text)
        for group, chars in REQUIRED.items()
        for cp, text in sorted(chars.items())
        if cp not in covered
    ]
    for group, cp, text in missing:
        print(f"{path}: missing {group} U+{cp:04X} {text}")
    if not missing:
        total = sum(len(chars) for chars in REQUIRED.values())
        print(f"{path}: all {total} required characters present (read with {reader})")
    return not missing


def main(argv):
    paths = argv[1:] or [os.path.normpath(DEFAULT_FONT)]
    results = [check(path) for path in paths]
    if None in results:
        return 2
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
