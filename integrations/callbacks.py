"""回访 tasks in the database: created on close, on 不满意, on a queue callback request; outcomes recorded
on the task and on the ticket. Callers commit."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.auth import Principal, Role
from integrations.callback_policy import MODES, OUTCOME_LABELS, REASONS, next_window, outcome_of, retry_at
from integrations.models import CallbackTask, Ticket, TicketEvent
from integrations.schemas import dialable_number
from integrations.tickets import TicketContext, record_satisfaction

SURVEY = Principal("survey", Role.INTEGRATION)
OPEN = ("pending", "dialing")
REASON_RANK = {"queue": 0, "closed": 1, "unsatisfied": 2}


class CallbackError(ValueError):
    """A callback that cannot be placed (e.g. a malformed number); the message says why."""


async def request_callback(session: AsyncSession, ctx: TicketContext, *, number: str, reason: str,
                           ticket: Ticket | None = None, linkedid: str | None = None, queue: str | None = None,
                           position_at: datetime | None = None, seat: str | None = None) -> tuple[CallbackTask, bool]:
    """Open a callback task, or fold the request into the number's open task; (task, created)."""
    if reason not in REASONS:
        raise CallbackError(f"未知回访原因 (unknown callback reason): {reason!r}")
    try:
        digits = dialable_number(number)
    except ValueError as exc:
        raise CallbackError(f"回访号码不正确 (malformed callback number): {exc}") from None
    now = ctx.clock()
    existing = await session.scalar(select(CallbackTask).where(CallbackTask.active_number == digits))
    if existing is not None:
        if REASON_RANK[reason] > REASON_RANK[existing.reason]:
            existing.reason, existing.mode = reason, MODES[reason]
            existing.seat_extension = seat or existing.seat_extension
        if ticket is not None and existing.ticket_id is None:
            existing.ticket_id = ticket.id
        _note(existing, now, "merged", f"同号码合并：{REASONS[reason]}")
        return existing, False
    task = CallbackTask(
        ticket_id=ticket.id if ticket else None, linkedid=linkedid or (ticket.linkedid if ticket else None),
        number=digits, active_number=digits, reason=reason, mode=MODES[reason], queue=queue,
        position_at=position_at or now, seat_extension=seat or (ticket.owner_seat if ticket else None),
        state="pending", attempts=0, max_attempts=3, next_attempt_at=next_window(now, ctx.directory) or now,
        outcome="", history=[], created_at=now, updated_at=now,
    )
    _note(task, now, "created", REASONS[reason])
    session.add(task)
    await session.flush()
    return task, True


def _note(task: CallbackTask, at: datetime, event: str, detail: str = "", **extra: Any) -> None:
    task.history = [*(task.history or []), {"at": at.isoformat(), "event": event, "detail": detail, **extra}]
    task.updated_at = at


async def on_ticket_closed(session: AsyncSession, ctx: TicketContext, ticket: Ticket) -> CallbackTask | None:
    """办结回访 for a closed ticket whose caller can be called back (else nothing)."""
    try:
        task, _ = await request_callback(session, ctx, number=ticket.caller_number, reason="closed", ticket=ticket)
    except CallbackError:
        return None
    return task


async def on_survey(session: AsyncSession, ctx: TicketContext, payload: dict) -> CallbackTask | None:
    """A `call.survey` result: lands on the 回访 it came from, or on the call's ticket; 不满意 → a task."""
    linkedid, score = payload.get("linkedid"), payload.get("score")
    unsatisfied = bool(payload.get("unsatisfied"))
    task = await session.scalar(select(CallbackTask).where(CallbackTask.call_uniqueid == linkedid)) if linkedid else None
    if task is not None:  # the automated survey of an IVR-first 回访
        ticket = await session.get(Ticket, task.ticket_id) if task.ticket_id else None
        task.satisfaction = score
        _note(task, ctx.clock(), "survey", "不满意" if unsatisfied else "满意度", score=score)
        if ticket is not None and score:
            await record_satisfaction(session, ticket, int(score), SURVEY, ctx, unsatisfied=unsatisfied, revisit=True)
        if not unsatisfied:
            return task
        new, _ = await request_callback(session, ctx, number=task.number, reason="unsatisfied", ticket=ticket,
                                        linkedid=task.linkedid)
        return new
    ticket = None
    if linkedid:
        ticket = await session.scalar(select(Ticket).where(Ticket.linkedid == linkedid).order_by(Ticket.id.desc()))
    if ticket is not None and score:
        await record_satisfaction(session, ticket, int(score), SURVEY, ctx, unsatisfied=unsatisfied)
    if not unsatisfied:
        return None
    number = (ticket.caller_number if ticket else "") or payload.get("caller_number") or ""
    new, _ = await request_callback(session, ctx, number=number, reason="unsatisfied", ticket=ticket,
                                    linkedid=linkedid)
    return new


async def mark_dialing(session: AsyncSession, task: CallbackTask, seat: str | None, action_id: str, now: datetime) -> None:
    """The dialer placed attempt n of `task` (ActionID ties the OriginateResponse back to it)."""
    task.attempts += 1
    task.state, task.action_id, task.seat_extension = "dialing", action_id, seat or task.seat_extension
    _note(task, now, "dialing", f"第{task.attempts}次呼叫", seat=seat, action_id=action_id)


async def record_outcome(session: AsyncSession, ctx: TicketContext, task: CallbackTask, outcome: str,
                         *, uniqueid: str | None = None, error: str = "") -> None:
    """An attempt ended: answered → done; otherwise retry later in the window, or give up at the cap."""
    now = ctx.clock()
    task.outcome = outcome
    task.action_id = None
    if uniqueid and uniqueid != "<unknown>":
        task.call_uniqueid = uniqueid
    label = OUTCOME_LABELS.get(outcome, outcome)
    _note(task, now, "outcome", label + (f"：{error}" if error else ""), outcome=outcome)
    if outcome == "answered":
        task.state, task.active_number = "done", None
    elif task.attempts >= task.max_attempts:
        task.state, task.active_number = "failed", None
    else:
        when = retry_at(task.attempts, now, ctx.directory)
        task.state, task.next_attempt_at = ("pending", when) if when else ("failed", now)
        if when is None:
            task.active_number = None
    if task.ticket_id:
        ticket = await session.get(Ticket, task.ticket_id)
        if ticket is not None:
            session.add(TicketEvent(ticket_id=ticket.id, version=ticket.version, at=now, actor="dialer",
                                    action="callback", note=f"{REASONS[task.reason]}第{task.attempts}次：{label}",
                                    changes={"callback_task": task.id, "attempt": task.attempts, "outcome": outcome,
                                             "state": task.state}))


def outcome_from_event(event: dict) -> str:
    """Outcome of an OriginateResponse event."""
    return outcome_of(event.get("Reason"), event.get("Response"))


async def record_result(session: AsyncSession, ctx: TicketContext, task: CallbackTask, score: int | None,
                        note: str, actor: Principal) -> CallbackTask:
    """A seat finished a seat-first 回访: the satisfaction it collected lands on the task and the ticket."""
    task.satisfaction = score
    _note(task, ctx.clock(), "result", note, score=score, actor=actor.username)
    if task.ticket_id and score:
        ticket = await session.get(Ticket, task.ticket_id)
        if ticket is not None:
            await record_satisfaction(session, ticket, score, actor, ctx, revisit=True, note=note)
    return task


def task_dict(task: CallbackTask) -> dict:
    """A callback task as the API shows it."""
    return {"id": task.id, "ticket_id": task.ticket_id, "linkedid": task.linkedid, "number": task.number,
            "reason": task.reason, "reason_label": REASONS[task.reason], "mode": task.mode, "queue": task.queue,
            "position_at": task.position_at.isoformat(), "seat": task.seat_extension, "state": task.state,
            "attempts": task.attempts, "max_attempts": task.max_attempts,
            "next_attempt_at": task.next_attempt_at.isoformat(), "outcome": task.outcome,
            "outcome_label": OUTCOME_LABELS.get(task.outcome, task.outcome), "satisfaction": task.satisfaction,
            "history": task.history}
