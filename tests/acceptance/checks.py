"""What the acceptance kit checks after a real call, as functions of the engine's database and
recordings directory (tested on every run by test_checks.py, used against Asterisk by the kit)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from hotline.auth import Principal, Role
from hotline.directory import Directory


async def wait_for(fn: Callable[[], Awaitable[Any]], timeout: float, what: str, step: float = 0.5) -> Any:
    """Poll `fn` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        found = await fn()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(step)


async def call_record(sessions: async_sessionmaker, linkedid: str, timeout: float = 30.0):
    """The engine's call record for `linkedid` (written when the call ends)."""
    from routing.models import CallRecord

    async def find():
        async with sessions() as s:
            return (await s.execute(select(CallRecord).where(CallRecord.linkedid == linkedid))).scalar_one_or_none()
    return await wait_for(find, timeout, f"the call record of {linkedid}")


def check_answered(rec, *, seat: str, queue: str, caller: str, min_talk: float) -> None:
    """An inbound call answered by `seat` out of `queue`, talking at least `min_talk` seconds."""
    problems = []
    if rec.outcome != "answered":
        problems.append(f"outcome {rec.outcome!r}, expected 'answered'")
    if rec.seat_extension != seat:
        problems.append(f"answered by {rec.seat_extension!r}, expected {seat!r}")
    if rec.direction != "inbound" or rec.caller_number != caller:
        problems.append(f"{rec.direction} call from {rec.caller_number!r}, expected inbound from {caller!r}")
    if queue not in [q.get("queue") for q in rec.queues or []]:
        problems.append(f"queue {queue} not among {rec.queues!r}")
    if not rec.talk_seconds or rec.talk_seconds < min_talk:
        problems.append(f"talk time {rec.talk_seconds!r} s, expected ≥ {min_talk}")
    assert not problems, f"call record {rec.linkedid}: " + "; ".join(problems)


async def recording_files(recordings_dir: Path, rec, timeout: float = 30.0) -> list[Path]:
    """`<recordings>/YYYY/MM/DD/<linkedid>-{mix,in,out}.wav`, each with audio beyond the WAV header."""
    folder = Path(recordings_dir) / rec.answered_at.strftime("%Y/%m/%d")
    wanted = [folder / f"{rec.linkedid}-{leg}.wav" for leg in ("mix", "in", "out")]

    async def present():
        return wanted if all(p.is_file() and p.stat().st_size > 44 for p in wanted) else None
    return await wait_for(present, timeout, f"MixMonitor files {folder}/{rec.linkedid}-{{mix,in,out}}.wav")


async def ticket_for_call(sessions: async_sessionmaker, directory: Directory, rec, seat: str):
    """File a ticket for the call as its seat would; return it with its outbox rows."""
    from integrations.models import OutboxMessage, Ticket
    from integrations.schemas import TicketCreate
    from integrations.tickets import TicketContext, create_ticket

    known = directory.seat(seat)
    actor = Principal(f"seat{seat}", Role.SEAT, center_code=known.center if known else None, seat_extension=seat)
    data = TicketCreate(category_id=rec.category or "consult.other", summary="验收测试来电",
                        caller_number=rec.caller_number or "", linkedid=rec.linkedid)
    async with sessions() as s:
        ticket = await create_ticket(s, data, actor, TicketContext(directory))
        await s.commit()
        number = ticket.number
    async with sessions() as s:
        stored = (await s.execute(select(Ticket).where(Ticket.linkedid == rec.linkedid))).scalar_one()
        outbox = (await s.execute(select(OutboxMessage).where(OutboxMessage.ticket_id == stored.id))).scalars().all()
    assert stored.number == number and stored.caller_number == (rec.caller_number or "")
    assert outbox, f"ticket {number} was not queued for the 12348 platform"
    return stored, outbox
