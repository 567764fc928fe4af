"""Fixtures for the kernel's own tests: the shell app on a migrated database, users, clients."""
from __future__ import annotations

import httpx
import pytest_asyncio

from hotline.app import create_app
from hotline.users import Actor, create_user
from hotline.web import component as web_component

PASSWORD = "Secret-12348!"
SETUP = Actor("test-setup", "admin", "test")


async def add_user(kernel, username: str, role: str, password: str = PASSWORD, **kw):
    """Create an account through the same code path as the CLI and the admin API."""
    async with kernel.sessions() as s:
        return await create_user(s, kernel.directory, SETUP, username=username, password=password, role=role, **kw)


@pytest_asyncio.fixture
async def shell_app(kernel):
    """The app with the shell component only, started (lifespan) on the test kernel."""
    app = create_app(kernel=kernel, components=[web_component])
    async with app.router.lifespan_context(app):
        yield app


def client_for(app, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """An HTTP client talking to `app` in-process, appearing to come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://hotline.test")


@pytest_asyncio.fixture
async def client(shell_app):
    async with client_for(shell_app) as c:
        yield c


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """POST the OAuth2 password form."""
    return await client.post("/api/auth/token", data={"username": username, "password": password})


async def bearer(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header for a fresh login (the cookie is dropped so only the header counts)."""
    r = await login(client, username, password)
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
