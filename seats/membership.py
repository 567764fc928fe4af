"""Queue membership — pure: which queues a seat belongs to, and what to fix after an engine restart."""
from __future__ import annotations

from dataclasses import dataclass

from hotline.directory import Directory, Seat, safe_text
from seats.status import SeatState, Status, asterisk_pause

# Asterisk device states as QueueMemberStatus / QueueMember `Status:` numbers (AST_DEVICE_*).
DEVICE_STATES = {0: "unknown", 1: "not_inuse", 2: "inuse", 3: "busy", 4: "invalid", 5: "unavailable",
                 6: "ringing", 7: "ringinuse", 8: "onhold"}


@dataclass(frozen=True, slots=True)
class MemberSpec:
    """One queue the seat must be a member of."""

    queue: str
    interface: str
    member_name: str
    penalty: int


@dataclass(frozen=True, slots=True)
class AsteriskMember:
    """A member as QueueStatus reports it."""

    queue: str
    interface: str
    paused: bool
    reason: str | None
    in_call: bool
    status: str
    dynamic: bool = True
    penalty: int | None = None


@dataclass(frozen=True, slots=True)
class AddMember:
    spec: MemberSpec
    paused: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class RemoveMember:
    queue: str
    interface: str


@dataclass(frozen=True, slots=True)
class PauseMember:
    queue: str
    interface: str
    paused: bool
    reason: str | None


@dataclass(frozen=True, slots=True)
class PenaltyMember:
    queue: str
    interface: str
    penalty: int


Fix = AddMember | RemoveMember | PauseMember | PenaltyMember


def member_name(seat: Seat, display_name: str | None) -> str:
    """`李律师(1001)` when the operator has a usable display name, else the seat's name."""
    if display_name:
        try:
            return f"{safe_text(display_name.strip())}({seat.extension})"
        except ValueError:
            pass
    return seat.name


def seat_queues(directory: Directory, seat: Seat, display_name: str | None = None) -> list[MemberSpec]:
    """Every queue matching the seat's center and skills, with the penalty of its skill level."""
    existing = set(directory.queue_names())
    name = member_name(seat, display_name)
    out = []
    for skill in seat.skills:
        queue = directory.queue_name(seat.center, skill)
        if queue in existing:
            out.append(MemberSpec(queue, seat.interface, name, seat.penalty(skill)))
    return out


def device_state(status: object) -> str:
    """Normalise a member/device status (number or name) to a DEVICE_STATES name."""
    if isinstance(status, int) or (isinstance(status, str) and status.isdigit()):
        return DEVICE_STATES.get(int(status), "unknown")
    text = str(status or "unknown").strip().lower().replace(" ", "_")
    return text if text in DEVICE_STATES.values() else "unknown"


def registration(status: object) -> str:
    """What the console shows about the phone: registered / unregistered / unknown."""
    state = device_state(status)
    if state in ("unavailable", "invalid"):
        return "unregistered"
    return "unknown" if state == "unknown" else "registered"


def parse_queue_status(events: list[dict[str, str]]) -> list[AsteriskMember]:
    """QueueMember items of a QueueStatus response."""
    out = []
    for ev in events:
        if ev.get("Event") != "QueueMember":
            continue
        out.append(AsteriskMember(
            queue=ev.get("Queue", ""), interface=ev.get("Location") or ev.get("Interface") or ev.get("StateInterface", ""),
            paused=ev.get("Paused") == "1", reason=ev.get("PausedReason") or None, in_call=ev.get("InCall") == "1",
            status=device_state(ev.get("Status", "0")), dynamic=ev.get("Membership", "dynamic") != "static",
            penalty=int(ev["Penalty"]) if str(ev.get("Penalty", "")).isdigit() else None))
    return out


def reconcile(wanted: dict[str, tuple[list[MemberSpec], SeatState]], actual: list[AsteriskMember],
              managed: set[str]) -> list[Fix]:
    """What to send so Asterisk matches the database for every signed-in seat (`wanted` by extension).

    `managed` = interfaces of directory seats; members of other interfaces (static or foreign) are left alone.
    """
    have = {(m.queue, m.interface): m for m in actual}
    fixes: list[Fix] = []
    wanted_keys = set()
    for specs, state in wanted.values():
        pause = asterisk_pause(state)
        if pause is None:
            continue
        for spec in specs:
            wanted_keys.add((spec.queue, spec.interface))
            m = have.get((spec.queue, spec.interface))
            if m is None:
                fixes.append(AddMember(spec, pause[0], pause[1]))
                continue
            if m.paused != pause[0] or (pause[0] and m.reason != pause[1]):
                fixes.append(PauseMember(spec.queue, spec.interface, pause[0], pause[1]))
            if m.dynamic and m.penalty is not None and m.penalty != spec.penalty:
                fixes.append(PenaltyMember(spec.queue, spec.interface, spec.penalty))  # skill level changed
    for key, m in have.items():
        if key not in wanted_keys and m.interface in managed and m.dynamic:
            fixes.append(RemoveMember(m.queue, m.interface))
    return fixes


def call_state(members: list[AsteriskMember], interface: str) -> str:
    """`in_call`, `ringing` or `idle` for one interface across its queues."""
    mine = [m for m in members if m.interface == interface]
    if any(m.in_call or m.status in ("inuse", "busy", "onhold", "ringinuse") for m in mine):
        return "in_call"
    if any(m.status == "ringing" for m in mine):
        return "ringing"
    return "idle"


def rederive(state: SeatState, asterisk_call_state: str) -> str | None:
    """After a restart: the event name that brings the stored state in line with Asterisk, if any."""
    if state.status is Status.ON_CALL and asterisk_call_state == "idle":
        return "hangup"      # the call ended while the engine was away
    if state.status is Status.RINGING and asterisk_call_state == "idle":
        return "ring_stop"
    if state.status in (Status.AVAILABLE, Status.PAUSED, Status.WRAP_UP, Status.RINGING) \
            and asterisk_call_state == "in_call":
        return "answer"      # answered while the engine was away
    return None
