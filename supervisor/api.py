"""Supervisor API: reports (JSON, CSV, XLSX), abandoned calls, alarm log, wallboard frame and
WebSocket, listen/whisper/barge."""
from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from hotline.audit import audit
from hotline.auth import Principal, Role, require_roles
from hotline.db import utcnow
from hotline.deps import KernelDep, SessionDep
from hotline.validation import invalid
from supervisor.access import deny, requested_centers, visible_centers
from supervisor.export import to_csv, to_xlsx
from supervisor.metrics import with_revisit_scores
from supervisor.reports import (
    GROUPS,
    ReportError,
    ReportRequest,
    abandoned_calls,
    build_report,
    check_request,
)
from supervisor.spy import (
    SpyRefused,
    originate_spy,
    plan,
    seat_channel,
    stored_seat_channel,
)
from supervisor.store import (
    load_events,
    load_qa_checked,
    load_records,
    load_revisit_scores,
)

router = APIRouter(tags=["supervisor"])
Viewer = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR))]
Watcher = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]


class ReportQuery(BaseModel):
    """Query parameters of every report endpoint."""

    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    group_by: Literal[GROUPS] = "day"  # type: ignore[valid-type]
    queue: str | None = Field(None, max_length=64)
    center: str | None = Field(None, pattern=r"^\d{6}$")


ReportParams = Annotated[ReportQuery, Query()]


def component_state(kernel):
    """(metric params, wallboard service) published by the supervisor component."""
    from supervisor.component import params_of

    return params_of(kernel), kernel.services.get("wallboard")


async def report_request(q: ReportQuery, principal: Principal, kernel, session, request: Request) -> ReportRequest:
    """Check the query (422) and the person's centers (403, audited) → what to compute."""
    req = ReportRequest(q.date_from, q.date_to, q.group_by, q.queue, None)
    if q.center is not None and kernel.directory.center(q.center) is None:
        raise invalid(("query", "center"), f"未知的中心 (unknown center {q.center!r})", q.center)
    try:
        check_request(req, kernel.directory)
    except ReportError as exc:
        raise invalid(("query", exc.param), str(exc)) from exc
    centers, refused = requested_centers(principal, kernel.directory, q.center, q.queue)
    if refused is not None:
        raise await deny(session, request, principal, refused, "report.denied")
    return ReportRequest(q.date_from, q.date_to, q.group_by, q.queue, centers)


async def compute(req: ReportRequest, kernel, session) -> tuple[dict, list[dict]]:
    """(report, abandoned calls) of a checked request."""
    params, _ = component_state(kernel)
    now = utcnow()
    window = req.window(kernel.directory.hours.timezone, now)
    records = await load_records(session, window)
    events = await load_events(session, window)
    answered = [r["linkedid"] for r in records if r["outcome"] == "answered"]
    qa = await load_qa_checked(session, answered)
    records = with_revisit_scores(records, await load_revisit_scores(session, answered))
    report = build_report(records, events, qa, req, kernel.directory, params, now)
    return report, abandoned_calls(records, req, kernel.directory, now, params)


@router.get("/api/supervisor/report")
async def report(q: ReportParams, principal: Viewer, kernel: KernelDep, session: SessionDep, request: Request) -> dict:
    """Statistics of a date range grouped by day, hour, center, prefecture, skill or seat."""
    req = await report_request(q, principal, kernel, session, request)
    out, abandoned = await compute(req, kernel, session)
    return {**out, "abandoned_count": len(abandoned)}


@router.get("/api/supervisor/report.csv")
async def report_csv(q: ReportParams, principal: Viewer, kernel: KernelDep, session: SessionDep,
                     request: Request) -> Response:
    """The report as CSV."""
    req = await report_request(q, principal, kernel, session, request)
    out, _ = await compute(req, kernel, session)
    return Response(to_csv(out), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="report-{q.date_from}-{q.date_to}.csv"'})


@router.get("/api/supervisor/report.xlsx")
async def report_xlsx(q: ReportParams, principal: Viewer, kernel: KernelDep, session: SessionDep,
                      request: Request) -> Response:
    """The report and the abandoned calls as an Excel workbook."""
    req = await report_request(q, principal, kernel, session, request)
    out, abandoned = await compute(req, kernel, session)
    return Response(to_xlsx(out, abandoned),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="report-{q.date_from}-{q.date_to}.xlsx"'})


@router.get("/api/supervisor/abandoned")
async def abandoned(q: ReportParams, principal: Viewer, kernel: KernelDep, session: SessionDep,
                    request: Request) -> dict:
    """Abandoned calls of the range (newest first), each saying whether the citizen got through later."""
    req = await report_request(q, principal, kernel, session, request)
    _, calls = await compute(req, kernel, session)
    return {"calls": calls, "to_call_back": sum(1 for c in calls if not c["reached_later"])}


@router.get("/api/supervisor/alarms")
async def alarms(principal: Viewer, kernel: KernelDep, session: SessionDep,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict:
    """The alarm log (newest first) of the centers the person may see."""
    from supervisor.models import AlarmLog

    centers = visible_centers(principal, kernel.directory)
    stmt = select(AlarmLog).order_by(AlarmLog.raised_at.desc(), AlarmLog.id.desc()).limit(limit)
    if centers is not None:
        stmt = stmt.where(AlarmLog.center_code.in_(centers))
    rows = await session.scalars(stmt)
    return {"alarms": [{"id": a.id, "scope": a.scope, "center_code": a.center_code, "metric": a.metric,
                        "level": a.level, "value": a.value, "threshold": a.threshold,
                        "raised_at": a.raised_at.isoformat(),
                        "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None} for a in rows]}


def _board(kernel):
    _, board = component_state(kernel)
    if board is None:
        raise HTTPException(503, "监控服务未运行 (wallboard service not running)")
    return board


@router.get("/api/supervisor/wallboard")
async def wallboard_frame(principal: Watcher, kernel: KernelDep) -> dict:
    """The current wallboard frame (what the WebSocket pushes), limited to the person's centers."""
    board = _board(kernel)
    frame = board.frame or board.push()
    return board.part(frame, visible_centers(principal, kernel.directory))


@router.websocket("/ws/wallboard")
async def wallboard_socket(ws: WebSocket, principal: Watcher) -> None:
    """Pushes `{type: "frame", frame}` after every change (coalesced), limited to the person's centers."""
    kernel = ws.app.state.kernel
    board = kernel.services.get("wallboard")
    centers = visible_centers(principal, kernel.directory)
    if board is None:
        await ws.close(code=4403)
        return
    await ws.accept()
    frames = board.watch()
    reader = asyncio.create_task(_drain(ws))
    try:
        while not reader.done():
            getter = asyncio.create_task(frames.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await ws.send_text(board.message(getter.result(), centers))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        board.unwatch(frames)
        with contextlib.suppress(Exception):
            await ws.close()


async def _drain(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await ws.receive_text()


class SpyRequest(BaseModel):
    """Listen to, whisper to or barge into a seat's call from a supervisor phone."""

    seat: str = Field(pattern=r"^\d{3,6}$")
    phone: str = Field(pattern=r"^\d{3,6}$")
    mode: Literal["listen", "whisper", "barge"]


@router.post("/api/supervisor/spy", status_code=202)
async def spy(body: SpyRequest, principal: Watcher, kernel: KernelDep, session: SessionDep, request: Request) -> dict:
    """Originate the supervisor's phone into ChanSpy on the seat's channel (audited, allowed or not)."""
    address = request.client.host if request.client else ""
    detail = body.model_dump()
    channel = seat_channel(kernel.services.get("routing"), body.seat) or await stored_seat_channel(session, body.seat)
    try:
        p = plan(principal, kernel.directory, seat=body.seat, phone=body.phone, mode=body.mode, seat_channel=channel)
    except SpyRefused as exc:
        audit(session, actor=principal.username, role=principal.role.value, action=f"supervisor.{body.mode}",
              target_type="seat", target_id=body.seat, outcome="denied", address=address,
              detail={**detail, "reason": str(exc)})
        await session.commit()
        raise HTTPException(exc.status, str(exc)) from exc
    ami = kernel.services.get("ami")
    if ami is None:
        raise HTTPException(503, "未连接交换机 (no AMI link)")
    action_id = f"spy-{uuid.uuid4().hex[:12]}"
    outcome = "ok"
    try:
        await originate_spy(ami, p, action_id)
    except Exception as exc:
        outcome = "error"
        raise HTTPException(502, f"交换机拒绝了请求 (originate failed: {exc})") from exc
    finally:
        audit(session, actor=principal.username, role=principal.role.value, action=f"supervisor.{body.mode}",
              target_type="seat", target_id=body.seat, outcome=outcome, address=address,
              detail={**detail, "channel": p.channel, "target": p.target, "action_id": action_id})
        await session.commit()
    return {"action_id": action_id, "channel": p.channel, "mode": p.exten, "target": p.target}
