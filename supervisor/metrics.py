"""Metric definitions: the one place where every supervisor number is computed (pure functions).

Inputs are plain records: call records as dicts (the columns of ``routing_call_records``, times as
aware datetimes or ISO strings), seat events as dicts (``extension, from_state, to_state, linkedid,
at``). The window and the clock are passed in. The formulas are written down in docs/supervisor.md.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

ASSESSMENT_SKILLS = {"consult": "legal_consultations", "aid": "legal_aid_matters", "mediation": "disputes_mediated"}
BUSY_STATES = frozenset({"on_call", "wrap_up"})
STAFFED_STATES = frozenset({"available", "ringing", "on_call", "wrap_up"})


@dataclass(frozen=True)
class MetricParams:
    """Thresholds the definitions depend on (seconds; satisfaction on the 1–5 survey scale)."""

    short_abandon_seconds: float = 5.0
    service_level_seconds: float = 20.0
    satisfied_min: int = 4


@dataclass(frozen=True)
class Window:
    """[start, end) in aware UTC; `now` caps open intervals (today's window is not over yet)."""

    start: datetime
    end: datetime
    now: datetime

    @property
    def stop(self) -> datetime:
        return min(self.end, self.now)


def as_dt(value) -> datetime | None:
    """An aware datetime from a datetime or an ISO-8601 string."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def center_of(queue: str | None) -> str | None:
    """Center code of a queue name ``q-<center>-<skill>``."""
    parts = (queue or "").split("-", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "q" else None


def skill_of(queue: str | None) -> str | None:
    """Skill of a queue name ``q-<center>-<skill>``."""
    parts = (queue or "").split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "q" else None


def visits(record: Mapping) -> list[dict]:
    """The queue visits of a record (older records without the list: first/last queue)."""
    listed = record.get("queues")
    if listed:
        return listed  # read-only: callers never change it
    names = [q for q in (record.get("first_queue"), record.get("last_queue")) if q]
    return [{"queue": q, "wait_seconds": None} for q in dict.fromkeys(names)]


def scoped(record: Mapping, in_scope: Callable[[str], bool]) -> dict | None:
    """The call as a scope (a queue, a center, a skill) saw it, or None when it never queued there.

    A call that visited the scope but ended in a queue outside it counts there as ``overflowed``,
    with the wait spent in the scope's queues.
    """
    seen = visits(record)
    mine = [v for v in seen if in_scope(v["queue"])]
    if not mine:
        return None
    if mine[-1] is seen[-1]:
        return record  # decided in the scope: the record as stored (read-only)
    wait = sum(float(v.get("wait_seconds") or 0.0) for v in mine)
    return {**record, "outcome": "overflowed", "overflowed": True, "answered_at": None, "talk_seconds": None,
            "wait_seconds": wait, "seat_extension": None}


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def in_window(record: Mapping, window: Window) -> bool:
    """A call belongs to the window of its offered time."""
    at = as_dt(record.get("offered_at"))
    return at is not None and window.start <= at < window.end


def call_counts(records: Iterable[Mapping], params: MetricParams) -> dict:
    """Offered/answered/abandoned counts, rates and times over inbound calls that entered a queue."""
    answered, abandoned, short, overflowed, other = [], [], [], [], []
    ivr_abandoned = requested = 0
    waits: list[float] = []
    for r in records:
        if r.get("direction", "inbound") != "inbound":
            continue
        queued = bool(visits(r))
        if r["outcome"] == "callback":
            requested += 1
        if not queued:
            ivr_abandoned += r["outcome"] == "abandoned"
            continue
        wait = float(r.get("wait_seconds") or 0.0)
        waits.append(wait)
        if r["outcome"] == "answered":
            answered.append(r)
        elif r["outcome"] == "abandoned":
            (short if wait < params.short_abandon_seconds else abandoned).append(r)
        elif r["outcome"] == "overflowed":
            overflowed.append(r)
        else:
            other.append(r)
    offered = len(answered) + len(abandoned) + len(short) + len(overflowed) + len(other)
    answer_waits = [float(r.get("wait_seconds") or 0.0) for r in answered]
    within = sum(1 for w in answer_waits if w <= params.service_level_seconds)
    talk = sum(max(0.0, float(r.get("talk_seconds") or 0.0) - float(r.get("hold_seconds") or 0.0)) for r in answered)
    hold = sum(float(r.get("hold_seconds") or 0.0) for r in answered)
    return {
        "offered": offered, "answered": len(answered), "abandoned": len(abandoned), "short_abandoned": len(short),
        "abandoned_in_ivr": ivr_abandoned, "overflowed": len(overflowed), "callbacks_requested": requested,
        "answer_rate": _ratio(len(answered), offered - len(short)),
        "service_level": _ratio(within, len(answered)),
        "service_level_inclusive": _ratio(within, len(answered) + len(abandoned)),
        "answered_within_sl": within,
        "asa_seconds": _mean(answer_waits), "longest_wait_seconds": max(waits) if waits else None,
        "talk_seconds": talk, "hold_seconds": hold,
    }


def callback_counts(records: Iterable[Mapping]) -> dict:
    """Callbacks the centre placed (回访 and queue callbacks) and how many reached the citizen."""
    placed = [r for r in records if r.get("direction") == "callback"]
    return {"callbacks_placed": len(placed), "callbacks_answered": sum(r["outcome"] == "answered" for r in placed)}


def with_revisit_scores(records: Iterable[Mapping], scores: Mapping[str, int]) -> list[dict]:
    """Calls without an IVR survey score take the 回访 score of their ticket (the citizen rated the call later)."""
    return [{**r, "survey_score": scores[r["linkedid"]]} if r.get("survey_score") is None and r["linkedid"] in scores
            else dict(r) for r in records]


def satisfaction(records: Iterable[Mapping], params: MetricParams) -> dict:
    """满意率 = surveys scored ≥ satisfied_min ÷ surveys answered."""
    scores = [int(r["survey_score"]) for r in records if r.get("survey_score") is not None]
    good = sum(s >= params.satisfied_min for s in scores)
    return {"surveys": len(scores), "satisfied": good, "satisfaction_rate": _ratio(good, len(scores))}


def qa_coverage(records: Iterable[Mapping], checked: frozenset[str] | set[str]) -> dict:
    """质检率 = answered inbound calls with a quality check ÷ answered inbound calls."""
    answered = [r["linkedid"] for r in records if r["outcome"] == "answered" and r.get("direction", "inbound") == "inbound"]
    hit = sum(1 for lid in answered if lid in checked)
    return {"qa_checked": hit, "qa_coverage": _ratio(hit, len(answered))}


def assessment(records: Iterable[Mapping], answer_rate: float | None) -> dict:
    """The seed's assessment counts: answered calls per service line, and 电话接听率 (= the answer rate)."""
    out = {name: 0 for name in ASSESSMENT_SKILLS.values()}
    for r in records:
        if r["outcome"] == "answered" and r.get("direction", "inbound") == "inbound" and visits(r):
            key = ASSESSMENT_SKILLS.get(r.get("skill") or skill_of(visits(r)[-1]["queue"]) or "")
            if key:
                out[key] += 1
    out["phone_answer_rate"] = answer_rate
    return out


def state_intervals(events: Iterable[Mapping], window: Window) -> list[tuple[str, str, str | None, datetime, datetime]]:
    """(extension, state, linkedid, start, end) of every seat state, clipped to the window.

    Events before the window say which state a seat was in when the window opened.
    """
    by_seat: dict[str, list[Mapping]] = {}
    for e in events:
        by_seat.setdefault(e["extension"], []).append(e)
    out = []
    for ext, evs in by_seat.items():
        evs.sort(key=lambda e: as_dt(e["at"]))
        for i, e in enumerate(evs):
            start = max(as_dt(e["at"]), window.start)
            end = min(as_dt(evs[i + 1]["at"]) if i + 1 < len(evs) else window.stop, window.stop)
            if end > start:
                out.append((ext, e["to_state"], e.get("linkedid"), start, end))
    return out


def seat_times(events: Iterable[Mapping], window: Window) -> dict:
    """Seconds per state, wrap-up count, ACW and occupancy = (talk + ACW) ÷ staffed time."""
    per_state: dict[str, float] = {}
    wrapups = set()
    for ext, state, linkedid, start, end in state_intervals(events, window):
        per_state[state] = per_state.get(state, 0.0) + (end - start).total_seconds()
        if state == "wrap_up":
            wrapups.add((ext, linkedid or start.isoformat()))
    busy = sum(per_state.get(s, 0.0) for s in BUSY_STATES)
    staffed = sum(per_state.get(s, 0.0) for s in STAFFED_STATES)
    acw = per_state.get("wrap_up", 0.0)
    return {"state_seconds": per_state, "acw_seconds": acw, "wrapups": len(wrapups),
            "acw_avg_seconds": _ratio(acw, len(wrapups)), "staffed_seconds": staffed,
            "occupancy": _ratio(busy, staffed)}


def acw_by_call(events: Iterable[Mapping], window: Window) -> dict[str, float]:
    """Wrap-up seconds after each call (by Linkedid), from the seats' wrap_up intervals."""
    out: dict[str, float] = {}
    for _ext, state, linkedid, start, end in state_intervals(events, window):
        if state == "wrap_up" and linkedid:
            out[linkedid] = out.get(linkedid, 0.0) + (end - start).total_seconds()
    return out


def summarize(records: list[Mapping], window: Window, params: MetricParams, *, events: list[Mapping] | None = None,
              acw: Mapping[str, float] | None = None, qa_checked: frozenset[str] | set[str] = frozenset()) -> dict:
    """Every metric of one group of calls (already in the window and scope).

    `events` are the seat events of the group's seats (occupancy needs them: None for groups that
    are not made of seats, e.g. a skill); `acw` maps Linkedid → wrap-up seconds (see acw_by_call).
    """
    counts = call_counts(records, params)
    acw = acw or {}
    handled = [r["linkedid"] for r in records if r["outcome"] == "answered" and r.get("direction", "inbound") == "inbound"
               and visits(r)]
    acw_total = sum(acw.get(lid, 0.0) for lid in handled)
    answered = counts["answered"]
    seats = seat_times(events, window) if events is not None else None
    return {**counts, **callback_counts(records), **satisfaction(records, params), **qa_coverage(records, qa_checked),
            **assessment(records, counts["answer_rate"]),
            "acw_seconds": acw_total, "acw_avg_seconds": _ratio(acw_total, answered),
            "aht_seconds": _ratio(counts["talk_seconds"] + counts["hold_seconds"] + acw_total, answered),
            "occupancy": seats["occupancy"] if seats else None,
            "staffed_seconds": seats["staffed_seconds"] if seats else None,
            "state_seconds": seats["state_seconds"] if seats else None}
