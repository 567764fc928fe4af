"""Queue membership and resync decisions, checked against QueueStatus answers of a real Asterisk 22."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from seats.membership import (
    AddMember, AsteriskMember, MemberSpec, PauseMember, PenaltyMember, RemoveMember, call_state, device_state, member_name,
    parse_queue_status, reconcile, registration, rederive, seat_queues,
)
from seats.status import ACW_REASON, SeatState, Status
from tests.conftest import TRACES

T = datetime(2026, 11, 30, 9, tzinfo=timezone.utc)


def trace_events(name: str, action_id: str) -> list[dict[str, str]]:
    """The events of one action's EventList in a captured AMI session."""
    out = []
    for line in (TRACES / f"{name}.ami.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["dir"] != "recv":
            continue
        msg = dict(h.split(": ", 1) for h in rec["data"].split("\r\n") if ": " in h)
        if msg.get("ActionID") == action_id and "Event" in msg:
            out.append(msg)
    return out


def test_seat_queues_follow_center_skills_and_levels(directory):
    specs = seat_queues(directory, directory.seat("1004"), "赵律师")
    assert [(s.queue, s.penalty) for s in specs] == [
        ("q-410000-consult", 1), ("q-410000-aid", 0), ("q-410000-guide", 0), ("q-410000-complaint", 0)]
    assert {s.member_name for s in specs} == {"赵律师(1004)"}


def test_member_name_refuses_unsafe_display_names(directory):
    seat = directory.seat("1001")
    assert member_name(seat, "李\r\nAction: Hangup") == "坐席1001"
    assert member_name(seat, "") == "坐席1001"


def test_queue_status_of_a_paused_member_from_a_real_trace():
    (m,) = parse_queue_status(trace_events("member-admin", "member-admin-03"))
    assert (m.queue, m.interface, m.paused, m.reason, m.in_call, m.dynamic) == (
        "q-410100-consult", "PJSIP/seat1001", True, "签到未就绪", False, True)


def test_queue_status_mid_call_shows_the_member_in_a_call():
    members = parse_queue_status(trace_events("status-midcall", "status-midcall-03"))
    (m,) = [m for m in members if m.interface == "PJSIP/seat1001"]
    assert m.in_call and m.status == "inuse"
    assert call_state(members, "PJSIP/seat1001") == "in_call"


def test_static_members_are_reported_as_such():
    members = parse_queue_status(trace_events("ami-basics", "ami-basics-08"))
    assert [(m.interface, m.dynamic) for m in members] == [
        ("PJSIP/seat1001", True), ("PJSIP/seat1002", True), ("PJSIP/seat1003", False)]


def _spec(q, ext="1001"):
    return MemberSpec(q, f"PJSIP/seat{ext}", f"坐席{ext}", 0)


def test_reconcile_readds_members_asterisk_lost_with_the_seat_pause_state():
    wanted = {"1001": ([_spec("q-410100-consult"), _spec("q-410100-aid")], SeatState(Status.WRAP_UP, T, ACW_REASON))}
    actual = [AsteriskMember("q-410100-consult", "PJSIP/seat1001", True, ACW_REASON, False, "not_inuse")]
    assert reconcile(wanted, actual, {"PJSIP/seat1001"}) == [AddMember(_spec("q-410100-aid"), True, ACW_REASON)]


def test_reconcile_fixes_pause_flags_and_removes_stale_dynamic_members_only():
    wanted = {"1001": ([_spec("q-410100-consult")], SeatState(Status.AVAILABLE, T))}
    actual = [
        AsteriskMember("q-410100-consult", "PJSIP/seat1001", True, "小休", False, "not_inuse"),
        AsteriskMember("q-410100-mediation", "PJSIP/seat1002", False, None, False, "not_inuse"),  # 1002 signed out
        AsteriskMember("q-410000-consult", "PJSIP/seat1003", False, None, False, "not_inuse", dynamic=False),
        AsteriskMember("q-410000-consult", "PJSIP/other", False, None, False, "not_inuse"),
    ]
    managed = {"PJSIP/seat1001", "PJSIP/seat1002", "PJSIP/seat1003"}
    assert reconcile(wanted, actual, managed) == [
        PauseMember("q-410100-consult", "PJSIP/seat1001", False, None),
        RemoveMember("q-410100-mediation", "PJSIP/seat1002")]


def test_reconcile_when_everything_matches_sends_nothing():
    wanted = {"1001": ([_spec("q-410100-consult")], SeatState(Status.PAUSED, T, "小休"))}
    actual = [AsteriskMember("q-410100-consult", "PJSIP/seat1001", True, "小休", False, "not_inuse")]
    assert reconcile(wanted, actual, {"PJSIP/seat1001"}) == []


def test_rederive_after_a_restart():
    on_call = SeatState(Status.ON_CALL, T, linkedid="L1")
    assert rederive(on_call, "idle") == "hangup"
    assert rederive(on_call, "in_call") is None
    assert rederive(SeatState(Status.RINGING, T, linkedid="L1"), "idle") == "ring_stop"
    assert rederive(SeatState(Status.AVAILABLE, T), "in_call") == "answer"
    assert rederive(SeatState(Status.OFFLINE), "in_call") is None


def test_device_states_and_registration():
    assert [device_state(x) for x in (1, "2", "6", "5", "Unavailable", None, 99)] == [
        "not_inuse", "inuse", "ringing", "unavailable", "unavailable", "unknown", "unknown"]
    assert [registration(x) for x in (1, 2, 5, 4, 0)] == [
        "registered", "registered", "unregistered", "unregistered", "unknown"]


def test_reconcile_applies_a_changed_skill_level_as_a_penalty():
    wanted = {"1001": ([MemberSpec("q-410100-aid", "PJSIP/seat1001", "坐席1001", 3)], SeatState(Status.AVAILABLE, T))}
    actual = [AsteriskMember("q-410100-aid", "PJSIP/seat1001", False, None, False, "not_inuse", penalty=1)]
    assert reconcile(wanted, actual, {"PJSIP/seat1001"}) == [PenaltyMember("q-410100-aid", "PJSIP/seat1001", 3)]


def test_queue_status_penalty_is_read():
    (m,) = parse_queue_status(trace_events("member-admin", "member-admin-03"))
    assert m.penalty == 0
