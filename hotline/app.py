"""FastAPI app factory: lifespan wiring of the kernel and every component."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from hotline.components import ALL_ROLES, Component, load_components
from hotline.kernel import Kernel
from hotline.logs import setup_logging
from hotline.metrics import MetricsMiddleware
from hotline.settings import Settings, get_settings

log = logging.getLogger(__name__)
READY_TIMEOUT = 3.0
DEGRADED = "degraded: "  # a ready() answer starting so is reported but does not fail the probe


def _lifespan(settings: Settings, kernel: Kernel | None, comps: list[Component], roles: frozenset[str]):
    """Build (or take) the kernel, start the bus and the components; stop them in reverse order."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        k = kernel or Kernel.build(settings)
        app.state.kernel = k
        await k.bus.start()
        started: list[Component] = []
        try:
            for c in comps:
                await c.start(k, set(roles))
                started.append(c)
            yield
        finally:
            for c in reversed(started):
                try:
                    await c.stop()
                except Exception:  # noqa: BLE001 - keep stopping the others
                    log.exception("component %s failed to stop", c.name)
            if kernel is None:
                await k.close()

    return lifespan


async def _probe(component: Component) -> str:
    try:  # one stuck component must not hang the load balancer's probe
        return await asyncio.wait_for(component.ready(), READY_TIMEOUT)
    except asyncio.TimeoutError:
        return f"no answer within {READY_TIMEOUT:g} s"
    except Exception as exc:  # noqa: BLE001 - a failing probe is a "not ready" answer
        return f"error: {exc.__class__.__name__}: {exc}"


def readiness(checks: dict[str, object]) -> str:
    """ok, degraded (a component works without a part, e.g. no speech model: still serve), or unavailable."""
    if any(v != "ok" and not str(v).startswith(DEGRADED) for v in checks.values()):
        return "unavailable"
    return "ok" if all(v == "ok" for v in checks.values()) else "degraded"


def ops_router(comps: list[Component]) -> APIRouter:
    """Public operations endpoints: liveness, readiness, Prometheus metrics."""
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request, response: Response) -> dict[str, object]:
        """Readiness: the database answers (and each component's own check)."""
        checks: dict[str, object] = {}
        try:
            async with request.app.state.kernel.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"error: {exc.__class__.__name__}"
        for c in comps:
            if getattr(c, "ready", None) is not None:
                checks[c.name] = await _probe(c)
        status = readiness(checks)
        response.status_code = 503 if status == "unavailable" else 200
        return {"status": status, "checks": checks}

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text exposition of every metric in this process."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_app(
    settings: Settings | None = None, *, kernel: Kernel | None = None, roles: set[str] | frozenset[str] = frozenset({"api"}),
    components: list[Component] | None = None,
) -> FastAPI:
    """Build the app. `roles` says which background work the components start in this process."""
    from hotline.web import install

    settings = settings or (kernel.settings if kernel else get_settings())
    setup_logging(settings)
    comps = load_components() if components is None else components
    app = FastAPI(title="hotline12348", version="0.1.0", description="12348 公共法律服务热线 — API",
                  lifespan=_lifespan(settings, kernel, comps, frozenset(roles)))
    app.add_middleware(MetricsMiddleware)
    install(app)
    app.include_router(ops_router(comps))
    for c in comps:
        for r in c.routers():
            app.include_router(r)
    return app


def create_full_app() -> FastAPI:
    """Factory for uvicorn --factory: every role in one process."""
    return create_app(roles=ALL_ROLES)
