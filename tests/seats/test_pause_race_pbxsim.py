"""The pause race end to end: pbxsim (Asterisk stand-in) → routing engine → seats, over real AMI sockets.

A seat added paused is never rung; a seat that pauses while its phone rings keeps that ring (app_queue's
`can_ring_entry()` checks `paused` only before ringing) and is paused once the call is over.
"""
from __future__ import annotations

import asyncio

import pytest

from pbxsim.parties import CallerScript, SeatScript, place_call
from seats.status import Pause, Ready
from tests.seats.test_service import _row, wait_for

QUEUE = "q-410100-consult"
# the race is about Asterisk and the seat machine, not the database: SQLite alone keeps it quick
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@pytest.fixture
async def engine(pbx_engine):
    e = await pbx_engine(SeatScript(answer_after=1.0), ivr=False)
    return e.sim, e.service, e.seen


def _call(sim, number: str, hangup_after: float | None = 4.0):
    script = CallerScript(number=number, hangup_after=hangup_after,
                          variables={"HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": QUEUE, "HOTLINE_SKILL": "consult"})
    sim.sched.touch()
    return place_call(sim, script)


def _rung(seen, interface: str) -> list[dict]:
    return [e for e in seen if e.get("Event") == "AgentCalled" and e.get("Interface") == interface]


async def _state(kernel, ext, status):
    row = await _row(kernel, ext)
    return row is not None and row.status == status


async def test_a_seat_added_paused_is_never_rung(engine, kernel, users):
    sim, svc, seen = engine
    await svc.login("1001", users["li"], "console-aaaa1111")   # stays 登录未就绪 (paused)
    await svc.login("1002", users["wang"], "console-bbbb2222")
    await svc.command("1002", Ready(), console_id="console-bbbb2222")
    _call(sim, "13800138000")
    await wait_for(lambda: _state(kernel, "1002", "on_call"), timeout=10)
    await wait_for(lambda: _state(kernel, "1002", "wrap_up"), timeout=10)
    assert _rung(seen, "PJSIP/seat1002") and not _rung(seen, "PJSIP/seat1001")
    added = [e for e in seen if e.get("Event") == "QueueMemberAdded" and e.get("Interface") == "PJSIP/seat1001"]
    assert added and {e["Paused"] for e in added} == {"1"}
    assert (await _row(kernel, "1001")).status == "paused"


async def test_pausing_while_the_phone_rings_keeps_that_ring_and_pauses_after_the_call(engine, kernel, users):
    sim, svc, seen = engine
    cid = "console-bbbb2222"
    await svc.login("1002", users["wang"], cid)
    await svc.command("1002", Ready(), console_id=cid)
    _call(sim, "13900139000", hangup_after=3.0)
    await wait_for(lambda: _state(kernel, "1002", "ringing"), timeout=10)
    out = await svc.command("1002", Pause("会议"), console_id=cid)       # the phone is still ringing
    assert out["status"] == "ringing" and out["pending_pause"] == "会议"
    await wait_for(lambda: _state(kernel, "1002", "on_call"), timeout=10)  # the ring in progress is answered
    assert [e for e in seen if e.get("Event") == "AgentConnect" and e.get("Interface") == "PJSIP/seat1002"]
    await wait_for(lambda: _state(kernel, "1002", "paused"), timeout=15)   # call over, ACW over → 会议
    assert (await _row(kernel, "1002")).reason == "会议"
    rung_before = len(_rung(seen, "PJSIP/seat1002"))
    _call(sim, "13700137000", hangup_after=3.0)
    await asyncio.sleep(1.5)
    assert len(_rung(seen, "PJSIP/seat1002")) == rung_before  # paused: the next caller is not offered
