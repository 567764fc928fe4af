"""Attended transfer started with AMI Atxfer, as bridge_basic.c runs it for a seat with transfer rights."""
from __future__ import annotations

import pytest

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from tests.pbxsim.helpers import add, call, make_sim, named
from tests.pbxsim.test_ami_actions import Client


@pytest.fixture
async def env():
    sim, seen = make_sim([QueueConfig("q")], {"seat1001": SeatScript(answer_after=1), "seat1002": SeatScript(answer_after=2),
                                              "seat1003": SeatScript(answer_after=None)})
    server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.05)
    port = await server.start()
    add(sim, "q", "seat1001")
    yield sim, seen, await Client.open(port, events="off")
    await server.stop()


async def _connected(sim):
    caller = call(sim, "q", variables={"HOTLINE_ACTION": "queue"})
    await sim.sched.advance(2)
    seat = sim.peer(caller)
    assert seat is not None and seat.endpoint == "seat1001"
    return caller, seat


async def test_consult_then_hang_up_hands_the_caller_to_the_target(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    msg = await c.action("Atxfer", Channel=seat.name, Exten="1002", Context="seat-transfer")
    assert msg["Message"] == "Atxfer successfully queued"
    await sim.sched.advance(0.5)
    assert [e["Channel"] for e in named(seen, "MusicOnHoldStart")] == [caller.name] and seat.bridge is None
    await sim.sched.advance(4)  # pbx-transfer prompt, then seat1002 rings and answers after 2 s
    target = next(ch for ch in sim.channels.values() if ch.endpoint == "seat1002")
    one = next(ch for ch in sim.channels.values() if ch.name.startswith("Local/1002@seat-transfer-") and ch.name.endswith(";1"))
    assert seat.bridge is one.bridge is not None and target.bridge is not None  # consulting
    assert (await c.action("Hangup", Channel=seat.name))["Response"] == "Success"
    await sim.sched.advance(0.5)
    xfer = named(seen, "AttendedTransfer")
    assert len(xfer) == 1
    x = xfer[0]
    assert (x["Result"], x["OrigTransfererChannel"], x["SecondTransfererChannel"]) == ("Success", seat.name, seat.name)
    assert (x["TransfereeChannel"], x["TransferTargetChannel"], x["IsExternal"]) == (caller.name, one.name, "No")
    assert x["DestType"] == "Bridge" and x["DestBridgeUniqueid"] == x["OrigBridgeUniqueid"] == caller.bridge.uniqueid
    keys = [k for k, _ in next(e for e in seen if e[0] == ("Event", "AttendedTransfer"))]
    assert keys.index("OrigBridgeUniqueid") < keys.index("SecondTransfererChannel") < keys.index("TransfereeChannel") \
        < keys.index("TransferTargetChannel") < keys.index("IsExternal") < keys.index("DestType")
    assert [e["Reason"] for e in named(seen, "AgentComplete")] == ["transfer"]
    assert [e["Channel"] for e in named(seen, "MusicOnHoldStop")] == [caller.name]
    assert seat.hungup and sim.peer(caller) is one and not caller.hungup and not target.hungup
    # the caller and the target talk until one hangs up; then everything clears
    from pbxsim import calls

    calls.remote_hangup(sim, target)
    await sim.sched.advance(1)
    assert caller.hungup and one.hungup and not [ch for ch in sim.channels if ch.startswith("Local/")]


async def test_target_not_answering_gives_the_caller_back(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    await c.action("Atxfer", Channel=seat.name, Exten="1003", Context="seat-transfer")
    await sim.sched.advance(30)  # seat1003 never answers: Dial (20 s) and atxfernoanswertimeout (15 s)
    assert not named(seen, "AttendedTransfer") and not named(seen, "AgentComplete")
    assert sim.peer(caller) is seat and [e["Channel"] for e in named(seen, "MusicOnHoldStop")] == [caller.name]


async def test_without_transfer_rights_atxfer_does_nothing(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    caller.app_data = "q,c,,,60"  # a queue call placed without option t
    assert (await c.action("Atxfer", Channel=seat.name, Exten="1002", Context="seat-transfer"))["Response"] == "Success"
    await sim.sched.advance(5)
    assert sim.peer(caller) is seat and not named(seen, "MusicOnHoldStart")
    assert not [e for e in named(seen, "DialBegin") if e["DestChannel"].startswith("Local/")]


async def test_caller_hanging_up_during_consultation_ends_it(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    await c.action("Atxfer", Channel=seat.name, Exten="1002", Context="seat-transfer")
    await sim.sched.advance(4)
    from pbxsim import calls

    calls.remote_hangup(sim, caller)
    await sim.sched.advance(1)
    assert caller.hungup and not named(seen, "AttendedTransfer")
    assert not [ch for ch in sim.channels if ch.startswith("Local/")]


async def test_cancel_atxfer_drops_the_target_and_returns_the_caller(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    await c.action("Atxfer", Channel=seat.name, Exten="1002", Context="seat-transfer")
    await sim.sched.advance(4)
    assert seat.bridge is not None and sim.peer(seat).name.startswith("Local/")
    msg = await c.action("CancelAtxfer", Channel=seat.name)
    assert (msg["Response"], msg["Message"]) == ("Success", "CancelAtxfer successfully queued")
    await sim.sched.advance(1)
    assert sim.peer(caller) is seat and not [ch for ch in sim.channels if ch.startswith("Local/")]
    assert not any(ch.endpoint == "seat1002" for ch in sim.channels.values())
    assert [e["Channel"] for e in named(seen, "MusicOnHoldStop")] == [caller.name] and not named(seen, "AttendedTransfer")


async def test_atxfer_errors_are_manager_c_messages(env):
    _, _, c = env
    assert (await c.action("Atxfer", Channel="PJSIP/x-1", Exten="1"))["Message"] == "Channel specified does not exist"
    assert (await c.action("Atxfer", Exten="1"))["Message"] == "No channel specified"
    assert (await c.action("CancelAtxfer", Channel="PJSIP/x-1"))["Message"] == "Channel specified does not exist"


async def test_cancel_while_the_target_rings_stops_the_ringing(env):
    sim, seen, c = env
    caller, seat = await _connected(sim)
    await c.action("Atxfer", Channel=seat.name, Exten="1003", Context="seat-transfer")
    await sim.sched.advance(3)
    assert any(ch.endpoint == "seat1003" for ch in sim.channels.values())
    await c.action("CancelAtxfer", Channel=seat.name)
    await sim.sched.advance(0.5)
    assert not any(ch.endpoint == "seat1003" or ch.name.startswith("Local/") for ch in sim.channels.values())
    assert sim.peer(caller) is seat
