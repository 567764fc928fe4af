"""IVR fixtures: the default flow, a clock inside / outside business hours, a running FastAGI server."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio

from ivr.flow import default_flow_path, load_flow
from ivr.server import IvrServer

OPEN = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)    # Monday 10:00 in Asia/Shanghai
CLOSED = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)  # Monday 20:00 in Asia/Shanghai


@pytest.fixture(scope="session")
def default_flow(directory):
    return load_flow(default_flow_path(), directory)


@pytest_asyncio.fixture
async def ivr_server(kernel, default_flow):
    """Start the server on an ephemeral port; `start(clock=…)` returns (host, port)."""
    servers = []

    async def start(flow=None, clock=OPEN):
        srv = IvrServer(kernel, flow or default_flow, clock=lambda: clock)
        servers.append(srv)
        return await srv.start("127.0.0.1", 0)

    yield start
    for srv in servers:
        await srv.stop()
