"""Persist call records off the event path: a queue drained by one task, upserting by Linkedid.

The event path only calls `submit()` (never blocks). A database error keeps the batch and retries
with backoff, so nothing is lost while the database or the AMI link is down.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from routing.models import RECORD_COLUMNS, CallRecord

log = logging.getLogger(__name__)
_TIMES = ("offered_at", "queued_at", "answered_at", "ended_at")


def record_row(record: dict) -> dict:
    """A call record dict (ISO times) → the CallRecord column values."""
    row = {k: v for k, v in record.items() if k in RECORD_COLUMNS}
    for key in _TIMES:
        if row.get(key):
            row[key] = datetime.fromisoformat(row[key])
    visited = record.get("queues_visited") or []
    row["first_queue"] = visited[0] if visited else None
    row["last_queue"] = visited[-1] if visited else None
    row["caller_number"] = (row.get("caller_number") or None) and row["caller_number"][:40]
    row["caller_name"] = (row.get("caller_name") or None) and row["caller_name"][:80]
    return row


async def upsert_records(session: AsyncSession, records: list[dict]) -> None:
    """Insert or replace by Linkedid; a survey score already stored is kept when the new one is empty."""
    if not records:
        return
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = {}
    for rec in records:  # the last version of a call wins within one batch
        row = record_row(rec)
        rows[row["linkedid"]] = row
    stmt = insert(CallRecord).values(list(rows.values()))
    table = CallRecord.__table__
    updates = {c: stmt.excluded[c] for c in RECORD_COLUMNS if c not in ("linkedid", "survey_score")}
    updates["survey_score"] = func.coalesce(stmt.excluded.survey_score, table.c.survey_score)
    await session.execute(stmt.on_conflict_do_update(index_elements=["linkedid"], set_=updates))


class RecordWriter:
    """One task writing submitted records in batches."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, batch: int = 200, retry_max: float = 5.0) -> None:
        self.sessions = sessions
        self.batch = batch
        self.retry_max = retry_max
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        self.written = 0
        self.failures = 0
        self._task: asyncio.Task | None = None

    def submit(self, record: dict) -> None:
        """Queue a record (never blocks the event path)."""
        self.queue.put_nowait(record)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="call-record-writer")

    async def _run(self) -> None:
        while True:
            first = await self.queue.get()
            batch = [first]
            while len(batch) < self.batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self._write(batch)
            for _ in batch:
                self.queue.task_done()

    async def _write(self, batch: list[dict]) -> None:
        delay = 0.05
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    await upsert_records(session, batch)
                self.written += len(batch)
                return
            except SQLAlchemyError as exc:
                self.failures += 1
                log.warning("call records not written yet (%s); retrying in %.2fs", exc.__class__.__name__, delay)
                await asyncio.sleep(delay)
                delay = min(self.retry_max, delay * 2)

    async def flush(self) -> None:
        """Wait until every submitted record is in the database."""
        await self.queue.join()

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.flush(), 10)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def set_survey_score(session: AsyncSession, linkedid: str, score: int) -> bool:
    """Store the IVR survey score on a finished call; False when the record is not there (yet)."""
    result = await session.execute(update(CallRecord).where(CallRecord.linkedid == linkedid).values(survey_score=score))
    return bool(result.rowcount)
