"""Supervisor listen/whisper/barge: Originate the supervisor phone into `chanspy` with SPY_TARGET."""
from __future__ import annotations

import json

import pytest

from pbxsim.dial import OriginateRequest, originate
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from tests.conftest import SHARED
from tests.pbxsim.helpers import add, call, make_sim, named

REFERENCE = json.loads((SHARED / "asterisk-reference" / "ami-events.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["listen", "whisper", "barge"])
async def test_supervisor_spies_until_the_seat_call_ends(mode):
    sim, seen = make_sim([QueueConfig("q")], {"seat1001": SeatScript(answer_after=1, talk_time=10),
                                              "sup9001": SeatScript(answer_after=1)})
    add(sim, "q", "seat1001")
    call(sim, "q")
    await sim.sched.advance(2)
    seat = next(c for c in sim.channels.values() if c.endpoint == "seat1001")
    originate(sim, OriginateRequest("spy", "PJSIP/sup9001", "chanspy", mode, 1, None, 20, {"SPY_TARGET": seat.name}))
    await sim.sched.advance(3)
    start = named(seen, "ChanSpyStart")
    assert len(start) == 1 and start[0]["SpyeeChannel"] == seat.name
    assert start[0]["SpyerChannel"].startswith("PJSIP/sup9001-")
    assert [k for k, _ in next(e for e in seen if e[0] == ("Event", "ChanSpyStart"))[2:]] == \
        REFERENCE["ChanSpyStart"]["documented_headers"]
    await sim.sched.advance(12)  # the seat hangs up: ChanSpy(…E) ends and the supervisor leg too
    assert len(named(seen, "ChanSpyStop")) == 1
    assert not [c for c in sim.channels.values() if c.endpoint == "sup9001"]


async def test_spying_on_nobody_just_ends():
    sim, seen = make_sim([], {"sup9001": SeatScript(answer_after=1)})
    originate(sim, OriginateRequest("spy", "PJSIP/sup9001", "chanspy", "listen", 1, None, 20,
                                    {"SPY_TARGET": "PJSIP/seat1001-00000009"}))
    await sim.sched.advance(3)
    assert named(seen, "ChanSpyStart") == [] and sim.channels == {}
