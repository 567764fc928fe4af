"""The kernel comes up on every backend: migrations applied, app answers health checks."""
from __future__ import annotations

import httpx
from sqlalchemy import select

from hotline.app import create_app
from hotline.models import User


async def test_healthz_and_readyz_answer(kernel):
    app = create_app(kernel=kernel, components=[])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            assert (await c.get("/healthz")).json() == {"status": "ok"}
            r = await c.get("/readyz")
            assert r.status_code == 200
            assert r.json()["checks"]["database"] == "ok"


async def test_migrated_schema_accepts_a_user(kernel):
    async with kernel.sessions() as s:
        s.add(User(username="u1", password_hash="x", role="seat"))
        await s.commit()
        assert (await s.scalar(select(User.username))) == "u1"
