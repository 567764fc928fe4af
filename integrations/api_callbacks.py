"""回访 API: list tasks, ask for a callback on a ticket, record what a seat-first 回访 found."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from integrations.callbacks import CallbackError, record_result, request_callback, task_dict
from integrations.models import CallbackTask
from integrations.schemas import REFUSED, multi_line
from integrations.tickets import TicketContext, TicketNotFound, can_see, get_ticket

router = APIRouter(prefix="/api/callbacks", tags=["callbacks 回访"], responses=REFUSED)
Staff = Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN))]
Viewers = Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]


class CallbackAsk(BaseModel):
    """Ask for a 回访 of a ticket (to its caller's number unless another is given)."""

    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(..., max_length=24, description="Ticket number or id")
    number: str | None = Field(None, max_length=32)
    reason: str = Field("unsatisfied", pattern=r"^(closed|unsatisfied)$")


class CallbackResult(BaseModel):
    """What the seat learned on a seat-first 回访."""

    model_config = ConfigDict(extra="forbid")
    satisfaction: int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=2000)

    _multi = field_validator("note")(lambda v: multi_line(v))


@router.get("")
async def list_tasks(session: SessionDep, principal: Viewers, state: str | None = None, limit: int = 200) -> list[dict]:
    """回访任务: seats see the ones placed through them; supervisors, admin and auditors all."""
    q = select(CallbackTask).order_by(CallbackTask.id.desc()).limit(min(max(limit, 1), 1000))
    if state:
        q = q.where(CallbackTask.state == state)
    if principal.role == Role.SEAT:
        q = q.where(CallbackTask.seat_extension == (principal.seat_extension or ""))
    return [task_dict(t) for t in await session.scalars(q)]


@router.post("", status_code=201)
async def ask(body: CallbackAsk, request: Request, session: SessionDep, kernel: KernelDep, principal: Staff) -> dict:
    """安排回访 for a ticket; one open callback per number (a second request joins the first)."""
    ctx = TicketContext.from_kernel(kernel)
    try:
        ticket = await get_ticket(session, int(body.ticket) if body.ticket.isdigit() else body.ticket, principal)
        task, created = await request_callback(session, ctx, number=body.number or ticket.caller_number,
                                               reason=body.reason, ticket=ticket)
    except (TicketNotFound, CallbackError) as exc:
        await session.rollback()
        audit(session, actor=principal.username, role=str(principal.role), action="callback.request",
              target_type="ticket", target_id=body.ticket, outcome="rejected",
              address=request.client.host if request.client else "", detail={"message": str(exc)})
        await session.commit()
        raise HTTPException(404 if isinstance(exc, TicketNotFound) else 422, {"message": str(exc)}) from None
    await session.commit()
    return task_dict(task) | {"created": created}


@router.post("/{task_id}/result")
async def result(task_id: int, body: CallbackResult, session: SessionDep, kernel: KernelDep, principal: Staff) -> dict:
    """回访结果: the satisfaction the seat collected goes on the task and the ticket (→ 已回访)."""
    task = await session.get(CallbackTask, task_id)
    if task is None or (principal.role == Role.SEAT and task.seat_extension != principal.seat_extension):
        raise HTTPException(404, {"message": f"回访任务不存在 (no callback task {task_id})"})
    if task.ticket_id and principal.role == Role.SUPERVISOR:
        ticket = await get_ticket(session, task.ticket_id)
        if not can_see(principal, ticket):
            raise HTTPException(404, {"message": f"回访任务不存在 (no callback task {task_id})"})
    await record_result(session, TicketContext.from_kernel(kernel), task, body.satisfaction, body.note, principal)
    await session.commit()
    return task_dict(task)
