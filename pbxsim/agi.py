"""FastAGI client side: connect to the AGI server as res_agi.c does and answer its commands.

Commands are answered from simulated time: STREAM FILE plays for the prompt's duration,
GET DATA collects the scripted caller's digits. Replies and their formats follow
res/res_agi.c (handle_answer, handle_streamfile, handle_getdata, handle_setvariable,
handle_getvariable, handle_verbose, agi_handle_command: 510/511/520).
"""
from __future__ import annotations

import asyncio
import logging
import math
import shlex
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from . import agi_media
from .model import UP, Channel
from .wire import WireError, check_value

if TYPE_CHECKING:
    from .core import Simulator

log = logging.getLogger(__name__)

RATE = 8000
FRAME = 160  # samples per 20 ms frame: playback position advances frame by frame
# res_agi.c commands[]: the last field says whether the command may run on a dead channel
DEAD_OK = {"ANSWER": False, "CHANNEL STATUS": False, "DATABASE GET": True, "DATABASE PUT": True,
           "DATABASE DEL": True, "EXEC": True, "GET DATA": False, "GET FULL VARIABLE": True,
           "GET VARIABLE": True, "HANGUP": False, "NOOP": True, "SET CONTEXT": False,
           "SET EXTENSION": False, "SET PRIORITY": False, "SET VARIABLE": True, "STREAM FILE": False,
           "VERBOSE": True, "WAIT FOR DIGIT": False, "RECORD FILE": False, "SAY DIGITS": False}
# usage lines sent with 520 (res_agi.c agi_handle_command, RESULT_SHOWUSAGE)
USAGE = {
    "STREAM FILE": " Usage: STREAM FILE <filename> <escape digits> [sample offset]",
    "GET DATA": " Usage: GET DATA <file to be streamed> [timeout] [max digits]",
    "SET VARIABLE": " Usage: SET VARIABLE <variablename> <value>",
    "GET VARIABLE": " Usage: GET VARIABLE <variablename>",
    "GET FULL VARIABLE": " Usage: GET FULL VARIABLE <variablename> [<channel name>]",
    "WAIT FOR DIGIT": " Usage: WAIT FOR DIGIT <timeout>",
    "SET CONTEXT": " Usage: SET CONTEXT <desired context>",
    "SET EXTENSION": " Usage: SET EXTENSION <new extension>",
    "SET PRIORITY": " Usage: SET PRIORITY <priority>",
    "EXEC": " Usage: EXEC <application> <options>",
    "RECORD FILE": " Usage: RECORD FILE <filename> <format> <escape_digits> <timeout> [offset_samples] [beep]"
                   " [s=silence]",
    "SAY DIGITS": " Usage: SAY DIGITS <number> <escape_digits>",
}
DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"
INVALID = "510 Invalid or unknown command\n"
USAGE_ERROR = "usage"


def env_lines(sim: "Simulator", chan: Channel, url: str, args: list[str]) -> list[str]:
    """The agi_* environment block (res_agi.c setup_env), blank line included."""
    script = urlparse(url).path.lstrip("/")
    env = [
        ("network", "yes"), ("network_script", script), ("request", url), ("channel", chan.name),
        ("language", chan.language), ("type", chan.tech), ("uniqueid", chan.uniqueid),
        ("version", sim.config.version), ("callerid", chan.cid_num or "unknown"),
        ("calleridname", chan.cid_name or "unknown"), ("callingpres", "0"), ("callingani2", "0"),
        ("callington", "0"), ("callingtns", "0"), ("dnid", chan.dnid or "unknown"), ("rdnis", "unknown"),
        ("context", chan.context), ("extension", chan.exten), ("priority", str(chan.priority)),
        ("enhanced", "0.0"), ("accountcode", chan.accountcode), ("threadid", str(140000000000000 + id(chan) % 10**12)),
    ]
    env += [(f"arg_{i}", a) for i, a in enumerate(args, 1)]
    return [f"agi_{k}: {v}\n" for k, v in env] + ["\n"]


class AgiSession:
    """One FastAGI connection for one AGI() application run."""

    def __init__(self, sim: "Simulator", chan: Channel, url: str, args: list[str]) -> None:
        self.sim, self.chan, self.url, self.args = sim, chan, url, args
        self.hangup_sent = False

    async def run(self) -> str:
        """Run the session; returns AGISTATUS (SUCCESS, FAILURE, HANGUP)."""
        parsed = urlparse(self.url)
        try:
            async with self.sim.sched.io():
                reader, writer = await asyncio.open_connection(parsed.hostname or "127.0.0.1", parsed.port or 4573)
        except OSError as exc:
            log.warning("FastAGI %s unreachable: %s", self.url, exc)
            return "FAILURE"
        try:
            writer.write("".join(env_lines(self.sim, self.chan, self.url, self.args)).encode())
            while True:
                async with self.sim.sched.io():
                    raw = await reader.readline()
                if not raw:
                    break
                was_dead = self.dead
                reply = await self.handle(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
                if was_dead and not self.hangup_sent:
                    # res_agi.c run_agi: the hang-up is announced once, before the next reply
                    self.hangup_sent = True
                    writer.write(b"HANGUP\n")
                writer.write(reply.encode("utf-8"))
                async with self.sim.sched.io():
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
        return "HANGUP" if self.dead else "SUCCESS"

    @property
    def dead(self) -> bool:
        """The channel was hung up (softhangup pending) or is gone."""
        return self.chan.hungup or self.chan.variables.get("__SOFTHANGUP") == "1"

    async def handle(self, line: str) -> str:
        """Execute one AGI command line and return its reply line(s)."""
        try:
            argv = shlex.split(line)
        except ValueError:
            argv = line.split()
        if not argv:
            return INVALID
        name, rest = _match(argv)
        if name is None:
            return INVALID
        if self.dead and not DEAD_OK.get(name, False):
            return DEAD
        reply = await _HANDLERS[name](self, rest)
        if reply is USAGE_ERROR:
            return f"520-Invalid command syntax.  Proper usage follows:\n{USAGE.get(name, '')}\n520 End of proper usage.\n"
        return reply

    # -- media ------------------------------------------------------------------------
    def prompt_samples(self, name: str) -> int | None:
        """Length of a prompt in samples (None if the sound file does not exist)."""
        secs = self.sim.config.prompt_seconds.get(name)
        return None if secs is None else int(round(secs * RATE))

    async def play(self, samples: int, escape: str, collect: bool = True) -> tuple[str | None, int]:
        """Play for `samples`; stop early on an escape digit or a hang-up."""
        collector = DigitWaiter(self.sim, self.chan, escape, collect)
        start = self.sim.now
        result = await collector.wait(samples / RATE)
        elapsed = self.sim.now - start
        pos = min(samples, int(math.floor(elapsed * RATE / FRAME)) * FRAME) if result is not True else samples
        return (None if result is True else result), pos


class DigitWaiter:
    """Waits for one DTMF digit among `accept` or a timeout, in simulated time."""

    def __init__(self, sim: "Simulator", chan: Channel, accept: str, collect: bool = True) -> None:
        self.sim, self.chan, self.accept, self.collect = sim, chan, accept, collect

    async def wait(self, seconds: float) -> str | bool | None:
        """A digit, True on timeout, None on hang-up."""
        if self.sim.channels.get(self.chan.name) is None or self.chan.variables.get("__SOFTHANGUP") == "1":
            return None
        fut = asyncio.get_running_loop().create_future()
        timer = self.sim.sched.call_later(seconds, _set, fut, True)
        waiters = self.chan.__dict__.setdefault("_dtmf_waiters", [])
        entry = (self.accept, fut)
        waiters.append(entry)
        party = self.chan.party
        if self.collect and party is not None and hasattr(party, "on_collect"):
            party.on_collect(self.sim, self.chan)
        try:
            return await fut
        finally:
            timer.cancel()
            if entry in waiters:
                waiters.remove(entry)


def deliver_digit(chan: Channel, digit: str) -> None:
    """A DTMF digit arrived on the channel: wake whoever collects it."""
    for accept, fut in list(chan.__dict__.get("_dtmf_waiters", [])):
        if digit in accept and not fut.done():
            fut.set_result(digit)
            return


def deliver_hangup(chan: Channel) -> None:
    """The far end hung up: every collector returns None."""
    for _, fut in list(chan.__dict__.get("_dtmf_waiters", [])):
        if not fut.done():
            fut.set_result(None)


def _set(fut: asyncio.Future, value: object) -> None:
    if not fut.done():
        fut.set_result(value)


def _match(argv: list[str]) -> tuple[str | None, list[str]]:
    upper = [a.upper() for a in argv]
    for n in (3, 2, 1):
        key = " ".join(upper[:n])
        if key in _HANDLERS:
            return key, argv[n:]
    return None, argv


async def _answer(s: AgiSession, argv: list[str]) -> str:
    if s.chan.state != UP:
        s.sim.set_state(s.chan, UP)
    return "200 result=0\n"


async def _stream_file(s: AgiSession, argv: list[str]) -> str:
    if len(argv) not in (2, 3) or len(argv) == 3 and not argv[2].isdigit():
        return USAGE_ERROR
    samples = s.prompt_samples(argv[0])
    if samples is None:
        log.warning("pbxsim: no prompt %s (STREAM FILE)", argv[0])
        return "200 result=-1 endpos=0\n"
    digit, pos = await s.play(samples, argv[1])
    if digit is None and s.dead:
        return f"200 result=-1 endpos={pos}\n"
    return f"200 result={ord(digit) if digit else 0} endpos={pos}\n"


async def _get_data(s: AgiSession, argv: list[str]) -> str:
    if not argv:
        return USAGE_ERROR
    timeout = int(argv[1]) / 1000 if len(argv) > 1 and argv[1].isdigit() and int(argv[1]) > 0 else 6.0
    maxdigits = int(argv[2]) if len(argv) > 2 and argv[2].isdigit() else 1024
    samples = s.prompt_samples(argv[0]) or 0
    digits = ""
    if samples:
        got, _ = await s.play(samples, "0123456789*#")
        if got is None and s.dead:
            return "200 result=-1\n"
        if got:
            digits = got
    while len(digits) < maxdigits and not digits.endswith("#"):
        got = await DigitWaiter(s.sim, s.chan, "0123456789*#").wait(timeout)
        if got is None:
            return "200 result=-1\n"
        if got is True:
            return f"200 result={digits} (timeout)\n"
        digits += got
    return f"200 result={digits.rstrip('#')}\n"


async def _set_variable(s: AgiSession, argv: list[str]) -> str:
    if len(argv) < 2:
        return USAGE_ERROR
    try:
        s.chan.variables[check_value(argv[0])] = check_value(argv[1])
    except WireError:
        return USAGE_ERROR
    return "200 result=1\n"


async def _get_variable(s: AgiSession, argv: list[str]) -> str:
    if not argv:
        return USAGE_ERROR
    value = s.chan.variables.get(argv[0])
    return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"


async def _verbose(s: AgiSession, argv: list[str]) -> str:
    return "200 result=1\n"


async def _noop(s: AgiSession, argv: list[str]) -> str:
    return "200 result=0\n"


async def _hangup(s: AgiSession, argv: list[str]) -> str:
    s.chan.variables["__SOFTHANGUP"] = "1"
    return "200 result=1\n"


async def _channel_status(s: AgiSession, argv: list[str]) -> str:
    return f"200 result={s.chan.state}\n" if not s.dead else "200 result=-1\n"


async def _wait_for_digit(s: AgiSession, argv: list[str]) -> str:
    ms = int(argv[0]) if argv and argv[0].lstrip("-").isdigit() else -1
    got = await DigitWaiter(s.sim, s.chan, "0123456789*#").wait(ms / 1000 if ms >= 0 else 86400)
    if got is None:
        return "200 result=-1\n"
    return "200 result=0\n" if got is True else f"200 result={ord(got)}\n"


async def _set_context(s: AgiSession, argv: list[str]) -> str:
    if len(argv) != 1:
        return USAGE_ERROR
    s.chan.context = argv[0]
    return "200 result=0\n"


async def _set_extension(s: AgiSession, argv: list[str]) -> str:
    if len(argv) != 1:
        return USAGE_ERROR
    s.chan.exten = argv[0]
    return "200 result=0\n"


async def _set_priority(s: AgiSession, argv: list[str]) -> str:
    if len(argv) != 1 or not argv[0].isdigit():
        return USAGE_ERROR
    s.chan.priority = int(argv[0]) - 1  # ast_explicit_goto in the AGI autoloop: the PBX adds one
    return "200 result=0\n"


async def _exec(s: AgiSession, argv: list[str]) -> str:
    from .dialplan import APPS

    if not argv:
        return USAGE_ERROR
    app = next((name for name in APPS if name.lower() == argv[0].lower()), None)
    if app is None or app in ("AGI", "Queue", "Dial"):
        log.warning("pbxsim: EXEC %s is not simulated", argv[0])
        return "200 result=-2\n"  # res_agi.c handle_exec: application not found
    before = s.chan.application
    s.chan.application = app
    await APPS[app](s.sim, s.chan, " ".join(argv[1:]).replace("|", ","))
    s.chan.application = before
    return "200 result=0\n"


_HANDLERS = {
    "SET CONTEXT": _set_context, "SET EXTENSION": _set_extension, "SET PRIORITY": _set_priority,
    "EXEC": _exec,
    "ANSWER": _answer, "STREAM FILE": _stream_file, "GET DATA": _get_data, "SET VARIABLE": _set_variable,
    "GET VARIABLE": _get_variable, "GET FULL VARIABLE": _get_variable, "VERBOSE": _verbose, "NOOP": _noop,
    "HANGUP": _hangup, "CHANNEL STATUS": _channel_status, "WAIT FOR DIGIT": _wait_for_digit,
    "RECORD FILE": agi_media.record_file, "SAY DIGITS": agi_media.say_digits,
}
