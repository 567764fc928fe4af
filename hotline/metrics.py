"""Prometheus metrics of the web process: requests by route template, latency, login outcomes."""
from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("hotline_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram("hotline_http_request_seconds", "HTTP request latency", ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
LOGINS = Counter("hotline_logins_total", "Password logins by outcome", ["outcome"])


def route_label(scope: dict) -> str:
    """The route template (``/api/users/{user_id}``), never the raw path: labels stay few."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path or "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware (does not buffer streaming responses) counting HTTP requests."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def _send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = route_label(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
