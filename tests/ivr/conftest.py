"""IVR fixtures: the default flow, a clock inside / outside business hours, a running FastAGI server."""
from __future__ import annotations

from datetime import datetime, timezone

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import pytest_asyncio

from hotline.kernel import Kernel
from hotline.migrate import upgrade
from hotline.settings import Settings
from ivr.flow import default_flow_path, load_flow
from ivr.server import IvrServer

OPEN = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)    # Monday 10:00 in Asia/Shanghai
CLOSED = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)  # Monday 20:00 in Asia/Shanghai


@pytest.fixture(scope="session")
def default_flow(directory):
    return load_flow(default_flow_path(), directory)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    """One migrated SQLite database for tests that check call paths, not storage (those use `kernel`)."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('ivrdb') / 'ivr.db'}"
    # Requested from async fixtures, whose loop is running: migrate on a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, upgrade(url)).result()
    return url


@pytest_asyncio.fixture
async def path_kernel(sqlite_url, directory, tmp_path):
    settings = Settings(database_url=sqlite_url, var_dir=tmp_path, recordings_dir=tmp_path / "recordings",
                        prompts_dir=tmp_path / "prompts", redis_url=None, demo_traffic=False, _env_file=None,
                        secret_key="test-secret-key-0123456789abcdef0123456789")
    k = Kernel.build(settings, directory=directory)
    yield k
    await k.close()


async def _servers(kernel, default_flow):
    servers = []

    async def start(flow=None, clock=OPEN):
        srv = IvrServer(kernel, flow or default_flow, clock=lambda: clock)
        servers.append(srv)
        return await srv.start("127.0.0.1", 0)

    yield start
    for srv in servers:
        await srv.stop()


@pytest_asyncio.fixture
async def path_server(path_kernel, default_flow):
    """Like `ivr_server`, on the shared SQLite kernel (call-path tests)."""
    async for start in _servers(path_kernel, default_flow):
        yield start


@pytest_asyncio.fixture
async def ivr_server(kernel, default_flow):
    """Start the server on an ephemeral port; `start(clock=…)` returns (host, port)."""
    async for start in _servers(kernel, default_flow):
        yield start
