"""The seat console in headless Chromium, end to end: a pbxsim caller goes through the IVR (FastAGI) and the
routing engine (AMI) to the seat, whose console pops the call; the seat writes the ticket, the caller hangs
up, wrap-up runs and the seat is ready again. Screenshots go to var/test-artifacts/seats/."""
from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import select

from pbxsim import calls, queue_calls
from pbxsim.parties import CallerScript, SeatScript, place_call
# The shell's browser fixtures drive Chromium with Playwright's sync API against a server thread; this test
# keeps pbxsim, the engine and the browser on one event loop (the async helpers).
from tests.browser_support import chromium_page, login_in_browser_async, serve_here
from tests.seats.test_service import _row, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

CALLER = "037166668888"


async def _previous_ticket(kernel, users) -> str:
    """An earlier ticket of the same caller, taken by 王律师 (1002): 首问负责 must name him."""
    from hotline.auth import Principal, Role
    from integrations.schemas import TicketCreate
    from integrations.tickets import TicketContext, create_ticket

    wang = users["wang"]
    actor = Principal(wang.username, Role.SEAT, wang.center_code, wang.seat_extension, wang.id)
    async with kernel.sessions() as s:
        t = await create_ticket(s, TicketCreate(category_id="consult.labor", summary="上月咨询欠薪",
                                                caller_number=CALLER), actor, TicketContext(kernel.directory))
        await s.commit()
        return t.number


async def test_seat_takes_a_pbxsim_call_from_login_to_ready_again(pbx_engine, kernel, users, artifacts):
    from playwright.async_api import expect

    from integrations.models import Ticket

    engine = await pbx_engine(SeatScript(answer_after=None), acw_seconds=2)  # the seat answers when the test says
    sim = engine.sim
    old_ticket = await _previous_ticket(kernel, users)
    shots = artifacts / "seats"
    shots.mkdir(exist_ok=True)
    async with serve_here(engine.app) as base, chromium_page(1280, 900) as page:
        await login_in_browser_async(page, base, "li", "pw-123456", "/seat")
        await expect(page.locator("#live-state")).to_have_text("实时连接正常")
        await page.click("#btn-login")
        await expect(page.locator("#seat-status")).to_have_text("小休(登录未就绪)")
        await page.click("#btn-ready")
        await expect(page.locator("#seat-status")).to_have_text("就绪")
        await page.screenshot(path=str(shots / "1-ready.png"))

        # 张三 dials 0371-12348, presses 1 (法律咨询) then 2 (劳动争议) in the IVR
        sim.sched.touch()
        caller = place_call(sim, CallerScript(number=CALLER, name="张三", did="037112348",
                                              dtmf=[(3.5, "1"), (5.0, "2")]))
        await expect(page.locator("#seat-status")).to_have_text("振铃", timeout=20_000)
        rang_at = asyncio.get_running_loop().time()
        await expect(page.locator("#pop-number")).to_have_text("037****8888")
        popped_in = asyncio.get_running_loop().time() - rang_at  # recorded, not asserted
        await expect(page.locator("#pop-prefecture")).to_have_text("郑州市")
        await expect(page.locator("#pop-name")).to_have_text("张三")
        await expect(page.locator("#pop-skill")).to_have_text("法律咨询 · 劳动争议")
        await expect(page.locator("#pop-ivr")).to_contain_text("主菜单")
        await expect(page.locator("#pop-waited")).to_have_text(re.compile(r"^\d+ 秒$"))
        await expect(page.locator("#pop-tickets")).to_contain_text(old_ticket)
        await expect(page.locator("#pop-first")).to_have_text("wang（坐席1002）")
        await expect(page.locator("#t-category")).to_have_value("consult.labor")
        await expect(page.locator("#pop-green")).to_be_hidden()
        await page.screenshot(path=str(shots / "2-screen-pop.png"))

        row = await _row(kernel, "1001")
        seat_leg = sim.find_channel(row.call["seat_channel"])
        sim.sched.touch()
        assert queue_calls.answered(sim.queues, seat_leg)  # the operator picks up the phone
        await expect(page.locator("#seat-status")).to_have_text("通话中")
        await expect(page.locator("#btn-hangup")).to_be_enabled()
        await expect(page.locator("#t-due")).to_contain_text("3 个工作日")
        await page.fill("#t-summary", "公司拖欠工资三个月，咨询如何申请劳动仲裁")
        await page.select_option("#t-handling", "legal_aid")
        await page.click("#t-submit")
        await expect(page.locator("#t-result")).to_contain_text("已保存")
        await expect(page.locator("#t-result")).to_contain_text("转法律援助")
        await page.screenshot(path=str(shots / "3-ticket-saved.png"))

        sim.sched.touch()
        calls.remote_hangup(sim, caller)  # the citizen hangs up
        await expect(page.locator("#seat-status")).to_have_text("话后处理")
        await expect(page.locator("#acw")).to_be_visible()
        await page.screenshot(path=str(shots / "4-wrap-up.png"))
        await expect(page.locator("#seat-status")).to_have_text("就绪", timeout=10_000)
        await expect(page.locator("#acw")).to_be_hidden()
        await page.screenshot(path=str(shots / "5-ready-again.png"))
    (shots / "screen-pop.json").write_text(json.dumps({"ringing_state_to_pop_seconds": round(popped_in, 3)}))
    async with kernel.sessions() as s:
        t = await s.scalar(select(Ticket).where(Ticket.summary.like("公司拖欠工资%")))
    assert (t.caller_number, t.linkedid, t.owner_seat, t.prefecture_code, t.status) == (
        CALLER, row.linkedid, "1001", "410100", "processing")
    assert engine.rung("PJSIP/seat1001")
    assert {e["Paused"] for e in engine.seen if e.get("Event") == "QueueMemberAdded"} == {"1"}  # added paused
    await wait_for(lambda: _idle(kernel))


async def _idle(kernel) -> bool:
    return (await _row(kernel, "1001")).status == "available"
