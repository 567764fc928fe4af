"""Every component wired as `hotline12348 run` wires them, in process: the seams between packages."""
from __future__ import annotations

import pytest

from hotline.app import create_app
from hotline.components import ALL_ROLES
from hotline.settings import AmiNode
from tests.system.test_run import free_port

pytestmark = pytest.mark.slow


async def test_all_components_together_keep_the_ami_link_on_its_event_filter(kernel):
    s = kernel.settings
    s.ami_nodes = [AmiNode(port=free_port())]
    s.fastagi_port = free_port()
    s.platform_url = f"http://127.0.0.1:{free_port()}"
    s.transcription_workers = 0
    app = create_app(kernel=kernel, roles=ALL_ROLES)
    async with app.router.lifespan_context(app):
        link = kernel.services["ami"]
        await link.wait_ready(timeout=20)
        # one listener without `events=` would make the link parse every event (0.74× instead of 0.93×)
        assert link.wanted is not None and {"LinkResync", "OriginateResponse"} <= link.wanted
        assert set(kernel.services) >= {"ami", "routing", "seats", "pbxsim", "outbox"}
