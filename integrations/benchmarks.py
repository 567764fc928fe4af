"""Outbox throughput: ticket changes delivered per second to the reference receiver over HTTP.

Baseline, measured in the same run: the same signed batches POSTed straight to the receiver with
the same concurrency and no database — the transport's ceiling. The ratio says how much of it the
outbox keeps once claiming, leasing and recording each delivery in the database are added.
"""
from __future__ import annotations

import asyncio
import json
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from sqlalchemy import func, select

from hotline.auth import Principal, Role
from hotline.directory import load_directory
from hotline.kernel import Kernel
from hotline.migrate import upgrade
from hotline.settings import ROOT, Settings
from integrations.dispatcher import DispatchPolicy, OutboxDispatcher, destinations_from_settings
from integrations.models import OutboxMessage
from integrations.receiver import ReceiverServer, default_state
from integrations.schemas import StatusChange, TicketCreate
from integrations.signing import signed_headers
from integrations.tickets import TicketContext, change_status, create_ticket

SEAT = Principal("bench", Role.SEAT, "410100", "1001")


@asynccontextmanager
async def scratch_kernel(database_url: str | None = None):
    """A kernel on a fresh, migrated SQLite file (or the given database)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        settings = Settings(database_url=url, var_dir=Path(tmp), redis_url=None, _env_file=None)
        kernel = Kernel.build(settings, directory=load_directory(ROOT / "hotline" / "data" / "directory.yaml"))
        try:
            yield kernel
        finally:
            await kernel.close()


async def make_changes(kernel: Kernel, tickets: int) -> int:
    """`tickets` tickets with three changes each (created, 办理中, 已办结); outbox rows written."""
    ctx = TicketContext(kernel.directory)
    async with kernel.sessions() as s:
        for i in range(tickets):
            t = await create_ticket(s, TicketCreate(category_id="consult.labor", summary=f"压测工单{i}"), SEAT, ctx)
            await change_status(s, t, StatusChange(status="processing"), SEAT, ctx)
            await change_status(s, t, StatusChange(status="closed", reply="已答复"), SEAT, ctx)
            if i % 50 == 49:
                await s.commit()
        await s.commit()
        return await s.scalar(select(func.count()).select_from(OutboxMessage))


async def _baseline(kernel: Kernel, url: str, policy: DispatchPolicy) -> tuple[int, float]:
    """POST the same batches directly (no database work); (items, seconds)."""
    async with kernel.sessions() as s:
        rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    dest = destinations_from_settings(kernel.settings)["platform"]
    items = [{"idempotency_key": "base-" + r.idempotency_key, "ticket": r.payload["number"], "seq": r.seq,
              "prev_seq": r.prev_seq, "type": r.event_type,
              "document": {**r.payload, "number": "GD" + str(90000000000000 + r.ticket_id)}} for r in rows]
    by_ticket: dict[str, list[dict]] = {}
    for it in items:
        by_ticket.setdefault(it["document"]["number"], []).append(it)
    batches, current = [], []
    for group in by_ticket.values():  # a ticket's changes stay in one batch, as the dispatcher does
        if len(current) + len(group) > policy.batch_size:
            batches.append(current)
            current = []
        current.extend(group)
    if current:
        batches.append(current)
    async with httpx.AsyncClient(timeout=policy.timeout) as client:
        start = time.perf_counter()
        for i in range(0, len(batches), policy.max_batches):
            await asyncio.gather(*(_post(client, url, dest, b) for b in batches[i:i + policy.max_batches]))
        return len(items), time.perf_counter() - start


async def _post(client: httpx.AsyncClient, url: str, dest, batch: list[dict]) -> None:
    body = json.dumps({"events": batch}, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", **signed_headers(dest.key_id, dest.secret, body, int(time.time()))}
    resp = await client.post(url, content=body, headers=headers)
    resp.raise_for_status()


async def measure_outbox(tickets: int = 200, policy: DispatchPolicy | None = None,
                         database_url: str | None = None) -> dict:
    """Deliveries per second through the outbox and through bare POSTs, with their ratio."""
    policy = policy or DispatchPolicy(batch_size=50, max_batches=4)
    async with scratch_kernel(database_url) as kernel:
        created = await make_changes(kernel, tickets)
        state = default_state(kernel.settings)
        async with ReceiverServer(state) as server:
            kernel.settings = kernel.settings.model_copy(update={"platform_url": server.url})
            async with OutboxDispatcher(kernel.sessions, destinations_from_settings(kernel.settings), policy) as d:
                start = time.perf_counter()
                while await d.run_once():
                    pass
                seconds = time.perf_counter() - start
            base_items, base_seconds = await _baseline(kernel, server.url + "/tickets/events", policy)
        received = state.summary()
    value = created / seconds
    baseline = base_items / base_seconds
    return {"value": round(value, 1), "baseline": "signed POSTs of the same batches, no database",
            "baseline_value": round(baseline, 1), "ratio": round(value / baseline, 3),
            "details": {"changes": created, "seconds": round(seconds, 3), "batch_size": policy.batch_size,
                        "concurrent_batches": policy.max_batches, "received_unique": received["count"],
                        "order_violations": received["order_violations"],
                        "database": "sqlite" if database_url is None else database_url.split(":")[0]}}


def bench_outbox(quick: bool = False, seed: int = 12348) -> dict:
    """Bench entry point (bench/measures.py): outbox deliveries/s to the reference receiver."""
    return asyncio.run(measure_outbox(tickets=40 if quick else 300))


def run_outbox_bench(tickets: int = 200) -> dict:
    """CLI entry point (hotline12348 integrations bench)."""
    return asyncio.run(measure_outbox(tickets=tickets))
