"""Fixtures of the integrations tests: a ticket context on a fixed clock, principals."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hotline.auth import Principal, Role
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
