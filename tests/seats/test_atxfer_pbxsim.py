"""Attended 转接 from the seat console end to end on pbxsim: Atxfer, consult the target seat, hang up to hand over."""
from __future__ import annotations

import pytest

from pbxsim.parties import CallerScript, SeatScript, place_call
from seats import calls
from seats.status import Ready
from tests.seats.test_service import _row, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
LI, WANG = "console-aaaa1111", "console-bbbb2222"


async def _status(kernel, ext, status):
    row = await _row(kernel, ext)
    return row is not None and row.status == status


def _events(e, name):
    return [x for x in e.seen if x.get("Event") == name]


async def test_attended_transfer_to_another_seat_hands_the_caller_over(pbx_engine, kernel, users):
    e = await pbx_engine(SeatScript(answer_after=1.0), ivr=False)
    await e.service.login("1001", users["li"], LI)
    await e.service.command("1001", Ready(), console_id=LI)
    await e.service.login("1002", users["wang"], WANG)  # signed in, not ready: no queue call, can be consulted
    e.sim.sched.touch()
    caller = place_call(e.sim, CallerScript(number="13800138000", hangup_after=60, variables={
        "HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": "q-410100-consult", "HOTLINE_SKILL": "consult"}))
    await wait_for(lambda: _status(kernel, "1001", "on_call"), timeout=10)
    out = await calls.transfer(e.service, "1001", LI, kind="seat", target="1002", attended=True)
    assert (out["context"], out["exten"], out["attended"]) == ("seat-transfer", "1002", True)

    async def consulting():
        return any(c.endpoint == "seat1002" and c.bridge is not None for c in e.sim.channels.values())
    await wait_for(consulting, timeout=10)
    assert _events(e, "MusicOnHoldStart")[0]["Channel"] == caller.name
    await calls.hangup(e.service, "1001", LI)  # hanging up completes the transfer

    async def transferred():
        return bool(_events(e, "AttendedTransfer"))
    await wait_for(transferred, timeout=10)
    x = _events(e, "AttendedTransfer")[0]
    assert x["TransfereeChannel"] == caller.name and x["TransferTargetChannel"].startswith("Local/1002@seat-transfer-")
    assert [a["Reason"] for a in _events(e, "AgentComplete")] == ["transfer"]
    assert not caller.hungup and caller.bridge is not None
    target = next(c for c in e.sim.channels.values() if c.endpoint == "seat1002")
    assert target.bridge is not None and not any(c.endpoint == "seat1001" for c in e.sim.channels.values())
