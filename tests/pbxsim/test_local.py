"""Originate Local/<number>@callback with an application, as the callback dialer's IVR-first mode does."""
from __future__ import annotations

import asyncio

from pbxsim.core import Endpoint, PbxConfig, Simulator
from pbxsim.dial import OriginateRequest, originate
from pbxsim.parties import SeatScript
from pbxsim.scheduler import Scheduler


async def _agi_server(seen: list[str]):
    async def handle(reader, writer):
        env = []
        while (line := (await reader.readline()).decode()) not in ("\n", ""):
            env.append(line)
        seen.extend(env)
        writer.write(b"ANSWER\n")
        seen.append((await reader.readline()).decode())
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_local_originate_rings_the_citizen_then_runs_the_application():
    seen: list[str] = []
    server, port = await _agi_server(seen)
    cfg = PbxConfig(fastagi_url=None, endpoints=[
        Endpoint("caller", registered=False, context="from-carrier", behaviour=SeatScript(answer_after=2))])
    sim = Simulator(cfg, Scheduler(start=1_800_000_000.0))
    events: list = []
    sim.listeners.append(events.append)
    originate(sim, OriginateRequest("cb-1", "Local/13800138000@callback", "", "", 1, ("12348", "12348回访"), 30,
                                    {"CALLBACK_TASK": "7"}, "AGI", f"agi://127.0.0.1:{port}/callback-ivr"))
    await sim.sched.advance(5)
    names = [dict(e).get("Channel", "") for e in events if e[0] == ("Event", "Newchannel")]
    assert names == ["Local/13800138000@callback-00000000;1", "Local/13800138000@callback-00000000;2",
                     "PJSIP/caller-00000000"]
    bridge = next(dict(e) for e in events if e[0] == ("Event", "LocalBridge"))
    assert (bridge["Context"], bridge["Exten"], bridge["LocalOneChannel"]) == (
        "callback", "13800138000", "Local/13800138000@callback-00000000;1")
    resp = next(dict(e) for e in events if e[0] == ("Event", "OriginateResponse"))
    assert (resp["ActionID"], resp["Response"], resp["Reason"], resp["Channel"]) == (
        "cb-1", "Success", "4", "Local/13800138000@callback-00000000;1")
    assert "agi_network_script: callback-ivr\n" in seen and "agi_channel: Local/13800138000@callback-00000000;1\n" in seen
    assert seen[-1] == "200 result=0\n"
    await sim.sched.advance(2)
    assert sim.channels == {}  # the AGI ended: ;1, ;2 and the citizen leg are gone
    causes = {dict(e)["Channel"]: dict(e)["Cause"] for e in events if e[0] == ("Event", "Hangup")}
    assert set(causes) == {"Local/13800138000@callback-00000000;1", "Local/13800138000@callback-00000000;2",
                           "PJSIP/caller-00000000"}
    server.close()


async def test_local_originate_without_context_fails_at_once():
    sim = Simulator(PbxConfig(fastagi_url=None), Scheduler(start=1_800_000_000.0))
    events: list = []
    sim.listeners.append(events.append)
    originate(sim, OriginateRequest("x", "Local/123", "", "", 1, None, 30, {}, "Playback", "beep"))
    await sim.sched.advance(1)
    resp = next(dict(e) for e in events if e[0] == ("Event", "OriginateResponse"))
    assert (resp["Response"], resp["Reason"]) == ("Failure", "0") and sim.channels == {}


async def test_a_phone_that_refuses_an_originate_reports_busy():
    cfg = PbxConfig(fastagi_url=None, endpoints=[Endpoint("seat1001", "1001", "坐席1001", behaviour=SeatScript(refuse=True))])
    sim = Simulator(cfg, Scheduler(start=1_800_000_000.0))
    events: list = []
    sim.listeners.append(events.append)
    originate(sim, OriginateRequest("o", "PJSIP/seat1001", "callback", "13800138000", 1, None, 30, {}))
    await sim.sched.advance(2)
    resp = next(dict(e) for e in events if e[0] == ("Event", "OriginateResponse"))
    hang = next(dict(e) for e in events if e[0] == ("Event", "Hangup"))
    assert (resp["Response"], resp["Reason"], hang["Cause"]) == ("Failure", "5", "17")
    assert sim.channels == {}
