"""Integrations component: ticket/callback/integration routes; outbox dispatcher, overdue check and dialer."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from integrations.api import router as tickets_router
from integrations.api_callbacks import router as callbacks_router
from integrations.api_integrations import router as integrations_router

log = logging.getLogger(__name__)


class IntegrationsComponent:
    """Publishes ``services["outbox"]`` (the dispatcher), ``services["dialer"]`` (the 回访 dialer) and, in
    the demo (role ``pbxsim``), ``services["platform_receiver"]`` (the reference platform)."""

    name = "integrations"

    def __init__(self, overdue_interval: float = 60.0, dial_interval: float = 5.0) -> None:
        self.overdue_interval, self.dial_interval = overdue_interval, dial_interval
        self.tasks: list[asyncio.Task] = []
        self.dispatcher = None
        self.dialer = None
        self.receiver = None

    def routers(self) -> list[Any]:
        return [tickets_router, integrations_router, callbacks_router]

    async def start(self, kernel: Any, roles: set[str]) -> None:
        from integrations.dialer import CallbackDialer
        from integrations.dispatcher import OutboxDispatcher, destinations_from_settings
        from integrations.tickets import TicketContext

        if "pbxsim" in roles:
            await self._start_demo_receiver(kernel)
        if "worker" in roles:
            self.dispatcher = OutboxDispatcher(kernel.sessions, destinations_from_settings(kernel.settings),
                                               bus=kernel.bus)
            await self.dispatcher.__aenter__()
            kernel.services["outbox"] = self.dispatcher
            self._spawn(self.dispatcher.run(), "outbox-dispatcher")
            self._spawn(self._wake_on_changes(kernel), "outbox-wake")
            self._spawn(self._overdue_loop(kernel), "ticket-overdue")
        ami = kernel.services.get("ami")
        if ami is not None and roles & {"worker", "engine"}:
            # The dialer needs the engine's AMI link, so it runs where the engine runs.
            ivr = kernel.services.get("ivr")
            host, port = getattr(ivr, "address", None) or (kernel.settings.fastagi_host, kernel.settings.fastagi_port)
            self.dialer = CallbackDialer(kernel.sessions, TicketContext.from_kernel(kernel), ami=ami,
                                         fastagi=f"{host}:{port}")
            kernel.services["dialer"] = self.dialer
            self._spawn(self.dialer.run(kernel.bus, self.dial_interval), "callback-dialer")
        elif "worker" in roles:
            log.warning("回访 dialer not started: no AMI link in this process (it runs with the engine role)")

    async def _start_demo_receiver(self, kernel: Any) -> None:
        """With the PBX simulated (the demo), also play the 12348 platform at settings.platform_url."""
        from urllib.parse import urlsplit

        from integrations.receiver import ReceiverServer, default_state

        url = urlsplit(kernel.settings.platform_url)
        if url.hostname not in ("127.0.0.1", "localhost") or not url.port:
            return
        try:
            self.receiver = await ReceiverServer(default_state(kernel.settings), "127.0.0.1", url.port).start()
        except OSError as exc:  # a receiver started by hand already listens there
            log.info("reference platform receiver not started on %s: %s", url.port, exc)
            return
        kernel.services["platform_receiver"] = self.receiver

    def _spawn(self, coro, name: str) -> None:
        self.tasks.append(asyncio.create_task(coro, name=name))

    async def _wake_on_changes(self, kernel: Any) -> None:
        sub = kernel.bus.subscribe("ticket.changed", maxsize=100)
        try:
            async for _ in sub:
                self.dispatcher.wake()
        finally:
            kernel.bus.unsubscribe(sub)

    async def _overdue_loop(self, kernel: Any) -> None:
        from integrations.tickets import TicketContext, raise_overdue_alarms

        while True:
            try:
                async with kernel.sessions() as session:
                    await raise_overdue_alarms(session, TicketContext.from_kernel(kernel))
                    await session.commit()
            except Exception:  # noqa: BLE001 - keep checking
                log.exception("overdue check failed")
            await asyncio.sleep(self.overdue_interval)

    async def ready(self) -> str:
        dead = [t.get_name() for t in self.tasks if t.done()]
        return "ok" if not dead else f"stopped: {', '.join(dead)}"

    async def stop(self) -> None:
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self.tasks.clear()
        if self.dispatcher is not None:
            await self.dispatcher.__aexit__(None, None, None)
            self.dispatcher = None
        if self.receiver is not None:
            await self.receiver.stop()
            self.receiver = None


component = IntegrationsComponent()
