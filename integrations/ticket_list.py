"""工单列表 (GET /api/tickets): one page, newest first, read as a column projection.

One statement per page whatever the number of tickets: the columns the list shows (no ORM objects,
no long texts), filtered by what the caller may see, ordered by id (unique, so the order is stable)
and cut by a keyset cursor (`before_id`: only older tickets), one row more than the page to know
whether another page follows. The ordered scans are backed by the indexes on (owner_username, id)
and (center_code, id) and by the primary key.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.auth import Principal
from hotline.directory import Directory
from integrations.models import Ticket
from integrations.policy import HANDOFF_UNITS, STATUS_LABELS
from integrations.tickets import visible_filter

DEFAULT_PAGE = 20
MAX_PAGE = 100
OPEN_STATUSES = ("accepted", "processing")

# What a list row shows: the ticket without `detail` and `reply` (GET /api/tickets/{n} has them).
COLUMNS = (
    Ticket.id, Ticket.number, Ticket.source, Ticket.linkedid, Ticket.status, Ticket.category_id, Ticket.skill,
    Ticket.center_code, Ticket.prefecture_code, Ticket.caller_number, Ticket.caller_name, Ticket.summary,
    Ticket.green, Ticket.ivr_path, Ticket.handoff_unit, Ticket.external_ref, Ticket.owner_username,
    Ticket.owner_seat, Ticket.satisfaction, Ticket.unsatisfied, Ticket.version, Ticket.created_at,
    Ticket.updated_at, Ticket.due_at, Ticket.closed_at,
)


@dataclass(frozen=True)
class ListQuery:
    """The filters and the page asked for."""

    status: str | None = None
    overdue: bool = False
    linkedid: str | None = None
    before_id: int | None = None
    limit: int = DEFAULT_PAGE


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_before_id: int | None  # the cursor of the next (older) page; None on the last page


def list_statement(principal: Principal, query: ListQuery, now: datetime) -> Select:
    """The page's SELECT: visible tickets matching the filters, newest first, `limit + 1` rows."""
    stmt = select(*COLUMNS).order_by(Ticket.id.desc()).limit(query.limit + 1)
    cond = visible_filter(principal)
    if cond is not None:
        stmt = stmt.where(cond)
    if query.status:
        stmt = stmt.where(Ticket.status == query.status)
    if query.linkedid:
        stmt = stmt.where(Ticket.linkedid == query.linkedid)
    if query.overdue:
        stmt = stmt.where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at <= now)
    if query.before_id is not None:
        stmt = stmt.where(Ticket.id < query.before_id)
    return stmt


def category_names(directory: Directory) -> dict[str, str]:
    """Category id → zh-CN name, for the whole catalogue (the first one wins, as `Directory.category`)."""
    names: dict[str, str] = {}
    for skill in directory.skills:
        for c in skill.categories:
            names.setdefault(c.id, c.name)
    return names


def list_item(row: Any, names: dict[str, str]) -> dict:
    """One list row (the values of COLUMNS, in order) as JSON-able data: the keys of `ticket_dict`
    without `detail` and `reply`."""
    (id_, number, source, linkedid, status, category_id, skill, center_code, prefecture_code, caller_number,
     caller_name, summary, green, ivr_path, handoff_unit, external_ref, owner, owner_seat, satisfaction,
     unsatisfied, version, created_at, updated_at, due_at, closed_at) = row
    return {
        "id": id_, "number": number, "source": source, "linkedid": linkedid,
        "status": status, "status_label": STATUS_LABELS[status],
        "category_id": category_id, "category_name": names.get(category_id, category_id),
        "skill": skill, "center_code": center_code, "prefecture_code": prefecture_code,
        "caller_number": caller_number, "caller_name": caller_name, "summary": summary,
        "green": green, "ivr_path": ivr_path, "handoff_unit": handoff_unit,
        "handoff_label": HANDOFF_UNITS.get(handoff_unit or "", None), "external_ref": external_ref,
        "owner": owner, "owner_seat": owner_seat, "satisfaction": satisfaction,
        "unsatisfied": unsatisfied, "version": version, "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(), "due_at": due_at.isoformat(),
        "closed_at": closed_at.isoformat() if closed_at else None,
    }


def paginate(rows: list[Any], limit: int, names: dict[str, str]) -> Page:
    """The first `limit` rows as items; the cursor of the next page when there was one row more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([list_item(r, names) for r in rows], rows[-1][0] if more else None)


async def list_page(session: AsyncSession, directory: Directory, principal: Principal, query: ListQuery,
                    now: datetime) -> Page:
    """One page of the tickets `principal` may see."""
    rows = (await session.execute(list_statement(principal, query, now))).all()
    return paginate(rows, query.limit, category_names(directory))
