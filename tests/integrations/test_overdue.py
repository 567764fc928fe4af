"""限时办结: open tickets past their working-day deadline raise one alarm each."""
from __future__ import annotations

from datetime import timedelta

from integrations.schemas import StatusChange, TicketCreate
from integrations.tickets import change_status, create_ticket, history, raise_overdue_alarms


async def test_an_overdue_ticket_raises_one_alarm_and_a_closed_one_none(kernel, ctx, seat, clock):
    alarms = kernel.bus.subscribe("alarm.raised")
    async with kernel.sessions() as s:
        late = await create_ticket(s, TicketCreate(category_id="consult.labor", summary="欠薪"), seat, ctx)
        done = await create_ticket(s, TicketCreate(category_id="consult.labor", summary="已答复"), seat, ctx)
        await change_status(s, done, StatusChange(status="closed", reply="已答复"), seat, ctx)
        await s.commit()
        clock.now = late.due_at - timedelta(seconds=1)
        assert await raise_overdue_alarms(s, ctx) == []
        clock.now = late.due_at + timedelta(minutes=1)
        assert [t.id for t in await raise_overdue_alarms(s, ctx)] == [late.id]
        await s.commit()
        assert await raise_overdue_alarms(s, ctx) == []  # alerted once
        events = await history(s, late)
    msg = alarms.queue.get_nowait()
    assert msg.payload["kind"] == "ticket.overdue" and msg.payload["ticket"] == late.number
    assert "限时办结" in msg.payload["message"]
    assert alarms.queue.empty()
    assert events[-1].action == "overdue"
