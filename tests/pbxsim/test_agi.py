"""FastAGI client side as res_agi.c: environment, replies, usage/unknown/dead-channel errors."""
from __future__ import annotations

import asyncio

from pbxsim import calls
from pbxsim.core import Endpoint, PbxConfig, Simulator
from pbxsim.parties import CallerScript, place_call
from pbxsim.scheduler import Scheduler


class ScriptedAgi:
    """A FastAGI server sending fixed commands and keeping every line it receives."""

    def __init__(self, commands: list[str]) -> None:
        self.commands, self.env, self.replies = commands, [], []

    async def handle(self, reader, writer) -> None:
        env = []
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            env.append(line)
        if "agi_network_script: ivr\n" not in env:  # after-queue: nothing to do
            writer.close()
            return
        self.env = env
        for cmd in self.commands:
            writer.write((cmd + "\n").encode())
            lines = [(await reader.readline()).decode()]
            while lines[-1] == "HANGUP\n" or lines[-1].startswith("520-") or (
                    lines[0].startswith("520-") and not lines[-1].startswith("520 ")):
                lines.append((await reader.readline()).decode())
            self.replies.append("".join(lines))
        writer.close()


async def run(commands: list[str], script: CallerScript, seconds: float = 30) -> tuple[ScriptedAgi, Simulator]:
    agi = ScriptedAgi(commands)
    server = await asyncio.start_server(agi.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cfg = PbxConfig(fastagi_url=f"agi://127.0.0.1:{port}", endpoints=[Endpoint("caller", registered=False)],
                    prompt_seconds={"hotline/welcome": 5.0, "hotline/menu": 2.0})
    sim = Simulator(cfg, Scheduler(start=1_800_000_000.0))
    place_call(sim, script)
    await sim.sched.advance(seconds)
    server.close()
    return agi, sim


async def test_environment_is_22_agi_lines_then_blank():
    agi, _ = await run(["NOOP"], CallerScript("13800138000", "张三"))
    keys = [line.split(":")[0] for line in agi.env]
    assert len(keys) == 22 and keys[0] == "agi_network" and keys[-1] == "agi_threadid"
    assert "agi_calleridname: 张三\n" in agi.env and "agi_network_script: ivr\n" in agi.env
    # the rendered dialplan: from-carrier hands over to hotline-inbound, whose 4th priority runs the IVR
    assert "agi_priority: 4\n" in agi.env and "agi_dnid: 12348\n" in agi.env
    assert "agi_context: hotline-inbound\n" in agi.env and "agi_language: zh\n" in agi.env


async def test_unknown_command_and_bad_usage():
    agi, _ = await run(["FROBNICATE now", "STREAM FILE hotline/welcome", "STREAM FILE hotline/nope \"\""],
                       CallerScript("13800138000"))
    assert agi.replies[0] == "510 Invalid or unknown command\n"
    assert agi.replies[1].startswith("520-Invalid command syntax.  Proper usage follows:\n")
    assert agi.replies[1].endswith("520 End of proper usage.\n")
    assert agi.replies[2] == "200 result=-1 endpos=0\n"


async def test_escape_digit_stops_playback_at_the_frame_reached():
    agi, _ = await run(['STREAM FILE hotline/welcome "0123456789*#"'], CallerScript("13800138000", dtmf=[(2.0, "5")]))
    assert agi.replies == ["200 result=53 endpos=16000\n"]


async def test_get_data_collects_digits_and_reports_timeout():
    agi, _ = await run(["GET DATA hotline/menu 3000 4", "GET DATA hotline/menu 3000 1"],
                       CallerScript("13800138000", dtmf=[(2.5, "1"), (3.0, "2")]))
    assert agi.replies == ["200 result=12 (timeout)\n", "200 result= (timeout)\n"]


async def test_dead_channel_gets_hangup_then_511_but_variables_still_work():
    agi, sim = await run(['STREAM FILE hotline/welcome ""', "GET DATA hotline/menu 5000 1",
                          "SET VARIABLE HOTLINE_SKILL consult", 'VERBOSE "x" 1', "GET VARIABLE HOTLINE_SKILL"],
                         CallerScript("13800138000", hangup_after=2.5))
    assert agi.replies == ["200 result=-1 endpos=20000\n",
                           "HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n",
                           "200 result=1\n", "200 result=1\n", "200 result=1 (consult)\n"]
    assert sim.channels == {}


async def test_set_priority_and_variables_steer_the_dialplan():
    agi, sim = await run(["SET VARIABLE HOTLINE_QUEUE q-none", "SET PRIORITY 5"], CallerScript("13800138000"))
    assert agi.replies == ["200 result=1\n", "200 result=0\n"]
    assert sim.channels == {}  # priority 5 is Hangup(): the call ended without queueing


async def test_wait_for_digit_returns_ascii_code():
    agi, _ = await run(["WAIT FOR DIGIT 5000", "WAIT FOR DIGIT 1000"], CallerScript("13800138000", dtmf=[(1.0, "#")]))
    assert agi.replies == ["200 result=35\n", "200 result=0\n"]


def test_dtmf_on_a_gone_channel_is_ignored():
    sim = Simulator(PbxConfig(fastagi_url=None), Scheduler(start=1_800_000_000.0))
    chan = type("C", (), {"hungup": True})()
    calls.dtmf(sim, chan, "1")  # no error, no event
    assert sim.event_count == 0
