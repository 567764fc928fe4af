"""AMI wire format: one message = ordered `Key: value` lines ended by a blank line."""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

Headers = list[tuple[str, str]]


class WireError(ValueError):
    """A value that must never be written to an AMI or AGI line."""


def check_value(value: str) -> str:
    """Return `value` if it holds no CR/LF/control characters, else raise WireError."""
    if not value.isprintable() and _CONTROL.search(value):  # isprintable: C-speed common case
        raise WireError(f"control character in value {value!r}")
    return value


def encode(headers: Headers) -> bytes:
    """Serialize ordered headers as one AMI message (UTF-8, CRLF, blank line)."""
    parts = []
    for key, value in headers:
        parts.append(f"{key}: {check_value(str(value))}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")


def parse_action(block: bytes) -> Headers:
    """Split one received action block into ordered (key, value) pairs.

    As manager.c's `astman_get_header` does, keys are matched case-insensitively later and a
    line without a colon is ignored; values keep inner spaces but lose the one after the colon.
    """
    text = block.decode("utf-8", errors="replace")
    out: Headers = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line or ":" not in line:
            continue
        key, _, value = line.partition(":")
        out.append((key.strip(), value.lstrip(" ")))
    return out


def get(headers: Headers, key: str, default: str = "") -> str:
    """First value of `key` (case-insensitive), like manager.c's astman_get_header."""
    low = key.lower()
    for k, v in headers:
        if k.lower() == low:
            return v
    return default


def get_all(headers: Headers, key: str) -> list[str]:
    """Every value of a repeated header (e.g. `Variable`)."""
    low = key.lower()
    return [v for k, v in headers if k.lower() == low]
