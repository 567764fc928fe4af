"""Dispatcher against the reference receiver over real HTTP: signed, ordered, retried, dead-lettered."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from integrations.dispatcher import DispatchPolicy, OutboxDispatcher, destinations_from_settings, resend
from integrations.models import OutboxMessage
from integrations.receiver import ReceiverServer, default_state

from .helpers import outbox_counts, ticket_traffic, wait_drained

FAST = DispatchPolicy(batch_size=20, timeout=2.0, lease_seconds=3.0, backoff_base=0.02, backoff_cap=0.2,
                      max_attempts=50, idle_poll=0.05)


def _dispatcher(kernel, url, policy=FAST, **kw):
    dests = destinations_from_settings(kernel.settings.model_copy(update={
        "platform_url": url, "gov12345_url": url + "/12345"}))
    return OutboxDispatcher(kernel.sessions, kw.pop("destinations", dests), policy, bus=kernel.bus, **kw)


async def test_every_change_reaches_the_receiver_once_in_order(kernel, ctx):
    await ticket_traffic(kernel, ctx, 6)
    state = default_state(kernel.settings)
    async with ReceiverServer(state) as server, _dispatcher(kernel, server.url) as d:
        while await d.run_once():
            pass
    summary = state.summary()
    assert await outbox_counts(kernel) == {"delivered": 6 * 3 + 2 * 2}
    assert summary["count"] == 22 and summary["order_violations"] == 0 and summary["rejected_signatures"] == 0
    assert all(seqs == [1, 2, 3] for k, seqs in summary["tickets"].items() if k.startswith("platform:"))
    assert sorted(seqs for k, seqs in summary["tickets"].items() if k.startswith("gov12345:")) == [[2, 3], [2, 3]]


async def test_a_wrong_secret_is_rejected_then_dead_lettered_with_an_alarm_and_resend_delivers(kernel, ctx):
    from integrations.dispatcher import Destination

    await ticket_traffic(kernel, ctx, 1)
    alarms = kernel.bus.subscribe("alarm.raised")
    state = default_state(kernel.settings)
    policy = DispatchPolicy(batch_size=20, timeout=2.0, backoff_base=0.0, backoff_cap=0.0, max_attempts=2)
    async with ReceiverServer(state) as server:
        good = destinations_from_settings(kernel.settings.model_copy(update={
            "platform_url": server.url, "gov12345_url": server.url + "/12345"}))
        bad = {k: Destination(v.name, v.url, v.key_id, "wrong-secret") for k, v in good.items()}
        async with _dispatcher(kernel, server.url, policy, destinations=bad) as d:
            while await d.run_once():
                pass
        assert state.rejected_signatures >= 2 and state.summary()["count"] == 0
        counts = await outbox_counts(kernel)
        assert counts == {"dead": 5}
        msg = alarms.queue.get_nowait()
        assert msg.payload["kind"] == "outbox.dead" and "401" in msg.payload["error"]
        async with kernel.sessions() as s:
            heads = [await s.scalar(select(OutboxMessage).where(OutboxMessage.destination == dest)
                                    .order_by(OutboxMessage.id).limit(1)) for dest in ("platform", "gov12345")]
            requeued = [r.seq for h in heads for r in await resend(s, h.id, ctx.clock())]
            await s.commit()
        assert sorted(requeued) == [1, 2, 2, 3, 3]
        async with _dispatcher(kernel, server.url, policy) as d:
            while await d.run_once():
                pass
    assert await outbox_counts(kernel) == {"delivered": 5}
    assert state.summary()["order_violations"] == 0


async def test_a_document_the_receiver_finds_invalid_goes_straight_to_dead_letters(kernel, ctx):
    await ticket_traffic(kernel, ctx, 1)
    async with kernel.sessions() as s:
        first = await s.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        first.payload = {**first.payload, "status": "lost"}
        await s.commit()
    state = default_state(kernel.settings)
    async with ReceiverServer(state) as server, _dispatcher(kernel, server.url) as d:
        await d.run_once()
    async with kernel.sessions() as s:
        first = await s.get(OutboxMessage, first.id)
        assert first.state == "dead" and first.attempts == 1 and "rejected" in first.last_error
    assert state.invalid == 1


async def test_an_outage_is_retried_with_backoff_until_the_receiver_returns(kernel, ctx):
    await ticket_traffic(kernel, ctx, 2)
    state = default_state(kernel.settings)
    server = await ReceiverServer(state).start()
    await server.stop()
    async with _dispatcher(kernel, server.url) as d:
        await d.run_once()
        async with kernel.sessions() as s:
            rows = (await s.scalars(select(OutboxMessage).where(OutboxMessage.attempts > 0))).all()
        assert rows and all("ConnectError" in r.last_error for r in rows)
        await server.start()
        task = asyncio.create_task(d.run())
        counts = await wait_drained(kernel, 30)
        task.cancel()
    await server.stop()
    assert counts == {"delivered": 2 * 3 + 2}
    assert state.summary()["count"] == 8
