"""Bus payloads published by the routing engine (shapes documented in docs/architecture.md)."""
from __future__ import annotations

from datetime import datetime, timezone

DEVICE_STATES = {0: "UNKNOWN", 1: "NOT_INUSE", 2: "INUSE", 3: "BUSY", 4: "INVALID", 5: "UNAVAILABLE",
                 6: "RINGING", 7: "RINGINUSE", 8: "ONHOLD"}


def iso(at: float) -> str:
    """Epoch seconds → ISO-8601 UTC."""
    return datetime.fromtimestamp(at, timezone.utc).isoformat()


def is_personal_queue(queue: str | None) -> bool:
    """`seat-<ext>`: a seat's personal queue, tried first for 首问负责制 (asterisk-config's queues.conf)."""
    return bool(queue) and queue.startswith("seat-")


def counted_queue(queue: str, route: dict) -> str:
    """The queue a stay counts for: a personal-queue stay counts for the skill queue routing chose."""
    return (route.get("queue") or queue) if is_personal_queue(queue) else queue


def extension_of(interface: str) -> str:
    """PJSIP/seat1001 → 1001 (empty when the interface is not a seat)."""
    tail = interface.rsplit("/", 1)[-1]
    return tail[4:] if tail.startswith("seat") else ""


def call_payload(call, at: float) -> dict:
    """The `call.new`/`call.ivr`/`call.queued` payload (and the base of `call.ringing`)."""
    caller = call.caller
    route = call.route
    visit = call.visits[-1] if call.visits else None
    return {"linkedid": call.linkedid, "uniqueid": call.caller_uniqueid, "node": call.node,
            "caller_number": caller.caller_number if caller else "", "caller_name": caller.caller_name if caller else "",
            "did": caller.exten if caller else "", "prefecture_code": route.get("prefecture_code"),
            "prefecture_name": route.get("prefecture_name"), "skill": route.get("skill"),
            "category": route.get("category"), "priority": route.get("priority", 0),
            "green": bool(route.get("green")), "queue": counted_queue(visit.queue, route) if visit else route.get("queue"),
            "ivr_path": route.get("ivr_path", []), "handoff_ticket": route.get("handoff_ticket"), "at": iso(at)}


def member_payload(node: str, member, at: float) -> dict:
    """The `member.status` payload."""
    return {"node": node, "queue": member.queue, "interface": member.interface,
            "extension": extension_of(member.interface), "status": DEVICE_STATES.get(member.status, "UNKNOWN"),
            "paused": member.paused, "paused_reason": member.paused_reason, "in_call": member.in_call,
            "at": iso(at)}
