"""Seat fixtures: a FakeAmi behind the seat service, an app with the shell and seats, users per role."""
from __future__ import annotations

import httpx
import pytest_asyncio

from hotline.app import create_app
from hotline.auth import hash_password, issue_token
from hotline.models import User
from routing.testing import FakeAmi
from seats.component import SeatsComponent, SeatSettings

USERS = [
    ("li", "seat", "410100", "1001", "李律师"),
    ("wang", "seat", "410100", "1002", "王律师"),
    ("zhao", "seat", "410000", "1003", "赵律师"),
    ("boss", "supervisor", "410100", None, "郑州班长"),
    ("pboss", "supervisor", "410000", None, "省级班长"),
    ("root", "admin", None, None, "管理员"),
    ("audit", "auditor", None, None, "审计员"),
]


_HASH: list[str] = []


def _password_hash() -> str:
    """One Argon2 hash for every test user (hashing is deliberately slow)."""
    if not _HASH:
        _HASH.append(hash_password("pw-123456"))
    return _HASH[0]


@pytest_asyncio.fixture
async def ami():
    return FakeAmi()


@pytest_asyncio.fixture
async def users(kernel):
    out = {}
    async with kernel.sessions() as s:
        for name, role, center, ext, display in USERS:
            u = User(username=name, password_hash=_password_hash(), role=role, center_code=center,
                     seat_extension=ext, display_name=display)
            s.add(u)
            out[name] = u
        await s.commit()
    return out


@pytest_asyncio.fixture
async def seat_app(kernel, ami, users):
    """The app with the shell and seats components, AMI = FakeAmi; yields (app, component)."""
    from hotline import web

    kernel.services["ami"] = ami
    comp = SeatsComponent(SeatSettings(acw_seconds=2))
    app = create_app(kernel=kernel, components=[web.component, comp])
    async with app.router.lifespan_context(app):
        yield app, comp


def token_for(kernel, user: User) -> str:
    s = kernel.settings
    return issue_token(user, s.secret_key.get_secret_value(), s.token_minutes)


@pytest_asyncio.fixture
async def client_for(kernel, seat_app, users):
    """client_for("li") → an httpx client logged in as that user."""
    app, _ = seat_app
    clients = []

    def make(name: str) -> httpx.AsyncClient:
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                              headers={"Authorization": f"Bearer {token_for(kernel, users[name])}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()
