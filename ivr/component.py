"""IVR component (role `engine`): loads and checks the flow, runs the FastAGI server on settings.fastagi_host/port."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hotline.db import utcnow
from ivr.flow import default_flow_path, load_flow
from ivr.prompts import load_catalogue
from ivr.server import IvrServer
from ivr.validate import check_flow

log = logging.getLogger(__name__)


class IvrComponent:
    """Starts the FastAGI server in the engine process; publishes it as `services["ivr"]`."""

    name = "ivr"

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self.server: IvrServer | None = None
        self.address: tuple[str, int] | None = None

    def routers(self) -> list[Any]:
        """No web routes: the IVR speaks FastAGI only."""
        return []

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """With role `engine`: check the flow, listen for FastAGI, publish `services["ivr"]`."""
        if "engine" not in roles:
            return
        flow = load_flow(default_flow_path(), kernel.directory)
        errors = [p for p in check_flow(flow, load_catalogue(), kernel.directory) if p.severity == "error"]
        if errors:
            raise RuntimeError("IVR flow is invalid:\n" + "\n".join(str(p) for p in errors))
        self.server = IvrServer(kernel, flow, clock=self.clock)
        self.address = await self.server.start(kernel.settings.fastagi_host, kernel.settings.fastagi_port)
        kernel.services["ivr"] = self

    async def ready(self) -> str:
        """"ok" while the FastAGI server listens (or when this process does not run it)."""
        return "ok" if self.server is None or self.server.server is not None else "FastAGI server not listening"

    async def stop(self) -> None:
        """Stop listening and end running calls."""
        if self.server is not None:
            await self.server.stop()
            self.server = None


component = IvrComponent()
