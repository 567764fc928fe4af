"""Chaos scenarios for `make chaos` (wired in bench/chaos.py): the platform goes away for minutes, and
PostgreSQL connections are killed under load. Each reports what was lost (ticket changes committed
but not received exactly once, in order)."""
from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from integrations.benchmarks import SEAT, scratch_kernel
from integrations.dispatcher import DispatchPolicy, OutboxDispatcher, destinations_from_settings
from integrations.models import OutboxMessage
from integrations.receiver import Faults, ReceiverServer, default_state
from integrations.schemas import StatusChange, TicketCreate
from integrations.tickets import TicketContext, change_status, create_ticket

PG = ("127.0.0.1", 5432)


async def _traffic(kernel, stop: asyncio.Event, pause: float) -> int:
    """Create tickets (3 changes each) until `stop`; a failed transaction is retried, not counted."""
    ctx, made = TicketContext(kernel.directory), 0
    while not stop.is_set():
        try:
            async with kernel.sessions() as s:
                t = await create_ticket(s, TicketCreate(category_id="consult.labor", summary=f"演练{made}"), SEAT, ctx)
                await change_status(s, t, StatusChange(status="processing"), SEAT, ctx)
                await change_status(s, t, StatusChange(status="closed", reply="已答复"), SEAT, ctx)
                await s.commit()
            made += 1
        except (OperationalError, DBAPIError, OSError):
            pass
        await asyncio.sleep(pause)
    return made


async def _drain(kernel, seconds: float) -> int:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            async with kernel.sessions() as s:
                left = await s.scalar(select(func.count()).where(OutboxMessage.state != "delivered"))
            if not left:
                return 0
        except (OperationalError, DBAPIError, OSError):
            pass
        await asyncio.sleep(0.2)
    return left


def _report(kernel_rows: int, summary: dict, **extra) -> dict:
    in_order = all(seqs == sorted(seqs) and len(seqs) == len(set(seqs)) for seqs in summary["tickets"].values())
    lost = kernel_rows - summary["count"] + (0 if in_order else 1)
    return {"lost": max(lost, 0), "checked": kernel_rows, "received_unique": summary["count"],
            "duplicates_absorbed": summary["duplicates"], "order_violations": summary["order_violations"],
            "in_order": in_order, **extra}


async def _with_dispatcher(kernel, policy: DispatchPolicy, body) -> dict:
    state = default_state(kernel.settings)
    server = await ReceiverServer(state).start()
    kernel.settings = kernel.settings.model_copy(update={"platform_url": server.url,
                                                         "gov12345_url": server.url + "/12345"})
    stop_dispatch, stop_traffic = asyncio.Event(), asyncio.Event()
    async with OutboxDispatcher(kernel.sessions, destinations_from_settings(kernel.settings), policy) as d:
        runner = asyncio.create_task(d.run(stop_dispatch))
        try:
            extra = await body(server, state, stop_traffic)
        finally:
            stop_dispatch.set()
            await runner
    await server.stop()
    async with kernel.sessions() as s:
        rows = await s.scalar(select(func.count()).select_from(OutboxMessage))
    return _report(rows, state.summary(), **extra)


async def platform_outage(outage_seconds: float, load_seconds: float) -> dict:
    """Load with 10 % errors, then the platform is gone for `outage_seconds`, then back."""
    policy = DispatchPolicy(backoff_base=0.5, backoff_cap=min(30.0, outage_seconds), max_attempts=10_000)
    async with scratch_kernel() as kernel:
        async def body(server, state, stop):
            state.faults = Faults(error_rate=0.1)
            traffic = asyncio.create_task(_traffic(kernel, stop, 0.02))
            await asyncio.sleep(load_seconds)
            await server.stop()
            await asyncio.sleep(outage_seconds)
            await server.start()
            await asyncio.sleep(load_seconds)
            stop.set()
            made = await traffic
            back = time.monotonic()
            left = await _drain(kernel, outage_seconds + 120)
            return {"tickets": made, "outage_seconds": outage_seconds, "undelivered_after_drain": left,
                    "drain_seconds": round(time.monotonic() - back, 2)}

        return await _with_dispatcher(kernel, policy, body)


def chaos_platform_outage(quick: bool = False) -> dict:
    """platform_down_5min: the 12348 platform is unreachable for 5 minutes (5 s when quick)."""
    return asyncio.run(platform_outage(5.0 if quick else 300.0, 2.0 if quick else 20.0))


async def postgres_kill(kills: int, load_seconds: float) -> dict:
    """Kill every connection of the database `kills` times while tickets are written and pushed."""
    import asyncpg

    name = f"hl_chaos_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(host=PG[0], port=PG[1], user="postgres", database="test")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://postgres@{PG[0]}:{PG[1]}/{name}"
        async with scratch_kernel(url) as kernel:
            async def body(server, state, stop):
                traffic = asyncio.create_task(_traffic(kernel, stop, 0.01))
                killed = 0
                for _ in range(kills):
                    await asyncio.sleep(load_seconds / kills)
                    killed += len(await admin.fetch(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name))
                stop.set()
                made = await traffic
                left = await _drain(kernel, 60)
                return {"tickets": made, "connections_killed": killed, "undelivered_after_drain": left}

            policy = DispatchPolicy(backoff_base=0.05, backoff_cap=1.0, lease_seconds=2.0, max_attempts=10_000,
                                    timeout=2.0, round_timeout=5.0)
            return await _with_dispatcher(kernel, policy, body)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def chaos_postgres_kill(quick: bool = False) -> dict:
    """postgres_connection_killed: the database drops every connection repeatedly under load."""
    return asyncio.run(postgres_kill(3 if quick else 20, 3.0 if quick else 30.0))
