"""Values that go onto an AMI line: CR, LF and other control characters are refused, never sent."""
from __future__ import annotations

import re
from collections.abc import Mapping

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class AmiValueError(ValueError):
    """A value or header name cannot be sent on an AMI line."""


def ami_value(value: object, *, field: str = "value") -> str:
    """Return `value` as AMI header text; refuse CR/LF/control characters (no silent stripping)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        raise AmiValueError(f"{field}: None cannot be sent")
    else:
        text = str(value)
    m = _CONTROL.search(text)
    if m:
        raise AmiValueError(f"{field}: control character {m.group()!r} refused in {text!r}")
    return text


def strip_controls(value: str) -> str:
    """Display text from outside (e.g. a caller name) with control characters removed."""
    return _CONTROL.sub("", value)


def ami_key(name: str) -> str:
    """Check a header name (letters, digits, '-', '_')."""
    if not isinstance(name, str) or not _KEY.match(name):
        raise AmiValueError(f"invalid AMI header name {name!r}")
    return name


def ami_variable(name: str, value: object) -> str:
    """A `Variable: NAME=value` item (channel variable names are identifiers)."""
    if not re.match(r"^_{0,2}[A-Za-z][A-Za-z0-9_()]{0,79}$", name):
        raise AmiValueError(f"invalid channel variable name {name!r}")
    return f"{name}={ami_value(value, field=name)}"


def check_action(action: Mapping[str, object]) -> dict[str, str | list[str]]:
    """Validate a whole action: names and every value (lists become repeated headers)."""
    if "Action" not in action:
        raise AmiValueError("action without an 'Action' header")
    out: dict[str, str | list[str]] = {}
    for key, value in action.items():
        ami_key(key)
        if isinstance(value, (list, tuple)):
            out[key] = [ami_value(v, field=key) for v in value]
        else:
            out[key] = ami_value(value, field=key)
    return out


def encode_action(action: Mapping[str, object]) -> bytes:
    """Wire bytes of an already-checked action, headers in the given order."""
    lines = []
    for key, value in check_action(action).items():
        if isinstance(value, list):
            lines.extend(f"{key}: {v}" for v in value)
        else:
            lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
