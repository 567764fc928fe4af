"""AMI framing and parsing on bytes: whole messages are decoded, so UTF-8 survives any TCP split.

Messages end with CRLF CRLF. The banner (`Asterisk Call Manager/11.0.0`) ends with one CRLF only.
A message becomes a plain dict in wire order; repeated headers (`Variable`, `ChanVariable`) become lists.
"""
from __future__ import annotations

BANNER = b"Asterisk Call Manager/"
SEP = b"\r\n\r\n"
_MAX_BUFFER = 4 * 1024 * 1024  # one message never comes near this; protects memory on a broken peer


class FramingError(ValueError):
    """The peer sent something that is not AMI (no message end within the buffer limit)."""


_LINES: dict[str, tuple[str, str]] = {}
_LINES_MAX = 200_000  # most header lines repeat ("Privilege: call,all", "ChannelState: 6"): cache their split


def _split_line(line: str) -> tuple[str, str]:
    key, sep, value = line.partition(":")
    kv = (key, value[1:] if value.startswith(" ") else value) if sep else ("", line)
    if len(_LINES) >= _LINES_MAX:
        _LINES.clear()
    _LINES[line] = kv
    return kv


def parse_message(text: str) -> dict[str, str | list[str]]:
    """Parse one message's text (no trailing CRLF CRLF) into a dict."""
    lines = text.split("\r\n")
    get = _LINES.get
    try:
        msg = dict(map(get, lines))  # every line seen before: all in C
    except TypeError:
        msg = dict([get(line) or _split_line(line) for line in lines])
    if len(msg) != len(lines) or "" in msg:  # repeated headers, blank or colon-less lines
        return _parse_slow(lines)
    return msg


def wanted_event(text: str, wanted: frozenset[str]) -> bool:
    """Whether a message must be parsed: not an event, an event someone listens to, or a list item."""
    if not text.startswith("Event: "):
        return True
    end = text.find("\r", 7)
    return (text[7:end] if end > 0 else text[7:]) in wanted or "\r\nActionID: " in text


def _parse_slow(lines: list[str]) -> dict[str, str | list[str]]:
    """Lines without ': ' (`Key:` empty) or repeated headers."""
    msg: dict[str, str | list[str]] = {}
    for line in lines:
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        value = value[1:] if value.startswith(" ") else value
        old = msg.get(key)
        if old is None:
            msg[key] = value
        elif isinstance(old, list):
            old.append(value)
        else:
            msg[key] = [old, value]
    return msg


class AmiFramer:
    """Feed raw bytes as they arrive; get back complete messages (dicts) in order."""

    __slots__ = ("_buf", "version", "raw_sink")

    def __init__(self, raw_sink=None) -> None:
        self._buf = b""
        self.version: str | None = None
        self.raw_sink = raw_sink  # called with each complete message's text (capture log)

    def feed(self, data: bytes, wanted: frozenset[str] | None = None) -> list[dict]:
        """Add bytes; return every message completed by them (only events in `wanted`, if given)."""
        buf = self._buf + data if self._buf else data
        if self.version is None:
            buf = self._banner(buf)
            if self.version is None:
                self._buf = buf
                return []
        complete, sep, rest = buf.rpartition(SEP)
        if not sep:
            if len(buf) > _MAX_BUFFER:
                raise FramingError("no AMI message end within 4 MiB")
            self._buf = buf
            return []
        self._buf = rest
        texts = complete.decode("utf-8", "replace").split("\r\n\r\n")
        sink = self.raw_sink
        if sink is not None:
            for t in texts:
                sink(t + "\r\n\r\n")
        if wanted is None:
            return [parse_message(t) for t in texts if t]
        return [parse_message(t) for t in texts if t and wanted_event(t, wanted)]

    def _banner(self, buf: bytes) -> bytes:
        if not buf.startswith(BANNER[: len(buf)]):
            self.version = ""  # no banner (e.g. a replayed stream cut mid-session)
            return buf
        end = buf.find(b"\r\n")
        if end < 0:
            return buf
        line = buf[:end].decode("utf-8", "replace")
        self.version = line.partition("/")[2].strip()
        if self.raw_sink is not None:
            self.raw_sink(line + "\r\n")
        return buf[end + 2:]

    def reset(self) -> None:
        """Forget a partial message (a new connection starts clean)."""
        self._buf = b""
        self.version = None
