"""AGI commands the IVR uses, as typed calls on one channel; every value is checked before it is sent."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from ivr.agi import AgiReply, AgiRequest, AgiValueError, quote

log = logging.getLogger(__name__)
KEYS = "0123456789*#"
QUICK = 10.0  # seconds for commands that play nothing (ANSWER, SET/GET VARIABLE, CHANNEL STATUS, VERBOSE)
MARGIN = 30.0  # seconds allowed beyond a prompt's known length before a reply counts as lost
_VAR = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}(\([A-Za-z0-9_]{1,40}\))?$")
_SOUND = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}$")


class CallerHungUp(Exception):
    """The caller is gone (HANGUP line, 511, or the socket closed)."""


@dataclass(frozen=True)
class Recorded:
    """Outcome of RECORD FILE: how it ended and how many samples were written."""

    ended_by: str
    endpos: int


def sound_name(name: str) -> str:
    """A sound file name as Asterisk takes it: no spaces, quotes, `..` or control characters."""
    if not _SOUND.match(name) or ".." in name:
        raise AgiValueError(f"unsafe sound file name refused: {name!r}")
    return name


def var_name(name: str) -> str:
    """A channel variable (or function) name safe on an AGI line."""
    if not _VAR.match(name):
        raise AgiValueError(f"unsafe channel variable name refused: {name!r}")
    return name


class AgiChannel:
    """The channel behind one FastAGI connection."""

    def __init__(self, request: AgiRequest, sounds: str = "hotline", durations: dict[str, float] | None = None):
        self.request = request
        self.sounds = sounds
        self.durations = durations or {}
        self.name = request.headers.get("agi_channel", "?")

    async def _send(self, line: str, timeout: float | None = None) -> AgiReply:
        reply = await self.request.send_command(line, timeout)
        if reply.dead:
            raise CallerHungUp(f"{self.name}: hung up ({reply.text or 'HANGUP'})")
        if reply.code in (510, 520):
            log.error("AGI %s refused %r: %s", self.name, line, reply.text.replace("\n", " | "))
        return reply

    async def _check_alive(self, after: str) -> None:
        """`result=-1` means hang-up or failure; one harmless command tells which (the HANGUP line comes first)."""
        reply = await self._send("CHANNEL STATUS", QUICK)
        if reply.number is not None and reply.number < 0:
            raise CallerHungUp(f"{self.name}: {after} then CHANNEL STATUS -1")
        log.warning("AGI %s: %s failed with result=-1 but the channel is still up (status %s): missing prompt?",
                    self.name, after, reply.result)

    def _media_timeout(self, prompt_id: str, waiting: float = 0.0) -> float | None:
        """A prompt's known length + waiting for keys + a margin; None (the connection default) when unknown."""
        length = self.durations.get(prompt_id)
        return None if length is None else length + waiting + MARGIN

    def prompt(self, prompt_id: str) -> str:
        """The sound file Asterisk plays for a prompt id (hotline/<id>)."""
        return sound_name(f"{self.sounds}/{prompt_id}")

    async def answer(self) -> None:
        """ANSWER the channel."""
        await self._send("ANSWER", QUICK)

    async def stream(self, prompt_id: str, escape: str = KEYS) -> str | None:
        """Play a prompt; the key that interrupted it, or None."""
        escape = "".join(k for k in escape if k in KEYS)
        reply = await self._send(f"STREAM FILE {self.prompt(prompt_id)} {quote(escape) if escape else chr(34) * 2}",
                                 self._media_timeout(prompt_id))
        return await self._key_from(reply, f"STREAM FILE {prompt_id}")

    async def say_digits(self, digits: str) -> str | None:
        """Read a number back; the key that interrupted it, or None."""
        if not digits.isdigit():
            raise AgiValueError(f"SAY DIGITS takes digits only: {digits!r}")
        reply = await self._send(f'SAY DIGITS {digits} ""')
        return await self._key_from(reply, "SAY DIGITS")

    async def _key_from(self, reply: AgiReply, what: str) -> str | None:
        n = reply.number
        if not reply.ok or n is None:
            log.warning("AGI %s: %s: unexpected reply %r, treated as no key", self.name, what, reply.text)
            return None
        if n < 0:
            await self._check_alive(what)
            return None
        if n == 0:
            return None
        key = chr(n) if n < 0x110000 else ""
        if key not in KEYS:
            log.warning("AGI %s: %s: key code %d is not a DTMF key, ignored", self.name, what, n)
            return None
        return key

    async def get_data(self, prompt_id: str, timeout_ms: int, max_digits: int) -> tuple[str, bool]:
        """Play a prompt and read keys: (digits, timed_out). `#` ends input and is never returned."""
        reply = await self._send(f"GET DATA {self.prompt(prompt_id)} {int(timeout_ms)} {int(max_digits)}",
                                 self._media_timeout(prompt_id, timeout_ms / 1000 * max(1, max_digits)))
        if not reply.ok:
            log.warning("AGI %s: GET DATA %s: unexpected reply %r, treated as no input", self.name, prompt_id, reply.text)
            return "", True
        if reply.result == "-1":
            await self._check_alive(f"GET DATA {prompt_id}")
            return "", True
        digits = reply.result
        if any(c not in KEYS for c in digits):
            log.warning("AGI %s: GET DATA %s: %r holds characters that are not DTMF keys, treated as invalid input",
                        self.name, prompt_id, digits[:64])
            return "?", False
        if len(digits) > max_digits:
            log.warning("AGI %s: GET DATA %s: %d keys for at most %d (DTMF flood), treated as invalid input",
                        self.name, prompt_id, len(digits), max_digits)
            return "?", False
        return digits, reply.data == "timeout"

    async def record(self, path: str, max_seconds: int, silence_seconds: int) -> Recorded:
        """RECORD FILE to `path` (no extension) as WAV after a beep; `#` stops it."""
        # Sent without the hang-up check: hanging up is the usual way to end a message, and it is kept.
        reply = await self.request.send_command(
            f'RECORD FILE {quote(path)} wav "#" {int(max_seconds) * 1000} BEEP s={int(silence_seconds)}',
            max_seconds + 60)
        if reply.data == "hangup" or reply.dead:
            return Recorded("hangup", reply.endpos or 0)
        ended = reply.data or ("error" if reply.result == "-1" or not reply.ok else "silence")
        return Recorded(ended, reply.endpos or 0)

    async def set_var(self, name: str, value: str) -> None:
        """SET VARIABLE, name and value checked and quoted."""
        await self._send(f"SET VARIABLE {var_name(name)} {quote(str(value))}", QUICK)

    async def get_var(self, name: str) -> str | None:
        """GET VARIABLE; None when unset."""
        reply = await self._send(f"GET VARIABLE {quote(var_name(name))}", QUICK)
        return reply.data if reply.ok and reply.result == "1" else None

    async def verbose(self, message: str, level: int = 1) -> None:
        """A line in the Asterisk verbose log."""
        await self._send(f'VERBOSE {quote(message) if message.strip() else chr(34) * 2} {int(level)}', QUICK)
