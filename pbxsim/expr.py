"""Dialplan expressions and functions the 12348 dialplan uses (main/ast_expr2.y, func_strings.c).

`$[...]` with numbers or quoted strings and `+ - * / % = != < > <= >= & |`, `${VAR}`, `${EXTEN}`,
`${FILTER(allowed,text)}` (ranges `a-z`; a leading `-` is literal), `${CHANNEL(language|linkedid)}`,
`${CUT(var,delim,field)}`. Unknown functions expand to nothing, as Asterisk warns and does.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable

Lookup = Callable[[str], str]
_TOKEN = re.compile(r'\s*("(?:[^"]*)"|<=|>=|!=|[-+*/%=<>&|()]|[^\s"<>=!+*/%&|()-]+)')
_OPS = [("|",), ("&",), ("=", "!=", "<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%")]
_CMP = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le,
        ">=": operator.ge}


def filter_chars(allowed: str, text: str) -> str:
    """FILTER(): keep the characters of `text` listed in `allowed` (with a-z style ranges)."""
    chars: set[str] = set()
    i = 0
    while i < len(allowed):
        if i + 2 < len(allowed) and allowed[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(allowed[i]), ord(allowed[i + 2]) + 1))
            i += 3
        else:
            chars.add(allowed[i])
            i += 1
    return "".join(c for c in text if c in chars)


def _number(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def _value(tok: str) -> str:
    return tok[1:-1] if tok.startswith('"') else tok


def _binary(op: str, a: str, b: str) -> str:
    na, nb = _number(a), _number(b)
    if op in _CMP:
        left, right = (na, nb) if na is not None and nb is not None else (a, b)
        return "1" if _CMP[op](left, right) else "0"
    if op == "|":
        return a if a not in ("", "0") else (b if b not in ("", "0") else "0")
    if op == "&":
        return a if a not in ("", "0") and b not in ("", "0") else "0"
    if na is None or nb is None:
        return ""  # ast_expr2: a non-numeric operand to arithmetic is an error → empty
    if op in "/%" and nb == 0:
        return ""
    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.floordiv, "%": operator.mod}[op]
    return str(fn(na, nb))


def evaluate(text: str) -> str:
    """The value of an expression body (what is inside `$[...]`)."""
    tokens = [m.group(1) for m in _TOKEN.finditer(text) if m.group(1).strip()]
    pos = 0

    def level(n: int) -> str:
        nonlocal pos
        if n == len(_OPS):
            return atom()
        left = level(n + 1)
        while pos < len(tokens) and tokens[pos] in _OPS[n]:
            op = tokens[pos]
            pos += 1
            left = _binary(op, left, level(n + 1))
        return left

    def atom() -> str:
        nonlocal pos
        if pos >= len(tokens):
            return ""
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            inner = level(0)
            pos += 1  # the closing parenthesis
            return inner
        if tok == "-" and pos < len(tokens):
            value = atom()
            return str(-_number(value)) if _number(value) is not None else ""
        return _value(tok)

    return level(0) if tokens else ""


def _function(name: str, arg: str, lookup: Lookup) -> str:
    if name == "FILTER":
        allowed, _, text = arg.partition(",")
        return filter_chars(allowed, text)
    if name == "CHANNEL":
        return lookup(f"CHANNEL({arg})")
    if name == "CUT":
        var, delim, field = (arg.split(",") + ["", ""])[:3]
        parts = lookup(var).split(delim or "-")
        idx = int(field) if field.isdigit() else 1
        return parts[idx - 1] if 0 < idx <= len(parts) else ""
    return ""


def substitute(text: str, lookup: Lookup) -> str:
    """Expand `${...}` (variables, functions) innermost first, then `$[...]` expressions."""
    for _ in range(64):  # bounded: every round removes one innermost construct
        m = re.search(r"\$\{([^${}]*)\}", text)
        if m is not None:
            body = m.group(1)
            fn = re.fullmatch(r"([A-Z_]+)\((.*)\)", body, re.DOTALL)
            value = _function(fn.group(1), fn.group(2), lookup) if fn and fn.group(1) in (
                "FILTER", "CHANNEL", "CUT") else lookup(body)
            text = text[:m.start()] + value + text[m.end():]
            continue
        m = re.search(r"\$\[([^\[\]$]*)\]", text)
        if m is None:
            return text
        text = text[:m.start()] + evaluate(m.group(1)) + text[m.end():]
    return text
