"""Supervisor fixtures: the app with the shell and supervisor components (FakeAmi), users per role,
the scripted day stored in the database."""
from __future__ import annotations

import httpx
import pytest_asyncio

from hotline.app import create_app
from hotline.auth import hash_password, issue_token
from hotline.models import User
from routing.testing import FakeAmi
from supervisor.component import SupervisorComponent, SupervisorSettings

USERS = [
    ("zz", "supervisor", "410100", None), ("ly", "supervisor", "410300", None), ("prov", "supervisor", "410000", None),
    ("root", "admin", None, None), ("audit", "auditor", None, None), ("li", "seat", "410100", "1001"),
    ("nocenter", "supervisor", None, None),
]
_HASH: list[str] = []


@pytest_asyncio.fixture
async def users(kernel):
    if not _HASH:
        _HASH.append(hash_password("pw-123456"))
    out = {}
    async with kernel.sessions() as s:
        for name, role, center, ext in USERS:
            out[name] = User(username=name, password_hash=_HASH[0], role=role, center_code=center,
                             seat_extension=ext, display_name=name)
            s.add(out[name])
        await s.commit()
    return out


async def store_day(kernel, calls, events, qa=()) -> None:
    """Write call records, seat events and quality checks as routing, seats and recordings do."""
    from recordings.models import QualityScore
    from routing.models import RECORD_COLUMNS, CallRecord
    from seats.models import SeatEvent

    async with kernel.sessions() as s:
        for c in calls:
            s.add(CallRecord(**{k: v for k, v in c.items() if k in RECORD_COLUMNS}))
        for e in events:
            s.add(SeatEvent(**e))
        for lid in qa:
            s.add(QualityScore(linkedid=lid, score=90))
        await s.commit()


@pytest_asyncio.fixture
async def sup_app(kernel, users):
    """The app with shell + supervisor; AMI is a FakeAmi. Yields (app, component, ami)."""
    from hotline import web

    ami = FakeAmi()
    kernel.services["ami"] = ami
    comp = SupervisorComponent(SupervisorSettings(push_interval=0.0))
    app = create_app(kernel=kernel, components=[web.component, comp])
    async with app.router.lifespan_context(app):
        yield app, comp, ami


@pytest_asyncio.fixture
async def client_for(kernel, sup_app, users):
    """client_for("zz") → an httpx client logged in as that user."""
    app = sup_app[0]
    clients = []

    def make(name: str) -> httpx.AsyncClient:
        s = kernel.settings
        token = issue_token(users[name], s.secret_key.get_secret_value(), s.token_minutes)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t",
                              headers={"Authorization": f"Bearer {token}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


@pytest_asyncio.fixture
async def pbx_board(kernel, users, directory, tmp_path):
    """pbxsim on an ephemeral AMI port with the routing engine, seats, the shell and the supervisor
    connected to it (no IVR: callers carry their queue variables). `start(thresholds)` → (app, sim, seats)."""
    import asyncio

    from hotline import web
    from hotline.settings import AmiNode
    from pbxsim.ami_server import AmiServer, AmiUser
    from pbxsim.core import Simulator
    from pbxsim.parties import SeatScript
    from pbxsim.scheduler import Scheduler
    from pbxsim.setup import directory_config
    from routing.component import RoutingComponent
    from seats.component import SeatsComponent, SeatSettings

    stack = []

    async def start(thresholds, seat_script=None, speed: float = 3.0, **supervisor):
        sched = Scheduler(realtime=True, speed=speed)
        sim = Simulator(directory_config(directory, None, str(tmp_path), {},
                                         seat_script=seat_script or SeatScript(answer_after=1.0)), sched)
        server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.0)
        port = await server.start()
        clock = asyncio.create_task(sched.run_realtime())
        stack.append(server.stop)
        stack.append(lambda: _cancel(clock))
        kernel.settings.ami_nodes = [AmiNode(name="node1", port=port)]
        kernel.settings.pbx_mode = "asterisk"
        seats = SeatsComponent(SeatSettings(acw_seconds=1))
        sup = SupervisorComponent(SupervisorSettings(push_interval=0.05, thresholds=thresholds, **supervisor))
        app = create_app(kernel=kernel, roles={"engine", "api"},
                         components=[web.component, RoutingComponent(), seats, sup])
        life = app.router.lifespan_context(app)
        await life.__aenter__()
        stack.append(lambda: life.__aexit__(None, None, None))
        await kernel.services["ami_links"]["node1"].wait_ready(5)
        return app, sim, seats.service

    yield start
    for stop in reversed(stack):
        await stop()


async def _cancel(task) -> None:
    import asyncio
    import contextlib

    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
