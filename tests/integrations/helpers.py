"""Helpers shared by the integrations tests: ticket traffic and draining the outbox."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from hotline.auth import Principal, Role
from integrations.models import OutboxMessage
from integrations.schemas import HandoffRequest, StatusChange, TicketCreate
from integrations.tickets import change_status, create_ticket, handoff

SEAT = Principal("seat1001", Role.SEAT, "410100", "1001")


async def ticket_traffic(kernel, ctx, n: int, *, pause: float = 0.0, until: asyncio.Event | None = None) -> int:
    """At least `n` tickets (more until `until` is set), each created, moved to 办理中 and closed;
    every 5th handed to 12345 first. Returns how many were made."""
    i = 0
    while i < n or (until is not None and not until.is_set()):
        async with kernel.sessions() as s:
            t = await create_ticket(s, TicketCreate(category_id="consult.labor", summary=f"欠薪咨询{i}",
                                                    caller_number="13800138000"), SEAT, ctx)
            await s.commit()
            if i % 5 == 0:
                await handoff(s, t, HandoffRequest(unit="gov12345"), SEAT, ctx)
            else:
                await change_status(s, t, StatusChange(status="processing"), SEAT, ctx)
            await s.commit()
            await change_status(s, t, StatusChange(status="closed", reply="已答复"), SEAT, ctx)
            await s.commit()
        i += 1
        if pause:
            await asyncio.sleep(pause)
    return i


async def outbox_counts(kernel) -> dict[str, int]:
    async with kernel.sessions() as s:
        rows = (await s.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))).all()
    return {state: n for state, n in rows}


async def wait_drained(kernel, seconds: float) -> dict[str, int]:
    """Poll until no row is pending (or the time is up); the final counts per state."""
    end = time.monotonic() + seconds
    while True:
        counts = await outbox_counts(kernel)
        if not counts.get("pending") or time.monotonic() > end:
            return counts
        await asyncio.sleep(0.05)
