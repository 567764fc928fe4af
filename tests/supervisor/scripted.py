"""A scripted day of call records and seat events with hand-computed expectations (docs/supervisor.md)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

DAY = datetime(2026, 11, 2, tzinfo=UTC)


def at(hhmmss: str, day: datetime = DAY) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return day + timedelta(hours=h, minutes=m, seconds=s)


def call(linkedid, offered, outcome, queues=(), *, wait=None, talk=None, hold=0.0, skill=None, seat=None,
         direction="inbound", survey=None, prefecture="410100", abandoned_in=None):
    """A call record as routing writes it (only the columns statistics read)."""
    visits = [{"queue": q, "wait_seconds": w, "result": "x"} for q, w in queues]
    offered_at = at(offered)
    answered_at = offered_at + timedelta(seconds=wait or 0) if outcome == "answered" else None
    return {"linkedid": linkedid, "node": "node1", "direction": direction, "caller_number": f"1380000{linkedid[-4:]}",
            "prefecture_code": prefecture, "skill": skill, "queues": visits,
            "first_queue": visits[0]["queue"] if visits else None, "last_queue": visits[-1]["queue"] if visits else None,
            "offered_at": offered_at, "queued_at": offered_at if visits else None, "answered_at": answered_at,
            "ended_at": offered_at + timedelta(seconds=(wait or 0) + (talk or 0) + 1),
            "wait_seconds": wait, "talk_seconds": talk, "hold_seconds": hold, "seat_extension": seat,
            "outcome": outcome, "abandoned_in": abandoned_in, "overflowed": len(visits) > 1,
            "survey_score": survey, "short_abandon": False}


CALLS = [
    call("c-A001", "08:10:00", "answered", [("q-410100-consult", 10)], wait=10, talk=100, hold=20, skill="consult",
         seat="1001", survey=5),
    call("c-B002", "09:00:00", "answered", [("q-410100-consult", 30)], wait=30, talk=200, skill="consult", seat="1002",
         survey=2),
    call("c-C003", "09:30:00", "abandoned", [("q-410100-aid", 3)], wait=3, skill="aid", abandoned_in="queue"),
    call("c-D004", "10:00:00", "abandoned", [("q-410100-aid", 40)], wait=40, skill="aid", abandoned_in="queue",
         prefecture="410300"),
    call("c-E005", "10:30:00", "answered", [("q-410100-consult", 60), ("q-410000-consult", 5)], wait=65, talk=50,
         skill="consult", seat="1101"),
    call("c-F006", "11:00:00", "abandoned", [], abandoned_in="ivr"),
    call("c-G007", "14:00:00", "callback", [("q-410100-mediation", 50)], wait=50, skill="mediation"),
    call("c-H008", "15:00:00", "answered", [], talk=90, seat="1001", direction="callback"),
    call("c-I009", "15:30:00", "answered", [("q-410100-mediation", 20)], wait=20, talk=60, skill="mediation", seat="1002"),
    # the next day: outside the window
    call("c-J010", "08:00:00", "answered", [("q-410100-consult", 1)], wait=1, talk=5, skill="consult", seat="1001")
    | {"offered_at": at("08:00:00") + timedelta(days=1)},
]


def event(ext, when, frm, to, linkedid=None, center="410100"):
    return {"extension": ext, "center_code": center, "from_state": frm, "to_state": to, "linkedid": linkedid,
            "at": when}


EVENTS = [
    event("1001", at("08:00:00"), "offline", "available"),
    event("1001", at("08:10:10"), "available", "on_call", "c-A001"),
    event("1001", at("08:12:00"), "on_call", "wrap_up", "c-A001"),
    event("1001", at("08:12:30"), "wrap_up", "available"),
    event("1001", at("09:00:00"), "available", "offline"),
    # signed in before the window opened
    event("1002", at("23:00:00", DAY - timedelta(days=1)), "offline", "available"),
    event("1002", at("01:00:00"), "available", "offline"),
]
QA_CHECKED = frozenset({"c-A001", "c-H008"})
