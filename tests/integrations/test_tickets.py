"""Ticket service: creation from a call or by hand, moves with history, outbox rows, RBAC, bad input."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from hotline.auth import Principal, Role
from integrations.models import OutboxMessage, Ticket
from integrations.policy import TicketRuleError
from integrations.schemas import HandoffRequest, StatusChange, TicketCreate
from integrations.tickets import (TicketForbidden, can_see, change_status, create_ticket, handoff, history,
                                  record_satisfaction)


def _new(**kw) -> TicketCreate:
    base = {"category_id": "consult.labor", "summary": "公司拖欠三个月工资", "caller_number": "13800138000",
            "caller_name": "张三"}
    return TicketCreate(**(base | kw))


async def test_a_new_ticket_is_accepted_numbered_due_and_queued_for_the_platform(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(linkedid="1795901580.0", prefecture_code="410100"), seat, ctx)
        await s.commit()
        assert t.status == "accepted" and t.source == "call" and t.center_code == "410100"
        assert t.number == f"GD20261124{t.id:06d}"
        assert t.skill == "consult" and t.owner_username == "seat1001" and t.owner_seat == "1001"
        assert t.due_at.isoformat() == "2026-11-27T16:00:00+00:00"
        rows = (await s.scalars(select(OutboxMessage))).all()
        assert [(r.destination, r.seq, r.prev_seq, r.idempotency_key) for r in rows] == [
            ("platform", 1, None, f"{t.number}:1:platform")]
        assert rows[0].payload["status_label"] == "已受理" and rows[0].payload["category"]["name"] == "劳动争议"


async def test_status_moves_keep_full_history_and_one_outbox_row_per_version(kernel, ctx, seat, clock):
    from datetime import timedelta

    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(), seat, ctx)
        clock.now += timedelta(hours=1)
        await change_status(s, t, StatusChange(status="processing", note="联系用人单位"), seat, ctx)
        clock.now += timedelta(hours=1)
        await change_status(s, t, StatusChange(status="closed", reply="已告知劳动仲裁途径"), seat, ctx)
        await s.commit()
        events = await history(s, t)
        assert [(e.version, e.action, e.actor) for e in events] == [
            (1, "created", "seat1001"), (2, "status", "seat1001"), (3, "status", "seat1001")]
        assert events[2].changes["status"] == ["processing", "closed"]
        assert events[2].changes["reply"] == ["", "已告知劳动仲裁途径"]
        assert events[1].note == "联系用人单位"
        seqs = (await s.scalars(select(OutboxMessage.seq).order_by(OutboxMessage.id))).all()
        assert seqs == [1, 2, 3]
        assert t.closed_at == clock.now


async def test_closing_without_a_reply_is_refused_and_changes_nothing(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(), seat, ctx)
        await s.commit()
        with pytest.raises(TicketRuleError, match="答复"):
            await change_status(s, t, StatusChange(status="closed"), seat, ctx)
        assert t.status == "accepted" and t.version == 1


async def test_handoff_to_12345_also_queues_the_ticket_for_12345_chained_from_the_handoff(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(category_id="complaint.service", summary="对窗口服务不满"), seat, ctx)
        await handoff(s, t, HandoffRequest(unit="gov12345", note="属12345受理范围"), seat, ctx)
        await change_status(s, t, StatusChange(status="closed", reply="12345已办结"), seat, ctx)
        await s.commit()
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        assert [(r.destination, r.seq, r.prev_seq) for r in rows] == [
            ("platform", 1, None), ("platform", 2, 1), ("gov12345", 2, None), ("platform", 3, 2), ("gov12345", 3, 2)]
        assert rows[1].payload["handoff"] == {"unit": "gov12345", "label": "转12345", "external_ref": None}
        assert t.status == "closed"


async def test_seats_see_only_their_own_tickets_supervisors_their_center(kernel, ctx, seat, other_seat, supervisor):
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(), seat, ctx)
        await s.commit()
    assert can_see(seat, t) and not can_see(other_seat, t)
    assert can_see(supervisor, t)
    assert not can_see(Principal("sup410300", Role.SUPERVISOR, "410300"), t)
    assert can_see(Principal("audit", Role.AUDITOR), t)
    async with kernel.sessions() as s:
        t = await s.get(Ticket, t.id)
        with pytest.raises(TicketForbidden):
            await change_status(s, t, StatusChange(status="processing"), other_seat, ctx)
        with pytest.raises(TicketForbidden):
            await change_status(s, t, StatusChange(status="processing"), Principal("audit", Role.AUDITOR), ctx)


async def test_a_callback_score_on_a_closed_ticket_makes_it_revisited(kernel, ctx, seat):
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(), seat, ctx)
        await change_status(s, t, StatusChange(status="closed", reply="已答复"), seat, ctx)
        await record_satisfaction(s, t, 1, seat, ctx, revisit=True)
        await s.commit()
        assert (t.status, t.satisfaction, t.unsatisfied) == ("revisited", 1, True)


async def test_unknown_category_center_or_prefecture_is_refused(kernel, ctx, seat):
    async with kernel.sessions() as s:
        with pytest.raises(TicketRuleError, match="unknown category"):
            await create_ticket(s, _new(category_id="consult.nonsense"), seat, ctx)
        with pytest.raises(TicketRuleError, match="unknown center"):
            await create_ticket(s, _new(center_code="999999"), seat, ctx)
        with pytest.raises(TicketRuleError, match="unknown prefecture"):
            await create_ticket(s, _new(prefecture_code="999999"), seat, ctx)


@pytest.mark.parametrize("bad", [
    {"summary": "x"}, {"summary": "拖欠\r\nAction: Hangup"}, {"caller_number": "138abc"},
    {"linkedid": "1.0\r\nAction: Hangup"}, {"detail": "bell\x07"}, {"unknown_field": 1}, {"external_ref": "a b"},
])
def test_invalid_ticket_payloads_are_rejected_with_the_field_named(bad):
    with pytest.raises(ValidationError) as info:
        _new(**bad)
    assert next(iter(bad)) in str(info.value)


async def test_ticket_changed_is_published_only_after_commit(kernel, ctx, seat):
    sub = kernel.bus.subscribe("ticket.changed")
    async with kernel.sessions() as s:
        await create_ticket(s, _new(), seat, ctx)
        await s.rollback()
    assert sub.queue.empty()
    async with kernel.sessions() as s:
        t = await create_ticket(s, _new(), seat, ctx)
        await s.commit()
    msg = sub.queue.get_nowait()
    assert msg.payload["number"] == t.number and msg.payload["status_label"] == "已受理"


async def test_a_change_rolled_back_is_never_published_even_if_the_session_commits_later(kernel, ctx, seat):
    from hotline.models import AuditLog

    sub = kernel.bus.subscribe("ticket.changed")
    async with kernel.sessions() as s:
        await create_ticket(s, _new(), seat, ctx)
        await s.rollback()
        s.add(AuditLog(actor="seat1001", action="ticket.create", outcome="rejected"))
        await s.commit()
        assert sub.queue.empty()
        t = await create_ticket(s, _new(), seat, ctx)
        await s.commit()
    assert sub.queue.get_nowait().payload["number"] == t.number and sub.queue.empty()
