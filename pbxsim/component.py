"""`make run` component (role pbxsim): the Asterisk stand-in on the AMI node's port, with demo traffic."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from .ami_server import AmiServer, AmiUser
from .core import Simulator
from .parties import place_call
from .scheduler import Scheduler
from .setup import directory_config
from .traffic import TrafficModel

log = logging.getLogger(__name__)


class PbxsimComponent:
    """Starts the simulator in real time; publishes it as kernel.services['pbxsim']."""

    name = "pbxsim"

    def __init__(self) -> None:
        self.sim: Simulator | None = None
        self.server: AmiServer | None = None
        self.tasks: list[asyncio.Task] = []

    def routers(self) -> list[Any]:
        """No web routes."""
        return []

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """Listen for AMI on the first node's port; run demo traffic if enabled."""
        if "pbxsim" not in roles:
            return
        s = kernel.settings
        node = s.ami_nodes[0]
        cfg = directory_config(kernel.directory, f"agi://{s.fastagi_host}:{s.fastagi_port}",
                               str(s.recordings_dir), {})
        sched = Scheduler(realtime=True)
        self.sim = Simulator(cfg, sched)
        self.server = AmiServer(self.sim, [AmiUser(node.username, node.secret.get_secret_value())])
        await self.server.start(node.host, node.port)
        kernel.services["pbxsim"] = self.sim
        self.tasks.append(asyncio.create_task(sched.run_realtime()))
        if s.demo_traffic and s.demo_calls_per_minute > 0:
            self.tasks.append(asyncio.create_task(self._demo(TrafficModel(s.demo_calls_per_minute / 60))))
        log.info("pbxsim listening for AMI on %s:%s", node.host, node.port)

    async def _demo(self, model: TrafficModel) -> None:
        assert self.sim is not None
        while True:
            await asyncio.sleep(model.next_gap())
            self.sim.sched.touch()
            place_call(self.sim, model.caller())

    async def stop(self) -> None:
        """Stop traffic, the clock and the AMI server."""
        for t in self.tasks:
            t.cancel()
        if self.server is not None:
            await self.server.stop()

    async def ready(self) -> str:
        """ok once listening."""
        return "ok" if self.server is not None else "pbxsim not started"


component = PbxsimComponent()
