"""The rendered 12348 dialplan as pbxsim runs it: HOTLINE_ACTION branching, expressions, 首问负责制."""
from __future__ import annotations

import pytest

from pbxsim.expr import filter_chars, substitute
from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from pbxsim.setup import personal_queue_config
from tests.pbxsim.helpers import add, call, make_sim, named


def expand(text: str, **variables: str) -> str:
    return substitute(text, lambda name: variables.get(name, ""))


def test_expressions_and_functions_of_the_dialplan():
    assert expand("$[${N}+1]", N="3") == "4" and expand("$[${N}>3]", N="4") == "1"
    assert expand('$["${A}"="queue"]', A="queue") == "1" and expand('$["${A}"!=""]') == "0"
    assert expand("0${FILTER(0-9,${P})}", P="5;x") == "05"
    assert expand("${FILTER(-a-z0-9_.,${Q})}", Q="q-410100-consult\x07;Hangup") == "q-410100-consultangup"
    assert expand("${CUT(Q,-,2)}", Q="q-410100-consult") == "410100"
    assert filter_chars("-a-c", "a-b-cd") == "a-b-c"


@pytest.mark.parametrize("action", ["callback", "voicemail", "hangup", "bogus"])
async def test_actions_other_than_queue_end_the_call_without_queueing(action):
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)})
    add(sim, "q", "seat1")
    chan = call(sim, "q", variables={"HOTLINE_ACTION": action})
    await sim.sched.advance(5)
    assert chan.hungup and not named(seen, "QueueCallerJoin") and not named(seen, "AgentCalled")
    hangup = named(seen, "Hangup")[-1]
    assert (hangup["Channel"], hangup["Cause"]) == (chan.name, "16")  # a normal clearing, not a failure


async def test_queue_action_queues_with_the_priority_and_the_caller_reaches_a_seat():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)})
    add(sim, "q", "seat1")
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PRIORITY": "7"})
    await sim.sched.advance(3)
    assert chan.bridge is not None and chan.variables["QUEUE_PRIO"] == "07" and chan.language == "zh"
    assert [e["Queue"] for e in named(seen, "QueueCallerJoin")] == ["q"]


async def test_queue_name_is_filtered_before_queue_runs():
    sim, seen = make_sim([QueueConfig("q-1-consult")], {"seat1": SeatScript(answer_after=1)})
    add(sim, "q-1-consult", "seat1")
    chan = call(sim, "q-1-consult;x,y", variables={"HOTLINE_ACTION": "queue"})
    await sim.sched.advance(3)
    assert not named(seen, "QueueCallerJoin") and chan.hungup  # "q-1-consultxy" does not exist


def _first_contact_sim(busy_answer: float | None = 1):
    queues = [QueueConfig("q", strategy="ringall"), personal_queue_config("1", "seat1", "坐席1", ring_seconds=15),
              personal_queue_config("2", "seat2", "坐席2", ring_seconds=15)]
    sim, seen = make_sim(queues, {"seat1": SeatScript(answer_after=busy_answer), "seat2": SeatScript(answer_after=1)})
    add(sim, "q", "seat1", "seat2")
    return sim, seen


async def test_repeat_caller_rings_only_the_preferred_seat_first():
    sim, seen = _first_contact_sim()
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PREFERRED_SEAT": "1"})
    await sim.sched.advance(3)
    assert [e["Interface"] for e in named(seen, "AgentCalled")] == ["PJSIP/seat1"]
    connect = named(seen, "AgentConnect")
    assert [(e["Queue"], e["Interface"]) for e in connect] == [("seat-1", "PJSIP/seat1")]
    assert sim.peer(chan).endpoint == "seat1"
    assert "HOTLINE_PREFERRED_SEAT" not in chan.variables  # one try only


async def test_busy_preferred_seat_sends_the_caller_to_the_skill_queue_at_once():
    sim, seen = _first_contact_sim()
    first = call(sim, "q", "13900000000", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PREFERRED_SEAT": "1"})
    await sim.sched.advance(3)
    assert sim.peer(first).endpoint == "seat1"
    again = call(sim, "q", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PREFERRED_SEAT": "1",
                                      "HOTLINE_PRIORITY": "3"})
    await sim.sched.advance(3)
    joins = [(e["Queue"], e["CallerIDNum"]) for e in named(seen, "QueueCallerJoin")]
    assert joins == [("seat-1", "13900000000"), ("q", "13800000000")]  # JOINEMPTY at seat-1: no join there
    assert sim.peer(again).endpoint == "seat2" and again.variables["QUEUE_PRIO"] == "03"


async def test_preferred_seat_not_answering_falls_back_after_its_ring_time():
    sim, seen = _first_contact_sim(busy_answer=None)  # seat1 never answers
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PREFERRED_SEAT": "1"})
    await sim.sched.advance(19)  # SEAT_RING (20 s) bounds the personal queue
    assert chan.bridge is None and chan.application == "Queue" and "seat-1" in chan.app_data
    await sim.sched.advance(5)
    assert [e["Queue"] for e in named(seen, "QueueCallerJoin")] == ["seat-1", "q"]
    assert named(seen, "QueueCallerLeave")[0]["Queue"] == "seat-1"
    assert sim.peer(chan) is not None


async def test_paused_preferred_seat_is_skipped():
    sim, seen = _first_contact_sim()
    sim.queues.pause("", "PJSIP/seat1", True, "小休")
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue", "HOTLINE_PREFERRED_SEAT": "1"})
    await sim.sched.advance(3)
    assert [e["Queue"] for e in named(seen, "QueueCallerJoin")] == ["q"] and sim.peer(chan).endpoint == "seat2"


async def test_overflow_redirect_keeps_the_priority_and_skips_the_preferred_seat():
    from pbxsim import calls

    sim, seen = make_sim([QueueConfig("q-1-consult"), QueueConfig("q-410000-consult")],
                         {"seat1": SeatScript(answer_after=1)})
    add(sim, "q-410000-consult", "seat1")
    chan = call(sim, "q-1-consult", variables={"HOTLINE_ACTION": "queue", "HOTLINE_SKILL": "consult",
                                               "HOTLINE_PRIORITY": "4"})
    await sim.sched.advance(2)
    calls.redirect(sim, chan, "queue-overflow", "410000", 1)
    await sim.sched.advance(3)
    assert [e["Queue"] for e in named(seen, "QueueCallerJoin")] == ["q-1-consult", "q-410000-consult"]
    assert chan.variables["QUEUE_PRIO"] == "04" and sim.peer(chan).endpoint == "seat1"


async def test_seat_hanging_up_sends_the_caller_on_to_the_survey():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1, talk_time=3)})
    add(sim, "q", "seat1")
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue"})
    await sim.sched.advance(2)
    assert chan.variables["MEMBERINTERFACE"] == "PJSIP/seat1"  # setinterfacevar=yes
    await sim.sched.advance(5)
    assert [e["Reason"] for e in named(seen, "AgentComplete")] == ["agent"]
    # Queue option c: the caller went on to survey,s (no FastAGI here: NoOp, then Hangup)
    assert chan.hungup and (chan.context, chan.exten) == ("survey", "s")
    hangups = [e["Channel"] for e in named(seen, "Hangup")]
    assert hangups.index(chan.name) > hangups.index(next(h for h in hangups if h.startswith("PJSIP/seat1-")))


async def test_caller_hanging_up_first_gets_no_survey():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1)})
    add(sim, "q", "seat1")
    chan = call(sim, "q", variables={"HOTLINE_ACTION": "queue"}, hangup_after=4)
    await sim.sched.advance(6)
    assert [e["Reason"] for e in named(seen, "AgentComplete")] == ["caller"]
    assert chan.hungup and chan.context == "hotline-inbound"
