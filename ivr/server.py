"""The FastAGI server: the only place that accepts AGI sockets. Routes the four dialplan scripts to the flow."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hotline.db import utcnow
from ivr.agi import AgiApplication, AgiRequest
from ivr.flow import SCRIPTS, Flow
from ivr.prompts import durations
from ivr.runner import serve_call

log = logging.getLogger(__name__)


class IvrServer:
    """FastAGI listener running `flow` for scripts ivr, after-queue, survey and callback-ivr."""

    def __init__(self, kernel: Any, flow: Flow, clock: Callable[[], datetime] = utcnow):
        self.kernel = kernel
        self.flow = flow
        self.clock = clock
        self.app: AgiApplication | None = None
        self.server: asyncio.base_events.Server | None = None
        self.durations: dict[str, float] = {}

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen on host:port (0 = any free port); returns the bound address."""
        # Prompt lengths bound each playing command's wait (a lost reply is noticed in seconds, not minutes).
        self.durations = durations(self.kernel.settings.prompts_dir)
        self.app = AgiApplication(command_timeout=self.flow.command_timeout)
        for script in SCRIPTS:
            self.app.add_route(script, self._handle)
        self.server = await asyncio.start_server(self.app.handler, host, port, limit=65536)
        bound = self.server.sockets[0].getsockname()[:2]
        log.info("FastAGI server for flow %s listening on %s:%d", self.flow.name, *bound)
        return bound

    async def _handle(self, request: AgiRequest) -> None:
        await serve_call(self.kernel, self.flow, request, self.clock, durations=self.durations)

    async def stop(self) -> None:
        """Stop listening and end running calls (their sockets close, the dialplan continues)."""
        if self.server is not None:
            self.server.close()
        if self.app is not None:
            for task in list(self.app.connections):
                task.cancel()
            await asyncio.gather(*self.app.connections, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None
