"""The answers of the channel actions to a missing or unknown Channel, in manager.c's words per action,
and the bare Success of MixMonitor/StopMixMonitor with the ActionID echoed."""
from __future__ import annotations

import pytest

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from tests.pbxsim.helpers import add, call, make_sim
from tests.pbxsim.test_ami_actions import Client

GONE = "PJSIP/gone-00000009"


@pytest.fixture
async def env():
    sim, _ = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)})
    server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.05)
    port = await server.start()
    yield sim, port
    await server.stop()


@pytest.mark.parametrize("action, headers, message", [
    ("MixMonitor", {"File": "x.wav"}, "No channel specified"),
    ("MixMonitor", {"Channel": GONE, "File": "x.wav"}, "No such channel"),
    ("StopMixMonitor", {}, "No such channel"),
    ("StopMixMonitor", {"Channel": GONE}, "No such channel"),
    ("BlindTransfer", {"Exten": "1001"}, "No channel specified"),
    ("BlindTransfer", {"Channel": GONE, "Exten": "1001"}, "No such channel"),
    ("BlindTransfer", {"Channel": GONE}, "No such channel"),
    ("CancelAtxfer", {}, "No channel specified"),
    ("CancelAtxfer", {"Channel": GONE}, "Channel specified does not exist"),
    ("Atxfer", {"Channel": GONE}, "No extension specified"),
    ("Setvar", {"Value": "1"}, "No variable specified"),
    ("Setvar", {"Channel": GONE, "Variable": "X", "Value": "1"}, "No such channel"),
    ("Getvar", {"Channel": GONE}, "No variable specified"),
])
async def test_missing_or_unknown_channel(env, action, headers, message):
    _, port = env
    c = await Client.open(port, events="off")
    got = await c.action(action, **headers)
    assert (got["Response"], got["Message"], got["ActionID"]) == ("Error", message, "a1")


async def test_checks_that_come_after_the_channel(env):
    sim, port = env
    c = await Client.open(port, events="off")
    add(sim, "q", "seat1")
    chan = call(sim, "q")
    await sim.sched.advance(0.5)
    assert (await c.action("MixMonitor", Channel=chan.name))["Message"] == "No file specified"
    assert (await c.action("StopMixMonitor", Channel=chan.name))["Message"] == "Could not stop MixMonitor"
    assert (await c.action("BlindTransfer", Channel=chan.name))["Message"] == "No extension specified"
    assert (await c.action("BlindTransfer", Channel=chan.name, Exten="1001"))["Message"] == "Transfer failed"


async def test_mixmonitor_start_and_stop_answer_a_bare_success(env, tmp_path):
    sim, port = env
    c = await Client.open(port, events="off")
    add(sim, "q", "seat1")
    chan = call(sim, "q")
    await sim.sched.advance(0.5)
    started = await c.action("MixMonitor", Channel=chan.name, File=str(tmp_path / "a.wav"))
    assert started == {"Response": "Success", "ActionID": "a1"}
    stopped = await c.action("StopMixMonitor", Channel=chan.name)
    assert stopped == {"Response": "Success", "ActionID": "a1"}


async def test_global_variables_without_a_channel(env):
    _, port = env
    c = await Client.open(port, events="off")
    assert (await c.action("Setvar", Variable="G", Value="7"))["Message"] == "Variable Set"
    got = await c.action("Getvar", Variable="G")
    assert (got["Variable"], got["Value"]) == ("G", "7")
    got = await c.action("Getvar", Variable="UNSET")
    assert (got["Variable"], got["Value"]) == ("UNSET", "")
