"""End to end on pbxsim: a 不满意 survey → 回访 task → the dialer's Originate reaches the (simulated)
Asterisk over AMI → its OriginateResponse lands on the task and in the ticket's history."""
from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from integrations.dialer import CallbackDialer
from integrations.models import CallbackTask, TicketEvent
from integrations.schemas import TicketCreate
from integrations.tickets import create_ticket
from pbxsim.ami_server import AmiServer, AmiUser
from pbxsim.core import Simulator
from pbxsim.parties import SeatScript
from pbxsim.scheduler import Scheduler
from pbxsim.setup import directory_config
from routing.ami import AmiLink


@pytest.fixture
async def pbx(directory, tmp_path):
    """pbxsim in real time with the directory's seats (seat1002 unregistered) and an AmiLink to it."""
    cfg = directory_config(directory, None, str(tmp_path), {}, seat_script=SeatScript(answer_after=0.2, talk_time=0.3))
    for ep in cfg.endpoints:
        if ep.name == "seat1002":
            ep.registered = False
    sched = Scheduler(realtime=True)
    sim = Simulator(cfg, sched)
    server = AmiServer(sim, [AmiUser("engine", "engine")])
    port = await server.start("127.0.0.1", 0)
    clock = asyncio.create_task(sched.run_realtime())
    link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine")
    await link.start()
    await link.wait_ready(5)
    seen: list[dict] = []
    link.listen(seen.append, {"OriginateResponse", "Newchannel"})
    yield link, seen
    await link.stop()
    clock.cancel()
    await server.stop()
    for t in list(sim.tasks):
        t.cancel()


async def _call_back(kernel, ctx, clock, pbx, principal, linkedid):
    link, seen = pbx
    async with kernel.sessions() as s:
        ticket = await create_ticket(s, TicketCreate(category_id="consult.labor", summary="欠薪",
                                                     caller_number="13800138000", linkedid=linkedid), principal, ctx)
        await s.commit()
    dialer = CallbackDialer(kernel.sessions, ctx, ami=link, clock=clock)
    unlisten = link.listen(dialer.on_ami_event, {"OriginateResponse"})
    await dialer.handle("call.survey", {"linkedid": linkedid, "score": 1, "unsatisfied": True})
    assert await dialer.tick() == 1
    end = time.monotonic() + 10
    while time.monotonic() < end:
        async with kernel.sessions() as s:
            task = await s.scalar(select(CallbackTask))
            if task.outcome:
                break
        await asyncio.sleep(0.05)
    while dialer._pending:
        await asyncio.gather(*list(dialer._pending))
    unlisten()
    async with kernel.sessions() as s:
        task = await s.scalar(select(CallbackTask))
        notes = (await s.scalars(select(TicketEvent.note).where(TicketEvent.ticket_id == ticket.id,
                                                               TicketEvent.action == "callback"))).all()
    return task, notes, seen


async def test_originate_on_pbxsim_is_answered_by_the_seat_and_recorded_on_the_ticket(kernel, ctx, clock, pbx, seat):
    task, notes, seen = await _call_back(kernel, ctx, clock, pbx, seat, "1795901580.0")
    response = next(e for e in seen if e.get("Event") == "OriginateResponse")
    assert response["ActionID"] == f"cb-{task.id}-1" and response["Reason"] == "4"
    assert any(e.get("Event") == "Newchannel" and e.get("Channel", "").startswith("PJSIP/seat1001-") for e in seen)
    assert (task.state, task.outcome, task.call_uniqueid) == ("done", "answered", response["Uniqueid"])
    assert notes == ["不满意回访第1次：已接通"]


async def test_an_unregistered_seat_fails_with_reason_0_and_is_retried_later(kernel, ctx, clock, pbx, other_seat):
    task, notes, seen = await _call_back(kernel, ctx, clock, pbx, other_seat, "1795901581.0")
    response = next(e for e in seen if e.get("Event") == "OriginateResponse")
    assert response["Response"] == "Failure" and response["Reason"] == "0"
    assert (task.state, task.outcome, task.attempts) == ("pending", "failed", 1)
    assert task.next_attempt_at > clock.now
    assert notes == ["不满意回访第1次：呼叫失败"]
