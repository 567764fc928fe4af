"""The wallboard in headless Chromium against pbxsim → routing → seats → supervisor: waiting callers
appear, the waiting alarm turns yellow then red, the seat's call shows, today's answered count grows.
Screenshots go to var/test-artifacts/supervisor/."""
from __future__ import annotations

import asyncio
import json
import re

import pytest

from pbxsim import calls
from pbxsim.parties import CallerScript, place_call
from seats.status import Ready
from supervisor.alarms import Threshold, Thresholds
from tests.browser_support import chromium_page, login_in_browser_async, serve_here

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
QUEUE = "q-410100-consult"


def _call(sim, number: str):
    sim.sched.touch()
    return place_call(sim, CallerScript(number=number, variables={
        "HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": QUEUE, "HOTLINE_SKILL": "consult"}))


async def test_wallboard_follows_pbxsim_calls_and_turns_the_alarm_red(pbx_board, users, artifacts):
    from playwright.async_api import expect

    app, sim, seats = await pbx_board(Thresholds(metrics={"waiting": Threshold(yellow=1, red=2)}))
    shots = artifacts / "supervisor"
    shots.mkdir(exist_ok=True)
    timings = {}
    loop = asyncio.get_running_loop()
    async with serve_here(app) as base, chromium_page(1366, 900) as page:
        await login_in_browser_async(page, base, "zz", "pw-123456", "/wallboard")
        await expect(page.locator("#live-state")).to_have_text("实时")
        waiting = page.locator(f'tr[data-queue="{QUEUE}"] td[data-metric="waiting"]')
        await expect(waiting).to_have_text("0")
        await expect(page.locator('tr[data-queue="q-410000-consult"]')).to_have_count(0)  # 郑州 only

        await seats.login("1001", users["li"], "console-1")  # signed in, not ready: callers wait
        await expect(page.locator('#seats tr[data-extension="1001"]')).to_have_attribute("data-status", "paused")

        t0 = loop.time()
        first = _call(sim, "13800000001")
        await expect(waiting).to_have_text("1")
        timings["call_to_wallboard_seconds"] = round(loop.time() - t0, 3)  # recorded, not asserted
        await expect(waiting).to_have_class(re.compile("alarm-yellow"))
        await page.screenshot(path=str(shots / "1-yellow.png"), full_page=True)
        _call(sim, "13800000002")
        await expect(waiting).to_have_text("2")
        await expect(waiting).to_have_class(re.compile("alarm-red"))
        await expect(page.locator(f'#alarms li[data-scope="{QUEUE}"][data-level="red"]')).to_have_count(1)
        await page.screenshot(path=str(shots / "2-red.png"), full_page=True)

        sim.sched.touch()
        await seats.command("1001", Ready(), console_id="console-1")
        seat_row = page.locator('#seats tr[data-extension="1001"]')
        await expect(seat_row).to_have_attribute("data-status", "on_call", timeout=15_000)
        await expect(seat_row.locator("button")).to_have_count(0)  # 郑州 has no supervisor phone
        await expect(waiting).to_have_text("1")
        await expect(waiting).not_to_have_class(re.compile("alarm-red"))
        sim.sched.touch()
        calls.remote_hangup(sim, first)  # the first citizen hangs up: its call record is stored
        answered = page.locator(f'tr[data-queue="{QUEUE}"] td[data-col="answered"]')
        await expect(answered).to_have_text("1", timeout=15_000)
        await page.screenshot(path=str(shots / "3-answered.png"), full_page=True)
        await page.goto(base + "/reports?group_by=hour")
        await expect(page.locator("#report-table tr.total td[data-col=answered]")).to_have_text("1")
        await expect(page.locator("svg.report-chart")).to_be_visible()
        await page.screenshot(path=str(shots / "4-reports.png"), full_page=True)
    (shots / "timings.json").write_text(json.dumps(timings))
