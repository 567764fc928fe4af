"""Component registry: each package plugs its routers, background tasks and CLI into the kernel.

A component is a module `<pkg>/component.py` exposing ``component = SomeComponent()`` with:

- ``name: str``
- ``routers() -> list[fastapi.APIRouter]``       (web/API routes; may be empty)
- ``async start(kernel, roles: set[str]) -> None`` (start background work for the given process roles)
- ``async stop() -> None``

Process roles: ``api`` (web), ``engine`` (AMI link + routing + FastAGI), ``worker`` (transcription,
outbox, dialer), ``pbxsim`` (the Asterisk stand-in). ``hotline12348 run`` starts all of them.
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

COMPONENT_MODULES = [
    "hotline.web",
    "pbxsim.component",
    "routing.component",
    "ivr.component",
    "seats.component",
    "seats.demo",
    "recordings.component",
    "integrations.component",
    "integrations.sip.component",
    "supervisor.component",
]

ALL_ROLES = frozenset({"api", "engine", "worker", "pbxsim"})


class Component(Protocol):
    name: str

    def routers(self) -> list[Any]: ...

    async def start(self, kernel: Any, roles: set[str]) -> None: ...

    async def stop(self) -> None: ...


def load_components() -> list[Component]:
    """Import every component that exists (packages are filled in issue by issue)."""
    from hotline.optional import import_optional

    modules = (import_optional(name) for name in COMPONENT_MODULES)
    return [mod.component for mod in modules if mod is not None]
