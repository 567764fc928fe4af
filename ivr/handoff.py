"""Handing a caller to routing: what the IVR asks, what it needs back, and the adapter to the routing service.

The routing engine owns the decision (``services["routing"].place(request) -> Decision``); the IVR only
needs ``decision.action`` and ``decision.variables`` (the dialplan contract's ``HOTLINE_*`` variables).
When no routing service runs (an IVR-only process, a routing fault) the directory fallback queues the
call by DID and skill so the caller is never dropped; it is logged as degraded.
"""
from __future__ import annotations

import dataclasses
import inspect
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from hotline.directory import Directory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteAsk:
    """What the IVR knows when it hands a call on."""

    linkedid: str
    uniqueid: str
    channel: str
    caller_number: str
    caller_name: str
    did: str
    skill: str
    category: str | None
    priority: int
    duty: bool
    ivr_path: tuple[str, ...]
    handoff_ticket: str | None
    now: datetime
    green: bool = False
    green_reason: str | None = None
    node: str = "node1"


@dataclass(frozen=True)
class Placement:
    """Routing's answer as the IVR uses it."""

    action: str
    variables: dict[str, str]
    source: str = "routing"


class Placer(Protocol):
    """Anything that places a call: the routing service adapter or the directory fallback."""

    async def place(self, ask: RouteAsk) -> Placement:
        """Where the call goes."""
        ...


class DirectoryPlacer:
    """Degraded placement from the directory alone: the DID's prefecture if it serves the skill, else the province."""

    def __init__(self, directory: Directory):
        self.directory = directory

    async def place(self, ask: RouteAsk) -> Placement:
        return directory_placement(self.directory, ask)


def directory_placement(directory: Directory, ask: RouteAsk) -> Placement:
    """Pure fallback decision (see DirectoryPlacer)."""
    province = directory.province_center
    prefecture = directory.trunks.carrier.dids.get(ask.did) or _area_prefecture(directory, ask.caller_number)
    center = directory.center(prefecture) if prefecture else None
    if ask.duty or center is None or ask.skill not in center.skills:
        center = province
    priority = max(ask.priority, directory.routing.green_channel_priority if ask.green else 0)
    variables = {
        "HOTLINE_ACTION": "queue", "HOTLINE_QUEUE": directory.queue_name(center.code, ask.skill),
        "HOTLINE_PRIORITY": str(priority), "HOTLINE_SKILL": ask.skill, "HOTLINE_CATEGORY": ask.category or "",
        "HOTLINE_PREFECTURE": prefecture or province.code, "HOTLINE_GREEN": "1" if ask.green else "0",
    }
    return Placement("queue", variables, source="directory")


def _area_prefecture(directory: Directory, number: str) -> str | None:
    areas = directory.area_code_map()
    for n in (4, 3):
        if number.startswith("0") and number[:n] in areas:
            return areas[number[:n]]
    return None


class RoutingPlacer:
    """Adapter to routing.service.RoutingService: RouteAsk → routing.policy.RouteRequest, Decision → Placement."""

    def __init__(self, service: Any, fallback: Placer):
        self.service = service
        self.fallback = fallback

    @staticmethod
    def request(ask: RouteAsk) -> Any:
        """routing.policy.RouteRequest with the fields both sides know (matched by name)."""
        from routing.policy import RouteRequest

        ours = {f.name: getattr(ask, f.name) for f in dataclasses.fields(ask)}
        return RouteRequest(**{f.name: ours[f.name] for f in dataclasses.fields(RouteRequest) if f.name in ours})

    async def place(self, ask: RouteAsk) -> Placement:
        try:
            decision = self.service.place(self.request(ask))
            if inspect.isawaitable(decision):
                decision = await decision
            variables = decision.variables() if callable(decision.variables) else dict(decision.variables)
            action = str(decision.action)
        except Exception:
            log.exception("routing.place failed for %s; queueing from the directory instead", ask.linkedid)
            return await self.fallback.place(ask)
        variables = {str(k): str(v) for k, v in variables.items()}
        # Routing decides the priority from the call; the IVR may only raise it (a re-queue, an answered callback).
        if ask.priority > int(variables.get("HOTLINE_PRIORITY", "0") or 0):
            variables["HOTLINE_PRIORITY"] = str(ask.priority)
        return Placement(action, variables)


def placer_for(kernel: Any) -> Placer:
    """The routing service when it runs, else the directory fallback."""
    fallback = DirectoryPlacer(kernel.directory)
    service = kernel.services.get("routing")
    return RoutingPlacer(service, fallback) if service is not None else fallback
