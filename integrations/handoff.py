"""12345 hand-offs: transfer a live call to 12345, accept tickets 12345 hands to us, screen pop."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import audit
from hotline.auth import Principal
from integrations.models import Ticket
from integrations.policy import TicketRuleError
from integrations.schemas import Gov12345Handoff, TicketCreate
from integrations.tickets import TicketContext, assign_owner, create_ticket

log = logging.getLogger(__name__)
HANDOFF_CONTEXT, HANDOFF_EXTEN = "handoff-12345", "12345"


async def transfer_to_12345(kernel: Any, session: AsyncSession, ticket: Ticket, channel: str,
                            actor: Principal) -> dict:
    """BlindTransfer the caller's channel to the 12345 trunk route; the outcome is audited and returned."""
    from routing.actions import blind_transfer
    from routing.results import AmiError
    from routing.safety import AmiValueError

    ami = kernel.services.get("ami")
    detail: dict[str, Any] = {"channel": channel, "ticket": ticket.number}
    if ami is None:
        result = {"ok": False, "error": "未连接交换机 (no AMI link)"}
    else:
        try:
            await blind_transfer(ami, channel=channel, context=HANDOFF_CONTEXT, exten=HANDOFF_EXTEN)
            result = {"ok": True}
        except (AmiError, AmiValueError) as exc:
            result = {"ok": False, "error": str(exc)}
    audit(session, actor=actor.username, role=str(actor.role), action="call.transfer_12345", target_type="ticket",
          target_id=ticket.number or "", outcome="ok" if result["ok"] else "failed", detail=detail | result)
    return result


async def accept_from_12345(session: AsyncSession, data: Gov12345Handoff, actor: Principal,
                            ctx: TicketContext) -> tuple[Ticket, bool]:
    """A ticket for a 12345 hand-off (unowned until a seat claims it); (ticket, created). Idempotent
    on 12345's ticket id, so a retried hand-off does not open a second ticket."""
    existing = await session.scalar(select(Ticket).where(Ticket.source == "gov12345",
                                                         Ticket.external_ref == data.external_ref))
    if existing is not None:
        return existing, False
    center = None
    if data.prefecture_code and ctx.directory.center(data.prefecture_code) is not None:
        center = data.prefecture_code
    create = TicketCreate(category_id=data.category_id, summary=data.summary, detail=data.detail,
                          caller_number=data.caller_number, caller_name=data.caller_name,
                          prefecture_code=data.prefecture_code, center_code=center, external_ref=data.external_ref)
    owner = Principal("", actor.role)
    ticket = await create_ticket(session, create, owner, ctx, source="gov12345")
    return ticket, True


async def claim_ticket(session: AsyncSession, ticket: Ticket, seat: Principal, ctx: TicketContext) -> Ticket:
    """The seat that answers a hand-off call becomes responsible; refused if someone else already is."""
    if ticket.owner_username == seat.username:
        return ticket
    if ticket.owner_username:
        raise TicketRuleError(f"工单已由{ticket.owner_username}负责 (ticket already owned by {ticket.owner_username})")
    return await assign_owner(session, ticket, seat, seat, ctx, "首问负责")


async def screen_pop(session: AsyncSession, payload: dict) -> dict | None:
    """For a ringing call carrying `handoff_ticket` (HOTLINE_HANDOFF_TICKET): the ticket to show."""
    ref = payload.get("handoff_ticket")
    if not ref:
        return None
    ticket = await session.scalar(select(Ticket).where((Ticket.number == ref) | (Ticket.external_ref == ref)))
    if ticket is None:
        return {"handoff_ticket": ref, "found": False}
    return {"handoff_ticket": ref, "found": True, "id": ticket.id, "number": ticket.number,
            "summary": ticket.summary, "status": ticket.status, "owner": ticket.owner_username}


async def prefill_from_call(session: AsyncSession, linkedid: str, payload: dict | None = None) -> dict:
    """TicketCreate fields from a call: the routing payload (screen pop) or its stored call record."""
    src: dict[str, Any] = dict(payload or {})
    if not src:
        try:
            from routing.models import CallRecord
        except ImportError:  # pragma: no cover - routing is always installed with the project
            CallRecord = None
        if CallRecord is not None:
            rec = await session.scalar(select(CallRecord).where(CallRecord.linkedid == linkedid))
            if rec is not None:
                src = {"caller_number": rec.caller_number, "caller_name": rec.caller_name,
                       "prefecture_code": rec.prefecture_code, "category": rec.category, "green": rec.green,
                       "ivr_path": rec.ivr_path, "handoff_ticket": rec.handoff_ticket}
    path = src.get("ivr_path") or ""
    return {
        "linkedid": linkedid, "caller_number": src.get("caller_number") or "",
        "caller_name": src.get("caller_name") or "", "prefecture_code": src.get("prefecture_code"),
        "category_id": src.get("category") or "", "green": bool(src.get("green")),
        "ivr_path": "-".join(map(str, path)) if isinstance(path, list) else str(path),
        # A 12345 ticket id; our own GD number means the ticket exists already (see screen_pop).
        "external_ref": None if str(src.get("handoff_ticket") or "GD").startswith("GD") else src["handoff_ticket"],
    }
