"""A scripted pbxsim day through the real engine (pbxsim → AMI → routing records, seat events) and the
report's numbers against the ones computed by hand from the script, metric by metric."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select

from hotline.auth import issue_token
from pbxsim.parties import CallerScript, SeatScript, place_call
from routing.models import CallRecord
from seats.status import Ready
from supervisor.alarms import Thresholds

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
QUEUE = "q-410100-consult"
SPEED = 4.0  # simulated seconds per real second; the engine's records are in real seconds


def _call(sim, number: str, patience: float | None = None):
    sim.sched.touch()
    return place_call(sim, CallerScript(number=number, patience=patience, variables={
        "HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": QUEUE, "HOTLINE_SKILL": "consult"}))


async def _records(kernel, n: int) -> None:
    for _ in range(400):
        async with kernel.sessions() as s:
            if await s.scalar(select(func.count()).select_from(CallRecord)) >= n:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {n} call records stored")


async def test_scripted_pbxsim_day_report_equals_hand_computed_numbers(pbx_board, kernel, users):
    # the seat answers after 1 simulated second and hangs up after 4; abandons under 1 real second are short
    app, sim, seats = await pbx_board(Thresholds(metrics={}), SeatScript(answer_after=1.0, talk_time=4.0),
                                      speed=SPEED, short_abandon_seconds=1.0, service_level_seconds=20)
    await seats.login("1001", users["li"], "c1")  # 登录未就绪: callers wait
    _call(sim, "13800000001", patience=1.0)  # B: gives up after 0.25 s → short abandon
    _call(sim, "13800000002", patience=8.0)  # C: gives up after 2 s → abandoned
    await _records(kernel, 2)
    await seats.command("1001", Ready(), console_id="c1")
    _call(sim, "13800000003")  # A: rung at once, answered after 0.25 s, 1 s of talk
    await _records(kernel, 3)

    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    s = kernel.settings
    token = issue_token(users["prov"], s.secret_key.get_secret_value(), s.token_minutes)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                                 headers={"Authorization": f"Bearer {token}"}) as c:
        body = (await c.get("/api/supervisor/report", params={"from": today, "to": today, "group_by": "skill"})).json()
        abandoned = (await c.get("/api/supervisor/abandoned", params={"from": today, "to": today})).json()
    t = body["total"]
    expected = {"offered": 3, "answered": 1, "abandoned": 1, "short_abandoned": 1, "overflowed": 0,
                "answer_rate": 1 / 2, "service_level": 1.0, "service_level_inclusive": 1 / 2,
                "legal_consultations": 1, "phone_answer_rate": 1 / 2}
    assert {k: t[k] for k in expected} == pytest.approx(expected)
    assert t["asa_seconds"] == pytest.approx(1.0 / SPEED, abs=0.3)
    assert t["longest_wait_seconds"] == pytest.approx(8.0 / SPEED, abs=0.4)
    assert t["talk_seconds"] == pytest.approx(4.0 / SPEED, abs=0.4)
    assert [r["key"] for r in body["rows"]] == ["consult"] and body["rows"][0]["offered"] == 3
    assert [(a["caller_number"], a["short"]) for a in abandoned["calls"]] == \
        [("13800000002", False), ("13800000001", True)]
