"""PJSIPNotify over AMI: res_pjsip_notify's answers, and a seat phone holding/resuming on remote control."""
from __future__ import annotations

import pytest

from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.notify import endpoint_name, notify_headers
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from tests.pbxsim.helpers import add, call, make_sim, named
from tests.pbxsim.test_ami_actions import Client


@pytest.fixture
async def env():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1),
                                              "seat2": SeatScript(answer_after=1, remote_hold=False)})
    server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.05)
    port = await server.start()
    yield sim, seen, port
    await server.stop()


def test_variables_become_sip_headers_and_prefixes_are_stripped():
    assert notify_headers(["Event=hold", "X-A=1&X-B=2"]) == [("Event", "hold"), ("X-A", "1"), ("X-B", "2")]
    assert endpoint_name("PJSIP/seat1001") == "seat1001" and endpoint_name("sip/pjsip/x") == "x"


@pytest.mark.parametrize(("headers", "message"), [
    ({"Endpoint": "seat1"}, "PJSIPNotify requires either an Option or Variable(s).You must use only one of them."),
    ({"Endpoint": "seat1", "Option": "x", "Variable": "Event=hold"},
     "PJSIPNotify requires either an Option or Variable(s).You must use only one of them."),
    ({"Endpoint": "seat1", "URI": "sip:a@b", "Variable": "Event=hold"},
     "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.  You must use only one of them."),
    ({"Variable": "Event=hold"}, "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel."),
    ({"Endpoint": "nobody", "Variable": "Event=hold"}, "Unable to retrieve endpoint nobody"),
    ({"Channel": "PJSIP/seat1-ffffffff", "Variable": "Event=hold"}, "Channel not found"),
])
async def test_bad_notify_requests_get_res_pjsip_notify_errors(env, headers, message):
    _, _, port = env
    msg = await (await Client.open(port, events="off")).action("PJSIPNotify", **headers)
    assert (msg["Response"], msg["Message"]) == ("Error", message)


async def test_remote_hold_then_talk_holds_and_resumes_the_caller(env):
    sim, seen, port = env
    c = await Client.open(port, events="off")
    add(sim, "q", "seat1")
    caller = call(sim, "q")
    await sim.sched.advance(3)
    seat = sim.peer(caller)
    assert seat is not None
    msg = await c.action("PJSIPNotify", Endpoint="PJSIP/seat1", Variable="Event=hold")
    assert (msg["Response"], msg["Message"]) == ("Success", "NOTIFY sent")
    await sim.sched.advance(1)
    hold, moh = named(seen, "Hold"), named(seen, "MusicOnHoldStart")
    assert [(e["Channel"], e["MusicClass"]) for e in hold] == [(seat.name, "default")]
    assert [(e["Channel"], e["Class"]) for e in moh] == [(caller.name, "default")]
    await c.action("PJSIPNotify", Endpoint="seat1", Variable="Event=hold")  # already held: nothing new
    await sim.sched.advance(1)
    assert len(named(seen, "Hold")) == 1
    await c.action("PJSIPNotify", Channel=seat.name, Variable="Event=talk")
    await sim.sched.advance(1)
    assert [e["Channel"] for e in named(seen, "Unhold")] == [seat.name]
    assert [e["Channel"] for e in named(seen, "MusicOnHoldStop")] == [caller.name]
    assert caller.bridge is seat.bridge is not None


async def test_a_phone_without_remote_control_ignores_the_notify(env):
    sim, seen, port = env
    c = await Client.open(port, events="off")
    add(sim, "q", "seat2")
    caller = call(sim, "q")
    await sim.sched.advance(3)
    assert caller.bridge is not None
    assert (await c.action("PJSIPNotify", Endpoint="seat2", Variable="Event=hold"))["Message"] == "NOTIFY sent"
    await sim.sched.advance(1)
    assert not named(seen, "Hold") and not named(seen, "MusicOnHoldStart")
