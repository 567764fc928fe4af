"""保持 from the seat console end to end on pbxsim: PJSIPNotify to the seat's phone, which holds its call."""
from __future__ import annotations

import asyncio

import pytest

from pbxsim.parties import CallerScript, SeatScript, place_call
from seats import calls
from seats.status import Ready
from tests.seats.test_service import _row, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
CID = "console-bbbb2222"


async def _events(e, name: str, n: int = 1, timeout: float = 5.0) -> list[dict]:
    async def enough():
        return len([x for x in e.seen if x.get("Event") == name]) >= n
    await wait_for(enough, timeout=timeout)
    return [x for x in e.seen if x.get("Event") == name]


async def test_console_hold_and_resume_reach_the_call(pbx_engine, kernel, users):
    e = await pbx_engine(SeatScript(answer_after=1.0), ivr=False)
    await e.service.login("1002", users["wang"], CID)
    await e.service.command("1002", Ready(), console_id=CID)
    e.sim.sched.touch()
    caller = place_call(e.sim, CallerScript(number="13800138000", hangup_after=30, variables={
        "HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": "q-410100-consult", "HOTLINE_SKILL": "consult"}))

    async def on_call():
        row = await _row(kernel, "1002")
        return row is not None and row.status == "on_call"
    await wait_for(on_call, timeout=10)
    assert await calls.hold(e.service, "1002", CID, True) == {"held": True}
    hold, moh = (await _events(e, "Hold"))[0], (await _events(e, "MusicOnHoldStart"))[0]
    assert hold["Channel"].startswith("PJSIP/seat1002-") and moh["Channel"] == caller.name
    assert await calls.hold(e.service, "1002", CID, False) == {"held": False}
    unhold, stop = (await _events(e, "Unhold"))[0], (await _events(e, "MusicOnHoldStop"))[0]
    assert unhold["Channel"] == hold["Channel"] and stop["Channel"] == caller.name
    await asyncio.sleep(0)
    assert caller.bridge is not None  # still talking after the hold
