"""Ticket rules as plain functions: statuses and moves, hand-off units, 限时办结 due dates, overdue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.directory import Directory

STATUS_LABELS = {"accepted": "已受理", "processing": "办理中", "closed": "已办结", "revisited": "已回访"}

# Which status a ticket may move to from each status. 已办结 → 办理中 is a reopening (e.g. the
# citizen was unsatisfied at 回访); 已回访 is final.
MOVES: dict[str, frozenset[str]] = {
    "accepted": frozenset({"processing", "closed"}),
    "processing": frozenset({"closed"}),
    "closed": frozenset({"revisited", "processing"}),
    "revisited": frozenset(),
}

HANDOFF_UNITS = {
    "legal_aid": "转法律援助",
    "mediation": "转人民调解",
    "notary_forensic": "转公证鉴定",
    "gov12345": "转12345",
}
HANDOFF_FROM = frozenset({"accepted", "processing"})


class TicketRuleError(ValueError):
    """A change the ticket rules refuse; the message says why (zh-CN first)."""


def check_move(current: str, target: str) -> None:
    """Raise TicketRuleError unless `current` → `target` is an allowed status change."""
    if target not in STATUS_LABELS:
        raise TicketRuleError(f"未知状态 (unknown status): {target!r}")
    if target not in MOVES[current]:
        raise TicketRuleError(
            f"工单状态不能从{STATUS_LABELS[current]}变为{STATUS_LABELS[target]} "
            f"(status {current} cannot become {target})")


def check_handoff(current: str, unit: str) -> None:
    """Raise TicketRuleError unless a ticket in `current` may be handed to `unit`."""
    if unit not in HANDOFF_UNITS:
        raise TicketRuleError(f"未知转办单位 (unknown hand-off unit): {unit!r}")
    if current not in HANDOFF_FROM:
        raise TicketRuleError(f"{STATUS_LABELS[current]}的工单不能转办 (a {current} ticket cannot be handed off)")


def due_at(created: datetime, due_days: int, directory: Directory) -> datetime:
    """End of the `due_days`-th working day after the day of acceptance (local time), as UTC."""
    tz = ZoneInfo(directory.hours.timezone)
    day = created.astimezone(tz).date()
    left = due_days
    while left > 0:
        day += timedelta(days=1)
        if directory.is_business_day(day):
            left -= 1
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return end.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class OverdueView:
    """What the overdue check needs to know about one ticket."""

    ticket_id: int
    status: str
    due_at: datetime
    alerted: bool


def overdue(tickets: list[OverdueView], now: datetime) -> list[int]:
    """Ids of open tickets past their due time that have not been alerted yet."""
    return [t.ticket_id for t in tickets
            if t.status in ("accepted", "processing") and t.due_at <= now and not t.alerted]
