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


OUTCOME_LABELS = {"answered": "已接听", "abandoned": "放弃", "transferred": "已转接", "voicemail": "留言",
                  "callback": "回拨", "overflowed": "溢出", "originate-failed": "外呼失败"}


async def previous_calls(session: AsyncSession, number: str | None, exclude_linkedid: str | None = None,
                         limit: int = 5) -> list[dict[str, Any]]:
    """The caller's latest calls (newest first) from `routing.models.CallRecord`: when, outcome, which seat."""
    CallRecord = _model("routing.models", "CallRecord")
    if CallRecord is None or not number:
        return []
    query = (select(CallRecord).where(CallRecord.caller_number == number)
             .order_by(desc(CallRecord.offered_at)).limit(limit + 1))
    out = []
    for rec in (await session.scalars(query)).all():
        if exclude_linkedid and rec.linkedid == exclude_linkedid:
            continue
        out.append({
            "linkedid": rec.linkedid, "at": rec.offered_at.isoformat(),
            "outcome": OUTCOME_LABELS.get(rec.outcome, rec.outcome), "queue": rec.last_queue,
            "seat_extension": rec.seat_extension, "category": rec.category,
            "talk_seconds": int(rec.talk_seconds) if rec.talk_seconds is not None else None,
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
