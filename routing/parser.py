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


def parse_message(text: str) -> dict[str, str | list[str]]:
    """Parse one message's text (no trailing CRLF CRLF) into a dict."""
    lines = text.split("\r\n")
    try:
        msg = dict(line.split(": ", 1) for line in lines)
    except ValueError:
        return _parse_slow(lines)
    if len(msg) != len(lines):
        return _parse_slow(lines)
    return msg


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

    def feed(self, data: bytes) -> list[dict]:
        """Add bytes; return every message completed by them."""
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
        return [parse_message(t) for t in texts if t]

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
