"""Reports: call records and seat events of a date range, grouped by day, hour, center, prefecture,
skill or seat, every number from supervisor.metrics; the abandoned calls to call back."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from hotline.directory import Directory
from supervisor.metrics import (
    MetricParams,
    Window,
    acw_by_call,
    as_dt,
    center_of,
    scoped,
    skill_of,
    summarize,
    visits,
)

GROUPS = ("day", "hour", "center", "prefecture", "skill", "seat")
MAX_DAYS = 366


class ReportError(ValueError):
    """A report request that cannot be answered as asked (shown to the user as a 422 naming `param`)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param  # the query parameter at fault


@dataclass(frozen=True)
class ReportRequest:
    """Local dates [date_from, date_to] (inclusive), grouping, optional queue; `centers` None = province."""

    date_from: date
    date_to: date
    group_by: str = "day"
    queue: str | None = None
    centers: frozenset[str] | None = None

    def window(self, tz: str, now: datetime) -> Window:
        zone = ZoneInfo(tz)
        start = datetime.combine(self.date_from, dtime(0), zone).astimezone(UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), dtime(0), zone).astimezone(UTC)
        return Window(start, end, now)


def check_request(req: ReportRequest, directory: Directory) -> None:
    """Refuse reversed or huge ranges, unknown groupings and unknown queues, with a clear message."""
    if req.date_to < req.date_from:
        raise ReportError(f"结束日期早于开始日期 (date range reversed: {req.date_from} > {req.date_to})", "to")
    if (req.date_to - req.date_from).days + 1 > MAX_DAYS:
        raise ReportError(f"日期范围不能超过{MAX_DAYS}天 (date range longer than {MAX_DAYS} days)", "from")
    if req.group_by not in GROUPS:
        raise ReportError(f"未知的分组方式 (unknown group_by {req.group_by!r}; one of {', '.join(GROUPS)})", "group_by")
    if req.queue is not None and req.queue not in directory.queue_names():
        raise ReportError(f"未知的队列 (unknown queue {req.queue!r})", "queue")


def record_dict(row) -> dict:
    """A CallRecord row as the plain dict the metrics read."""
    return {c.name: getattr(row, c.name) for c in row.__table__.columns}


def _in_scope(req: ReportRequest) -> Callable[[str], bool]:
    if req.queue:
        return lambda q: q == req.queue
    if req.centers is None:
        return lambda q: True
    return lambda q: center_of(q) in req.centers


def seat_centers(directory: Directory) -> dict[str, str]:
    """Seat extension → center code."""
    return {s.extension: s.center for s in directory.seats}


def visible_records(records: Iterable[Mapping], req: ReportRequest, seats: Mapping[str, str]) -> list[dict]:
    """Calls as the requested scope saw them; calls that never queued (callbacks) count for the seat's center."""
    test, out = _in_scope(req), []
    for r in records:
        if not visits(r):
            if req.queue is None and (req.centers is None or seats.get(r.get("seat_extension") or "") in req.centers):
                out.append(dict(r))
            continue
        s = scoped(r, test)
        if s is not None:
            out.append(s)
    return out


def _local(at, tz: ZoneInfo) -> datetime:
    return as_dt(at).astimezone(tz)


def _key_fn(group_by: str, seats: Mapping[str, str], tz: ZoneInfo,
            test: Callable[[str], bool]) -> Callable[[Mapping], list[str]]:
    if group_by == "day":
        return lambda r: [_local(r["offered_at"], tz).date().isoformat()]
    if group_by == "hour":
        return lambda r: [_local(r["offered_at"], tz).strftime("%Y-%m-%d %H:00")]
    if group_by == "prefecture":
        return lambda r: [r.get("prefecture_code") or "unknown"]
    if group_by == "seat":
        return lambda r: [r["seat_extension"]] if r.get("seat_extension") else []
    if group_by == "center":
        return lambda r: sorted({c for v in visits(r) if test(v["queue"]) and (c := center_of(v["queue"]))}) or \
            ([c] if (c := seats.get(r.get("seat_extension") or "")) else [])
    return lambda r: sorted({s for v in visits(r) if test(v["queue"]) and (s := skill_of(v["queue"]))})


def _group_scope(group_by: str, key: str) -> Callable[[str], bool] | None:
    if group_by == "center":
        return lambda q: center_of(q) == key
    if group_by == "skill":
        return lambda q: skill_of(q) == key
    return None


def _label(group_by: str, key: str, directory: Directory) -> str:
    if group_by == "center":
        return getattr(directory.center(key), "name", key)
    if group_by == "prefecture":
        return directory.region_name(key) or "未知地区"
    if group_by == "skill":
        return getattr(directory.skill(key), "name", key)
    if group_by == "seat":
        return getattr(directory.seat(key), "name", key)
    return key


def _group_window(group_by: str, key: str, window: Window, tz: ZoneInfo) -> Window:
    if group_by == "day":
        start = datetime.combine(date.fromisoformat(key), dtime(0), tz).astimezone(UTC)
        return Window(start, start + timedelta(days=1), window.now)
    if group_by == "hour":
        start = datetime.strptime(key, "%Y-%m-%d %H:%M").replace(tzinfo=tz).astimezone(UTC)
        return Window(start, start + timedelta(hours=1), window.now)
    return window


def _group_events(group_by: str, key: str, events: list[Mapping]) -> list[Mapping] | None:
    if group_by == "center":
        return [e for e in events if e.get("center_code") == key]
    if group_by == "seat":
        return [e for e in events if e["extension"] == key]
    if group_by in ("day", "hour"):
        return events
    return None  # a skill or a prefecture is not made of seats: no occupancy


HOURS_FILLED_DAYS = 31


def time_keys(req: ReportRequest, now: datetime, tz: ZoneInfo) -> list[str]:
    """Every day (or hour, for ranges up to a month) of the range up to now, for a continuous axis."""
    if req.group_by not in ("day", "hour") or (req.group_by == "hour" and
                                               (req.date_to - req.date_from).days + 1 > HOURS_FILLED_DAYS):
        return []
    last = min(req.date_to, now.astimezone(tz).date())
    days = [req.date_from + timedelta(days=i) for i in range((last - req.date_from).days + 1)]
    if req.group_by == "day":
        return [d.isoformat() for d in days]
    local_now = now.astimezone(tz)
    return [f"{d.isoformat()} {h:02d}:00" for d in days for h in range(24)
            if d < local_now.date() or h <= local_now.hour]


def build_report(records: list[Mapping], events: list[Mapping], qa_checked: frozenset[str], req: ReportRequest,
                 directory: Directory, params: MetricParams, now: datetime) -> dict:
    """The report: one row per group, a total row, all from the metric definitions (pure)."""
    tz = ZoneInfo(directory.hours.timezone)
    seats = seat_centers(directory)
    window = req.window(directory.hours.timezone, now)
    recs = [r for r in visible_records(records, req, seats) if window.start <= as_dt(r["offered_at"]) < window.end]
    evs = [e for e in events if req.centers is None or e.get("center_code") in req.centers]
    acw = acw_by_call(evs, window)
    groups: dict[str, list[Mapping]] = {}
    key_of = _key_fn(req.group_by, seats, tz, _in_scope(req))
    for k in time_keys(req, window.now, tz):  # quiet days and hours are rows of zeros, not gaps
        groups[k] = []
    for r in recs:
        for k in key_of(r):
            groups.setdefault(k, []).append(r)
    rows = []
    for key in sorted(groups):
        scope = _group_scope(req.group_by, key)
        mine = [s for r in groups[key] if (s := (scoped(r, scope) if scope and visits(r) else r)) is not None]
        gw = _group_window(req.group_by, key, window, tz)
        rows.append({"key": key, "label": _label(req.group_by, key, directory),
                     **summarize(mine, gw, params, events=_group_events(req.group_by, key, evs), acw=acw,
                                 qa_checked=qa_checked)})
    total = summarize(recs, window, params, events=evs, acw=acw, qa_checked=qa_checked)
    return {"from": req.date_from.isoformat(), "to": req.date_to.isoformat(), "group_by": req.group_by,
            "queue": req.queue, "params": params.__dict__, "rows": rows, "total": total}


def abandoned_calls(records: Iterable[Mapping], req: ReportRequest, directory: Directory, now: datetime,
                    params: MetricParams) -> list[dict]:
    """Abandoned queued calls of the range, newest first, each marked when the citizen was reached later."""
    window = req.window(directory.hours.timezone, now)
    every = list(records)
    reached: dict[str, list[datetime]] = {}
    for r in every:
        if r["outcome"] == "answered" and r.get("caller_number"):
            reached.setdefault(r["caller_number"], []).append(as_dt(r["offered_at"]))
    out = []
    for r in visible_records(every, req, seat_centers(directory)):
        at = as_dt(r["offered_at"])
        if r["outcome"] != "abandoned" or not visits(r) or not window.start <= at < window.end:
            continue
        later = [t for t in reached.get(r.get("caller_number") or "", []) if t > at]
        out.append({"linkedid": r["linkedid"], "caller_number": r.get("caller_number"), "offered_at": at.isoformat(),
                    "queue": visits(r)[-1]["queue"], "prefecture_code": r.get("prefecture_code"),
                    "prefecture": directory.region_name(r.get("prefecture_code") or "") or "",
                    "skill": r.get("skill"), "wait_seconds": r.get("wait_seconds"),
                    "short": float(r.get("wait_seconds") or 0) < params.short_abandon_seconds,
                    "reached_later": bool(later), "reached_at": min(later).isoformat() if later else None})
    return sorted(out, key=lambda x: x["offered_at"], reverse=True)
