"""SPDX licence expressions, just enough to judge a package's `license` field.

Grammar (SPDX 2.3 annex D, with the operators in any case, and cargo's deprecated `/`
read as OR, which is what it meant):

    or_expr   := and_expr ("OR" and_expr)*
    and_expr  := with_expr ("AND" with_expr)*
    with_expr := atom ("WITH" exception_id)?
    atom      := licence_id | "(" or_expr ")"

AND binds tighter than OR, so "A OR B AND C" is "A OR (B AND C)".

`choose` answers the one question the checks ask: can the package be used under licences
we allow, and under which? An OR needs one acceptable side (the first is taken, so the
answer is stable); an AND needs both; "X WITH E" needs X and the exception E allowed, or the
whole "X WITH E" listed.
"""

import re

_TOKEN = re.compile(r"\s*(\(|\)|/|[A-Za-z0-9.+:-]+)")


class SpdxError(ValueError):
    """The text is not a licence expression."""


def tokenize(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise SpdxError(f"unexpected character {text[pos]!r} at {pos} in {text!r}")
        tokens.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if not tokens:
        raise SpdxError("empty licence expression")
    return tokens


def parse(text):
    """Parses `text` into a tree: ("id", name) | ("with", name, exc) | ("and"|"or", l, r)."""
    tokens = tokenize(text)
    tree, pos = _or(tokens, 0, text)
    if pos != len(tokens):
        raise SpdxError(f"unexpected {tokens[pos]!r} in {text!r}")
    return tree


def _keyword(tokens, pos, *words):
    return pos < len(tokens) and tokens[pos].upper() in words


def _or(tokens, pos, text):
    left, pos = _and(tokens, pos, text)
    while _keyword(tokens, pos, "OR", "/"):
        right, pos = _and(tokens, pos + 1, text)
        left = ("or", left, right)
    return left, pos


def _and(tokens, pos, text):
    left, pos = _with(tokens, pos, text)
    while _keyword(tokens, pos, "AND"):
        right, pos = _with(tokens, pos + 1, text)
        left = ("and", left, right)
    return left, pos


def _with(tokens, pos, text):
    atom, pos = _atom(tokens, pos, text)
    if _keyword(tokens, pos, "WITH"):
        if atom[0] != "id" or pos + 1 >= len(tokens) or not _is_id(tokens[pos + 1]):
            raise SpdxError(f"WITH must join a licence and an exception in {text!r}")
        return ("with", atom[1], tokens[pos + 1]), pos + 2
    return atom, pos


def _atom(tokens, pos, text):
    if pos >= len(tokens):
        raise SpdxError(f"expression ends too early: {text!r}")
    tok = tokens[pos]
    if tok == "(":
        inner, pos = _or(tokens, pos + 1, text)
        if pos >= len(tokens) or tokens[pos] != ")":
            raise SpdxError(f"unclosed parenthesis in {text!r}")
        return inner, pos + 1
    if not _is_id(tok):
        raise SpdxError(f"expected a licence, found {tok!r} in {text!r}")
    return ("id", tok), pos + 1


def _is_id(tok):
    return tok not in ("(", ")", "/") and tok.upper() not in ("AND", "OR", "WITH")


def leaves(tree):
    """Every licence (or "X WITH E") named in the tree, in order."""
    if tree[0] == "id":
        return [tree[1]]
    if tree[0] == "with":
        return [f"{tree[1]} WITH {tree[2]}"]
    return leaves(tree[1]) + leaves(tree[2])


def choose(tree, allowed, exceptions=()):
    """The licences under which the package can be taken, or None if no choice is allowed.

    `allowed` and `exceptions` are compared without regard to case, as SPDX ids are.
    """
    allow = {a.lower() for a in allowed}
    exc = {e.lower() for e in exceptions}

    def walk(node):
        kind = node[0]
        if kind == "id":
            return [node[1]] if node[1].lower() in allow else None
        if kind == "with":
            whole = f"{node[1]} WITH {node[2]}"
            ok = whole.lower() in allow or (node[1].lower() in allow and node[2].lower() in exc)
            return [whole] if ok else None
        left, right = walk(node[1]), walk(node[2])
        if kind == "or":
            return left if left is not None else right
        if left is None or right is None:
            return None
        return left + [r for r in right if r not in left]

    return walk(tree)
