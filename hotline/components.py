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

import importlib
import logging
from typing import Any, Protocol

log = logging.getLogger(__name__)

COMPONENT_MODULES = [
    "hotline.web",
    "pbxsim.component",
    "routing.component",
    "ivr.component",
    "seats.component",
    "recordings.component",
    "integrations.component",
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
    out = []
    for name in COMPONENT_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Skip only a package (or its component module) that does not exist yet; a missing
            # import *inside* an existing component is a bug and must stop the start-up.
            parents = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
            if exc.name not in parents:
                raise
            continue
        out.append(mod.component)
    return out
