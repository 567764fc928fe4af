"""The shell in headless Chromium: a user made with `hotline12348 users add` logs in through the
login page and lands on their console; screenshots go to var/test-artifacts/."""
from __future__ import annotations

import pytest
from fastapi import WebSocket  # module level: the endpoint's string annotation must resolve

from tests.browser_support import login_in_browser

pytestmark = pytest.mark.browser
PASSWORD = "Hotline-12348"


def test_cli_created_admin_logs_in_through_the_page_and_lands_on_the_shell(live_server, cli_add_user, page, artifacts):
    server = live_server()
    cli_add_user(server.settings, "admin", "admin", PASSWORD, "--name", "管理员甲")
    page.goto(server.base_url + "/admin/users")
    page.wait_for_url("**/login?next=/admin/users")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    page.locator("#login-error").wait_for(state="visible")
    assert "用户名或密码错误" in page.locator("#login-error").inner_text()
    page.screenshot(path=str(artifacts / "login-error.png"))
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/admin/users")
    page.wait_for_selector('tr[data-username="admin"]')
    assert "管理员" in page.locator(".who").inner_text()
    assert page.locator(".brand").inner_text().replace("\n", "").endswith("12348公共法律服务热线")
    page.screenshot(path=str(artifacts / "shell-admin-users.png"), full_page=True)
    page.click("nav.mainnav >> text=审计日志")
    page.wait_for_url("**/admin/audit")
    page.wait_for_selector("#audit-table tbody tr")
    rows = page.locator("#audit-table tbody").inner_text()
    assert "auth.login" in rows and "denied" in rows and "ok" in rows  # the failed and the good login
    page.screenshot(path=str(artifacts / "shell-audit-log.png"), full_page=True)
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(server.base_url + "/admin/users")
    page.wait_for_url("**/login?next=/admin/users")  # the login really ended


def test_admin_creates_a_seat_operator_in_the_page_who_then_logs_in(live_server, cli_add_user, page, browser):
    server = live_server()
    cli_add_user(server.settings, "admin", "admin", PASSWORD)
    login_in_browser(page, server.base_url, "admin", PASSWORD, start="/admin/users")
    page.fill("#u-username", "seat1002")
    page.fill("#u-display", "李四")
    page.fill("#u-password", PASSWORD)
    page.select_option("#u-role", "seat")
    page.select_option("#u-seat", "1002")
    page.click("#user-form button[type=submit]")
    page.wait_for_selector('tr[data-username="seat1002"]')
    assert "410100" in page.locator('tr[data-username="seat1002"]').inner_text()
    other = browser.new_context(locale="zh-CN")
    try:
        seat_page = other.new_page()
        login_in_browser(seat_page, server.base_url, "seat1002", PASSWORD)
        assert "/login" not in seat_page.url and "seat1002" in seat_page.locator(".who").inner_text()
        seat_page.click("#account")  # the first thing a new operator does: replace the initial password
        seat_page.fill("#p-current", PASSWORD)
        seat_page.fill("#p-new", "Own-secret-2026")
        seat_page.fill("#p-confirm", "Own-secret-2026")
        seat_page.click("#password-form button[type=submit]")
        seat_page.locator("#password-ok").wait_for(state="visible")
        seat_page.click("#logout")
        seat_page.wait_for_url("**/login")
        login_in_browser(seat_page, server.base_url, "seat1002", "Own-secret-2026")
    finally:
        other.close()


def _live_test_component():
    """A WebSocket that echoes, drops the first connection (to force a reconnect), then on request
    closes with 1008 as a console does when the login ended; and a page that uses ws.js."""
    from fastapi import APIRouter, Depends
    from fastapi.responses import HTMLResponse

    from hotline.auth import Role, require_roles

    router, state = APIRouter(), {"connections": 0}

    @router.websocket("/ws/test-echo", dependencies=[Depends(require_roles(Role.ADMIN))])
    async def echo(ws: WebSocket):
        await ws.accept()
        state["connections"] += 1
        if state["connections"] == 1:
            await ws.close(code=1011)  # server restart: the client must come back by itself
            return
        while True:
            text = await ws.receive_text()
            if text == "end-login":
                await ws.close(code=1008)
                return
            await ws.send_json({"echo": text, "connection": state["connections"]})

    @router.get("/test-live", dependencies=[Depends(require_roles(Role.ADMIN))])
    async def live_page():
        return HTMLResponse("""<!doctype html><html lang="zh-CN"><body><ul id="log"></ul>
<script src="/static/hotline/app.js"></script><script src="/static/hotline/ws.js"></script>
<script>
var live = hotline.live("/ws/test-echo", {
  onmessage: function (m) { var li = document.createElement("li"); li.textContent = JSON.stringify(m);
                            document.getElementById("log").appendChild(li); },
  onstate: function (up) { document.body.dataset.up = up ? "1" : "0"; if (up) live.send("hello"); }
});
window.endLogin = function () { live.send("end-login"); };
</script></body></html>""")

    class LiveTest:
        name = "live-test"

        def routers(self):
            return [router]

        async def start(self, kernel, roles):
            return None

        async def stop(self):
            return None

    return LiveTest()


def test_ws_helper_reconnects_and_sends_the_person_to_login_when_the_server_says_so(live_server, cli_add_user, page):
    from hotline.web import component as web_component

    server = live_server(components=[web_component, _live_test_component()])
    cli_add_user(server.settings, "admin", "admin", PASSWORD)
    login_in_browser(page, server.base_url, "admin", PASSWORD, start="/admin/users")
    page.goto(server.base_url + "/test-live")
    page.wait_for_selector("#log li")  # answered only on the second connection, after the forced drop
    assert '"connection":2' in page.locator("#log li").first.inner_text()
    page.evaluate("window.endLogin()")
    page.wait_for_url("**/login?next=/test-live")
