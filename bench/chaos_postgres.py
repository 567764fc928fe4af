"""Chaos: PostgreSQL connections killed (`postgres_connection_killed` in bench/chaos.py).

Two writers hold PostgreSQL connections in production: the routing engine's call-record writer
(`routing.writer.RecordWriter`) and the ticket outbox. While pbxsim carries calls through the real
routing engine into a real PostgreSQL database, every backend of that database is terminated
(`pg_terminate_backend`) again and again; afterwards each call pbxsim handled must have exactly one
call record. The outbox half is `integrations.chaos.postgres_kill` (ticket changes written and pushed
to the reference platform under the same fault); both halves are reported together.
"""
from __future__ import annotations

import asyncio
import random
import time
import uuid

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}


async def _engine(kernel, port: int):
    """The routing engine as the `engine` role runs it: AMI link, service, call-record writer."""
    from routing.ami import AmiLink
    from routing.service import RoutingService
    from routing.writer import RecordWriter

    writer = RecordWriter(kernel.sessions, retry_max=0.5)
    await writer.start()
    service = RoutingService(kernel.directory, kernel.bus, writer=writer)
    link = AmiLink(name="node1", host="127.0.0.1", port=port, username="engine", secret="engine",
                   backoff=(0.01, 0.1))
    service.attach(link)
    await link.start()
    await link.wait_ready(15)
    return service, link, writer


async def _terminate(admin, name: str) -> int:
    rows = await admin.fetch("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
    return len(rows)


async def _place_and_kill(sim, admin, name: str, queues: list[str], kills: int, seconds: float,
                          rate: float) -> tuple[list[str], int]:
    """Calls at `rate`/s for `seconds` while the database's connections are cut `kills` times."""
    from pbxsim.parties import CallerScript, place_call

    rnd, placed, terminated = random.Random(12348), [], 0
    kill_every = seconds / kills
    start = time.monotonic()
    next_kill = start + kill_every
    while time.monotonic() - start < seconds:
        script = CallerScript(number=f"1370371{len(placed):04d}", name="测试", talk_time=rnd.uniform(0.3, 1.5),
                              patience=rnd.uniform(2, 6), variables={"HOTLINE_QUEUE": rnd.choice(queues)})
        placed.append(place_call(sim, script).linkedid)
        if time.monotonic() >= next_kill:
            terminated += await _terminate(admin, name)
            next_kill += kill_every
        await asyncio.sleep(rnd.expovariate(rate))
    return placed, terminated


async def _records(kernel, linkedids: list[str]) -> dict[str, int]:
    from sqlalchemy import func, select

    from routing.models import CallRecord

    async with kernel.sessions() as s:
        rows = await s.execute(select(CallRecord.linkedid, func.count()).group_by(CallRecord.linkedid))
        return {lid: n for lid, n in rows}


async def call_records_run(kills: int, seconds: float, rate: float) -> dict:
    """Call records written through repeated PostgreSQL connection kills: count lost and duplicated."""
    import asyncpg

    from integrations.benchmarks import scratch_kernel
    from pbxsim.load import start_answering_pbx

    name = f"hl_chaos_calls_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**PG)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"
        async with scratch_kernel(url) as kernel:
            queues = [f"q-4101{i:02d}-consult" for i in range(4)]
            pbx = await start_answering_pbx(seats=40, queues=queues, first_extension=4000)
            sim = pbx.sim
            service, link, writer = await _engine(kernel, pbx.port)
            try:
                placed, terminated = await _place_and_kill(sim, admin, name, queues, kills, seconds, rate)
                deadline = time.monotonic() + 60
                while sim.by_endpoint.get("caller") and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                await asyncio.sleep(1.0)  # seat legs hang up after their callers; the records follow
                await asyncio.wait_for(writer.flush(), 60)
                stored = await _records(kernel, placed)
            finally:
                await link.stop()
                await service.stop()
                await writer.stop()
                await pbx.stop()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    lost = sorted(set(placed) - set(stored))
    return {"lost": len(lost), "checked": len(placed), "duplicated": sum(n - 1 for n in stored.values() if n > 1),
            "connections_killed": terminated, "kill_rounds": kills, "writer_retries": writer.failures,
            "records_written": writer.written, "lost_linkedids": lost[:20]}


def chaos_postgres_kill(quick: bool = False) -> dict:
    """postgres_connection_killed: call records and the ticket outbox written while PostgreSQL drops connections."""
    from integrations.chaos import postgres_kill

    kills, seconds = (3, 4.0) if quick else (20, 40.0)
    calls = asyncio.run(call_records_run(kills, seconds, rate=3.0 if quick else 5.0))
    outbox = asyncio.run(postgres_kill(kills, seconds))
    outbox.setdefault("duplicated", 0 if outbox.get("in_order") else None)
    lost = calls["lost"] + outbox["lost"]
    duplicated = calls["duplicated"] + (outbox["duplicated"] or 0)
    return {"status": "ok" if lost == 0 and duplicated == 0 else "lost", "lost": lost,
            "checked": calls["checked"] + outbox["checked"], "duplicated": duplicated,
            "did": f"pg_terminate_backend on every connection of the database {kills} times in {seconds:g} s, "
                   "once while pbxsim calls went through the routing engine's call-record writer and once while "
                   "tickets were written and their outbox pushed to the reference platform",
            "call_records": calls, "ticket_outbox": outbox}
