"""Routing decisions: plain data in, plain data out, the clock passed in.

`decide(call, snapshot, rules, now) -> Decision` places a new call (what the IVR's `route` step asks);
`reconsider(waiting, snapshot, rules, now) -> Move | None` moves a waiting call (overflow to the
provincial queue, or back to its prefecture when a seat there frees first). Rules, in order:
after hours → duty seats or callback/voicemail; 首问负责制; prefecture vs provincial by availability
and estimated wait; green channel priority; saturation → queue callback offer (one per number).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """What the IVR knows when it asks where the call goes."""

    uniqueid: str
    caller_number: str
    linkedid: str = ""
    channel: str = ""
    caller_name: str = ""
    did: str | None = None
    skill: str = "consult"
    category: str | None = None
    language: str = "zh"
    green: bool = False
    green_reason: str | None = None  # elderly | disabled | migrant_wage | urgent
    ivr_path: tuple[str, ...] = ()
    handoff_ticket: str | None = None
    callback_number: str | None = None
    accept_callback: bool = False  # the caller accepted the queue-callback offer
    node: str = "node1"


@dataclass(frozen=True, slots=True)
class CallFacts:
    """The request plus what the engine worked out (prefecture from attribution)."""

    request: RouteRequest
    prefecture_code: str | None


@dataclass(frozen=True, slots=True)
class QueueView:
    """One queue as the policy sees it."""

    name: str
    members: int = 0  # logged in (any state)
    available: int = 0  # idle, unpaused, out of wrap-up
    waiting: int = 0
    avg_handle_seconds: float = 240.0
    available_languages: frozenset[str] = frozenset()
    available_seats: frozenset[str] = frozenset()
    staffed_seats: frozenset[str] = frozenset()

    def estimated_wait(self, ahead: int | None = None) -> float:
        """Expected wait for a caller joining now (infinite with nobody logged in)."""
        if self.available > (self.waiting if ahead is None else ahead):
            return 0.0
        working = self.members
        if working == 0:
            return float("inf")
        n = self.waiting if ahead is None else ahead
        return (n + 1) * self.avg_handle_seconds / working


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Plain data the policy needs: queues, recent contacts, callbacks pending, business hours."""

    queues: Mapping[str, QueueView]
    is_open: bool
    last_contact: Mapping[str, tuple[str, datetime]] = field(default_factory=dict)  # number → (seat ext, at)
    pending_callbacks: frozenset[str] = frozenset()

    def queue(self, name: str) -> QueueView:
        return self.queues.get(name) or QueueView(name)


@dataclass(frozen=True, slots=True)
class Rules:
    """Thresholds (from directory `routing`) and the centers' layout."""

    province_code: str
    center_skills: Mapping[str, frozenset[str]]  # center code → skills it queues
    prefecture_max_wait_seconds: float = 60
    overflow_after_seconds: float = 45
    first_contact_days: int = 7
    callback_offer_after_seconds: float = 90
    green_channel_priority: int = 10
    duty_seats: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Decision:
    """Where the call goes and why; `variables()` are the channel variables the IVR sets."""

    action: str  # queue | voicemail | callback | hangup
    reason: str
    skill: str
    queue: str | None = None
    priority: int = 0
    prefecture_code: str | None = None
    center_code: str | None = None
    preferred_seat: str | None = None
    offer_callback: bool = False
    overflow_queue: str | None = None
    overflow_after_seconds: float | None = None
    category: str | None = None
    green: bool = False
    callback_number: str | None = None
    handoff_ticket: str | None = None

    def variables(self) -> dict[str, str]:
        """HOTLINE_* channel variables of the dialplan contract."""
        out = {"HOTLINE_ACTION": self.action, "HOTLINE_SKILL": self.skill, "HOTLINE_PRIORITY": str(self.priority),
               "HOTLINE_GREEN": "1" if self.green else "0", "HOTLINE_PREFECTURE": self.prefecture_code or "",
               "HOTLINE_CATEGORY": self.category or ""}
        if self.queue:
            out["HOTLINE_QUEUE"] = self.queue
        if self.callback_number:
            out["HOTLINE_CALLBACK_NUMBER"] = self.callback_number
        if self.handoff_ticket:
            out["HOTLINE_HANDOFF_TICKET"] = self.handoff_ticket
        if self.preferred_seat:
            out["HOTLINE_PREFERRED_SEAT"] = self.preferred_seat
        return out


def queue_name(center: str, skill: str) -> str:
    return f"q-{center}-{skill}"


def decide(call: CallFacts, snapshot: Snapshot, rules: Rules, now: datetime) -> Decision:
    """Place one call."""
    req = call.request
    base = dict(skill=req.skill, prefecture_code=call.prefecture_code, category=req.category, green=req.green,
                priority=rules.green_channel_priority if req.green else 0, handoff_ticket=req.handoff_ticket,
                callback_number=_callable(req))
    if not snapshot.is_open:
        return _after_hours(req, snapshot, rules, base)
    if req.accept_callback:
        if base["callback_number"] and base["callback_number"] not in snapshot.pending_callbacks:
            return Decision(action="callback", reason="callback_accepted", **base)
        base["callback_number"] = None  # one callback per number is already pending: keep the place
    first = _first_contact(req, snapshot, rules, now, base)
    if first is not None:
        return first
    return _by_region(call, snapshot, rules, base)


def _callable(req: RouteRequest) -> str | None:
    number = req.callback_number or req.caller_number
    digits = "".join(ch for ch in number or "" if ch.isdigit())
    return digits if 7 <= len(digits) <= 12 else None


def _after_hours(req: RouteRequest, snapshot: Snapshot, rules: Rules, base: dict) -> Decision:
    duty_queue = queue_name(rules.province_code, req.skill)
    view = snapshot.queue(duty_queue)
    if rules.duty_seats & view.staffed_seats:
        return Decision(action="queue", reason="after_hours_duty", queue=duty_queue,
                        center_code=rules.province_code, **base)
    number = base["callback_number"]
    if number and number not in snapshot.pending_callbacks:
        return Decision(action="callback", reason="after_hours_callback", **base)
    return Decision(action="voicemail", reason="after_hours_voicemail", **base)


def _first_contact(req: RouteRequest, snapshot: Snapshot, rules: Rules, now: datetime,
                   base: dict) -> Decision | None:
    last = snapshot.last_contact.get(req.caller_number)
    if last is None or rules.first_contact_days <= 0:
        return None
    seat, at = last
    if now - at > timedelta(days=rules.first_contact_days):
        return None
    for center, skills in rules.center_skills.items():
        if req.skill not in skills:
            continue
        name = queue_name(center, req.skill)
        if seat in snapshot.queue(name).available_seats:
            return Decision(action="queue", reason="first_contact", queue=name, center_code=center,
                            preferred_seat=seat, **{**base, "priority": base["priority"] + 1})
    return None


def _by_region(call: CallFacts, snapshot: Snapshot, rules: Rules, base: dict) -> Decision:
    req = call.request
    province_q = queue_name(rules.province_code, req.skill)
    pref = call.prefecture_code
    if pref and req.skill in rules.center_skills.get(pref, ()):
        pref_q = snapshot.queue(queue_name(pref, req.skill))
        if pref_q.available > pref_q.waiting and _speaks(pref_q, req.language):
            return Decision(action="queue", reason="prefecture_available", queue=pref_q.name, center_code=pref,
                            **base)
        if pref_q.estimated_wait() <= rules.prefecture_max_wait_seconds and _speaks(pref_q, req.language, True):
            return _saturation(Decision(action="queue", reason="prefecture_wait_ok", queue=pref_q.name,
                                        center_code=pref, overflow_queue=province_q,
                                        overflow_after_seconds=rules.overflow_after_seconds, **base),
                               pref_q, snapshot, rules)
        reason = "prefecture_busy"
    else:
        reason = "provincial_unknown_region" if not pref else "provincial_no_local_service"
    view = snapshot.queue(province_q)
    return _saturation(Decision(action="queue", reason=reason, queue=province_q, center_code=rules.province_code,
                                **base), view, snapshot, rules)


def _speaks(view: QueueView, language: str, staffed: bool = False) -> bool:
    if language in ("", "zh"):
        return True
    return language in view.available_languages or (staffed and view.available == 0 and view.members > 0
                                                     and not view.available_languages)


def _saturation(decision: Decision, view: QueueView, snapshot: Snapshot, rules: Rules) -> Decision:
    """All seats busy and a long wait ahead: offer a queue callback (the call keeps its place)."""
    if view.available > view.waiting or view.estimated_wait() < rules.callback_offer_after_seconds:
        return decision
    number = decision.callback_number
    offer = bool(number) and number not in snapshot.pending_callbacks
    from dataclasses import replace

    return replace(decision, offer_callback=offer, reason=decision.reason + ("+callback_offer" if offer else ""))


@dataclass(frozen=True, slots=True)
class Waiting:
    """A caller waiting in a queue, as `reconsider` sees it."""

    linkedid: str
    channel: str
    queue: str
    waited_seconds: float
    prefecture_code: str | None
    skill: str
    priority: int = 0
    overflowed: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    """Redirect a waiting caller to `queue-overflow`/`exten` (a center code), keeping its priority."""

    to_queue: str
    exten: str
    reason: str
    context: str = "queue-overflow"


def reconsider(waiting: Waiting, snapshot: Snapshot, rules: Rules, now: datetime) -> Move | None:
    """Overflow a long-waiting prefecture caller to the provincial queue, or bring it back."""
    province_q = queue_name(rules.province_code, waiting.skill)
    pref = waiting.prefecture_code
    pref_q = queue_name(pref, waiting.skill) if pref else None
    if waiting.queue == pref_q and not waiting.overflowed:
        here = snapshot.queue(pref_q)
        if waiting.waited_seconds < rules.overflow_after_seconds or here.available > 0:
            return None
        there = snapshot.queue(province_q)
        if there.available > 0 or there.estimated_wait() < here.estimated_wait(ahead=0):
            return Move(province_q, rules.province_code, "overflow")
        return None
    if waiting.queue == province_q and waiting.overflowed and pref_q:
        home, here = snapshot.queue(pref_q), snapshot.queue(province_q)
        if home.available > home.waiting and here.available == 0:
            return Move(pref_q, pref, "seat_freed_in_prefecture")
    return None
