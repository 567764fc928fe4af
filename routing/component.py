"""Routing component (role `engine`): AMI links per node, the routing service, the record writer."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request

from hotline.auth import Role, require_roles
from routing.ami import AmiLink
from routing.service import RoutingService
from routing.writer import RecordWriter

log = logging.getLogger(__name__)


def _router() -> APIRouter:
    router = APIRouter(prefix="/api/routing", tags=["routing"])

    @router.get("/overview", dependencies=[Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))])
    async def overview(request: Request) -> dict:
        """Live calls, waiting callers and members per node (路由引擎实时状态)."""
        service = request.app.state.kernel.services.get("routing")
        links = request.app.state.kernel.services.get("ami_links", {})
        if service is None:
            return {"nodes": {}, "links": {}}
        return {"nodes": service.overview(),
                "links": {n: {"connected": link.connected, "resyncs": link.resyncs, "disconnects": link.disconnects}
                          for n, link in links.items()}}

    return router


def _wrapup_seconds(settings) -> int:
    """queues.conf wrapuptime as rendered for Asterisk (app_queue never reports it in events)."""
    if settings.pbx_mode != "asterisk":
        return PBXSIM_WRAPUP_SECONDS
    from hotline.config_render import AsteriskConfigSettings

    return AsteriskConfigSettings().wrapup_seconds


PBXSIM_WRAPUP_SECONDS = 5  # pbxsim.setup.directory_config renders every queue with wrapuptime 5


class RoutingComponent:
    """Starts one AmiLink per configured node and the RoutingService fed by them."""

    name = "routing"

    def __init__(self) -> None:
        self.links: dict[str, AmiLink] = {}
        self.service: RoutingService | None = None
        self.writer: RecordWriter | None = None
        self.engine_role = False

    def routers(self) -> list[APIRouter]:
        return [_router()]

    async def start(self, kernel, roles: set[str]) -> None:
        # The component object outlives an app (one per process): readiness is about this app's links.
        self.engine_role = "engine" in roles
        if not self.engine_role:
            return
        settings = kernel.settings
        self.writer = RecordWriter(kernel.sessions)
        await self.writer.start()
        self.service = RoutingService(kernel.directory, kernel.bus, writer=self.writer,
                                      wrapup_seconds=_wrapup_seconds(settings))
        await self.service.load_last_contacts(kernel.sessions)
        sim_address = getattr(kernel.services.get("pbxsim"), "ami_address", None)
        for node in settings.ami_nodes:
            link = AmiLink.from_settings(node, settings)
            if sim_address and settings.pbx_mode == "pbxsim":
                link.host, link.port = sim_address  # the simulator listens on an ephemeral port
            self.service.attach(link)
            self.links[node.name] = link
            await link.start()
        kernel.services["routing"] = self.service
        kernel.services["ami_links"] = self.links
        kernel.services["ami"] = next(iter(self.links.values()), None)

    async def ready(self) -> str:
        if not self.engine_role:
            return "ok"
        down = [n for n, link in self.links.items() if not link.connected]
        return "ok" if not down else f"AMI not connected: {', '.join(down)}"

    async def stop(self) -> None:
        for link in self.links.values():
            await link.stop()
        if self.service is not None:
            await self.service.stop()
        if self.writer is not None:
            await self.writer.stop()


component = RoutingComponent()
