"""Seats as a component: the seat service (in the process that holds the AMI link), API, console page."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class SeatSettings(BaseSettings):
    """Seat knobs (env prefix HOTLINE_SEATS_)."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_SEATS_", extra="ignore")
    acw_seconds: int = Field(30, ge=0, le=3600, description="话后处理 (after-call work) time before a seat is ready again")


class SeatsComponent:
    """Publishes ``kernel.services["seats"]`` (SeatService) and follows the routing engine's events."""

    name = "seats"

    def __init__(self, settings: SeatSettings | None = None) -> None:
        self.settings = settings
        self.service = None
        self.events = None
        self._unlisten = None
        self._tasks: set[asyncio.Task] = set()

    def routers(self) -> list:
        """Seat API, roster API, console page and WebSocket."""
        from seats import api, console, roster

        return [api.router, roster.router, console.router]

    async def start(self, kernel: Any, roles: set[str]) -> None:
        """Run the seat service where the web API runs (it needs ``services["ami"]`` for commands)."""
        if not roles & {"api", "engine"}:
            return
        from seats.calls import CallEvents
        from seats.resync import listen_for_resync
        from seats.service import SeatService

        settings = self.settings or SeatSettings()
        self.service = SeatService(kernel, acw_seconds=settings.acw_seconds)
        kernel.services["seats"] = self.service
        self.events = CallEvents(self.service)
        self.events.start()
        await self.service.restore_timers()
        ami = kernel.services.get("ami")
        if ami is not None and hasattr(ami, "listen"):
            self._unlisten = listen_for_resync(self.service, ami, self._spawn)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro, name="seats-resync")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop following events and cancel timers (seats stay signed in: the state is in the database)."""
        if self._unlisten:
            self._unlisten()
        if self.events:
            await self.events.stop()
        if self.service:
            await self.service.close()
        for t in list(self._tasks):
            t.cancel()

    async def ready(self) -> str:
        return "ok"


component = SeatsComponent()
