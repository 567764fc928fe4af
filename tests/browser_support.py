"""Reusable fixtures for browser tests: the real app under uvicorn on an ephemeral port, headless
Debian Chromium driven by Playwright, and account creation through the `hotline12348 users add`
command. Seat console and wallboard tests use them as they are:

    def test_x(live_server, page, cli_add_user):
        server = live_server()                       # full app, roles {"api"}
        cli_add_user(server.settings, "s1", "seat", "Hotline-12348", "--seat", "1001")
        login_in_browser(page, server.base_url, "s1", "Hotline-12348")

Tests that drive pbxsim and the engine on their own event loop use the async counterparts instead:
`serve_here(app)`, `chromium_page(width, height)` and `login_in_browser_async(...)`.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run blocking code that calls asyncio.run (migrations, the CLI) off the main thread, where
    Playwright's sync API keeps its own event loop running."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@dataclass
class LiveServer:
    """A running app: `base_url` to browse, `settings` it runs with, `app` for introspection."""

    base_url: str
    settings: Any
    app: Any


@contextmanager
def serve(settings, roles: frozenset[str] = frozenset({"api"}), components: list | None = None) -> Iterator[LiveServer]:
    """Run create_app(settings) under uvicorn in a thread, bound to 127.0.0.1 on a free port."""
    import uvicorn

    from hotline.app import create_app

    app = create_app(settings, roles=roles, components=components)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", ws="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start (see the log above)")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, app)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def fresh_sqlite_settings(tmp_path, **overrides):
    """Settings on a new, migrated SQLite file (browser tests run once, not per backend)."""
    from hotline.migrate import upgrade
    from hotline.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    in_thread(asyncio.run, upgrade(url))
    values = dict(database_url=url, var_dir=tmp_path, recordings_dir=tmp_path / "recordings",
                  prompts_dir=tmp_path / "prompts", secret_key="browser-test-secret-0123456789abcdefghij",
                  redis_url=None, demo_traffic=False, _env_file=None)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def live_server(tmp_path) -> Iterator[Callable[..., LiveServer]]:
    """Factory: live_server(roles=…, components=…, **settings) → a started LiveServer (stopped after)."""
    stack = []

    def start(roles: frozenset[str] = frozenset({"api"}), components: list | None = None, **overrides) -> LiveServer:
        cm = serve(fresh_sqlite_settings(tmp_path, **overrides), roles, components)
        stack.append(cm)
        return cm.__enter__()

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.fixture
def cli_add_user(monkeypatch) -> Callable[..., None]:
    """Create an account with the real `hotline12348 users add` command against `settings`' database."""
    from typer.testing import CliRunner

    from hotline import cli
    from hotline.settings import get_settings

    def add(settings, username: str, role: str, password: str, *options: str) -> None:
        monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
        get_settings.cache_clear()
        cli._register_subcommands()
        try:
            r = in_thread(CliRunner().invoke, cli.app,
                          ["users", "add", username, "--role", role, *options, "--password-stdin"],
                          input=password + "\n")
        finally:
            get_settings.cache_clear()
        assert r.exit_code == 0, r.output

    return add


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium, one per test module: Playwright's sync API keeps an event loop
    running while open, which must be gone before async tests of other modules run."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: run `make sysdeps`")
        pytest.skip(f"{CHROMIUM} is not installed (make sysdeps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) in zh-CN at a desk-monitor size."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 800},
                                  timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    p = context.new_page()
    yield p
    context.close()


def login_in_browser(page, base_url: str, username: str, password: str, start: str = "/") -> None:
    """Open `start`, get sent to the login page, log in, and wait to leave it."""
    page.goto(base_url + start)
    page.wait_for_url("**/login**")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)


# Async counterparts for tests that keep pbxsim, the engine and the browser on one event loop
# (Playwright's async API): the app is served on the test's own loop, not in a thread.

@asynccontextmanager
async def serve_here(app) -> AsyncIterator[str]:
    """Serve an (already started) app with uvicorn on this event loop and an ephemeral loopback port;
    yields the base URL and stops the server on exit."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           ws="websockets-sansio"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def chromium_page(width: int, height: int) -> AsyncIterator[Any]:
    """Headless Debian Chromium (async API) with one zh-CN page in Shanghai time of the given size."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield await browser.new_page(locale="zh-CN", timezone_id="Asia/Shanghai",
                                         viewport={"width": width, "height": height})
        finally:
            await browser.close()


async def login_in_browser_async(page, base_url: str, username: str, password: str, start: str) -> None:
    """Open `start`, get sent to its login page, log in, and land on `start` again."""
    import re

    from playwright.async_api import expect

    await page.goto(base_url + start)
    await expect(page).to_have_url(re.compile(r"/login\?next=" + re.escape(start)))
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-submit")
    await expect(page).to_have_url(re.compile(re.escape(start) + "$"))
