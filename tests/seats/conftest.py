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


@pytest_asyncio.fixture
async def pbx_engine(kernel, users, directory, tmp_path):
    """pbxsim (the Asterisk stand-in) on an ephemeral AMI port, the IVR's FastAGI server, and an app with
    the routing engine, seats and the shell connected to it. `start(seat_script)` → Engine."""
    import asyncio
    import time

    from hotline import web
    from hotline.settings import AmiNode
    from ivr.flow import default_flow_path, load_flow
    from ivr.prompts import load_catalogue
    from ivr.server import IvrServer
    from pbxsim.ami_server import AmiServer, AmiUser
    from pbxsim.core import Simulator
    from pbxsim.scheduler import Scheduler
    from pbxsim.setup import directory_config
    from routing.component import RoutingComponent
    from tests.ivr.conftest import OPEN

    stack = []

    async def start(seat_script, speed: float = 3.0, acw_seconds: int = 1, ivr: bool = True) -> Engine:
        agi_url = None  # without the IVR, pbxsim's dialplan queues callers by their preset variables
        if ivr:
            server = IvrServer(kernel, load_flow(default_flow_path(), directory), clock=lambda: OPEN)
            host, agi_port = await server.start("127.0.0.1", 0)
            stack.append(server.stop)
            agi_url = f"agi://{host}:{agi_port}"
        prompts = {f"hotline/{pid}": 1.0 for pid in load_catalogue()}
        sched = Scheduler(realtime=True, speed=speed)
        sim = Simulator(directory_config(directory, agi_url, str(tmp_path), prompts,
                                         seat_script=seat_script), sched)
        server = AmiServer(sim, [AmiUser("engine", "engine")], auth_delay=0.0)
        port = await server.start()
        clock = asyncio.create_task(sched.run_realtime())
        stack.append(server.stop)
        stack.append(lambda: _cancel(clock))
        kernel.settings.ami_nodes = [AmiNode(name="node1", port=port)]
        kernel.settings.pbx_mode = "asterisk"
        routing, seats = RoutingComponent(), SeatsComponent(SeatSettings(acw_seconds=acw_seconds))
        app = create_app(kernel=kernel, roles={"engine", "api"}, components=[web.component, routing, seats])
        life = app.router.lifespan_context(app)
        await life.__aenter__()
        stack.append(lambda: life.__aexit__(None, None, None))
        # business hours for the routing decision too: the engine's clock runs from Monday 10:00 (Shanghai)
        offset = time.time() - OPEN.timestamp()
        routing.service.clock = lambda: time.time() - offset
        link = routing.links["node1"]
        await link.wait_ready(5)
        seen: list[dict] = []
        link.listen(seen.append)
        return Engine(app, sim, seats.service, seen)

    yield start
    for stop in reversed(stack):
        await stop()


async def _cancel(task) -> None:
    task.cancel()
    try:
        await task
    except BaseException:  # noqa: BLE001 - the clock task ends by cancellation
        pass


class Engine:
    """What a pbxsim end-to-end test gets: the app, the simulator, the seat service, AMI events seen."""

    def __init__(self, app, sim, service, seen) -> None:
        self.app, self.sim, self.service, self.seen = app, sim, service, seen

    def rung(self, interface: str) -> list[dict]:
        return [e for e in self.seen if e.get("Event") == "AgentCalled" and e.get("Interface") == interface]
