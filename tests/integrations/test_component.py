"""The component starts its worker loops, delivers a ticket change end to end and stops cleanly."""
from __future__ import annotations

import asyncio

from integrations.component import IntegrationsComponent
from integrations.receiver import ReceiverServer, default_state
from integrations.schemas import TicketCreate
from integrations.tickets import TicketContext, create_ticket

from .helpers import SEAT, wait_drained


async def test_worker_role_pushes_a_new_ticket_to_the_platform(kernel, settings):
    state = default_state(settings)
    async with ReceiverServer(state) as server:
        kernel.settings = settings.model_copy(update={"platform_url": server.url})
        comp = IntegrationsComponent(overdue_interval=0.1)
        await comp.start(kernel, {"worker"})
        try:
            async with kernel.sessions() as s:
                await create_ticket(s, TicketCreate(category_id="guide.notary", summary="公证办理指引"), SEAT,
                                    TicketContext.from_kernel(kernel))
                await s.commit()
            assert await wait_drained(kernel, 30) == {"delivered": 1}
            assert await comp.ready() == "ok"
            assert "outbox" in kernel.services and "dialer" not in kernel.services  # no AMI link here
        finally:
            await comp.stop()
    assert state.summary()["count"] == 1
    assert not [t for t in asyncio.all_tasks() if t.get_name() in ("outbox-dispatcher", "ticket-overdue")]


async def test_the_demo_plays_the_platform_at_platform_url_and_the_worker_delivers_to_it(kernel, settings):
    import socket

    with socket.socket() as probe:  # a free loopback port standing in for 8100
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kernel.settings = settings.model_copy(update={"platform_url": f"http://127.0.0.1:{port}"})
    comp = IntegrationsComponent()
    await comp.start(kernel, {"pbxsim", "worker"})
    try:
        receiver = kernel.services["platform_receiver"]
        assert receiver.port == port
        async with kernel.sessions() as s:
            await create_ticket(s, TicketCreate(category_id="guide.lawyer", summary="找律师"), SEAT,
                                TicketContext.from_kernel(kernel))
            await s.commit()
        assert await wait_drained(kernel, 30) == {"delivered": 1}
        assert receiver.state.summary()["count"] == 1
    finally:
        await comp.stop()


async def test_with_the_engines_ami_link_the_dialer_runs_and_listens_for_originate_responses(kernel):
    from routing.testing import FakeAmi

    kernel.services["ami"] = ami = FakeAmi()
    comp = IntegrationsComponent(dial_interval=0.05)
    await comp.start(kernel, {"engine"})
    try:
        dialer = kernel.services["dialer"]
        assert "outbox" not in kernel.services  # the dispatcher is a worker's job
        await asyncio.sleep(0.1)
        assert ami._listeners and await comp.ready() == "ok"
        assert dialer.fastagi == f"{kernel.settings.fastagi_host}:{kernel.settings.fastagi_port}"
    finally:
        await comp.stop()
    assert not ami._listeners  # unsubscribed on stop
