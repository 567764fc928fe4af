"""Queue behaviour as app_queue: strategies, penalties, pause, wrap-up, joinempty, maxlen, priority."""
from __future__ import annotations

import random

from pbxsim.parties import SeatScript
from pbxsim.queues import Member, QueueConfig, member_hash, pick_members, queue_order
from tests.pbxsim.helpers import add, call, make_sim, named, rung

NEVER = SeatScript(answer_after=None)


def _members(*names: str) -> list[Member]:
    return [Member(interface=f"PJSIP/{n}", name=n, state_interface=f"PJSIP/{n}", order=i) for i, n in enumerate(names)]


def test_queue_iteration_order_follows_app_queue_hash_buckets():
    names = ["q-410100-consult", "q-410000-consult", "q-410300-consult", "q-410100-linear"]
    assert queue_order(names) == ["q-410100-consult", "q-410300-consult", "q-410100-linear", "q-410000-consult"]


def test_member_hash_uses_the_five_characters_after_the_slash():
    assert member_hash("PJSIP/seat1001") == member_hash("PJSIP/seat9999") == member_hash("SIP/seat")


def test_pick_lowest_penalty_tier_only():
    ms = _members("a", "b", "c")
    ms[0].penalty, ms[1].penalty, ms[2].penalty = 2, 1, 1
    assert [m.name for m in pick_members("ringall", ms, 0, random.Random(0), set(), 0)] == ["b", "c"]


def test_pick_leastrecent_and_fewestcalls():
    ms = _members("a", "b", "c")
    ms[0].last_call, ms[1].last_call, ms[2].last_call = 300, 100, 200
    ms[0].calls, ms[1].calls, ms[2].calls = 1, 5, 3
    rng = random.Random(0)
    assert pick_members("leastrecent", ms, 0, rng, set(), 0)[0].name == "b"
    assert pick_members("fewestcalls", ms, 0, rng, set(), 0)[0].name == "a"


def test_pick_rrmemory_continues_after_last_position_and_skips_busy():
    ms = _members("a", "b", "c")
    assert pick_members("rrmemory", ms, 1, random.Random(0), set(), 0)[0].name == "b"
    assert pick_members("rrmemory", ms, 1, random.Random(0), {"PJSIP/b"}, 0)[0].name == "c"


def test_pick_random_is_seedable():
    ms = _members("a", "b", "c", "d")
    first = [pick_members("random", ms, 0, random.Random(7), set(), 0)[0].name for _ in range(3)]
    again = [pick_members("random", ms, 0, random.Random(7), set(), 0)[0].name for _ in range(3)]
    assert first == again


async def test_paused_member_is_never_rung():
    sim, seen = make_sim([QueueConfig("q", strategy="ringall")], {"seat1": NEVER, "seat2": NEVER})
    add(sim, "q", "seat1", paused=True)
    add(sim, "q", "seat2")
    call(sim, "q")
    await sim.sched.advance(40)
    assert set(rung(seen)) == {"PJSIP/seat2"}


async def test_linear_rings_first_member_then_next_after_timeout_and_retry():
    sim, seen = make_sim([QueueConfig("q", strategy="linear", timeout=15, retry=2)],
                         {"seat1": NEVER, "seat2": SeatScript(answer_after=2)})
    add(sim, "q", "seat1", "seat2")
    call(sim, "q")
    await sim.sched.advance(30)
    rna = named(seen, "AgentRingNoAnswer")
    assert rung(seen) == ["PJSIP/seat1", "PJSIP/seat2"]
    assert rna[0]["RingTime"] == "15000"
    connect = named(seen, "AgentConnect")[0]
    assert connect["Interface"] == "PJSIP/seat2" and connect["HoldTime"] == "19"  # 15 ring + 2 retry + 2


async def test_ringall_connects_first_answer_and_cancels_others():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=3), "seat2": NEVER})
    add(sim, "q", "seat1", "seat2")
    call(sim, "q")
    await sim.sched.advance(5)
    assert [e["DialStatus"] for e in named(seen, "DialEnd")] == ["ANSWER", "CANCEL", "CANCEL"]
    hangups = named(seen, "Hangup")
    assert hangups[0]["Channel"].startswith("PJSIP/seat2-") and hangups[0]["Cause"] == "26"


async def test_member_in_wrapup_is_not_offered_the_next_caller():
    sim, seen = make_sim([QueueConfig("q", wrapuptime=10)], {"seat1": SeatScript(answer_after=1, talk_time=5)})
    add(sim, "q", "seat1")
    call(sim, "q", "13800000001")
    await sim.sched.advance(7)  # answered at 1 s, seat hangs up at 6 s
    call(sim, "q", "13800000002")
    await sim.sched.advance(5)
    assert len(named(seen, "AgentCalled")) == 1
    await sim.sched.advance(10)
    assert len(named(seen, "AgentCalled")) == 2


async def test_ringinuse_no_skips_a_seat_busy_in_another_queue():
    sim, seen = make_sim([QueueConfig("a"), QueueConfig("b")], {"seat1": SeatScript(answer_after=1)})
    add(sim, "a", "seat1")
    add(sim, "b", "seat1")
    call(sim, "a", "13800000001")
    await sim.sched.advance(3)
    call(sim, "b", "13800000002")
    await sim.sched.advance(5)
    assert [e["Queue"] for e in named(seen, "AgentCalled")] == ["a"]


async def test_unregistered_seat_is_not_rung():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": NEVER, "seat2": NEVER}, unregistered={"seat1"})
    add(sim, "q", "seat1", "seat2")
    call(sim, "q")
    await sim.sched.advance(3)
    assert rung(seen) == ["PJSIP/seat2"]
    assert named(seen, "QueueMemberAdded")[0]["Status"] == "5"


async def test_joinempty_no_refuses_to_queue_without_members():
    sim, seen = make_sim([QueueConfig("q", joinempty="no")], {})
    chan = call(sim, "q")
    await sim.sched.advance(1)
    assert named(seen, "QueueCallerJoin") == []
    assert chan.variables["QUEUESTATUS"] == "JOINEMPTY"
    assert named(seen, "Hangup")[0]["Channel"] == chan.name


async def test_maxlen_reached_gives_full():
    sim, seen = make_sim([QueueConfig("q", maxlen=1)], {"seat1": NEVER})
    add(sim, "q", "seat1", paused=True)
    call(sim, "q", "13800000001")
    second = call(sim, "q", "13800000002")
    await sim.sched.advance(1)
    assert len(named(seen, "QueueCallerJoin")) == 1
    assert second.variables["QUEUESTATUS"] == "FULL"


async def test_priority_caller_joins_ahead():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": NEVER})
    add(sim, "q", "seat1", paused=True)
    call(sim, "q", "13800000001")
    call(sim, "q", "13800000002", variables={"HOTLINE_PRIORITY": "10"})  # the dialplan sets QUEUE_PRIO from it
    await sim.sched.advance(1)
    joins = named(seen, "QueueCallerJoin")
    assert [(j["CallerIDNum"], j["Position"]) for j in joins] == [("13800000001", "1"), ("13800000002", "1")]


async def test_queue_timeout_leaves_with_timeout_status():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": NEVER})
    sim.dialplan["from-carrier"]["_X."][1] = ("Queue", "${HOTLINE_QUEUE},rt,,,20")
    add(sim, "q", "seat1", paused=True)
    chan = call(sim, "q")
    await sim.sched.advance(25)
    assert chan.variables["QUEUESTATUS"] == "TIMEOUT"
    assert named(seen, "QueueCallerAbandon") == [] and len(named(seen, "QueueCallerLeave")) == 1


async def test_caller_patience_abandons_with_holdtime():
    sim, seen = make_sim([QueueConfig("q")], {"seat1": NEVER})
    add(sim, "q", "seat1", paused=True)
    call(sim, "q", patience=12)
    await sim.sched.advance(20)
    ab = named(seen, "QueueCallerAbandon")[0]
    assert ab["Position"] == "1" and 12 <= int(ab["HoldTime"]) <= 13


async def test_first_caller_in_line_gets_the_freed_member():
    sim, seen = make_sim([QueueConfig("q", retry=1)], {"seat1": NEVER})
    add(sim, "q", "seat1", paused=True)
    call(sim, "q", "13800000001")
    await sim.sched.advance(0.3)
    call(sim, "q", "13800000002")
    await sim.sched.advance(3)
    sim.queues.pause("q", "PJSIP/seat1", False, "")
    await sim.sched.advance(3)
    assert [e["CallerIDNum"] for e in named(seen, "AgentCalled")] == ["13800000001"]


async def test_leavewhenempty_sends_waiting_callers_out_when_everyone_pauses():
    sim, seen = make_sim([QueueConfig("q", leavewhenempty="yes", retry=2)], {"seat1": NEVER})
    add(sim, "q", "seat1", paused=True)
    chan = call(sim, "q")
    await sim.sched.advance(5)
    assert chan.variables["QUEUESTATUS"] == "LEAVEEMPTY"
    assert [e["Event"] for e in named(seen, "QueueCallerAbandon") + named(seen, "QueueCallerLeave")] == [
        "QueueCallerAbandon", "QueueCallerLeave"]


def test_empty_conditions_follow_parse_empty_options():
    from pbxsim.queues import empty_conditions

    assert empty_conditions("no", joinempty=True) == {"penalty", "invalid", "paused"}
    assert empty_conditions("yes", joinempty=True) == set()
    assert empty_conditions("yes", joinempty=False) == {"penalty", "invalid", "paused"}
    assert empty_conditions("strict", joinempty=True) == {"penalty", "invalid", "paused", "unavailable"}
    assert empty_conditions("paused,wrapup", joinempty=True) == {"paused", "wrapup"}
