"""回访 decisions as plain functions: calling windows, retry spacing, who is called next, outcomes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.directory import WEEKDAYS, Directory

REASONS = {"closed": "办结回访", "unsatisfied": "不满意回访", "queue": "排队回呼"}
MODES = {"closed": "ivr", "unsatisfied": "seat", "queue": "seat"}
# OriginateResponse Reason (Asterisk's AST_CONTROL_* of the last frame seen on the dialled leg).
ORIGINATE_REASONS = {"0": "failed", "1": "hangup", "3": "no_answer", "4": "answered", "5": "busy",
                     "8": "congestion"}
OUTCOME_LABELS = {"answered": "已接通", "failed": "呼叫失败", "hangup": "对方挂断", "no_answer": "无人接听",
                  "busy": "忙", "congestion": "线路拥塞", "error": "发起失败"}
RETRY_SPACING = (timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=2))


def outcome_of(reason: str | None, response: str | None = None) -> str:
    """Outcome name for an OriginateResponse (Reason header; Response Success means answered)."""
    if response == "Success":
        return "answered"
    return ORIGINATE_REASONS.get(str(reason or "0"), "failed")


def next_window(now: datetime, directory: Directory, horizon_days: int = 30) -> datetime | None:
    """The earliest moment at or after `now` inside calling hours (holidays closed, 调休 days open)."""
    tz = ZoneInfo(directory.hours.timezone)
    local = now.astimezone(tz)
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        if not directory.is_service_day(day):
            continue
        key = WEEKDAYS[day.weekday()]
        if day in directory.holidays.working and key in ("sat", "sun"):
            key = "mon"
        for span in sorted(directory.hours.weekly.get(key, [])):
            start_s, end_s = span.split("-")
            start = datetime.combine(day, datetime.strptime(start_s, "%H:%M").time(), tz)
            end = datetime.combine(day, datetime.strptime(end_s, "%H:%M").time(), tz)
            if local < end:
                return max(local, start).astimezone(ZoneInfo("UTC"))
    return None


def retry_at(attempts: int, now: datetime, directory: Directory) -> datetime | None:
    """When attempt `attempts + 1` may be placed: spaced out, moved into the next calling window."""
    gap = RETRY_SPACING[min(attempts - 1, len(RETRY_SPACING) - 1)] if attempts > 0 else timedelta(0)
    return next_window(now + gap, directory)


@dataclass(frozen=True)
class TaskView:
    """What the dialling decision needs about one open task."""

    id: int
    reason: str
    mode: str
    queue: str | None
    position_at: datetime
    next_attempt_at: datetime
    seat: str | None
    created_at: datetime


@dataclass(frozen=True)
class Dial:
    """Place this task now, through this seat (None for IVR-first)."""

    task_id: int
    seat: str | None


def choose(tasks: list[TaskView], now: datetime, *, waiting: dict[str, list[datetime]],
           idle: dict[str, list[str]], busy_seats: set[str], limit: int) -> list[Dial]:
    """Tasks to dial now.

    Queue callbacks go in the order callers joined the queue, and only when nobody still waiting in
    that queue joined before them (a callback never overtakes a caller who has waited longer); they
    need an idle member of that queue. 不满意回访 go before 办结回访; a seat-first 回访 needs its seat
    idle (or, with no seat named, any idle seat). Each seat is used once per round.
    """
    taken: set[str] = set(busy_seats)
    out: list[Dial] = []
    due = [t for t in tasks if t.next_attempt_at <= now]
    queued = sorted((t for t in due if t.reason == "queue" and t.queue), key=lambda t: (t.position_at, t.id))
    blocked_queues: set[str] = set()
    for t in queued:
        if len(out) >= limit or t.queue in blocked_queues:
            continue
        if any(joined < t.position_at for joined in waiting.get(t.queue, [])):
            blocked_queues.add(t.queue)  # later callbacks of this queue joined later still
            continue
        seat = next((s for s in idle.get(t.queue, []) if s not in taken), None)
        if seat is None:
            blocked_queues.add(t.queue)
            continue
        taken.add(seat)
        out.append(Dial(t.id, seat))
    others = sorted((t for t in due if t.reason != "queue"), key=lambda t: (t.reason != "unsatisfied", t.created_at, t.id))
    any_idle = [s for seats in idle.values() for s in seats]
    for t in others:
        if len(out) >= limit:
            break
        if t.mode == "ivr":
            out.append(Dial(t.id, None))
            continue
        # The seat that handled the ticket first; with no seat states known, trust it is there.
        candidates = ([t.seat] if t.seat else []) + any_idle
        seat = next((s for s in candidates if s not in taken and (s in any_idle or (not idle and s == t.seat))), None)
        if seat is None:
            continue
        taken.add(seat)
        out.append(Dial(t.id, seat))
    return out
