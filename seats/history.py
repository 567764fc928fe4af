"""A caller's earlier calls and tickets (首问负责), read from the routing and integrations tables.

Both tables belong to other packages; this is the one place that reads them for the seat console.
"""
from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.ext.asyncio import AsyncSession

from seats.screenpop import mask_number


def _model(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ModuleNotFoundError, AttributeError):
        return None


def _col(model, *names: str):
    return next((getattr(model, n) for n in names if hasattr(model, n)), None)


async def previous_calls(session: AsyncSession, number: str | None, exclude_linkedid: str | None = None,
                         limit: int = 5) -> list[dict[str, Any]]:
    """The caller's latest calls (newest first) from `routing.models.CallRecord`."""
    CallRecord = _model("routing.models", "CallRecord")
    if CallRecord is None or not number:
        return []
    number_col = _col(CallRecord, "caller_number")
    when_col = _col(CallRecord, "started_at", "created_at", "at")
    if number_col is None or when_col is None:
        return []
    query = select(CallRecord).where(number_col == number).order_by(desc(when_col)).limit(limit + 1)
    out = []
    for rec in (await session.scalars(query)).all():
        if exclude_linkedid and getattr(rec, "linkedid", None) == exclude_linkedid:
            continue
        when = getattr(rec, when_col.key)
        out.append({
            "linkedid": getattr(rec, "linkedid", None), "at": when.isoformat() if when else None,
            "outcome": getattr(rec, "outcome", None), "queue": getattr(rec, "queue", None),
            "seat_extension": getattr(rec, "seat_extension", None),
        })
    return out[:limit]


async def caller_tickets(session: AsyncSession, number: str | None, limit: int = 5) -> list[dict[str, Any]]:
    """The caller's latest tickets (newest first) from `integrations.models.Ticket`: number, what, who."""
    Ticket = _model("integrations.models", "Ticket")
    if Ticket is None or not number:
        return []
    query = (select(Ticket).where(Ticket.caller_number == number)
             .order_by(desc(Ticket.created_at)).limit(limit))
    labels = _model("integrations.policy", "STATUS_LABELS") or {}
    return [{
        "number": t.number, "at": t.created_at.isoformat(), "summary": t.summary, "category_id": t.category_id,
        "status": labels.get(t.status, t.status), "owner": t.owner_username, "owner_seat": t.owner_seat,
        "caller": mask_number(t.caller_number),
    } for t in (await session.scalars(query)).all()]


async def seat_calls(session: AsyncSession, extension: str, limit: int = 50) -> list[dict[str, Any]]:
    """Calls a seat answered (newest first), from its status history: answered at, ended at, talk seconds."""
    from seats.models import SeatEvent

    rows = (await session.scalars(
        select(SeatEvent).where(SeatEvent.extension == extension, SeatEvent.linkedid.is_not(None))
        .order_by(SeatEvent.at, SeatEvent.id))).all()
    calls: dict[str, dict[str, Any]] = {}
    for ev in rows:
        if ev.to_state == "on_call":
            calls[ev.linkedid] = {"linkedid": ev.linkedid, "operator": ev.username,
                                  "answered_at": ev.at.isoformat(), "ended_at": None, "talk_seconds": None}
        elif ev.from_state == "on_call" and ev.linkedid in calls:
            call = calls[ev.linkedid]
            call["ended_at"] = ev.at.isoformat()
            call["talk_seconds"] = int((ev.at - datetime.fromisoformat(call["answered_at"])).total_seconds())
    return sorted(calls.values(), key=lambda c: c["answered_at"], reverse=True)[:limit]
