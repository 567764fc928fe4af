"""The one adapter over panoramisk's FastAGI: where its parsing and socket handling fall short, fixed here.

Fixes over ``panoramisk.fast_agi`` 1.4 (each has a test in ``tests/ivr/test_agi.py``):

1. ``200 result= (timeout)``: panoramisk drops the ``(timeout)`` mark of an empty GET DATA.
2. ``200 result=-1 endpos=20000``: panoramisk turns it into a bare error and loses ``endpos``.
3. A ``HANGUP`` line before a reply: panoramisk returns it *as* the reply and leaves the real reply
   in the buffer, so every later command reads its predecessor's answer. We note it and read on.
4. ``511`` (dead channel) is reported as an unknown error; we flag it as a hang-up.
5. ``520-`` usage is multi-line up to ``520 End of proper usage.``; panoramisk reads one line only.
6. A line Asterisk would never send (no status code) makes panoramisk raise ``ValueError``.
7. EOF while waiting for a reply makes panoramisk raise ``ValueError``; we raise :class:`AgiClosed`.
8. Bytes that are not UTF-8 raise ``UnicodeDecodeError`` there; we decode with replacement and log.
9. A client that closes before the end of the ``agi_*`` environment spins panoramisk's handler
   forever (``read`` returns ``b''``); we stop with a log line. The environment read is bounded.
10. ``agi_network_script`` may carry ``?args``; panoramisk routes on the whole string.
11. A reply that never comes blocks panoramisk forever; every command has a timeout here.
12. Every command line is checked before it is written: no CR/LF/control characters.
13. Stopping the server cancels running calls; Python 3.11's ``start_server`` callback then calls
    ``task.exception()`` on the cancelled handler task and logs a CancelledError traceback. A call
    ended by shutdown returns normally instead (with a log line).
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from panoramisk.fast_agi import Application, Request

log = logging.getLogger(__name__)

_REPLY = re.compile(r"^(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)$")
_RESULT = re.compile(r"^result=(?P<result>\S*)(?: \((?P<data>.*)\))?(?: endpos=(?P<endpos>-?\d+))?\s*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_LINE = 8192
MAX_ENV_LINES = 200


class AgiError(Exception):
    """Base of FastAGI connection errors."""


class AgiClosed(AgiError):
    """Asterisk closed the socket (the channel is gone)."""


class AgiTimeout(AgiError):
    """No reply to a command within its timeout."""


class AgiValueError(AgiError, ValueError):
    """A value refused before it reached an AGI line."""


@dataclass(frozen=True)
class AgiReply:
    """One parsed reply. `code` 0 means a line Asterisk would never send."""

    code: int
    result: str = ""
    data: str = ""
    endpos: int | None = None
    text: str = ""
    hungup: bool = False

    @property
    def ok(self) -> bool:
        """A 200 reply."""
        return self.code == 200

    @property
    def dead(self) -> bool:
        """The channel is gone: a HANGUP line came, or Asterisk refused the command on a dead channel."""
        return self.hungup or self.code == 511

    @property
    def number(self) -> int | None:
        """`result` as an integer, None when it is not one."""
        try:
            return int(self.result)
        except ValueError:
            return None


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line (without its newline). Never raises."""
    m = _REPLY.match(line)
    if not m:
        return AgiReply(code=0, text=line)
    code = int(m["code"])
    if code != 200:
        return AgiReply(code=code, text=line)
    r = _RESULT.match(m["rest"])
    if not r:
        return AgiReply(code=0, text=line)
    endpos = int(r["endpos"]) if r["endpos"] is not None else None
    return AgiReply(code=200, result=r["result"], data=r["data"] or "", endpos=endpos, text=line)


def check_line(line: str) -> str:
    """Refuse a command line carrying CR, LF or another control character."""
    if _CONTROL.search(line):
        raise AgiValueError(f"control character in AGI command refused: {line!r}")
    if len(line.encode()) > MAX_LINE:
        raise AgiValueError(f"AGI command longer than {MAX_LINE} bytes refused")
    return line


def quote(value: str) -> str:
    """One AGI argument: bare when safe, else double-quoted with `\\` and `"` escaped (res_agi parse_args)."""
    check_line(value)
    if value and re.fullmatch(r"[A-Za-z0-9_./:@+=,-]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("FastAGI: %s is not UTF-8, decoded with replacement: %r", what, raw[:200])
        return raw.decode("utf-8", errors="replace")


class AgiRequest(Request):
    """One FastAGI connection: send a command line, get an :class:`AgiReply` (see the fixes above)."""

    def __init__(self, app, headers, reader, writer, encoding="utf-8", timeout: float = 180.0):
        super().__init__(app, headers, reader, writer, encoding)
        self.timeout = timeout
        self.hungup = False
        self.closed = False

    @property
    def script(self) -> str:
        """The FastAGI script name without `?args`."""
        return self.headers.get("agi_network_script", "").split("?", 1)[0]

    async def send_command(self, command: str, timeout: float | None = None) -> AgiReply:  # type: ignore[override]
        """Write one command and read its reply; raise AgiClosed/AgiTimeout/AgiValueError."""
        check_line(command)
        if self.closed:
            raise AgiClosed("FastAGI socket already closed")
        try:
            self.writer.write((command + "\n").encode(self.encoding))
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            self.closed = True
            raise AgiClosed(f"cannot write {command.split(' ', 2)[:2]}: {exc}") from exc
        try:
            reply = await asyncio.wait_for(self._read_reply(), timeout or self.timeout)
        except asyncio.TimeoutError as exc:
            raise AgiTimeout(f"no reply to {command!r} within {timeout or self.timeout:.0f} s") from exc
        if reply.code == 0:
            log.warning("FastAGI %s: unexpected line from Asterisk for %r: %r",
                        self.headers.get("agi_channel", "?"), command, reply.text)
        return reply

    async def _read_line(self) -> str:
        try:
            raw = await self.reader.readline()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError) as exc:
            self.closed = True
            raise AgiClosed(f"read failed: {exc}") from exc
        if not raw:
            self.closed = True
            raise AgiClosed("Asterisk closed the FastAGI socket")
        return _decode(raw, "reply").rstrip("\r\n")

    async def _read_reply(self) -> AgiReply:
        while True:
            line = await self._read_line()
            if line == "HANGUP":
                self.hungup = True
                continue
            reply = parse_reply(line)
            if reply.code == 100:
                continue
            if reply.code == 520 and line.startswith("520-"):
                lines = [line]
                while not lines[-1].startswith("520 "):
                    lines.append(await self._read_line())
                reply = AgiReply(code=520, text="\n".join(lines))
            if reply.code == 511:
                self.hungup = True
            if self.hungup:
                reply = AgiReply(reply.code, reply.result, reply.data, reply.endpos, reply.text, hungup=True)
            return reply


class AgiApplication(Application):
    """panoramisk's FastAGI routing table with a bounded, EOF-safe environment read."""

    def __init__(self, env_timeout: float = 10.0, command_timeout: float = 180.0):
        super().__init__(default_encoding="utf-8", loop=asyncio.get_running_loop())
        self.env_timeout = env_timeout
        self.command_timeout = command_timeout
        self.connections: set[asyncio.Task] = set()

    async def read_env(self, reader: asyncio.StreamReader) -> OrderedDict[str, str] | None:
        """The `agi_*` lines up to the blank line; None (logged) when the client leaves or misbehaves."""
        headers: OrderedDict[str, str] = OrderedDict()
        for _ in range(MAX_ENV_LINES):
            raw = await reader.readline()
            if not raw:
                log.warning("FastAGI: connection closed before the end of the AGI environment (%d lines read)", len(headers))
                return None
            line = _decode(raw, "environment line").rstrip("\r\n")
            if line == "":
                return headers
            key, sep, value = line.partition(": ")
            if not sep and line.endswith(":"):
                key, sep, value = line[:-1], ":", ""
            if not sep or not key.startswith("agi_"):
                log.warning("FastAGI: ignoring a line that is not an agi_* variable: %r", line[:200])
                continue
            headers[key] = value
        log.warning("FastAGI: more than %d environment lines, closing", MAX_ENV_LINES)
        return None

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one FastAGI connection: read the environment, run the script's route, close."""
        self.connections.add(asyncio.current_task())
        peer = writer.get_extra_info("peername")
        try:
            try:
                headers = await asyncio.wait_for(self.read_env(reader), self.env_timeout)
            except (asyncio.TimeoutError, ConnectionError, ValueError) as exc:
                log.warning("FastAGI from %r: no complete environment (%s), closing", peer, exc or "timeout")
                return
            if headers is None:
                return
            request = AgiRequest(self, headers, reader, writer, timeout=self.command_timeout)
            route = self._route.get(request.script)
            if route is None:
                log.error("FastAGI from %r: no script %r (channel %s), closing so the dialplan continues",
                          peer, request.script, headers.get("agi_channel", "?"))
                return
            try:
                await route(request)
            except AgiError as exc:
                log.info("FastAGI %s %s ended: %s", request.script, headers.get("agi_channel", "?"), exc)
            except Exception:
                log.exception("FastAGI %s %s: script failed", request.script, headers.get("agi_channel", "?"))
        except asyncio.CancelledError:  # fix 13: the server is stopping; the connection task ends here
            log.info("FastAGI from %r ended by shutdown", peer)
        finally:
            self.connections.discard(asyncio.current_task())
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass
