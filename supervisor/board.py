"""The wallboard frame, built from plain data: live queue state, seat states, today's call records."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hotline.directory import Directory
from supervisor.metrics import MetricParams, call_counts, center_of, scoped, visits

SEAT_BUCKETS = {"available": "ready", "ringing": "on_call", "on_call": "on_call", "wrap_up": "acw", "paused": "paused"}
STAT_KEYS = ("offered", "answered", "abandoned", "short_abandoned", "overflowed", "answer_rate", "service_level",
             "service_level_inclusive", "asa_seconds")


def group_stats(records: Iterable[Mapping], in_scope, params: MetricParams) -> dict:
    """Today's counts of one scope (a queue or a center), by the metric definitions."""
    mine = [s for r in records if (s := scoped(r, in_scope)) is not None]
    counts = call_counts(mine, params)
    return {k: counts[k] for k in STAT_KEYS}


def seat_row(view: Mapping, now: datetime, center_names: Mapping[str, str] | None = None) -> dict:
    """One line of the seat table: state and seconds in it."""
    since = view.get("since")
    since_dt = datetime.fromisoformat(since) if isinstance(since, str) else since
    return {"extension": view["extension"], "name": view.get("name") or view["extension"],
            "username": view.get("username"), "center_code": view.get("center_code"),
            "center": (center_names or {}).get(view.get("center_code") or "", view.get("center_code")),
            "status": view["status"], "label": view.get("label") or view["status"],
            "seconds_in_state": max(0, int((now - since_dt).total_seconds())) if since_dt else None}


def seat_counts(views: Iterable[Mapping]) -> dict:
    """Seats ready / on call / in wrap-up / paused."""
    out = {"ready": 0, "on_call": 0, "acw": 0, "paused": 0}
    for v in views:
        bucket = SEAT_BUCKETS.get(v["status"])
        if bucket:
            out[bucket] += 1
    return out


class TodayStats:
    """Today's call records indexed by queue and center; each scope's counts cached until a record for it arrives."""

    def __init__(self, params: MetricParams) -> None:
        self.params = params
        self.records: dict[str, Mapping] = {}
        self._by_scope: dict[str, list[Mapping]] = {}
        self._cache: dict[str, dict] = {}

    def add(self, record: Mapping) -> None:
        """Take a finished call record (a record seen again replaces the earlier one)."""
        lid = record["linkedid"]
        if lid in self.records:
            for scope, rows in self._by_scope.items():
                rows[:] = [r for r in rows if r["linkedid"] != lid]
                self._cache.pop(scope, None)
        self.records[lid] = record
        for scope in {s for v in visits(record) for s in (v["queue"], center_of(v["queue"]))}:
            if scope:
                self._by_scope.setdefault(scope, []).append(record)
                self._cache.pop(scope, None)

    def stats(self, scope: str) -> dict:
        """Counts of a queue name or a center code."""
        got = self._cache.get(scope)
        if got is None:
            test = (lambda q: q == scope) if scope.startswith("q-") else (lambda q: center_of(q) == scope)
            got = self._cache[scope] = group_stats(self._by_scope.get(scope, []), test, self.params)
        return got


@dataclass(frozen=True)
class Layout:
    """What the directory says once (queues of each center, member seats of each queue, names)."""

    centers: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (code, name, level, queue names)
    members: Mapping[str, tuple[str, ...]]
    skill_names: Mapping[str, str]
    center_names: Mapping[str, str]

    @classmethod
    def of(cls, directory: Directory) -> Layout:
        queues = {c.code: tuple(directory.queue_name(c.code, sk) for sk in c.skills) for c in directory.centers}
        members: dict[str, list[str]] = {q: [] for qs in queues.values() for q in qs}
        for seat in directory.seats:
            for sk in seat.skills:
                members.setdefault(directory.queue_name(seat.center, sk), []).append(seat.extension)
        return cls(tuple((c.code, c.name, c.level, queues[c.code]) for c in directory.centers),
                   {q: tuple(m) for q, m in members.items()}, {s.id: s.name for s in directory.skills},
                   {c.code: c.name for c in directory.centers})


def build_frame(layout: Layout, live: Mapping[str, Mapping], seats: Mapping[str, Mapping],
                today: TodayStats, now: datetime) -> dict:
    """The whole board of the province: queues, centers side by side, seats."""
    by_center: dict[str, list[Mapping]] = {}
    for v in seats.values():
        by_center.setdefault(v.get("center_code") or "", []).append(v)
    queues, centers = [], []
    for code, name, level, names in layout.centers:
        for q in names:
            lq, skill = live.get(q, {}), q.split("-", 2)[2]
            queues.append({"queue": q, "center_code": code, "center": name, "skill": skill,
                           "skill_name": layout.skill_names.get(skill, skill),
                           "waiting": lq.get("waiting", 0), "longest_wait_seconds": lq.get("longest_wait_seconds"),
                           **seat_counts(seats[e] for e in layout.members.get(q, ()) if e in seats),
                           **today.stats(q)})
        waits = [live[q]["longest_wait_seconds"] for q in names if live.get(q, {}).get("longest_wait_seconds")]
        centers.append({"center_code": code, "center": name, "level": level,
                        "waiting": sum(live.get(q, {}).get("waiting", 0) for q in names),
                        "longest_wait_seconds": max(waits) if waits else None,
                        **seat_counts(by_center.get(code, ())), **today.stats(code)})
    seat_rows = sorted((seat_row(v, now, layout.center_names) for v in seats.values() if v["status"] != "offline"),
                       key=lambda r: r["extension"])
    return {"at": now.isoformat(), "queues": queues, "centers": centers, "seats": seat_rows}


def visible_part(frame: Mapping, centers: frozenset[str] | None, alarms: list[dict]) -> dict:
    """The part of a frame (and of the active alarms) a supervisor may see; None = the whole province."""
    if centers is None:
        return {**frame, "alarms": alarms}
    keep = (lambda row: row.get("center_code") in centers)
    return {"at": frame["at"], "queues": [r for r in frame["queues"] if keep(r)],
            "centers": [r for r in frame["centers"] if keep(r)], "seats": [r for r in frame["seats"] if keep(r)],
            "alarms": [a for a in alarms if keep(a)]}


def alarm_values(frame: Mapping) -> dict[str, dict]:
    """The values alarms look at, by scope (queue name or center code)."""
    out = {row["queue"]: row for row in frame["queues"]}
    out.update({row["center_code"]: row for row in frame["centers"]})
    return out
