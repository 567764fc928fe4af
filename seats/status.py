"""Seat status machine — pure: `transition(state, event, now) -> (state, effects)`.

offline → (login) paused「登录未就绪」→ (ready) available → ringing → on_call → wrap_up (timed ACW)
→ available. A pause asked for while the phone rings or a call is up is sent to Asterisk at once (so no
*new* call is offered) but, as in app_queue.c (``can_ring_entry()`` checks ``member->paused`` only
before a member is rung; ``wait_for_answer()`` never re-checks it), the ring in progress goes on and
may be answered; the pause takes effect when that call is over (``pending_pause``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


STATUS_LABELS = {
    Status.OFFLINE: "未签入", Status.AVAILABLE: "就绪", Status.RINGING: "振铃",
    Status.ON_CALL: "通话中", Status.WRAP_UP: "话后处理", Status.PAUSED: "小休",
}

LOGIN_REASON = "登录未就绪"
ACW_REASON = "话后处理"
# Reason codes a seat may choose (code → label shown and sent to Asterisk as PausedReason).
PAUSE_REASONS = {"break": "小休", "training": "培训", "meeting": "会议", "acw": ACW_REASON}
DEFAULT_ACW_SECONDS = 30


class SeatStateError(ValueError):
    """The event is not allowed in the seat's current state (message is shown to the seat)."""


@dataclass(frozen=True, slots=True)
class SeatState:
    """Everything the machine needs to know about one seat."""

    status: Status = Status.OFFLINE
    since: datetime | None = None
    reason: str | None = None          # pause reason while paused / wrap-up
    linkedid: str | None = None        # the call ringing or up
    acw_until: datetime | None = None  # end of the timed wrap-up
    pending_pause: str | None = None   # pause asked for during a call, applied when it ends


# ---- events ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Login:
    reason: str = LOGIN_REASON


@dataclass(frozen=True, slots=True)
class Ready:
    pass


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str


@dataclass(frozen=True, slots=True)
class Logout:
    forced: bool = False  # a supervisor/admin signs the seat out (allowed at any time)


@dataclass(frozen=True, slots=True)
class Ring:
    linkedid: str


@dataclass(frozen=True, slots=True)
class Answer:
    linkedid: str


@dataclass(frozen=True, slots=True)
class RingStop:
    """The ring ended without this seat answering (another seat took it, caller gone, no answer)."""

    linkedid: str | None = None


@dataclass(frozen=True, slots=True)
class Hangup:
    linkedid: str | None = None


@dataclass(frozen=True, slots=True)
class AcwExpired:
    pass


Event = Login | Ready | Pause | Logout | Ring | Answer | RingStop | Hangup | AcwExpired


# ---- effects (the service carries them out) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class JoinQueues:
    paused: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class LeaveQueues:
    pass


@dataclass(frozen=True, slots=True)
class SetPaused:
    paused: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class StartAcwTimer:
    until: datetime


@dataclass(frozen=True, slots=True)
class CancelAcwTimer:
    pass


@dataclass(frozen=True, slots=True)
class Record:
    """One row of `seat_events`."""

    from_state: Status
    to_state: Status
    reason: str | None
    linkedid: str | None
    at: datetime


Effect = JoinQueues | LeaveQueues | SetPaused | StartAcwTimer | CancelAcwTimer | Record


def transition(state: SeatState, event: Event, now: datetime,
               acw_seconds: int = DEFAULT_ACW_SECONDS) -> tuple[SeatState, list[Effect]]:
    """Apply one event; raise SeatStateError when it is not allowed now."""
    new, effects = _HANDLERS[type(event)](state, event, now, acw_seconds)
    if new is state:
        return state, effects
    if state.status is not Status.OFFLINE and new.status is not Status.OFFLINE:
        old_pause, new_pause = asterisk_pause(state), asterisk_pause(new)
        if new_pause != old_pause:
            effects.append(SetPaused(*new_pause))
    if (new.status, new.reason, new.linkedid) != (state.status, state.reason, state.linkedid):
        effects.append(Record(state.status, new.status, new.reason, new.linkedid or state.linkedid, now))
    return new, effects


def asterisk_pause(state: SeatState) -> tuple[bool, str | None] | None:
    """The (paused, reason) the seat's queue members must have in Asterisk; None when signed out."""
    match state.status:
        case Status.OFFLINE:
            return None
        case Status.AVAILABLE:
            return (False, None)
        case Status.PAUSED:
            return (True, state.reason)
        case Status.WRAP_UP:
            # paused for the wrap-up so the queue's own (shorter) wrapuptime cannot offer a call
            return (True, state.pending_pause or ACW_REASON)
    return (True, state.pending_pause) if state.pending_pause else (False, None)


def _at(now: datetime, status: Status, *, reason: str | None = None, linkedid: str | None = None,
        acw_until: datetime | None = None, pending_pause: str | None = None) -> SeatState:
    return SeatState(status, now, reason, linkedid, acw_until, pending_pause)


def _after_call(s: SeatState, now: datetime) -> SeatState:
    """Where a seat goes when its ring or call is over without wrap-up."""
    if s.pending_pause:
        return _at(now, Status.PAUSED, reason=s.pending_pause)
    return _at(now, Status.AVAILABLE)


def _login(s: SeatState, e: Login, now: datetime, _acw: int):
    if s.status is not Status.OFFLINE:
        raise SeatStateError("坐席已签入 (already logged in)")
    return _at(now, Status.PAUSED, reason=e.reason), [JoinQueues(True, e.reason)]


def _ready(s: SeatState, _e: Ready, now: datetime, _acw: int):
    if s.status is Status.OFFLINE:
        raise SeatStateError("请先签入 (log in first)")
    if s.status is Status.AVAILABLE:
        return s, []
    if s.status in (Status.RINGING, Status.ON_CALL):
        # withdraw a pause asked for during the call: the seat stays reachable afterwards
        return (replace(s, pending_pause=None) if s.pending_pause else s), []
    effects: list[Effect] = [CancelAcwTimer()] if s.status is Status.WRAP_UP else []
    return _at(now, Status.AVAILABLE), effects


def _pause(s: SeatState, e: Pause, now: datetime, _acw: int):
    reason = (e.reason or "").strip()
    if not reason:
        raise SeatStateError("请选择小休原因 (a pause needs a reason)")
    if s.status is Status.OFFLINE:
        raise SeatStateError("请先签入 (log in first)")
    if s.status in (Status.RINGING, Status.ON_CALL):
        return (s if s.pending_pause == reason else replace(s, pending_pause=reason)), []
    if s.status is Status.PAUSED and s.reason == reason:
        return s, []
    effects: list[Effect] = [CancelAcwTimer()] if s.status is Status.WRAP_UP else []
    return _at(now, Status.PAUSED, reason=reason), effects


def _logout(s: SeatState, e: Logout, now: datetime, _acw: int):
    if s.status is Status.OFFLINE:
        return s, []
    if s.status in (Status.RINGING, Status.ON_CALL) and not e.forced:
        raise SeatStateError("通话中不能签出 (cannot log out during a call)")
    effects: list[Effect] = [CancelAcwTimer()] if s.status is Status.WRAP_UP else []
    return _at(now, Status.OFFLINE), [*effects, LeaveQueues()]


def _ring(s: SeatState, e: Ring, now: datetime, _acw: int):
    # offline: not ours to track; on a call: ringinuse=no means Asterisk does not offer a second call
    if s.status in (Status.OFFLINE, Status.ON_CALL) or (s.status is Status.RINGING and s.linkedid == e.linkedid):
        return s, []
    pending = s.pending_pause
    effects: list[Effect] = []
    if s.status is Status.PAUSED:
        pending = s.reason  # the pause raced the ring: Asterisk rings on, the pause applies afterwards
    elif s.status is Status.WRAP_UP:
        effects.append(CancelAcwTimer())  # Asterisk offered a call before the wrap-up pause landed
    return _at(now, Status.RINGING, linkedid=e.linkedid, pending_pause=pending), effects


def _answer(s: SeatState, e: Answer, now: datetime, _acw: int):
    if s.status is Status.OFFLINE or (s.status is Status.ON_CALL and s.linkedid == e.linkedid):
        return s, []
    pending = s.reason if s.status is Status.PAUSED else s.pending_pause
    effects: list[Effect] = [CancelAcwTimer()] if s.status is Status.WRAP_UP else []
    return _at(now, Status.ON_CALL, linkedid=e.linkedid, pending_pause=pending), effects


def _ring_stop(s: SeatState, e: RingStop, now: datetime, _acw: int):
    if s.status is not Status.RINGING or (e.linkedid and e.linkedid != s.linkedid):
        return s, []
    return _after_call(s, now), []


def _hangup(s: SeatState, e: Hangup, now: datetime, acw: int):
    if e.linkedid and e.linkedid != s.linkedid:
        return s, []
    if s.status is Status.RINGING:
        return _after_call(s, now), []
    if s.status is not Status.ON_CALL:
        return s, []
    if acw <= 0:
        return _after_call(s, now), []
    until = now + timedelta(seconds=acw)
    return (_at(now, Status.WRAP_UP, reason=ACW_REASON, linkedid=s.linkedid, acw_until=until,
                pending_pause=s.pending_pause),
            [StartAcwTimer(until)])


def _acw_expired(s: SeatState, _e: AcwExpired, now: datetime, _acw: int):
    if s.status is not Status.WRAP_UP or (s.acw_until and now < s.acw_until):
        return s, []
    return _after_call(s, now), []


_HANDLERS = {
    Login: _login, Ready: _ready, Pause: _pause, Logout: _logout, Ring: _ring, Answer: _answer,
    RingStop: _ring_stop, Hangup: _hangup, AcwExpired: _acw_expired,
}
