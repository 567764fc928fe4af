"""Fixtures of the integrations tests: a ticket context on a fixed clock, principals."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import inspect as sa_inspect, text

from hotline.auth import Principal, Role
from hotline.db import import_models
from hotline.kernel import Kernel
from integrations.tickets import TicketContext


class Clock:
    """A settable clock for decision code."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    # Tuesday 2026-11-24 10:00 Asia/Shanghai
    return Clock(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def ctx(kernel, clock) -> TicketContext:
    return TicketContext(kernel.directory, kernel.bus, clock)


@pytest.fixture
def seat() -> Principal:
    return Principal("seat1001", Role.SEAT, "410100", "1001")


@pytest.fixture
def other_seat() -> Principal:
    return Principal("seat1002", Role.SEAT, "410100", "1002")


@pytest.fixture
def supervisor() -> Principal:
    return Principal("sup410100", Role.SUPERVISOR, "410100")


def _our_tables(metadata) -> set[str]:
    """Tables of the kernel, of this package and the call records (the only ones these tests write)."""
    from hotline.db import Base

    return {m.local_table.name for m in Base.registry.mappers
            if m.class_.__module__ in ("hotline.models", "integrations.models", "routing.models")}


@pytest_asyncio.fixture
async def kernel(settings, directory):
    """The shared kernel fixture, emptying only this package's and the kernel's tables.

    Packages land models and migrations separately in one working tree; another package's model
    whose migration is not written yet must not break these tests (and truncating fewer tables
    keeps PostgreSQL set-up short).
    """
    k = Kernel.build(settings, directory=directory)
    metadata = import_models()
    async with k.engine.begin() as conn:
        present = set(await conn.run_sync(lambda c: sa_inspect(c).get_table_names())) & _our_tables(metadata)
        tables = [t for t in metadata.sorted_tables if t.name in present]
        if conn.dialect.name == "postgresql":
            # A connection leaked by a task cancelled mid-transaction in an earlier test would hold
            # its locks and block TRUNCATE for good: end every other session of this database first.
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            names = ", ".join(f'"{t.name}"' for t in tables)
            if names:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                await conn.execute(t.delete())
    yield k
    await k.close()
