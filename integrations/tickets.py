"""Ticket service: create, change status, hand off, record satisfaction — each change with its history
row, its outbox rows and (after commit) a `ticket.changed` bus message. Callers commit."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.auth import Principal, Role
from hotline.bus import EventBus
from hotline.db import utcnow
from hotline.directory import Directory
from integrations.exchange import enqueue, exchange_document
from integrations.models import Ticket, TicketEvent
from integrations.policy import (HANDOFF_UNITS, STATUS_LABELS, TicketRuleError, check_handoff, check_move,
                                 due_at)
from integrations.schemas import HandoffRequest, StatusChange, TicketCreate

SYSTEM = Principal("system", Role.ADMIN)


class TicketNotFound(LookupError):
    """No ticket with that id or number (or the caller may not see it)."""


class TicketForbidden(PermissionError):
    """The caller may not change this ticket."""


@dataclass
class TicketContext:
    """What ticket changes need besides the session: the catalogue, the clock, the bus."""

    directory: Directory
    bus: EventBus | None = None
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def from_kernel(cls, kernel: Any) -> "TicketContext":
        return cls(kernel.directory, kernel.bus)


def can_see(principal: Principal, ticket: Ticket) -> bool:
    """RBAC: seats see their own tickets, supervisors their center's, admin/auditor/integration all."""
    if principal.role == Role.SEAT:
        return ticket.owner_username == principal.username
    if principal.role == Role.SUPERVISOR:
        return ticket.center_code == principal.center_code
    return principal.role in (Role.ADMIN, Role.AUDITOR, Role.INTEGRATION)


def can_edit(principal: Principal, ticket: Ticket) -> bool:
    """Auditors only read; everyone else edits what they can see."""
    return principal.role != Role.AUDITOR and can_see(principal, ticket)


def visible_filter(principal: Principal):
    """SQL condition matching `can_see` (None = everything)."""
    if principal.role == Role.SEAT:
        return Ticket.owner_username == principal.username
    if principal.role == Role.SUPERVISOR:
        return Ticket.center_code == (principal.center_code or "")
    if principal.role in (Role.ADMIN, Role.AUDITOR, Role.INTEGRATION):
        return None
    return Ticket.id < 0


def _publish_after_commit(session: AsyncSession, ctx: TicketContext, ticket: Ticket, action: str) -> None:
    if ctx.bus is None:
        return
    payload = {"id": ticket.id, "number": ticket.number, "version": ticket.version, "action": action,
               "status": ticket.status, "status_label": STATUS_LABELS[ticket.status],
               "center_code": ticket.center_code, "owner": ticket.owner_username,
               "linkedid": ticket.linkedid, "at": ticket.updated_at.isoformat()}
    after_commit(session, ctx.bus, "ticket.changed", payload)


def after_commit(session: AsyncSession, bus: EventBus, topic: str, payload: dict) -> None:
    """Publish on the bus once the session commits; forget it if the session rolls back."""
    pending = session.info.get("bus_pending")
    if pending is None:
        pending = session.info["bus_pending"] = []
        sync = session.sync_session

        def _flush(_s) -> None:
            out, pending[:] = list(pending), []
            for t, p in out:
                bus.publish(t, p)

        event.listen(sync, "after_commit", _flush)
        event.listen(sync, "after_soft_rollback", lambda _s, _tx: pending.clear())
    pending.append((topic, payload))


async def _record(session: AsyncSession, ctx: TicketContext, ticket: Ticket, actor: Principal, action: str,
                  changes: dict, note: str = "", event_type: str | None = None) -> None:
    """History row + outbox rows + bus message for the ticket's new version."""
    now = ticket.updated_at
    session.add(TicketEvent(ticket_id=ticket.id, version=ticket.version, at=now, actor=actor.username,
                            action=action, changes=changes, note=note))
    doc = exchange_document(ticket, ctx.directory, event_type or action, actor.username, now)
    await enqueue(session, ticket, doc, event_type or action, now)
    _publish_after_commit(session, ctx, ticket, action)


def _bump(ticket: Ticket, now: datetime, **values: Any) -> dict:
    changes = {}
    for key, new in values.items():
        old = getattr(ticket, key)
        if old != new:
            changes[key] = [_plain(old), _plain(new)]
            setattr(ticket, key, new)
    ticket.version += 1
    ticket.updated_at = now
    return changes


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


async def create_ticket(session: AsyncSession, data: TicketCreate, actor: Principal, ctx: TicketContext,
                        *, source: str | None = None) -> Ticket:
    """Accept a new ticket (已受理), owned by `actor`, due per its category's working days."""
    category = ctx.directory.category(data.category_id)
    if category is None:
        raise TicketRuleError(f"未知工单类别 (unknown category): {data.category_id!r}")
    skill = next(s for s in ctx.directory.skills if category in s.categories)
    center = data.center_code or actor.center_code or ctx.directory.province_center.code
    if ctx.directory.center(center) is None:
        raise TicketRuleError(f"未知中心 (unknown center): {center!r}")
    if data.prefecture_code and ctx.directory.region_name(data.prefecture_code) is None:
        raise TicketRuleError(f"未知地市 (unknown prefecture): {data.prefecture_code!r}")
    now = ctx.clock()
    ticket = Ticket(
        source=source or ("call" if data.linkedid else "manual"), linkedid=data.linkedid,
        caller_number=data.caller_number, caller_name=data.caller_name, prefecture_code=data.prefecture_code,
        center_code=center, category_id=category.id, skill=skill.id, ivr_path=data.ivr_path, green=data.green,
        summary=data.summary, detail=data.detail, status="accepted", external_ref=data.external_ref,
        handoff_unit="gov12345" if source == "gov12345" else None,
        owner_username=actor.username, owner_seat=actor.seat_extension, version=1,
        created_at=now, updated_at=now, due_at=due_at(now, category.due_days, ctx.directory),
    )
    session.add(ticket)
    await session.flush()
    local = now.astimezone(ZoneInfo(ctx.directory.hours.timezone))
    ticket.number = f"GD{local:%Y%m%d}{ticket.id:06d}"
    created = {k: _plain(getattr(ticket, k)) for k in ("number", "status", "category_id", "center_code",
                                                        "summary", "caller_number", "due_at", "linkedid")}
    await _record(session, ctx, ticket, actor, "created", created)
    if data.linkedid:
        # The survey may have said 不满意 before the seat wrote the ticket: its 回访 belongs here.
        from integrations.models import CallbackTask

        await session.execute(update(CallbackTask).where(CallbackTask.linkedid == data.linkedid,
                                                         CallbackTask.ticket_id.is_(None)).values(ticket_id=ticket.id))
    return ticket


async def get_ticket(session: AsyncSession, key: int | str, principal: Principal | None = None) -> Ticket:
    """Ticket by id or number; TicketNotFound if absent or not visible to `principal`."""
    cond = Ticket.number == key if isinstance(key, str) else Ticket.id == key
    ticket = await session.scalar(select(Ticket).where(cond))
    if ticket is None or (principal is not None and not can_see(principal, ticket)):
        raise TicketNotFound(f"工单不存在 (no such ticket): {key}")
    return ticket


def _guard(actor: Principal, ticket: Ticket) -> None:
    if not can_edit(actor, ticket):
        raise TicketForbidden(f"无权修改工单 {ticket.number} (not allowed to change this ticket)")


async def change_status(session: AsyncSession, ticket: Ticket, change: StatusChange, actor: Principal,
                        ctx: TicketContext) -> Ticket:
    """Move the ticket along 已受理 → 办理中 → 已办结 → 已回访 (closing needs a reply)."""
    _guard(actor, ticket)
    check_move(ticket.status, change.status)
    reply = change.reply if change.reply is not None else ticket.reply
    if change.status == "closed" and not reply.strip():
        raise TicketRuleError("办结工单必须填写答复 (closing a ticket needs a reply)")
    now = ctx.clock()
    values: dict[str, Any] = {"status": change.status, "reply": reply}
    if change.status == "closed":
        values["closed_at"] = now
    if change.status == "processing" and ticket.status == "closed":
        values["closed_at"] = None
    changes = _bump(ticket, now, **values)
    await _record(session, ctx, ticket, actor, "status", changes, change.note)
    if change.status == "closed":
        from integrations.callbacks import on_ticket_closed  # callbacks builds on this module

        await on_ticket_closed(session, ctx, ticket)
    return ticket


async def handoff(session: AsyncSession, ticket: Ticket, req: HandoffRequest, actor: Principal,
                  ctx: TicketContext) -> Ticket:
    """Hand the ticket to a back-office unit; 转12345 also sends it to the 12345 platform."""
    _guard(actor, ticket)
    check_handoff(ticket.status, req.unit)
    changes = _bump(ticket, ctx.clock(), status="processing", handoff_unit=req.unit)
    await _record(session, ctx, ticket, actor, "handoff", changes, req.note or HANDOFF_UNITS[req.unit])
    return ticket


async def record_satisfaction(session: AsyncSession, ticket: Ticket, score: int, actor: Principal,
                              ctx: TicketContext, *, unsatisfied: bool | None = None, revisit: bool = False,
                              note: str = "") -> Ticket:
    """Store a satisfaction score (1 不满意 … 5); a 回访 (`revisit`) on a closed ticket makes it 已回访."""
    if not 1 <= score <= 5:
        raise TicketRuleError(f"满意度必须是1到5 (satisfaction must be 1..5): {score}")
    values: dict[str, Any] = {"satisfaction": score,
                              "unsatisfied": bool(unsatisfied) if unsatisfied is not None else score <= 2}
    if revisit and ticket.status == "closed":
        values["status"] = "revisited"
    changes = _bump(ticket, ctx.clock(), **values)
    await _record(session, ctx, ticket, actor, "satisfaction", changes, note)
    return ticket


async def apply_remote_status(session: AsyncSession, ticket: Ticket, status: str, reply: str, actor: Principal,
                              ctx: TicketContext, *, external_ref: str | None = None) -> Ticket | None:
    """A status reported by the platform or 12345 (办理中/已办结); None when it changes nothing."""
    if status == ticket.status or (status == "processing" and ticket.status != "accepted"):
        if external_ref and external_ref != ticket.external_ref:
            changes = _bump(ticket, ctx.clock(), external_ref=external_ref)
            await _record(session, ctx, ticket, actor, "updated", changes, "对方工单号")
            return ticket
        return None
    check_move(ticket.status, status)
    values: dict[str, Any] = {"status": status, "reply": reply or ticket.reply}
    if external_ref:
        values["external_ref"] = external_ref
    if status == "closed":
        values["closed_at"] = ctx.clock()
    changes = _bump(ticket, ctx.clock(), **values)
    await _record(session, ctx, ticket, actor, "status", changes, f"{actor.username}回传")
    if status == "closed":
        from integrations.callbacks import on_ticket_closed

        await on_ticket_closed(session, ctx, ticket)
    return ticket


async def history(session: AsyncSession, ticket: Ticket) -> list[TicketEvent]:
    """Every change of the ticket, oldest first."""
    rows = await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                 .order_by(TicketEvent.version, TicketEvent.id))
    return list(rows)


def ticket_dict(ticket: Ticket, directory: Directory) -> dict:
    """A ticket as the API and the seat console show it."""
    category = directory.category(ticket.category_id)
    return {
        "id": ticket.id, "number": ticket.number, "source": ticket.source, "linkedid": ticket.linkedid,
        "status": ticket.status, "status_label": STATUS_LABELS[ticket.status],
        "category_id": ticket.category_id, "category_name": category.name if category else ticket.category_id,
        "skill": ticket.skill, "center_code": ticket.center_code, "prefecture_code": ticket.prefecture_code,
        "caller_number": ticket.caller_number, "caller_name": ticket.caller_name, "summary": ticket.summary,
        "detail": ticket.detail, "reply": ticket.reply, "green": ticket.green, "ivr_path": ticket.ivr_path,
        "handoff_unit": ticket.handoff_unit,
        "handoff_label": HANDOFF_UNITS.get(ticket.handoff_unit or "", None), "external_ref": ticket.external_ref,
        "owner": ticket.owner_username, "owner_seat": ticket.owner_seat, "satisfaction": ticket.satisfaction,
        "unsatisfied": ticket.unsatisfied, "version": ticket.version, "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(), "due_at": ticket.due_at.isoformat(),
        "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
    }


async def assign_owner(session: AsyncSession, ticket: Ticket, owner: Principal, actor: Principal,
                       ctx: TicketContext, note: str = "") -> Ticket:
    """Make `owner` (a seat) responsible for the ticket (首问负责)."""
    changes = _bump(ticket, ctx.clock(), owner_username=owner.username, owner_seat=owner.seat_extension)
    await _record(session, ctx, ticket, actor, "assigned", changes, note, event_type="updated")
    return ticket


async def raise_overdue_alarms(session: AsyncSession, ctx: TicketContext) -> list[Ticket]:
    """限时办结: alert once (bus ``alarm.raised``, after commit) for each open ticket past its due time."""
    from integrations.policy import OverdueView, overdue

    now = ctx.clock()
    rows = (await session.scalars(select(Ticket).where(Ticket.status.in_(("accepted", "processing")),
                                                       Ticket.due_at <= now,
                                                       Ticket.overdue_alerted_at.is_(None)))).all()
    late = set(overdue([OverdueView(t.id, t.status, t.due_at, False) for t in rows], now))
    out = [t for t in rows if t.id in late]
    for t in out:
        t.overdue_alerted_at = now
        session.add(TicketEvent(ticket_id=t.id, version=t.version, at=now, actor="system", action="overdue",
                                changes={"due_at": t.due_at.isoformat()}, note="超过限时办结期限"))
        if ctx.bus is not None:
            after_commit(session, ctx.bus, "alarm.raised", {
                "kind": "ticket.overdue", "severity": "major" if t.green else "minor",
                "key": f"ticket:{t.number}:overdue", "ticket": t.number, "center_code": t.center_code,
                "owner": t.owner_username, "due_at": t.due_at.isoformat(), "at": now.isoformat(),
                "message": f"工单{t.number}已超过限时办结期限（{STATUS_LABELS[t.status]}）"})
    return out
