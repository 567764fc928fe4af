"""The console's ticket form → the integrations ticket service (`integrations.tickets`).

The seat fills category, summary, details and how the call was handled; the caller's number, name,
prefecture, IVR path and linkedid come from the call itself, never from the form.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotline.auth import Principal
from seats.service import SeatError

# How the call was handled → what happens to the new ticket.
HANDLING = {
    "answered": "当场解答",
    "legal_aid": "转法律援助",
    "mediation": "转人民调解",
    "gov12345": "转12345",
    "callback": "需回访",
}


class TicketForm(BaseModel):
    """What the seat types into the console's ticket form."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category_id: str = Field(..., min_length=1, max_length=40)
    summary: str = Field(..., min_length=2, max_length=200)
    detail: str = Field("", max_length=20000)
    handling: Literal["answered", "legal_aid", "mediation", "gov12345", "callback"]
    reply: str = Field("", max_length=20000, description="答复 (required when answered on the spot)")
    caller_name: str = Field("", max_length=64)
    linkedid: str | None = None


def form_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Field → zh-CN message, for the form to show beside each field."""
    names = {"category_id": "类别", "summary": "诉求摘要", "handling": "处理方式", "detail": "详情",
             "reply": "答复", "caller_name": "来电人姓名"}
    out = []
    for err in exc.errors():
        field = str(err["loc"][-1]) if err["loc"] else ""
        kind = err["type"]
        if kind == "missing":
            msg = f"请填写{names.get(field, field)}"
        elif kind == "string_too_short":
            msg = f"{names.get(field, field)}太短"
        elif kind == "literal_error":
            msg = f"请选择{names.get(field, field)}"
        else:
            msg = f"{names.get(field, field)}: {err['msg']}"
        out.append({"field": field, "message": msg})
    return out


def due_preview(directory, category_id: str, now: datetime) -> dict[str, Any]:
    """限时办结: the due date a ticket of this category gets if accepted now."""
    from integrations.policy import due_at

    category = directory.category(category_id)
    if category is None:
        raise SeatError(f"未知工单类别 (unknown category): {category_id!r}", 422)
    due = due_at(now, category.due_days, directory)
    # due_at is the end of the last working day (local midnight); the form shows that day itself
    last_day = (due - timedelta(microseconds=1)).astimezone(ZoneInfo(directory.hours.timezone)).date()
    return {"category_id": category.id, "due_days": category.due_days, "due_at": due.isoformat(),
            "due_date": last_day.isoformat()}


def _path_text(path: Any) -> str:
    """The IVR path as the ticket stores it (one line, at most 64 characters)."""
    text = "-".join(str(p) for p in path) if isinstance(path, (list, tuple)) else str(path or "")
    return text[-64:]


async def submit(kernel: Any, principal: Principal, form: TicketForm, call: dict | None) -> dict[str, Any]:
    """Create the ticket and carry out the handling (close with the reply, hand off, or leave for 回访)."""
    from integrations import tickets as svc
    from integrations.policy import STATUS_LABELS, TicketRuleError
    from integrations.schemas import HandoffRequest, StatusChange, TicketCreate

    if form.handling == "answered" and len(form.reply) < 2:
        raise SeatError("当场解答须填写答复 (answered on the spot needs a reply)", 422)
    call = call or {}
    if form.linkedid and call.get("linkedid") != form.linkedid:
        raise SeatError("工单对应的通话不是本坐席当前或最近的通话 (not this seat's call)", 409)
    try:
        data = TicketCreate(
            category_id=form.category_id, summary=form.summary, detail=form.detail,
            caller_number=call.get("caller_number") or "", caller_name=form.caller_name or call.get("caller_name") or "",
            linkedid=call.get("linkedid"), prefecture_code=call.get("prefecture_code"),
            green=bool(call.get("green")), ivr_path=_path_text(call.get("ivr_path")))
    except ValidationError as exc:
        raise SeatError("; ".join(e["message"] for e in form_errors(exc)), 422) from exc
    ctx = svc.TicketContext.from_kernel(kernel)
    async with kernel.sessions() as session:
        try:
            ticket = await svc.create_ticket(session, data, principal, ctx)
            if form.handling == "answered":
                await svc.change_status(session, ticket, StatusChange(status="closed", reply=form.reply), principal, ctx)
            elif form.handling in ("legal_aid", "mediation", "gov12345"):
                await svc.handoff(session, ticket, HandoffRequest(unit=form.handling, note=HANDLING[form.handling]),
                                  principal, ctx)
            await session.commit()
        except TicketRuleError as exc:
            await session.rollback()
            raise SeatError(str(exc), 422) from exc
        return {"id": ticket.id, "number": ticket.number, "status": ticket.status,
                "status_label": STATUS_LABELS[ticket.status], "handling": HANDLING[form.handling],
                "due_at": ticket.due_at.isoformat(), "category_id": ticket.category_id}
