"""Adapter over FastAPI's route table: the one place that knows how included routers are stored.

FastAPI ≥ 0.16x keeps included routers nested (``_IncludedRouter``) instead of copying their routes
into ``app.routes``, so ``app.routes`` no longer lists every endpoint with its full path and its
router-level dependencies. ``fastapi.routing.iter_route_contexts`` gives the effective routes; older
FastAPI versions have a flat ``app.routes`` already.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.routing import Mount


@dataclass(frozen=True)
class RouteInfo:
    """One reachable endpoint: full path, HTTP methods (empty for WebSockets), kind, dependant."""

    path: str
    methods: frozenset[str]
    kind: str  # "http" | "websocket" | "mount" | "other"
    dependant: Any | None
    name: str | None
    include_in_schema: bool


def _raw_routes(routes: list[Any]) -> Iterator[Any]:
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # flat route table in older FastAPI
        yield from routes
        return
    yield from iter_route_contexts(routes)


def effective_routes(app: Any) -> list[RouteInfo]:
    """Every route the app answers, with the prefixes and dependencies of the routers it sits in."""
    from fastapi.routing import APIWebSocketRoute

    out = []
    for route in _raw_routes(app.routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            kind = "mount"
        elif isinstance(original, APIWebSocketRoute) or type(original).__name__ == "WebSocketRoute":
            kind = "websocket"
        elif getattr(route, "methods", None):
            kind = "http"
        else:
            kind = "other"
        out.append(RouteInfo(
            path=route.path, methods=frozenset(getattr(route, "methods", None) or ()), kind=kind,
            dependant=getattr(route, "dependant", None), name=getattr(route, "name", None),
            include_in_schema=bool(getattr(route, "include_in_schema", False)),
        ))
    return out
