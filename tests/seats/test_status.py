"""The seat status machine, as a table: state × event → state, Asterisk pause, effects."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from seats.status import (
    ACW_REASON, LOGIN_REASON, AcwExpired, Answer, CancelAcwTimer, Hangup, JoinQueues, LeaveQueues, Login,
    Logout, Pause, Ready, Record, Ring, RingStop, SeatState, SeatStateError, SetPaused, StartAcwTimer, Status,
    asterisk_pause, transition,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(seconds=5)
S = Status

OFF = SeatState()
AVAIL = SeatState(S.AVAILABLE, T0)
BREAK = SeatState(S.PAUSED, T0, reason="小休")
RINGING = SeatState(S.RINGING, T0, linkedid="L1")
RINGING_P = SeatState(S.RINGING, T0, linkedid="L1", pending_pause="会议")
ONCALL = SeatState(S.ON_CALL, T0, linkedid="L1")
ONCALL_P = SeatState(S.ON_CALL, T0, linkedid="L1", pending_pause="会议")
WRAP = SeatState(S.WRAP_UP, T0, reason=ACW_REASON, linkedid=None, acw_until=T0 + timedelta(seconds=30))
WRAP_P = SeatState(S.WRAP_UP, T0, reason=ACW_REASON, acw_until=T0 + timedelta(seconds=30), pending_pause="会议")

# (name, state, event, now, expected status, expected reason, expected pending, AMI-side effects)
TABLE = [
    ("login adds paused", OFF, Login(), T1, S.PAUSED, LOGIN_REASON, None, [JoinQueues(True, LOGIN_REASON)]),
    ("ready after login unpauses", SeatState(S.PAUSED, T0, reason=LOGIN_REASON), Ready(), T1, S.AVAILABLE, None,
     None, [SetPaused(False)]),
    ("ready when ready is a no-op", AVAIL, Ready(), T1, S.AVAILABLE, None, None, []),
    ("pause with reason", AVAIL, Pause("小休"), T1, S.PAUSED, "小休", None, [SetPaused(True, "小休")]),
    ("same pause twice is a no-op", BREAK, Pause("小休"), T1, S.PAUSED, "小休", None, []),
    ("change pause reason", BREAK, Pause("培训"), T1, S.PAUSED, "培训", None, [SetPaused(True, "培训")]),
    ("ring while available", AVAIL, Ring("L1"), T1, S.RINGING, None, None, []),
    ("ring while paused: the race, pause kept for afterwards", BREAK, Ring("L1"), T1, S.RINGING, None, "小休", []),
    ("answer", RINGING, Answer("L1"), T1, S.ON_CALL, None, None, []),
    ("answer without a seen ring", AVAIL, Answer("L1"), T1, S.ON_CALL, None, None, []),
    ("ring stops: back to available", RINGING, RingStop("L1"), T1, S.AVAILABLE, None, None, []),
    ("ring stop for another call is ignored", RINGING, RingStop("L9"), T1, S.RINGING, None, None, []),
    ("pause during ringing: Asterisk paused now, ring goes on", RINGING, Pause("会议"), T1, S.RINGING, None, "会议",
     [SetPaused(True, "会议")]),
    ("pause during ringing then ring stops: paused", RINGING_P, RingStop("L1"), T1, S.PAUSED, "会议", None, []),
    ("pause during ringing then answered: call goes on", RINGING_P, Answer("L1"), T1, S.ON_CALL, None, "会议", []),
    ("ready withdraws a pending pause", RINGING_P, Ready(), T1, S.RINGING, None, None, [SetPaused(False)]),
    ("hangup starts timed wrap-up, paused for ACW", ONCALL, Hangup("L1"), T1, S.WRAP_UP, ACW_REASON, None,
     [StartAcwTimer(T1 + timedelta(seconds=30)), SetPaused(True, ACW_REASON)]),
    ("hangup of another call is ignored", ONCALL, Hangup("L2"), T1, S.ON_CALL, None, None, []),
    ("hangup while ringing: caller gone", RINGING, Hangup("L1"), T1, S.AVAILABLE, None, None, []),
    ("hangup with pending pause: Asterisk already paused for it", ONCALL_P, Hangup("L1"), T1, S.WRAP_UP,
     ACW_REASON, "会议", [StartAcwTimer(T1 + timedelta(seconds=30))]),
    ("ACW expiry before its time is ignored", WRAP, AcwExpired(), T1, S.WRAP_UP, ACW_REASON, None, []),
    ("ACW expiry: available", WRAP, AcwExpired(), T0 + timedelta(seconds=30), S.AVAILABLE, None, None,
     [SetPaused(False)]),
    ("ACW expiry with pending pause: paused", WRAP_P, AcwExpired(), T0 + timedelta(seconds=31), S.PAUSED, "会议",
     None, []),
    ("ready ends ACW early", WRAP, Ready(), T1, S.AVAILABLE, None, None, [CancelAcwTimer(), SetPaused(False)]),
    ("pause during ACW", WRAP, Pause("小休"), T1, S.PAUSED, "小休", None, [CancelAcwTimer(), SetPaused(True, "小休")]),
    ("ring during ACW (offered before the pause landed)", WRAP, Ring("L2"), T1, S.RINGING, None, None,
     [CancelAcwTimer(), SetPaused(False)]),
    ("logout", AVAIL, Logout(), T1, S.OFFLINE, None, None, [LeaveQueues()]),
    ("logout during ACW", WRAP, Logout(), T1, S.OFFLINE, None, None, [CancelAcwTimer(), LeaveQueues()]),
    ("forced logout during a call", ONCALL, Logout(forced=True), T1, S.OFFLINE, None, None, [LeaveQueues()]),
    ("logout when offline is a no-op", OFF, Logout(), T1, S.OFFLINE, None, None, []),
    ("ring when offline is ignored", OFF, Ring("L1"), T1, S.OFFLINE, None, None, []),
    ("second ring while on a call is ignored", ONCALL, Ring("L2"), T1, S.ON_CALL, None, None, []),
]


@pytest.mark.parametrize("name,state,event,now,status,reason,pending,effects", TABLE, ids=[t[0] for t in TABLE])
def test_transition_table(name, state, event, now, status, reason, pending, effects):
    new, out = transition(state, event, now)
    assert (new.status, new.reason, new.pending_pause) == (status, reason, pending)
    assert [e for e in out if not isinstance(e, Record)] == effects


@pytest.mark.parametrize("state,event,message", [
    (AVAIL, Login(), "已签入"),
    (OFF, Ready(), "请先签入"),
    (OFF, Pause("小休"), "请先签入"),
    (AVAIL, Pause("  "), "原因"),
    (ONCALL, Logout(), "通话中不能签出"),
    (RINGING, Logout(), "通话中不能签出"),
])
def test_refused_events_raise_a_clear_error(state, event, message):
    with pytest.raises(SeatStateError, match=message):
        transition(state, event, T1)


def test_every_status_change_is_recorded_with_time_reason_and_call():
    new, out = transition(ONCALL, Hangup("L1"), T1)
    (rec,) = [e for e in out if isinstance(e, Record)]
    assert rec == Record(S.ON_CALL, S.WRAP_UP, ACW_REASON, "L1", T1)
    assert new.since == T1


def test_ring_stop_record_keeps_the_call_it_was_for():
    _, out = transition(RINGING, RingStop("L1"), T1)
    assert [e for e in out if isinstance(e, Record)] == [Record(S.RINGING, S.AVAILABLE, None, "L1", T1)]


def test_no_op_events_record_nothing():
    for state, event in [(AVAIL, Ready()), (BREAK, Pause("小休")), (OFF, Logout()), (RINGING, Ring("L1"))]:
        new, out = transition(state, event, T1)
        assert new is state and out == []


def test_zero_acw_goes_straight_back():
    new, out = transition(ONCALL, Hangup("L1"), T1, acw_seconds=0)
    assert new.status is S.AVAILABLE and not any(isinstance(e, StartAcwTimer) for e in out)


def test_asterisk_pause_follows_the_state():
    assert asterisk_pause(OFF) is None
    assert asterisk_pause(AVAIL) == (False, None)
    assert asterisk_pause(RINGING_P) == (True, "会议")
    assert asterisk_pause(WRAP) == (True, ACW_REASON)


def test_a_full_shift_walks_through_every_state():
    s, now = OFF, T0
    for ev in [Login(), Ready(), Ring("L1"), Answer("L1"), Hangup("L1")]:
        now += timedelta(seconds=10)
        s, _ = transition(s, ev, now)
    assert s.status is S.WRAP_UP
    s, _ = transition(s, AcwExpired(), s.acw_until)
    assert s.status is S.AVAILABLE
    s, out = transition(s, Logout(), s.since + timedelta(hours=1))
    assert s.status is S.OFFLINE and LeaveQueues() in out
