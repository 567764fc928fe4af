"""Integration API: signed webhooks (platform status, 12345 hand-offs), dead letters, screen pop."""
from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.db import utcnow
from hotline.deps import KernelDep, SessionDep
from integrations.api import body_schema, rule_error
from integrations.dispatcher import resend
from integrations.handoff import accept_from_12345, prefill_from_call, screen_pop
from integrations.models import OutboxMessage
from integrations.policy import TicketRuleError
from integrations.schemas import REFUSED, Gov12345Handoff, PlatformStatus
from integrations.tickets import TicketContext, TicketNotFound, apply_remote_status, get_ticket, ticket_dict
from integrations.webhooks import GOV12345_KEY_ID, reject, verified_body

router = APIRouter(prefix="/api/integrations", tags=["integrations 对接"], responses=REFUSED)
Integration = Annotated[Principal, Depends(require_roles(Role.INTEGRATION))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Oversight = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.AUDITOR))]
Seats = Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN))]


async def _signed_json(request: Request, session, principal: Principal, kernel, action: str, model) -> tuple[str, Any]:
    key_id, body = await verified_body(request, session, principal, kernel.settings, action)
    try:
        return key_id, model.model_validate(json.loads(body))
    except (ValueError, TypeError) as exc:
        errors = exc.errors() if hasattr(exc, "errors") else [{"msg": str(exc)}]
        fields = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e["msg"]} for e in errors]
        raise await reject(session, principal, request, action, 422, "invalid", "数据不正确 (invalid payload)",
                           {"errors": fields}) from None


@router.post("/webhooks/status", openapi_extra=body_schema(PlatformStatus))
async def status_callback(request: Request, session: SessionDep, kernel: KernelDep, principal: Integration) -> dict:
    """Status callback from the 12348 platform or 12345 (API key + HMAC signature, fresh, never replayed)."""
    key_id, data = await _signed_json(request, session, principal, kernel, "webhook.status", PlatformStatus)
    try:
        ticket = await get_ticket(session, data.number)
        actor = Principal("gov12345" if key_id == GOV12345_KEY_ID else "platform", Role.INTEGRATION)
        changed = await apply_remote_status(session, ticket, data.status, data.reply, actor,
                                            TicketContext.from_kernel(kernel), external_ref=data.external_ref)
    except (TicketNotFound, TicketRuleError) as exc:
        raise await rule_error(session, principal, request, "webhook.status", exc, data.number) from None
    audit(session, actor=principal.username, role=str(principal.role), action="webhook.status",
          target_type="ticket", target_id=data.number, detail={"event_id": data.event_id, "status": data.status,
                                                               "changed": changed is not None})
    await session.commit()
    return {"number": ticket.number, "status": ticket.status, "changed": changed is not None}


@router.post("/gov12345/handoffs", status_code=201, openapi_extra=body_schema(Gov12345Handoff))
async def handoff_from_12345(request: Request, session: SessionDep, kernel: KernelDep, principal: Integration) -> dict:
    """12345 hands a matter to 12348: a ticket is opened (once per 12345 ticket id)."""
    key_id, data = await _signed_json(request, session, principal, kernel, "gov12345.handoff", Gov12345Handoff)
    if key_id != GOV12345_KEY_ID:
        raise await reject(session, principal, request, "gov12345.handoff", 403, "wrong_party",
                           "只接受12345的转办 (only 12345 may hand off here)")
    try:
        ticket, created = await accept_from_12345(session, data, principal, TicketContext.from_kernel(kernel))
    except TicketRuleError as exc:
        raise await rule_error(session, principal, request, "gov12345.handoff", exc, data.external_ref) from None
    audit(session, actor=principal.username, role=str(principal.role), action="gov12345.handoff",
          target_type="ticket", target_id=ticket.number or "", detail={"external_ref": data.external_ref,
                                                                      "created": created})
    await session.commit()
    return ticket_dict(ticket, kernel.directory) | {"created": created}


@router.get("/outbox/dead")
async def dead_letters(session: SessionDep, principal: Oversight, limit: int = 200) -> list[dict]:
    """死信: ticket changes that could not be delivered."""
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.state == "dead")
                                 .order_by(OutboxMessage.id).limit(min(max(limit, 1), 1000)))
    return [{"id": r.id, "destination": r.destination, "ticket": r.payload.get("number"), "seq": r.seq,
             "idempotency_key": r.idempotency_key, "attempts": r.attempts, "last_error": r.last_error,
             "created_at": r.created_at.isoformat()} for r in rows]


@router.post("/outbox/{row_id}/resend")
async def resend_dead(row_id: int, request: Request, session: SessionDep, kernel: KernelDep, principal: Admin) -> dict:
    """重新推送 a dead-letter row (with the later dead changes of its ticket)."""
    try:
        rows = await resend(session, row_id, utcnow())
    except LookupError as exc:
        raise HTTPException(404, {"message": str(exc)}) from None
    audit(session, actor=principal.username, role=str(principal.role), action="outbox.resend",
          target_type="outbox", target_id=row_id, address=request.client.host if request.client else "",
          detail={"rows": [r.id for r in rows]})
    await session.commit()
    wake = kernel.services.get("outbox")
    if wake is not None:
        wake.wake()
    return {"requeued": [r.id for r in rows]}


@router.get("/calls/{linkedid}/prefill")
async def prefill(linkedid: str, session: SessionDep, principal: Seats) -> dict:
    """Ticket fields pre-filled from the call's record (IVR choice, caller attribution)."""
    return await prefill_from_call(session, linkedid)


@router.get("/screen-pop/{ref}")
async def handoff_screen_pop(ref: str, session: SessionDep, principal: Seats) -> dict:
    """The ticket a call carrying HOTLINE_HANDOFF_TICKET refers to."""
    found = await screen_pop(session, {"handoff_ticket": ref})
    if not found or not found["found"]:
        raise HTTPException(404, {"message": f"转办工单不存在 (no hand-off ticket {ref})"})
    return found
