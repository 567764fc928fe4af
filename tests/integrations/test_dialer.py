"""Dialer: 不满意 → 回访 task → Originate through routing.actions (FakeAmi) → outcome on the ticket."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from hotline.models import AuditLog
from integrations.callbacks import record_result
from integrations.dialer import CallbackDialer
from integrations.models import CallbackTask, Ticket, TicketEvent
from integrations.schemas import StatusChange, TicketCreate
from integrations.tickets import change_status, create_ticket
from routing.results import AmiError
from routing.testing import FakeAmi

LINKEDID = "1795901580.0"


async def _ticket(kernel, ctx, seat, **kw) -> Ticket:
    async with kernel.sessions() as s:
        t = await create_ticket(s, TicketCreate(**({"category_id": "consult.labor", "summary": "欠薪",
                                                    "caller_number": "13800138000", "linkedid": LINKEDID} | kw)),
                                seat, ctx)
        await s.commit()
        return t


def _dialer(kernel, ctx, clock, ami=None) -> CallbackDialer:
    return CallbackDialer(kernel.sessions, ctx, ami=ami or FakeAmi(), fastagi="127.0.0.1:4573", clock=clock)


async def _tasks(kernel) -> list[CallbackTask]:
    async with kernel.sessions() as s:
        return list((await s.scalars(select(CallbackTask).order_by(CallbackTask.id))).all())


async def _settle(dialer) -> None:
    while dialer._pending:
        await asyncio.gather(*list(dialer._pending))


async def test_unsatisfied_survey_is_called_back_seat_first_and_the_outcome_lands_on_the_ticket(kernel, ctx, seat, clock):
    ticket = await _ticket(kernel, ctx, seat)
    ami = FakeAmi()
    dialer = _dialer(kernel, ctx, clock, ami)
    await dialer.handle("call.survey", {"linkedid": LINKEDID, "score": 1, "unsatisfied": True,
                                        "caller_number": "13800138000"})
    [task] = await _tasks(kernel)
    assert (task.reason, task.mode, task.seat_extension, task.state) == ("unsatisfied", "seat", "1001", "pending")

    assert await dialer.tick() == 1
    [sent] = ami.actions("Originate")
    assert sent["Channel"] == "PJSIP/seat1001" and sent["Context"] == "callback" and sent["Exten"] == "13800138000"
    assert sent["ActionID"] == f"cb-{task.id}-1" and f"TICKET_ID={ticket.number}" in sent["Variable"]
    assert "CALLBACK_REASON=不满意回访" in sent["Variable"]
    assert await dialer.tick() == 0  # the seat is on this callback now

    dialer.on_ami_event({"Event": "OriginateResponse", "ActionID": sent["ActionID"], "Response": "Success",
                         "Reason": "4", "Uniqueid": "1795901590.3", "Channel": "PJSIP/seat1001-00000000"})
    await _settle(dialer)
    async with kernel.sessions() as s:
        task = await s.get(CallbackTask, task.id)
        t = await s.get(Ticket, ticket.id)
        assert (task.state, task.outcome, task.active_number) == ("done", "answered", None)
        assert t.satisfaction == 1 and t.unsatisfied
        notes = (await s.scalars(select(TicketEvent.note).where(TicketEvent.action == "callback"))).all()
        assert notes == ["不满意回访第1次：已接通"]
        await change_status(s, t, StatusChange(status="closed", reply="已重新解释仲裁时效"), seat, ctx)
        await record_result(s, ctx, task, 4, "回访后满意", seat)
        await s.commit()
        assert (t.status, t.satisfaction) == ("revisited", 4)


async def test_no_answer_is_retried_spaced_then_given_up_at_the_cap(kernel, ctx, seat, clock):
    await _ticket(kernel, ctx, seat)
    ami = FakeAmi()
    dialer = _dialer(kernel, ctx, clock, ami)
    await dialer.handle("call.survey", {"linkedid": LINKEDID, "score": 1, "unsatisfied": True})
    for attempt in (1, 2, 3):
        assert await dialer.tick() == 1, attempt
        action_id = ami.actions("Originate")[-1]["ActionID"]
        dialer.on_ami_event({"Event": "OriginateResponse", "ActionID": action_id, "Response": "Failure",
                             "Reason": "3", "Uniqueid": "<unknown>"})
        await _settle(dialer)
        [task] = await _tasks(kernel)
        assert task.attempts == attempt and task.outcome == "no_answer"
        if attempt < 3:
            assert task.state == "pending" and await dialer.tick() == 0  # spaced, not redialled at once
            clock.now = task.next_attempt_at
    assert (task.state, task.active_number) == ("failed", None)
    assert [h["event"] for h in task.history].count("dialing") == 3


async def test_an_originate_the_pbx_refuses_counts_as_a_failed_attempt(kernel, ctx, seat, clock):
    await _ticket(kernel, ctx, seat)
    ami = FakeAmi()
    ami.script("Originate", AmiError("Originate failed", {"Response": "Error", "Message": "Originate failed"}))
    dialer = _dialer(kernel, ctx, clock, ami)
    await dialer.handle("call.survey", {"linkedid": LINKEDID, "score": 2, "unsatisfied": True})
    await dialer.tick()
    [task] = await _tasks(kernel)
    assert (task.state, task.outcome, task.attempts) == ("pending", "error", 1)
    assert "Originate failed" in task.history[-1]["detail"]


async def test_closing_a_ticket_opens_an_ivr_first_revisit_whose_survey_marks_it_revisited(kernel, ctx, seat, clock):
    ticket = await _ticket(kernel, ctx, seat)
    async with kernel.sessions() as s:
        t = await s.get(Ticket, ticket.id)
        await change_status(s, t, StatusChange(status="closed", reply="已答复"), seat, ctx)
        await s.commit()
    ami = FakeAmi()
    dialer = _dialer(kernel, ctx, clock, ami)
    assert await dialer.tick() == 1
    [sent] = ami.actions("Originate")
    assert sent["Channel"] == "Local/13800138000@callback" and sent["Application"] == "AGI"
    assert sent["Data"] == "agi://127.0.0.1:4573/callback-ivr"
    dialer.on_ami_event({"Event": "OriginateResponse", "ActionID": sent["ActionID"], "Response": "Success",
                         "Reason": "4", "Uniqueid": "1795901600.7"})
    await _settle(dialer)
    # The callback-ivr survey runs on the originated call: its linkedid is that call's uniqueid.
    await dialer.handle("call.survey", {"linkedid": "1795901600.7", "score": 5, "unsatisfied": False})
    async with kernel.sessions() as s:
        t = await s.get(Ticket, ticket.id)
        assert (t.status, t.satisfaction) == ("revisited", 5)
    [task] = await _tasks(kernel)
    assert task.satisfaction == 5 and task.state == "done"


async def test_one_open_callback_per_number_and_a_malformed_number_is_refused_and_audited(kernel, ctx, clock):
    dialer = _dialer(kernel, ctx, clock)
    for _ in range(2):
        await dialer.handle("call.callback_requested", {"linkedid": "1.1", "number": "13800138000",
                                                        "at": clock.now.isoformat()})
    await dialer.handle("call.callback_requested", {"linkedid": "1.2", "number": "12345\r\nAction: Hangup",
                                                    "at": clock.now.isoformat()})
    assert [(t.reason, t.number) for t in await _tasks(kernel)] == [("queue", "13800138000")]
    async with kernel.sessions() as s:
        row = await s.scalar(select(AuditLog).where(AuditLog.action == "callback.request"))
    assert row.outcome == "rejected" and "malformed callback number" in row.detail["message"]


async def test_a_queue_callback_never_overtakes_a_caller_who_has_waited_longer(kernel, ctx, clock):
    ami = FakeAmi()
    dialer = _dialer(kernel, ctx, clock, ami)
    q = "q-410100-consult"
    t0 = clock.now - timedelta(seconds=120)
    await dialer.handle("member.status", {"queue": q, "extension": "1001", "status": "NOT_INUSE",
                                          "paused": False, "in_call": False})
    await dialer.handle("call.queued", {"linkedid": "A", "queue": q, "at": t0.isoformat()})
    await dialer.handle("call.queued", {"linkedid": "B", "queue": q, "at": (t0 + timedelta(seconds=30)).isoformat()})
    # B gives up waiting and asks for a callback; its place is the time it joined.
    await dialer.handle("call.callback_requested", {"linkedid": "B", "number": "13900139000", "at": clock.now.isoformat()})
    await dialer.handle("call.ended", {"linkedid": "B", "outcome": "callback"})
    [task] = await _tasks(kernel)
    assert task.queue == q and task.position_at == t0 + timedelta(seconds=30)
    assert await dialer.tick() == 0 and not ami.actions("Originate")  # A still waits, and waited longer
    await dialer.handle("call.connected", {"linkedid": "A", "queue": q})
    assert await dialer.tick() == 1
    assert ami.actions("Originate")[0]["Channel"] == "PJSIP/seat1001"


async def test_nothing_is_dialled_outside_calling_hours(kernel, ctx, seat, clock):
    await _ticket(kernel, ctx, seat)
    ami = FakeAmi()
    dialer = _dialer(kernel, ctx, clock, ami)
    await dialer.handle("call.survey", {"linkedid": LINKEDID, "score": 1, "unsatisfied": True})
    clock.now = clock.now.replace(hour=13)  # 21:00 local
    assert await dialer.tick() == 0 and not ami.sent


async def test_a_survey_before_the_ticket_is_written_still_ties_its_callback_to_the_ticket(kernel, ctx, seat, clock):
    dialer = _dialer(kernel, ctx, clock)
    await dialer.handle("call.survey", {"linkedid": LINKEDID, "score": 1, "unsatisfied": True,
                                        "caller_number": "13800138000"})
    [task] = await _tasks(kernel)
    assert task.ticket_id is None and task.number == "13800138000"
    ticket = await _ticket(kernel, ctx, seat)
    [task] = await _tasks(kernel)
    assert task.ticket_id == ticket.id
