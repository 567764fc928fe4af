"""A finished call → its call record (a JSON-able dict): outcome, waits, talk, hold, legs, route.

Outcomes: answered, abandoned, overflowed (redirected out of the queues and never answered here),
callback (the caller took a queue callback), handoff (sent to 12345), after-hours, and for calls the
engine originated (回访/queue callbacks) originate-failed.
"""
from __future__ import annotations

from datetime import datetime, timezone

from routing.payloads import counted_queue, is_personal_queue

SHORT_ABANDON_SECONDS = 5.0  # abandons faster than this are not counted against service level


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, timezone.utc).isoformat()


def _r(x: float | None) -> float | None:
    return None if x is None else round(max(0.0, x), 3)


def _waits(call, end: float) -> float:
    total = 0.0
    for v in call.visits:
        total += (v.left_at if v.left_at is not None else end) - v.joined_at
    return total


def outcome_of(call) -> tuple[str, str | None]:
    """(outcome, where it was abandoned) for a finished call."""
    if call.direction == "callback":
        orig = call.originate or {}
        if call.connected_at is not None:
            return "answered", None
        return ("originate-failed" if orig.get("response") not in (None, "Success") or not call.legs
                else "abandoned"), None
    transfer = call.transfer or {}
    if transfer and (transfer.get("context") == "handoff-12345" or transfer.get("exten") == "12345"):
        return "handoff", None
    if call.answered_at is not None:
        return "answered", None
    action = call.route.get("action")
    if action == "callback":
        return "callback", None
    if action in ("voicemail", "duty-voicemail") or call.route.get("after_hours") and not call.visits:
        return "after-hours", None
    if call.visits and call.visits[-1].result == "redirected":
        return "overflowed", None
    if not call.visits:
        return "abandoned", "ivr"
    ringing = any(r["result"] == "ringing" for r in call.rings)
    return "abandoned", "ringing" if ringing else "queue"


def _seat_extension(interface: str) -> str | None:
    tail = interface.rsplit("/", 1)[-1]
    return tail[4:] if tail.startswith("seat") else (tail or None)


def finish_record(call, at: float) -> dict:
    """The call record of a finished call (times ISO-8601 UTC, durations in seconds)."""
    ended = max([leg.hungup_at for leg in call.legs.values() if leg.hungup_at is not None] or [at])
    outcome, abandoned_in = outcome_of(call)
    wait = _waits(call, call.answered_at or ended)
    return {"linkedid": call.linkedid, "node": call.node, "direction": call.direction,
            **_who(call), **_route(call.route), **_path(call, ended), **_times(call, ended, wait),
            "outcome": outcome, "abandoned_in": abandoned_in,
            "short_abandon": bool(outcome == "abandoned" and abandoned_in != "ivr" and wait < SHORT_ABANDON_SECONDS),
            "overflowed": any(v.result == "redirected" for v in call.visits),
            "ring_no_answer": sum(r["result"] == "noanswer" for r in call.rings),
            "hangup_by": call.hangup_by or None, "complete_reason": call.complete_reason or None,
            "transfer": call.transfer and {**call.transfer, "at": _iso(call.transfer["at"])},
            "originate_action_id": (call.originate or {}).get("action_id"),
            "originate_reason": (call.originate or {}).get("reason"), "resynced": call.resynced}


def _who(call) -> dict:
    """Caller and seat; for engine-originated callbacks the first leg is the seat, the citizen the exten."""
    caller, orig = call.caller, call.originate or {}
    seat_interface = call.seat_interface
    if call.direction == "callback":
        seat_interface = seat_interface or orig.get("channel", "")
        number, name = orig.get("exten") or None, None
    else:
        number, name = (caller.caller_number, caller.caller_name) if caller else (None, None)
    return {"caller_number": number, "caller_name": name,
            "did": caller.exten if caller and call.direction == "inbound" else None,
            "seat_extension": _seat_extension(seat_interface) if seat_interface else None,
            "seat_interface": seat_interface or None, "seat_name": call.seat_name or None}


def _route(route: dict) -> dict:
    """What the IVR and the policy said about the call."""
    return {"prefecture_code": route.get("prefecture_code"), "skill": route.get("skill"),
            "category": route.get("category"), "priority": int(route.get("priority") or 0),
            "green": bool(route.get("green")), "ivr_path": list(route.get("ivr_path", [])),
            "decision": route.get("action"), "decision_reason": route.get("reason"),
            "handoff_ticket": route.get("handoff_ticket"), "survey_score": route.get("survey_score")}


def _path(call, ended: float) -> dict:
    """Queues visited, seats rung, legs."""
    return {
        # a stay in a seat's personal queue (首问负责制) counts for the skill queue routing chose;
        # `via` keeps the queue Asterisk actually ran
        "queues": [{"queue": counted_queue(v.queue, call.route), "joined_at": _iso(v.joined_at),
                    "left_at": _iso(v.left_at), "wait_seconds": _r((v.left_at or ended) - v.joined_at),
                    "result": v.result, "asterisk_holdtime": v.holdtime,
                    **({"via": v.queue} if is_personal_queue(v.queue) else {})} for v in call.visits],
        "queues_visited": [counted_queue(v.queue, call.route) for v in call.visits],
        "rings": [{"interface": r["interface"], "at": _iso(r["at"]), "result": r["result"]} for r in call.rings],
        "legs": [{"channel": leg.channel, "uniqueid": leg.uniqueid, "created_at": _iso(leg.created_at),
                  "hungup_at": _iso(leg.hungup_at), "cause": leg.cause} for leg in call.legs.values()]}


def _times(call, ended: float, wait: float) -> dict:
    """The timestamps and durations statistics are computed from."""
    talk = (call.talk_end_at or ended) - call.answered_at if call.answered_at is not None else None
    return {"offered_at": _iso(call.offered_at), "queued_at": _iso(call.visits[0].joined_at if call.visits else None),
            "answered_at": _iso(call.answered_at), "ended_at": _iso(ended),
            "wait_seconds": _r(wait) if call.visits else None, "talk_seconds": _r(talk),
            "hold_seconds": _r(call.hold_seconds)}
