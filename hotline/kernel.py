"""The kernel every component receives: settings, directory, database, bus, shared services."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hotline.bus import EventBus, make_bus
from hotline.db import make_engine, make_sessionmaker
from hotline.directory import Directory, load_directory
from hotline.settings import Settings


@dataclass
class Kernel:
    """Constructor-injected into every component; `services` holds what components publish
    for each other (e.g. ``services["ami"]`` = the routing engine's AMI link)."""

    settings: Settings
    directory: Directory
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, directory: Directory | None = None, bus: EventBus | None = None) -> "Kernel":
        engine = make_engine(settings.database_url)
        return cls(
            settings=settings,
            directory=directory or load_directory(settings.directory_file),
            engine=engine,
            sessions=make_sessionmaker(engine),
            bus=bus or make_bus(settings.redis_url),
        )

    async def close(self) -> None:
        await self.bus.stop()
        await self.engine.dispose()
