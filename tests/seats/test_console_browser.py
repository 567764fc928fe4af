"""The seat console in headless Chromium: log in, 签入, 就绪, a call pops, ticket, hang-up, ACW, ready again."""
from __future__ import annotations

import asyncio
import json
import re

import pytest
import uvicorn

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


async def _serve(app):
    """Run the app with uvicorn on an ephemeral loopback port; returns (server, task, base URL)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           ws="websockets"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"


async def _previous_ticket(kernel, users):
    """An earlier ticket of the same caller, taken by 王律师 (1002): 首问负责 must show it."""
    from hotline.auth import Principal, Role
    from integrations.schemas import TicketCreate
    from integrations.tickets import TicketContext, create_ticket

    wang = users["wang"]
    actor = Principal(wang.username, Role.SEAT, wang.center_code, wang.seat_extension, wang.id)
    async with kernel.sessions() as s:
        t = await create_ticket(s, TicketCreate(category_id="consult.labor", summary="上月咨询欠薪",
                                                caller_number="13800138000"), actor, TicketContext(kernel.directory))
        await s.commit()
        return t.number


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_seat_takes_a_call_from_login_to_ready_again(seat_app, kernel, ami, users, artifacts):
    from playwright.async_api import async_playwright, expect

    app, comp = seat_app
    old_ticket = await _previous_ticket(kernel, users)
    server, task, base = await _serve(app)
    shots = artifacts / "seats"
    shots.mkdir(exist_ok=True)
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = await browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
            await page.goto(base + "/seat")
            await expect(page).to_have_url(re.compile(r"/login\?next=/seat"))
            await page.fill("#username", "li")
            await page.fill("#password", "pw-123456")
            await page.click("#login-submit")
            await expect(page).to_have_url(re.compile(r"/seat$"))
            await expect(page.locator("#live-state")).to_have_text("实时连接正常")
            await page.click("#btn-login")
            await expect(page.locator("#seat-status")).to_have_text("小休(登录未就绪)")
            await page.click("#btn-ready")
            await expect(page.locator("#seat-status")).to_have_text("就绪")
            await page.screenshot(path=str(shots / "1-ready.png"))

            rang_at = asyncio.get_running_loop().time()
            kernel.bus.publish("call.ringing", {
                "linkedid": "1795901686.0", "uniqueid": "1795901686.0", "caller_number": "13800138000",
                "caller_name": "张三", "prefecture_code": "410100", "prefecture_name": "郑州市", "skill": "consult",
                "category": "consult.labor", "queue": "q-410100-consult", "ivr_path": "1-2", "waited_seconds": 12,
                "seat_extension": "1001", "seat_channel": "PJSIP/seat1001-00000001", "green": False})
            await expect(page.locator("#pop-number")).to_have_text("138****8000")
            popped_in = asyncio.get_running_loop().time() - rang_at  # recorded, not asserted
            await expect(page.locator("#pop-prefecture")).to_have_text("郑州市")
            await expect(page.locator("#pop-ivr")).to_have_text("法律咨询 › 劳动争议 (1-2)")
            await expect(page.locator("#pop-waited")).to_have_text("12 秒")
            await expect(page.locator("#pop-name")).to_have_text("张三")
            await expect(page.locator("#pop-tickets")).to_contain_text(old_ticket)
            await expect(page.locator("#pop-tickets")).to_contain_text("承办 wang")
            await expect(page.locator("#pop-first")).to_have_text("wang（坐席1002）")
            await expect(page.locator("#seat-status")).to_have_text("振铃")
            await expect(page.locator("#t-category")).to_have_value("consult.labor")
            await page.screenshot(path=str(shots / "2-screen-pop.png"))

            kernel.bus.publish("call.connected", {
                "linkedid": "1795901686.0", "seat_extension": "1001", "caller_channel": "PJSIP/caller-00000000",
                "seat_channel": "PJSIP/seat1001-00000001", "queue": "q-410100-consult", "waited_seconds": 12})
            await expect(page.locator("#seat-status")).to_have_text("通话中")
            await expect(page.locator("#btn-hangup")).to_be_enabled()
            await expect(page.locator("#t-due")).to_contain_text("3 个工作日")
            await expect(page.locator("#pop-green")).to_be_hidden()
            await page.fill("#t-summary", "公司拖欠工资三个月，咨询如何申请劳动仲裁")
            await page.select_option("#t-handling", "legal_aid")
            await page.click("#t-submit")
            await expect(page.locator("#t-result")).to_contain_text("已保存")
            await expect(page.locator("#t-result")).to_contain_text("转法律援助")
            await page.screenshot(path=str(shots / "3-ticket-saved.png"))

            kernel.bus.publish("call.ended", {"linkedid": "1795901686.0", "seat_extension": "1001",
                                              "outcome": "answered"})
            await expect(page.locator("#seat-status")).to_have_text("话后处理")
            await expect(page.locator("#acw")).to_be_visible()
            await page.screenshot(path=str(shots / "4-wrap-up.png"))
            await expect(page.locator("#seat-status")).to_have_text("就绪", timeout=10_000)
            await expect(page.locator("#acw")).to_be_hidden()
            await page.screenshot(path=str(shots / "5-ready-again.png"))
            await browser.close()
    finally:
        server.should_exit = True
        await task
    (shots / "screen-pop.json").write_text(json.dumps({"bus_to_dom_seconds": round(popped_in, 3)}))
    pauses = [(p["Paused"], p.get("Reason")) for p in ami.actions("QueuePause")]
    assert pauses == [("false", None), ("true", "话后处理"), ("false", None)]
    assert {a["Paused"] for a in ami.actions("QueueAdd")} == {"true"}
