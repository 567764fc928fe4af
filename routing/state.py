"""Live state of every node, built only from AMI events: `apply(state, event, at) -> (state, domain_events)`.

No I/O and no clock of its own: `at` is the time the event was read (epoch seconds). For speed the state
object is updated in place and returned; the same events in the same order always give the same state.
Channels are grouped into calls by Linkedid. Domain events are `(topic, payload)` pairs for the bus.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from routing.payloads import call_payload, iso
from routing.records import finish_record


@dataclass(slots=True)
class Leg:
    """One channel of a call."""

    channel: str
    uniqueid: str
    created_at: float
    caller_number: str = ""
    caller_name: str = ""
    context: str = ""
    exten: str = ""
    state: str = ""
    bridge: str | None = None
    hungup_at: float | None = None
    cause: str = ""


@dataclass(slots=True)
class Visit:
    """A stay in one queue."""

    queue: str
    joined_at: float
    position: int = 0
    left_at: float | None = None
    result: str = "waiting"  # waiting | answered | abandoned | redirected | left
    holdtime: int | None = None  # Asterisk's whole-second figure


@dataclass(slots=True)
class Call:
    """Every leg sharing a Linkedid, with what the engine knows about its route."""

    linkedid: str
    node: str
    offered_at: float
    legs: dict[str, Leg] = field(default_factory=dict)
    caller_uniqueid: str = ""
    direction: str = "inbound"  # inbound | callback (originated)
    route: dict = field(default_factory=dict)  # IVR/policy facts: skill, category, prefecture, decision …
    visits: list[Visit] = field(default_factory=list)
    rings: list[dict] = field(default_factory=list)  # {interface, at, result}
    answered_at: float | None = None
    connected_at: float | None = None  # callbacks: when the citizen's leg joined the seat's
    seat_interface: str = ""
    seat_name: str = ""
    seat_channel: str = ""
    talk_end_at: float | None = None
    complete_reason: str = ""
    hold_started: float | None = None
    hold_seconds: float = 0.0
    transfer: dict | None = None
    hangup_by: str = ""
    originate: dict | None = None
    redirects: list[dict] = field(default_factory=list)
    resynced: bool = False

    @property
    def caller(self) -> Leg | None:
        return self.legs.get(self.caller_uniqueid)

    @property
    def live(self) -> bool:
        return any(leg.hungup_at is None for leg in self.legs.values())

    @property
    def visit(self) -> Visit | None:
        """The current queue stay, if the caller is waiting."""
        if self.visits and self.visits[-1].left_at is None:
            return self.visits[-1]
        return None


@dataclass(slots=True)
class Member:
    """A queue member (a seat's interface in one queue)."""

    queue: str
    interface: str
    name: str = ""
    status: int = 0  # AST_DEVICE_*: 1 not in use, 2 in use, 6 ringing …
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    wrapup_until: float = 0.0


@dataclass(slots=True)
class Queue:
    """One queue: waiting callers in order (uniqueids), members by interface."""

    name: str
    callers: list[str] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    wrapup_seconds: int = 0
    # kept in step by state_queue.member_changed, so a routing decision never walks every member:
    staffed: dict[str, str] = field(default_factory=dict)  # interface → seat: logged in, reachable, unpaused
    idle: dict[str, Member] = field(default_factory=dict)  # staffed and not in a call (free once wrap-up ends)
    version: int = 0  # bumped on every change to a member: views of the members are memoized against it
    memo: tuple | None = None  # routing.snapshot's member view: (version, since, until, languages, view)


@dataclass(slots=True)
class NodeState:
    """Everything known about one Asterisk node."""

    name: str
    channels: dict[str, str] = field(default_factory=dict)  # uniqueid → linkedid (live legs)
    by_name: dict[str, str] = field(default_factory=dict)  # channel name → uniqueid (live legs)
    calls: dict[str, Call] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    originates: dict[str, dict] = field(default_factory=dict)  # ActionID → pending Originate
    finished: dict[str, float] = field(default_factory=dict)  # recently ended Linkedids (late events ignored)
    up: bool = False
    wrapup_seconds: int = 0  # queues.conf wrapuptime: app_queue never reports it, so it is configured

    def call_of(self, uniqueid: str | None) -> Call | None:
        linkedid = self.channels.get(uniqueid or "")
        return self.calls.get(linkedid) if linkedid else None

    def queue(self, name: str) -> Queue:
        q = self.queues.get(name)
        if q is None:
            q = self.queues[name] = Queue(name, wrapup_seconds=self.wrapup_seconds)
        return q


@dataclass(slots=True)
class State:
    """All nodes."""

    nodes: dict[str, NodeState] = field(default_factory=dict)
    wrapup_seconds: int = 0

    def node(self, name: str) -> NodeState:
        n = self.nodes.get(name)
        if n is None:
            n = self.nodes[name] = NodeState(name, wrapup_seconds=self.wrapup_seconds)
        return n


Out = list[tuple[str, dict]]
FINISHED_KEEP = 20_000


def apply(state: State, event: dict, at: float, node: str = "node1") -> tuple[State, Out]:
    """Apply one AMI (or engine) event seen on `node` at `at`; return the state and domain events."""
    handler = HANDLERS.get(event.get("Event", ""))
    if handler is None:
        return state, []
    out: Out = []
    handler(state.node(node), event, at, out)
    return state, out


# ---- channels and calls ----------------------------------------------------------------
def _leg_from(event: dict, at: float, prefix: str = "") -> Leg:
    return Leg(channel=event.get(prefix + "Channel", ""), uniqueid=event.get(prefix + "Uniqueid", ""),
               created_at=at, caller_number=event.get(prefix + "CallerIDNum", ""),
               caller_name=event.get(prefix + "CallerIDName", ""), context=event.get(prefix + "Context", ""),
               exten=event.get(prefix + "Exten", ""), state=event.get(prefix + "ChannelStateDesc", ""))


def _ensure_leg(ns: NodeState, event: dict, at: float, out: Out, prefix: str = "") -> Call | None:
    """The call of the event's channel, creating leg and call if this is their first sight."""
    uid = event.get(prefix + "Uniqueid")
    if not uid or uid == "<unknown>":
        return None
    call = ns.call_of(uid)
    if call is not None:
        return call
    linkedid = event.get(prefix + "Linkedid") or uid
    if linkedid in ns.finished:  # a late event of a call already closed (e.g. held during a resync)
        return None
    call = ns.calls.get(linkedid)
    leg = _leg_from(event, at, prefix)
    if call is None:
        call = ns.calls[linkedid] = Call(linkedid=linkedid, node=ns.name, offered_at=at, caller_uniqueid=uid)
        _match_originate(ns, call, leg)
        if call.direction == "inbound":
            out.append(("call.new", call_payload(call, at)))
    call.legs[uid] = leg
    ns.channels[uid] = linkedid
    ns.by_name[leg.channel] = uid
    return call


def _match_originate(ns: NodeState, call: Call, leg: Leg) -> None:
    for action_id, orig in ns.originates.items():
        if orig.get("linkedid") is None and leg.channel.startswith(orig["channel"] + "-"):
            orig["linkedid"] = call.linkedid
            call.direction = "callback"
            call.originate = {"action_id": action_id, **{k: v for k, v in orig.items() if k != "linkedid"}}
            return


def on_newchannel(ns, event, at, out):
    _ensure_leg(ns, event, at, out)


def on_newstate(ns, event, at, out):
    call = _ensure_leg(ns, event, at, out)
    if call is not None:
        leg = call.legs[event["Uniqueid"]]
        leg.state = event.get("ChannelStateDesc", leg.state)


def on_newcallerid(ns, event, at, out):
    call = _ensure_leg(ns, event, at, out)
    if call is not None:
        leg = call.legs[event["Uniqueid"]]
        leg.caller_number = event.get("CallerIDNum", leg.caller_number)
        leg.caller_name = event.get("CallerIDName", leg.caller_name)


def on_hangup_request(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is not None and not call.hangup_by:
        first_leg = event.get("Uniqueid") == call.caller_uniqueid
        if call.direction == "callback":  # the originated first leg is the seat's
            first_leg = not first_leg
        call.hangup_by = "caller" if first_leg else "seat"


def on_hangup(ns, event, at, out):
    uid = event.get("Uniqueid", "")
    call = _ensure_leg(ns, event, at, out)
    if call is None:
        return
    leg = call.legs[uid]
    leg.hungup_at, leg.cause = at, event.get("Cause", "")
    leg.bridge = None
    ns.channels.pop(uid, None)
    if ns.by_name.get(leg.channel) == uid:
        del ns.by_name[leg.channel]
    if uid == call.caller_uniqueid:
        _leave_all_queues(ns, call, at, "abandoned")
        _end_hold(call, at)
        if call.answered_at is not None and call.talk_end_at is None:
            call.talk_end_at = at
    _maybe_finish(ns, call, at, out)


def _maybe_finish(ns: NodeState, call: Call, at: float, out: Out) -> None:
    if call.live:
        return
    orig = call.originate
    if orig is not None and orig.get("response") is None and orig["action_id"] in ns.originates:
        return  # the OriginateResponse says how it ended; wait for it
    finish_call(ns, call, at, out)


def finish_call(ns: NodeState, call: Call, at: float, out: Out) -> None:
    """Close a call: leave queues, drop it from the live state, emit call.ended + call.record."""
    _leave_all_queues(ns, call, at, "abandoned")
    for uid, leg in call.legs.items():
        ns.channels.pop(uid, None)
        if ns.by_name.get(leg.channel) == uid:
            del ns.by_name[leg.channel]
    ns.calls.pop(call.linkedid, None)
    ns.finished[call.linkedid] = at
    if len(ns.finished) > FINISHED_KEEP:  # dicts keep insertion order: drop the oldest half
        for old in list(ns.finished)[: FINISHED_KEEP // 2]:
            del ns.finished[old]
    if call.originate:
        ns.originates.pop(call.originate["action_id"], None)
    record = finish_record(call, at)
    out.append(("call.ended", {"linkedid": call.linkedid, "outcome": record["outcome"],
                               "seat_extension": record["seat_extension"], "at": iso(at)}))
    out.append(("call.record", record))


def _leave_all_queues(ns: NodeState, call: Call, at: float, result: str) -> None:
    visit = call.visit
    if visit is None:
        return
    visit.left_at, visit.result = at, result
    q = ns.queues.get(visit.queue)
    if q is not None and call.caller_uniqueid in q.callers:
        q.callers.remove(call.caller_uniqueid)


def _end_hold(call: Call, at: float) -> None:
    if call.hold_started is not None:
        call.hold_seconds += max(0.0, at - call.hold_started)
        call.hold_started = None


def on_bridge_enter(ns, event, at, out):
    call = _ensure_leg(ns, event, at, out)
    if call is not None:
        call.legs[event["Uniqueid"]].bridge = event.get("BridgeUniqueid")
        if call.direction == "callback" and call.connected_at is None and _bridged_pair(call):
            call.connected_at = at
            call.answered_at = call.answered_at or at


def _bridged_pair(call: Call) -> bool:
    bridges = [leg.bridge for leg in call.legs.values() if leg.bridge]
    return len(bridges) >= 2 and len(set(bridges)) < len(bridges)


def on_bridge_leave(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is None:
        return
    call.legs[event["Uniqueid"]].bridge = None
    if call.answered_at is not None and call.talk_end_at is None and event.get("Uniqueid") in (
            call.caller_uniqueid, _seat_uid(call)):
        call.talk_end_at = at
        _end_hold(call, at)


def _seat_uid(call: Call) -> str:
    return next((u for u, leg in call.legs.items() if leg.channel == call.seat_channel), "")


def on_hold(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is not None and call.hold_started is None:
        call.hold_started = at


def on_unhold(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is not None:
        _end_hold(call, at)


def on_blind_transfer(ns, event, at, out):
    call = ns.call_of(event.get("TransfereeUniqueid")) or ns.call_of(event.get("TransfererUniqueid"))
    if call is not None and event.get("Result", "Success") == "Success":
        call.transfer = {"kind": "blind", "context": event.get("Context", ""),
                         "exten": event.get("Extension", ""), "at": at}
        if call.talk_end_at is None and call.answered_at is not None:
            call.talk_end_at = at
            _end_hold(call, at)


def on_attended_transfer(ns, event, at, out):
    call = ns.call_of(event.get("OrigTransfererUniqueid"))
    if call is not None and event.get("Result", "Success") == "Success":
        call.transfer = {"kind": "attended", "context": event.get("SecondTransfererContext", ""),
                         "exten": event.get("SecondTransfererExten", ""), "at": at}


# ---- originate (the engine's callbacks) -------------------------------------------------
def on_originate_sent(ns, event, at, out):
    """Engine pseudo-event: an Originate was sent (live by the service, in replay from the capture)."""
    ns.originates[event["ActionID"]] = {"channel": event.get("Channel", ""), "exten": event.get("Exten", ""),
                                        "context": event.get("Context", ""), "sent_at": at, "linkedid": None,
                                        "variables": _variables(event.get("Variable")), "response": None}


def _variables(raw) -> dict[str, str]:
    items = [raw] if isinstance(raw, str) else list(raw or [])
    return dict(item.split("=", 1) for item in items if "=" in item)


def on_originate_response(ns, event, at, out):
    orig = ns.originates.get(event.get("ActionID", ""))
    if orig is None:
        return
    orig["response"], orig["reason"] = event.get("Response", ""), event.get("Reason", "")
    call = ns.calls.get(orig["linkedid"] or "")
    if call is None and event.get("Uniqueid") not in (None, "", "<unknown>"):
        call = ns.call_of(event["Uniqueid"])
    if call is not None:
        call.originate.update(response=orig["response"], reason=orig["reason"])
        if orig["response"] == "Success" and call.answered_at is None:
            call.answered_at = at  # the seat picked up; the citizen is dialled next
        if not call.live:
            finish_call(ns, call, at, out)
        return
    if orig["response"] != "Success":  # failed before any channel existed (e.g. no contact)
        ghost = Call(linkedid=f"originate:{event['ActionID']}", node=ns.name, offered_at=orig["sent_at"],
                     direction="callback", originate={"action_id": event["ActionID"], **orig})
        ns.calls[ghost.linkedid] = ghost
        finish_call(ns, ghost, at, out)


from routing.state_queue import QUEUE_HANDLERS  # noqa: E402  (queue handlers use the helpers above)

HANDLERS = {
    "Newchannel": on_newchannel, "Newstate": on_newstate, "NewCallerid": on_newcallerid,
    "HangupRequest": on_hangup_request, "Hangup": on_hangup, "BridgeEnter": on_bridge_enter,
    "BridgeLeave": on_bridge_leave, "Hold": on_hold, "Unhold": on_unhold, "BlindTransfer": on_blind_transfer,
    "AttendedTransfer": on_attended_transfer, "OriginateSent": on_originate_sent,
    "OriginateResponse": on_originate_response, **QUEUE_HANDLERS,
}
