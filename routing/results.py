"""What an AMI action returns: the response headers and its EventList items; AmiError otherwise."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol


class AmiError(Exception):
    """`Response: Error`/`Failure`, a timeout, or a lost connection while waiting."""

    def __init__(self, message: str, response: dict | None = None) -> None:
        super().__init__(message)
        self.response = response or {}


@dataclass(slots=True)
class AmiResult:
    """The response headers of one action and the list events that belong to it."""

    response: dict[str, str]
    events: list[dict[str, str]] = field(default_factory=list)

    @property
    def message(self) -> str:
        return self.response.get("Message", "")


class AmiSender(Protocol):
    """What `routing.actions` needs from a link: `AmiLink` and `FakeAmi` both provide it."""

    name: str

    async def send(self, action: dict[str, object]) -> AmiResult: ...

    def submit(self, action: dict[str, object]) -> "asyncio.Future[AmiResult]": ...
