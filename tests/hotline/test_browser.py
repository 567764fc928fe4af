"""The shell in headless Chromium: a user made with `hotline12348 users add` logs in through the
login page and lands on their console; screenshots go to var/test-artifacts/."""
from __future__ import annotations

import pytest

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
    finally:
        other.close()
