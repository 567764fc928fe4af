"""Ticket API for seats and supervisors (/api/tickets): create, list, show, move, hand off, claim."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from integrations.policy import TicketRuleError
from integrations.schemas import REFUSED, HandoffRequest, StatusChange, TicketCreate, TicketListItem
from integrations.ticket_list import DEFAULT_PAGE, MAX_PAGE, ListQuery, list_page
from integrations.tickets import (TicketContext, TicketForbidden, TicketNotFound, change_status, create_ticket,
                                  get_ticket, handoff, history, ticket_dict)

router = APIRouter(prefix="/api/tickets", tags=["tickets 工单"], responses=REFUSED)
EDITORS = (Role.SEAT, Role.SUPERVISOR, Role.ADMIN)
READERS = (Role.SEAT, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR)
Editor = Annotated[Principal, Depends(require_roles(*EDITORS))]
Reader = Annotated[Principal, Depends(require_roles(*READERS))]


def body_schema(model: type[BaseModel]) -> dict:
    """OpenAPI request body for routes that validate their body themselves (to audit bad input)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def parse_or_reject(model: type[BaseModel], raw: Any, session, principal: Principal, request: Request,
                          action: str) -> Any:
    """Validate `raw`; on failure audit the attempt and answer 422 naming each bad field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        audit(session, actor=principal.username, role=str(principal.role), action=action, target_type="ticket",
              outcome="rejected", address=request.client.host if request.client else "", detail={"errors": errors})
        await session.commit()
        raise HTTPException(422, {"message": "工单数据不正确 (invalid ticket data)", "errors": errors}) from None


async def rule_error(session, principal: Principal, request: Request, action: str, exc: Exception,
                     target: str = "") -> HTTPException:
    """Audit a refused change and map it to its HTTP status."""
    status = {TicketNotFound: 404, TicketForbidden: 403}.get(type(exc), 422)
    await session.rollback()
    audit(session, actor=principal.username, role=str(principal.role), action=action, target_type="ticket",
          target_id=target, outcome="rejected", address=request.client.host if request.client else "",
          detail={"message": str(exc)})
    await session.commit()
    return HTTPException(status, {"message": str(exc)})


@router.post("", status_code=201, openapi_extra=body_schema(TicketCreate))
async def create(request: Request, session: SessionDep, kernel: KernelDep, principal: Editor,
                 raw: Annotated[Any, Body()] = None) -> dict:
    """新建工单: by hand, or pre-filled from a call (pass its linkedid)."""
    data = await parse_or_reject(TicketCreate, raw, session, principal, request, "ticket.create")
    try:
        ticket = await create_ticket(session, data, principal, TicketContext.from_kernel(kernel))
    except TicketRuleError as exc:
        raise await rule_error(session, principal, request, "ticket.create", exc) from None
    await session.commit()
    return ticket_dict(ticket, kernel.directory)


@router.get("", response_model=list[TicketListItem], responses={200: {"headers": {
    "X-Next-Before-Id": {"description": "cursor of the next (older) page; absent on the last page",
                         "schema": {"type": "integer"}},
    "Link": {"description": '`<…?before_id=…>; rel="next"` when another page follows', "schema": {"type": "string"}},
}}})
async def list_tickets(request: Request, session: SessionDep, kernel: KernelDep, principal: Reader,
                       status: str | None = None, overdue: bool = False, linkedid: str | None = None,
                       before_id: Annotated[int | None, Query(ge=1, description="只列出id小于此值的工单 (cursor: "
                                                          "the X-Next-Before-Id of the previous page)")] = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="每页条数 (page size)")]
                       = DEFAULT_PAGE) -> Response:
    """工单列表: what the caller may see (own / center / all), newest first, one page at a time.

    Items are the tickets without 详情/答复 (`GET /api/tickets/{id|number}` has them). When more tickets
    follow, `X-Next-Before-Id` (and a `Link` rel="next") gives the cursor of the next page."""
    from hotline.db import utcnow

    query = ListQuery(status=status, overdue=overdue, linkedid=linkedid, before_id=before_id, limit=limit)
    page = await list_page(session, kernel.directory, principal, query, utcnow())
    headers = {}
    if page.next_before_id is not None:
        nxt = request.url.include_query_params(before_id=page.next_before_id)
        headers = {"X-Next-Before-Id": str(page.next_before_id), "Link": f'<{nxt.path}?{nxt.query}>; rel="next"'}
    return JSONResponse(page.items, headers=headers)


def _key(key: str) -> int | str:
    return int(key) if key.isdigit() else key


@router.get("/{key}")
async def show(key: str, session: SessionDep, kernel: KernelDep, principal: Reader) -> dict:
    """工单详情 with its full history (who changed what, when)."""
    try:
        ticket = await get_ticket(session, _key(key), principal)
    except TicketNotFound as exc:
        raise HTTPException(404, {"message": str(exc)}) from None
    events = [{"version": e.version, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
               "changes": e.changes, "note": e.note} for e in await history(session, ticket)]
    return ticket_dict(ticket, kernel.directory) | {"history": events}


@router.post("/{key}/status", openapi_extra=body_schema(StatusChange))
async def move(key: str, request: Request, session: SessionDep, kernel: KernelDep, principal: Editor,
               raw: Annotated[Any, Body()] = None) -> dict:
    """改变工单状态 (办理中 / 已办结 with a reply / 已回访 / reopen)."""
    change = await parse_or_reject(StatusChange, raw, session, principal, request, "ticket.status")
    try:
        ticket = await get_ticket(session, _key(key), principal)
        await change_status(session, ticket, change, principal, TicketContext.from_kernel(kernel))
    except (TicketRuleError, TicketNotFound, TicketForbidden) as exc:
        raise await rule_error(session, principal, request, "ticket.status", exc, key) from None
    await session.commit()
    return ticket_dict(ticket, kernel.directory)


@router.post("/{key}/handoff", openapi_extra=body_schema(HandoffRequest))
async def hand_off(key: str, request: Request, session: SessionDep, kernel: KernelDep, principal: Editor,
                   raw: Annotated[Any, Body()] = None) -> dict:
    """转办: 法律援助 / 人民调解 / 公证鉴定 / 12345; with `channel`, 转12345 also transfers the live call."""
    from integrations.handoff import transfer_to_12345

    req = await parse_or_reject(HandoffRequest, raw, session, principal, request, "ticket.handoff")
    try:
        ticket = await get_ticket(session, _key(key), principal)
        await handoff(session, ticket, req, principal, TicketContext.from_kernel(kernel))
    except (TicketRuleError, TicketNotFound, TicketForbidden) as exc:
        raise await rule_error(session, principal, request, "ticket.handoff", exc, key) from None
    transferred = None
    if req.unit == "gov12345" and req.channel:
        transferred = await transfer_to_12345(kernel, session, ticket, req.channel, principal)
    await session.commit()
    return ticket_dict(ticket, kernel.directory) | {"transferred": transferred}


@router.post("/{key}/claim")
async def claim(key: str, request: Request, session: SessionDep, kernel: KernelDep,
                principal: Annotated[Principal, Depends(require_roles(Role.SEAT))]) -> dict:
    """首问负责: a seat takes an unowned ticket (e.g. a 12345 hand-off shown at screen pop)."""
    from integrations.handoff import claim_ticket

    try:
        ticket = await get_ticket(session, _key(key))
        await claim_ticket(session, ticket, principal, TicketContext.from_kernel(kernel))
    except (TicketRuleError, TicketNotFound) as exc:
        raise await rule_error(session, principal, request, "ticket.claim", exc, key) from None
    await session.commit()
    return ticket_dict(ticket, kernel.directory)
