"""The 质检复核 page in headless Chromium: a supervisor opens a sampled call, reads the timeline, scores it."""
from __future__ import annotations

import asyncio

import pytest

from hotline import web
from hotline.kernel import Kernel
from recordings.component import RecordingsComponent
from recordings.quality import RuleSet
from recordings.store import score_if_complete
from tests.browser_support import in_thread, login_in_browser
from tests.recordings.seed import T0, seed_call, words

pytestmark = pytest.mark.browser
PASSWORD = "Hotline-12348"


async def _seed(settings, directory):
    kernel = Kernel.build(settings, directory=directory)
    try:
        await seed_call(kernel, "1795903000.1", seat="1001", center="410100",
                        caller=[words("我 想 咨询 离婚", 1.5)], seat_said=[words("您好 ， 12348 请讲", 0.0)])
        async with kernel.sessions() as s:
            await score_if_complete(s, "1795903000.1", RuleSet(), T0, draw=0.0)
    finally:
        await kernel.close()


def test_supervisor_reviews_a_sampled_call_in_the_page(live_server, cli_add_user, page, directory, artifacts):
    server = live_server(components=[web.component, RecordingsComponent()])
    in_thread(asyncio.run, _seed(server.settings, directory))
    cli_add_user(server.settings, "sup1", "supervisor", PASSWORD, "--center", "410100")
    login_in_browser(page, server.base_url, "sup1", PASSWORD, start="/recordings/review")
    row = page.locator("#qa-table tbody tr", has_text="1795903000.1")
    row.wait_for()
    assert "待复核" in row.inner_text() and "结束语" in row.inner_text()
    row.locator("button", has_text="查看").click()
    page.locator("#d-timeline li", has_text="来电人").wait_for()
    timeline = page.locator("#d-timeline").inner_text()
    assert timeline.index("坐席：您好，12348请讲") < timeline.index("来电人：我想咨询离婚")
    assert "/api/recordings/" in page.locator("#d-audio").get_attribute("src")
    page.fill("#r-score", "88")
    page.fill("#r-comment", "开场规范，缺少结束语")
    page.click("#review-form button[type=submit]")
    page.locator("#r-msg", has_text="复核已保存").wait_for()
    page.screenshot(path=str(artifacts / "recordings-review.png"), full_page=True)
    page.select_option("#qa-state", "reviewed")
    page.click("#qa-filter button[type=submit]")
    page.locator("#qa-table tbody tr", has_text="88").wait_for()
