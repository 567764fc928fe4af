"""Queue, member and link events for `routing.state.apply` (same rules: no I/O, time passed in)."""
from __future__ import annotations

from routing import state as st
from routing.payloads import call_payload, extension_of, is_personal_queue, iso, member_payload

def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ---- callers ---------------------------------------------------------------------------
def on_join(ns, event, at, out):
    call = st._ensure_leg(ns, event, at, out)
    if call is None:
        return
    uid, name = event["Uniqueid"], event.get("Queue", "")
    if uid != call.caller_uniqueid and call.caller is not None and call.caller.hungup_at is not None:
        call.caller_uniqueid = uid
    previous = call.visits[-1] if call.visits else None
    if call.visit is not None:
        st._leave_all_queues(ns, call, at, "redirected")
    q = ns.queue(name)
    if uid in q.callers:
        q.callers.remove(uid)
    position = max(1, _int(event.get("Position"), len(q.callers) + 1))
    q.callers.insert(min(position - 1, len(q.callers)), uid)
    call.visits.append(st.Visit(queue=name, joined_at=at, position=position))
    # leaving a seat's personal queue for the skill queue is the 首问负责制 fallback, not an overflow
    if previous is not None and previous.result in ("abandoned", "redirected", "left") and previous.queue != name \
            and not is_personal_queue(previous.queue):
        previous.result = "redirected"  # app_queue reports a Redirect out of Queue() as an abandon
        out.append(("call.overflowed", {"linkedid": call.linkedid, "node": ns.name, "from_queue": previous.queue,
                                        "to_queue": name,
                                        "waited_seconds": round((previous.left_at or at) - previous.joined_at, 3),
                                        "at": iso(at)}))
    out.append(("call.queued", call_payload(call, at)))


def on_abandon(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is not None and call.visit is not None:
        call.visit.result = "abandoned"
        call.visit.holdtime = _int(event.get("HoldTime"), 0)


def on_leave(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is None:
        return
    visit = call.visit
    if visit is not None and visit.queue == event.get("Queue", visit.queue):
        visit.left_at = at
        if visit.result == "waiting":
            visit.result = "left"
    q = ns.queues.get(event.get("Queue", ""))
    if q is not None and event["Uniqueid"] in q.callers:
        q.callers.remove(event["Uniqueid"])


def on_agent_called(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is None:
        return
    interface = event.get("Interface", "")
    call.rings.append({"interface": interface, "at": at, "result": "ringing"})
    visit = call.visit
    payload = call_payload(call, at)
    payload.update(seat_extension=extension_of(interface), seat_channel=event.get("DestChannel", ""),
                   waited_seconds=round(at - visit.joined_at, 3) if visit else 0.0)
    out.append(("call.ringing", payload))


def _ring_result(call, interface: str, result: str) -> None:
    for ring in reversed(call.rings):
        if ring["interface"] == interface and ring["result"] == "ringing":
            ring["result"] = result
            return


def on_ring_no_answer(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is not None:
        _ring_result(call, event.get("Interface", ""), "noanswer")


def on_agent_connect(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    if call is None:
        return
    interface = event.get("Interface", "")
    call.answered_at = at
    call.seat_interface, call.seat_name = interface, event.get("MemberName", "")
    call.seat_channel = event.get("DestChannel", "")
    _ring_result(call, interface, "answered")
    visit = next((v for v in reversed(call.visits) if v.queue == event.get("Queue")), None)
    waited = 0.0
    if visit is not None:
        visit.result, visit.holdtime = "answered", _int(event.get("HoldTime"), 0)
        visit.left_at = visit.left_at or at
        waited = visit.left_at - visit.joined_at
    q = ns.queue(event.get("Queue", ""))
    member = q.members.get(interface)
    if member is not None:
        member.in_call = True
        member_changed(q, interface, member)
    out.append(("call.connected", {"linkedid": call.linkedid, "uniqueid": call.caller_uniqueid, "node": ns.name,
                                   "queue": event.get("Queue", ""), "seat_extension": extension_of(interface),
                                   "caller_channel": event.get("Channel", ""), "seat_channel": call.seat_channel,
                                   "caller_number": event.get("CallerIDNum", ""),
                                   "waited_seconds": round(waited, 3), "at": iso(at)}))


def on_agent_complete(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid"))
    q = ns.queue(event.get("Queue", ""))
    member = q.members.get(event.get("Interface", ""))
    if member is not None:
        member.in_call = False
        member.wrapup_until = at + q.wrapup_seconds
        member_changed(q, member.interface, member)
    if call is None:
        return
    call.complete_reason = event.get("Reason", "")
    if call.talk_end_at is None:
        call.talk_end_at = at
        st._end_hold(call, at)
    if not call.hangup_by and call.complete_reason in ("caller", "agent"):
        call.hangup_by = "caller" if call.complete_reason == "caller" else "seat"


# ---- members ---------------------------------------------------------------------------
def _member_from(ns, event, at, out, interface_key: str = "Interface", name_key: str = "MemberName"):
    q = ns.queue(event.get("Queue", ""))
    interface = event.get(interface_key, "")
    member = q.members.get(interface)
    if member is None:
        member = q.members[interface] = st.Member(queue=q.name, interface=interface)
    member.name = event.get(name_key, member.name)
    member.status = _int(event.get("Status"), member.status)
    member.paused = event.get("Paused", "1" if member.paused else "0") == "1"
    member.paused_reason = event.get("PausedReason", member.paused_reason)
    member.in_call = event.get("InCall", "1" if member.in_call else "0") == "1"
    member.penalty = _int(event.get("Penalty"), member.penalty)
    member.calls_taken = _int(event.get("CallsTaken"), member.calls_taken)
    member.last_call = _int(event.get("LastCall"), member.last_call)
    member_changed(q, interface, member)
    out.append(("member.status", member_payload(ns.name, member, at)))
    return member


UNAVAILABLE = {4, 5}  # AST_DEVICE_INVALID, _UNAVAILABLE: not logged in / not registered


def member_changed(q, interface: str, member) -> None:
    """Keep the queue's `staffed`/`idle` indexes in step with one member (None: it left the queue)."""
    q.version += 1
    q.staffed.pop(interface, None)
    q.idle.pop(interface, None)
    if member is None or member.paused or member.status in UNAVAILABLE:
        return
    q.staffed[interface] = extension_of(interface) or interface
    if member.status == 1 and not member.in_call:
        q.idle[interface] = member


def on_member(ns, event, at, out):
    _member_from(ns, event, at, out)


def on_member_removed(ns, event, at, out):
    q = ns.queues.get(event.get("Queue", ""))
    member = q.members.pop(event.get("Interface", ""), None) if q else None
    if member is not None:
        member.status = 4
        member_changed(q, member.interface, None)
        out.append(("member.status", member_payload(ns.name, member, at)))


# ---- engine pseudo-events ------------------------------------------------------------------
def on_route_decided(ns, event, at, out):
    """The IVR asked the engine where to send the call: keep the facts for the record and the bus."""
    call = ns.call_of(event.get("Uniqueid")) or ns.calls.get(event.get("Linkedid", ""))
    if call is not None:
        call.route.update(event.get("Route", {}))
        out.append(("call.ivr", call_payload(call, at)))


def on_redirect_sent(ns, event, at, out):
    call = ns.call_of(event.get("Uniqueid") or ns.by_name.get(event.get("Channel", "")))
    if call is not None:
        call.redirects.append({"context": event.get("Context", ""), "exten": event.get("Exten", ""),
                               "reason": event.get("Reason", ""), "at": at})


# ---- link -----------------------------------------------------------------------------
def on_link_down(ns, event, at, out):
    ns.up = False


def on_link_resync(ns, event, at, out):
    """Make the node match Asterisk again from QueueStatus + CoreShowChannels taken after login."""
    ns.up = True
    _resync_channels(ns, event.get("Channels", []), at, out)
    _resync_queues(ns, event.get("QueueStatus", []), at, out)


def _resync_channels(ns, channels: list[dict], at: float, out) -> None:
    seen = {c.get("Uniqueid") for c in channels}
    for ch in channels:
        call = st._ensure_leg(ns, ch, at, out)
        if call is not None:
            call.legs[ch["Uniqueid"]].bridge = ch.get("BridgeId") or None
    for call in list(ns.calls.values()):
        for uid, leg in call.legs.items():
            if leg.hungup_at is None and uid not in seen:
                leg.hungup_at = at  # ended while the link was down
                ns.channels.pop(uid, None)
                if ns.by_name.get(leg.channel) == uid:
                    del ns.by_name[leg.channel]
        if not call.live:
            call.resynced = True
            if call.answered_at is not None and call.talk_end_at is None:
                call.talk_end_at = at
            st.finish_call(ns, call, at, out)
        else:
            _resync_answer(call, channels, at)


def _resync_answer(call, channels: list[dict], at: float) -> None:
    """A waiting caller bridged to a seat leg running AppQueue was answered while the link was down."""
    caller = call.caller
    if call.answered_at is not None or caller is None or not caller.bridge:
        return
    for ch in channels:
        if ch.get("BridgeId") == caller.bridge and ch.get("Uniqueid") != caller.uniqueid:
            call.answered_at, call.resynced = at, True
            call.seat_channel = ch.get("Channel", "")
            call.seat_interface = call.seat_channel.rsplit("-", 1)[0]
            visit = call.visit
            if visit is not None:
                visit.left_at, visit.result = at, "answered"
            return


def _resync_queues(ns, items: list[dict], at: float, out) -> None:
    fresh: dict[str, st.Queue] = {}
    for item in items:
        kind, name = item.get("Event"), item.get("Queue", "")
        old = ns.queues.get(name)
        q = fresh.setdefault(name, st.Queue(name, wrapup_seconds=old.wrapup_seconds if old else ns.wrapup_seconds))
        if kind == "QueueMember":
            member = st.Member(queue=name, interface=item.get("Location", ""))
            if old and member.interface in old.members:
                member.wrapup_until = old.members[member.interface].wrapup_until
            q.members[member.interface] = member
            ns.queues[name] = q
            _member_from(ns, item, at, out, interface_key="Location", name_key="Name")
        elif kind == "QueueEntry":
            _resync_entry(ns, q, item, at, out)
    for name, q in fresh.items():
        ns.queues[name] = q
    for call in ns.calls.values():
        visit = call.visit
        if visit is not None and call.caller_uniqueid not in fresh.get(visit.queue, st.Queue("")).callers:
            visit.left_at = at
            visit.result = "answered" if call.answered_at else "left"


def _resync_entry(ns, q, item: dict, at: float, out) -> None:
    call = ns.call_of(item.get("Uniqueid"))
    if call is None:
        return
    q.callers.append(item["Uniqueid"])
    visit = call.visit
    if visit is None or visit.queue != q.name:
        if visit is not None:
            visit.left_at, visit.result = at, "redirected"
        wait = _int(item.get("Wait"), 0)
        call.visits.append(st.Visit(queue=q.name, joined_at=at - wait, position=_int(item.get("Position"), 1)))
    call.route.setdefault("priority", _int(item.get("Priority"), 0))


QUEUE_HANDLERS = {
    "QueueCallerJoin": on_join, "QueueCallerAbandon": on_abandon, "QueueCallerLeave": on_leave,
    "AgentCalled": on_agent_called, "AgentRingNoAnswer": on_ring_no_answer, "AgentConnect": on_agent_connect,
    "AgentComplete": on_agent_complete, "QueueMemberAdded": on_member, "QueueMemberStatus": on_member,
    "QueueMemberPause": on_member, "QueueMemberPenalty": on_member, "QueueMemberRingInUse": on_member,
    "QueueMemberRemoved": on_member_removed,
    "RouteDecided": on_route_decided, "RedirectSent": on_redirect_sent, "LinkDown": on_link_down,
    "LinkResync": on_link_resync,
}
