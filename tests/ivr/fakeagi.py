"""An in-test Asterisk that speaks FastAGI as the traces show: it connects, sends the agi_* block and
answers each command line in res_agi's formats; a scripted caller presses keys or hangs up."""
from __future__ import annotations

import asyncio
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

DEAD_OK = ("SET VARIABLE", "GET VARIABLE", "GET FULL VARIABLE", "VERBOSE", "NOOP", "CHANNEL STATUS", "HANGUP")
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


def env_block(script: str = "ivr", caller: str = "13800138000", name: str = "张三", dnid: str = "12348",
              uniqueid: str = "1795901443.0", channel: str = "PJSIP/caller-00000000") -> list[str]:
    """The 22 agi_* lines of the traces, then the blank line."""
    env = [("network", "yes"), ("network_script", script), ("request", f"agi://127.0.0.1:4573/{script}"),
           ("channel", channel), ("language", "en"), ("type", "PJSIP"), ("uniqueid", uniqueid),
           ("version", "22.11.0-rc1"), ("callerid", caller), ("calleridname", name), ("callingpres", "0"),
           ("callingani2", "0"), ("callington", "0"), ("callingtns", "0"), ("dnid", dnid), ("rdnis", "unknown"),
           ("context", "from-carrier"), ("extension", dnid), ("priority", "2"), ("enhanced", "0.0"),
           ("accountcode", ""), ("threadid", "139793234708160")]
    return [f"agi_{k}: {v}\n" for k, v in env] + ["\n"]


def trace_connection(path: Path, conn: int = 1) -> tuple[list[str], list[str], list[str]]:
    """(environment lines, commands sent, reply lines) of one FastAGI connection of a trace file."""
    env, sent, replies = [], [], []
    in_env = True
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["conn"] != conn:
            continue
        if rec["dir"] == "to_asterisk":
            in_env = False
            sent.append(rec["data"].rstrip("\n"))
        elif in_env:
            env.append(rec["data"])
        else:
            replies.append(rec["data"].rstrip("\n"))
    return env, sent, replies


@dataclass
class Caller:
    """What the citizen does: keys for each GET DATA (None = silence), keys that interrupt prompts, a hang-up."""

    keys: list[str | None] = field(default_factory=list)
    interrupt: dict[str, str] = field(default_factory=dict)
    hangup_on: str | None = None  # hang up during the first command starting with this text
    variables: dict[str, str] = field(default_factory=dict)
    record_ends: str = "dtmf"


class FakeAsterisk:
    """Connects to a FastAGI server and plays one call; `sent` and `variables` tell what the server did."""

    def __init__(self, caller: Caller | None = None, env: list[str] | None = None, replies: list[str] | None = None):
        self.caller = caller or Caller()
        self.env = env or env_block()
        self.replies = list(replies or [])  # trace replies, used in order while they last
        self.sent: list[str] = []
        self.variables: dict[str, str] = dict(self.caller.variables)
        self.hungup = False
        self._hangup_told = False
        self.get_data_count = 0

    async def run(self, host: str, port: int, raw_after_env: list[bytes] | None = None, timeout: float = 10) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write("".join(self.env).encode())
        for raw in raw_after_env or []:
            writer.write(raw)
        await writer.drain()
        try:
            await asyncio.wait_for(self._loop(reader, writer), timeout)
        finally:
            writer.close()

    async def _loop(self, reader, writer) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            cmd = line.decode().rstrip("\n")
            assert "\r" not in cmd, f"CR on an AGI line: {cmd!r}"
            self.sent.append(cmd)
            for out in self.answer(cmd):
                writer.write((out + "\n").encode())
            await writer.drain()

    def answer(self, cmd: str) -> list[str]:
        """Reply lines for one command."""
        if self.replies:
            out = [self.replies.pop(0)]
            while out[-1] == "HANGUP" and self.replies:
                out.append(self.replies.pop(0))
            self._track_vars(cmd)
            return out
        if self.hungup:
            pre = [] if self._hangup_told else ["HANGUP"]
            self._hangup_told = True
            if not cmd.startswith(DEAD_OK):
                return pre + [DEAD]
            return pre + [self._reply(cmd)]
        if self.caller.hangup_on and cmd.startswith(self.caller.hangup_on):
            self.hungup = True
            if cmd.startswith("RECORD FILE"):
                return ["200 result=-1 (hangup) endpos=24000"]
            return ["200 result=-1 endpos=20000"]
        return [self._reply(cmd)]

    def _track_vars(self, cmd: str) -> None:
        if cmd.startswith("SET VARIABLE"):
            args = shlex.split(cmd)
            self.variables[args[2]] = args[3] if len(args) > 3 else ""

    def _reply(self, cmd: str) -> str:
        args = shlex.split(cmd)
        verb = " ".join(args[:2]).upper()
        if args[0] == "ANSWER":
            return "200 result=0"
        if verb == "STREAM FILE":
            key = self.caller.interrupt.get(args[2].split("/")[-1])
            return f"200 result={ord(key)} endpos=4000" if key else "200 result=0 endpos=47923"
        if verb == "GET DATA":
            self.get_data_count += 1
            keys = self.caller.keys.pop(0) if self.caller.keys else None
            return "200 result= (timeout)" if keys is None else f"200 result={keys}"
        if verb == "SAY DIGITS":
            return "200 result=0"
        if verb == "SET VARIABLE":
            self._track_vars(cmd)
            return "200 result=1"
        if verb == "GET VARIABLE":
            value = self.variables.get(args[2])
            return f"200 result=1 ({value})" if value is not None else "200 result=0"
        if verb == "RECORD FILE":
            return "200 result=35 (dtmf) endpos=40000" if self.caller.record_ends == "dtmf" else "200 result=0 (timeout) endpos=80000"
        if verb == "CHANNEL STATUS":
            return "200 result=6"
        if args[0] == "VERBOSE":
            return "200 result=1"
        return "510 Invalid or unknown command"
