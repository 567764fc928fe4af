"""The IVR component starts the FastAGI server for the engine role only."""
from __future__ import annotations

from ivr.component import IvrComponent
from tests.ivr.conftest import OPEN
from tests.ivr.fakeagi import Caller, FakeAsterisk


async def test_engine_role_starts_a_fastagi_server_that_answers_calls(kernel):
    kernel.settings.fastagi_port = 0  # any free port
    comp = IvrComponent(clock=lambda: OPEN)
    await comp.start(kernel, {"engine"})
    try:
        assert kernel.services["ivr"] is comp and await comp.ready() == "ok"
        fake = FakeAsterisk(Caller(keys=["5"]))
        await fake.run(*comp.address)
        assert fake.variables.get("HOTLINE_SKILL") == "complaint", fake.sent
    finally:
        await comp.stop()


async def test_other_roles_start_nothing(kernel):
    comp = IvrComponent()
    await comp.start(kernel, {"api", "worker"})
    assert comp.server is None and "ivr" not in kernel.services
