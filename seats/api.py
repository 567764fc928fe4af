"""Seat API: sign in/out, ready/pause, call controls, ticket form, seat list and history (RBAC)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import desc, select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.deps import KernelDep, SessionDep
from hotline.models import User
from seats import calls, history, tickets
from seats.models import SeatEvent, SeatSession
from seats.screenpop import for_role
from seats.service import SeatError, SeatService
from seats.timeline import Transition, durations
from seats.status import PAUSE_REASONS, STATUS_LABELS, Logout, Pause, Ready
from hotline.validation import invalid

router = APIRouter(prefix="/api/seats", tags=["seats"])
SeatPrincipal = Annotated[Principal, Depends(require_roles(Role.SEAT))]
Overseer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]
Manager = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]


class ConsoleIn(BaseModel):
    """Which console (browser tab) sends the command."""

    model_config = ConfigDict(extra="forbid")
    console_id: str = Field(..., min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class LoginIn(ConsoleIn):
    takeover: bool = Field(False, description="Take the seat over from another console explicitly")


class PauseIn(ConsoleIn):
    reason: str = Field(..., description="Reason code: " + ", ".join(PAUSE_REASONS),
                        json_schema_extra={"enum": list(PAUSE_REASONS)})

    @field_validator("reason")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in PAUSE_REASONS:
            raise ValueError(f"未知小休原因 (unknown pause reason): {v!r}")
        return v


class TransferIn(ConsoleIn):
    kind: Literal["seat", "queue", "gov12345"]
    target: str = Field("", max_length=64)
    attended: bool = False


class TicketIn(tickets.TicketForm):
    console_id: str = Field(..., min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


def service(kernel: KernelDep) -> SeatService:
    """The running seat service (503 in a process without one)."""
    svc = kernel.services.get("seats")
    if svc is None:
        raise HTTPException(503, "坐席服务未运行 (seat service not running in this process)")
    return svc


Service = Annotated[SeatService, Depends(service)]


def _ext(principal: Principal) -> str:
    if not principal.seat_extension:
        raise HTTPException(409, "账号未绑定坐席分机，请联系管理员 (no seat extension on this account)")
    return principal.seat_extension


async def _run(coro) -> Any:
    try:
        return await coro
    except SeatError as exc:
        raise HTTPException(exc.status, str(exc)) from exc


@router.get("/me")
async def me(principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """The seat's state and what its console offers (pause reasons, catalogue, transfer targets)."""
    ext = _ext(principal)
    seat = svc.seat(ext)
    d = svc.directory
    return {
        "seat": for_role(await svc.snapshot(ext), principal.role),
        "skills": {k: d.skill(k).name for k in seat.skills}, "languages": seat.languages,
        "pause_reasons": [{"code": k, "label": v} for k, v in PAUSE_REASONS.items()],
        "handling": [{"code": k, "label": v} for k, v in tickets.HANDLING.items()],
        "categories": [{"id": c.id, "name": c.name, "skill": s.name, "due_days": c.due_days}
                       for s in d.skills for c in s.categories],
        "transfer": {
            "seats": [{"extension": s.extension, "name": s.name} for s in d.seats if s.extension != ext],
            "queues": [{"name": q, "label": _queue_label(d, q)} for q in d.queue_names()],
        },
        "acw_seconds": svc.acw_seconds,
    }


def _queue_label(d, queue: str) -> str:
    _, center, skill = queue.split("-", 2)
    c, s = d.center(center), d.skill(skill)
    return f"{c.name if c else center} · {s.name if s else skill}"


@router.post("/me/login")
async def login(body: LoginIn, principal: SeatPrincipal, svc: Service, session: SessionDep) -> dict[str, Any]:
    """签入: join the seat's queues paused (登录未就绪)."""
    user = await session.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise HTTPException(401, "账号不可用 (account not found)")
    out = await _run(svc.login(_ext(principal), user, body.console_id, body.takeover))
    audit(session, actor=principal.username, role=principal.role, action="seat.login", target_type="seat",
          target_id=out["extension"], detail={"takeover": body.takeover})
    await session.commit()
    return for_role(out, principal.role)


@router.post("/me/ready")
async def ready(body: ConsoleIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """就绪: unpause in every queue."""
    return for_role(await _run(svc.command(_ext(principal), Ready(), console_id=body.console_id)), principal.role)


@router.post("/me/pause")
async def pause(body: PauseIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """小休 with a reason code (break, training, meeting, acw)."""
    label = PAUSE_REASONS[body.reason]
    return for_role(await _run(svc.command(_ext(principal), Pause(label), console_id=body.console_id)),
                    principal.role)


@router.post("/me/logout")
async def logout(body: ConsoleIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """签出: leave every queue."""
    return for_role(await _run(svc.command(_ext(principal), Logout(), console_id=body.console_id)), principal.role)


@router.post("/me/call/hold")
async def hold(body: ConsoleIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """保持."""
    return await _run(calls.hold(svc, _ext(principal), body.console_id, True))


@router.post("/me/call/unhold")
async def unhold(body: ConsoleIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """取消保持."""
    return await _run(calls.hold(svc, _ext(principal), body.console_id, False))


@router.post("/me/call/hangup")
async def hangup(body: ConsoleIn, principal: SeatPrincipal, svc: Service) -> dict[str, Any]:
    """挂断."""
    return await _run(calls.hangup(svc, _ext(principal), body.console_id))


@router.post("/me/call/transfer")
async def transfer(body: TransferIn, principal: SeatPrincipal, svc: Service, session: SessionDep) -> dict[str, Any]:
    """转接 (blind or attended) to a seat, a queue or 12345."""
    out = await _run(calls.transfer(svc, _ext(principal), body.console_id, kind=body.kind, target=body.target,
                                    attended=body.attended))
    audit(session, actor=principal.username, role=principal.role, action="seat.transfer", target_type="seat",
          target_id=_ext(principal), detail=out)
    await session.commit()
    return out


@router.get("/me/due")
async def due(principal: SeatPrincipal, svc: Service, category: str = Query(..., max_length=40)) -> dict[str, Any]:
    """The 限时办结 due date of a category if the ticket is accepted now (422 for a category not in the
    directory's catalogue, in the published validation-error shape)."""
    if svc.directory.category(category) is None:
        raise invalid(("query", "category"), f"未知工单类别 (unknown category): {category!r}", category)
    return tickets.due_preview(svc.directory, category, svc.clock())


@router.post("/me/tickets", status_code=201)
async def create_ticket(body: dict[str, Any], principal: SeatPrincipal, svc: Service,
                        kernel: KernelDep, session: SessionDep) -> dict[str, Any]:
    """Save the ticket form for the seat's current (or just-ended) call."""
    try:
        form = TicketIn.model_validate(body)
    except ValidationError as exc:
        raise HTTPException(422, {"message": "工单信息不完整 (ticket form incomplete)",
                                  "fields": tickets.form_errors(exc)}) from exc
    ext = _ext(principal)
    row = await session.get(SeatSession, ext)
    if row is None or row.status == "offline" or row.console_id != form.console_id:
        raise HTTPException(409, "请先在此处签入坐席 (sign the seat in on this console first)")
    data = tickets.TicketForm.model_validate(form.model_dump(exclude={"console_id"}))
    return await _run(tickets.submit(kernel, principal, data, row.call))


@router.get("")
async def list_seats(principal: Overseer, svc: Service) -> list[dict[str, Any]]:
    """Every seat and its state: supervisors see their own center, admins and auditors all."""
    center = principal.center_code if principal.role == Role.SUPERVISOR else None
    if principal.role == Role.SUPERVISOR and not center:
        return []
    return [for_role(v, principal.role) for v in await svc.all_seats(center)]


@router.post("/{extension}/logout")
async def force_logout(extension: str, principal: Manager, svc: Service, session: SessionDep) -> dict[str, Any]:
    """A supervisor (own center) or admin signs a seat out, even during a call."""
    seat = svc.directory.seat(extension)
    if seat is None or (principal.role == Role.SUPERVISOR and seat.center != principal.center_code):
        raise HTTPException(404, f"坐席不存在 (no such seat): {extension!r}")
    out = await _run(svc.command(extension, Logout(forced=True), strict_console=False))
    audit(session, actor=principal.username, role=principal.role, action="seat.force_logout",
          target_type="seat", target_id=extension)
    await session.commit()
    return out


@router.get("/{extension}/events")
async def seat_events(extension: str, session: SessionDep, svc: Service,
                      principal: Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN,
                                                                            Role.AUDITOR))],
                      limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """A seat's status history: the seat itself, its center's supervisors, admins and auditors."""
    seat = svc.directory.seat(extension)
    if seat is None or not may_see_seat(principal, seat.extension, seat.center):
        raise HTTPException(404, f"坐席不存在 (no such seat): {extension!r}")
    rows = (await session.scalars(select(SeatEvent).where(SeatEvent.extension == extension)
                                  .order_by(desc(SeatEvent.at), desc(SeatEvent.id)).limit(limit))).all()
    return [{"at": r.at.isoformat(), "username": r.username, "from": r.from_state, "to": r.to_state,
             "to_label": STATUS_LABELS.get(r.to_state, r.to_state), "reason": r.reason, "linkedid": r.linkedid}
            for r in rows]


@router.get("/{extension}/calls")
async def seat_calls(extension: str, session: SessionDep, svc: Service,
                     principal: Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN,
                                                                           Role.AUDITOR))],
                     limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    """Calls the seat answered: the seat itself, its center's supervisors, admins and auditors."""
    seat = svc.directory.seat(extension)
    if seat is None or not may_see_seat(principal, seat.extension, seat.center):
        raise HTTPException(404, f"坐席不存在 (no such seat): {extension!r}")
    return await history.seat_calls(session, extension, limit)


@router.get("/{extension}/summary")
async def seat_summary(extension: str, session: SessionDep, svc: Service,
                       principal: Annotated[Principal, Depends(require_roles(Role.SEAT, Role.SUPERVISOR, Role.ADMIN,
                                                                             Role.AUDITOR))],
                       start: datetime = Query(...), end: datetime = Query(...)) -> dict[str, Any]:
    """Seconds signed in, available, ringing, talking, in wrap-up and paused (per reason) in [start, end)."""
    seat = svc.directory.seat(extension)
    if seat is None or not may_see_seat(principal, seat.extension, seat.center):
        raise HTTPException(404, f"坐席不存在 (no such seat): {extension!r}")
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise invalid(("query", name), "时间须带时区 (aware time needed, e.g. 2026-01-01T00:00:00+08:00)",
                          value.isoformat())
    if end <= start:
        raise invalid(("query", "end"), "end 须晚于 start (end must be after start)", end.isoformat())
    before = await session.scalar(select(SeatEvent).where(SeatEvent.extension == extension, SeatEvent.at < start)
                                  .order_by(desc(SeatEvent.at), desc(SeatEvent.id)).limit(1))
    rows = (await session.scalars(select(SeatEvent).where(
        SeatEvent.extension == extension, SeatEvent.at >= start, SeatEvent.at < end)
        .order_by(SeatEvent.at, SeatEvent.id))).all()
    events = [Transition(r.at, r.from_state, r.to_state, r.reason) for r in ([before] if before else []) + list(rows)]
    return {"extension": extension, "start": start.isoformat(), "end": end.isoformat(),
            "seconds": {k: round(v, 3) for k, v in durations(events, start, end).items()}}


def may_see_seat(principal: Principal, extension: str, center: str) -> bool:
    """RBAC: a seat sees itself, a supervisor its center, admins and auditors everything."""
    if principal.role == Role.SEAT:
        return principal.seat_extension == extension
    if principal.role == Role.SUPERVISOR:
        return principal.center_code == center
    return principal.role in (Role.ADMIN, Role.AUDITOR)
