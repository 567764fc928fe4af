"""Outbox dispatcher (role ``worker``): claims ready rows, posts signed batches, records the outcome.

At-least-once delivery with idempotency keys makes it exactly-once at the receiver; rows are leased
before sending, so a dispatcher that dies mid-batch leaves them to be sent again once the lease ends.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hotline.bus import EventBus
from hotline.db import utcnow
from integrations.adapters import resilient_session
from integrations.models import OutboxMessage
from integrations.outbox import Row, backoff_delay, classify, ready_batches
from integrations.receiver import PATHS
from integrations.signing import signed_headers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Destination:
    """Where one destination's batches go and the secret that signs them."""

    name: str
    url: str
    key_id: str
    secret: str


def destinations_from_settings(settings) -> dict[str, Destination]:
    """The 12348 platform and 12345, each with its own secret."""
    key_id = settings.platform_key_id
    return {
        "platform": Destination("platform", settings.platform_url.rstrip("/") + PATHS["platform"], key_id,
                                settings.platform_secret.get_secret_value()),
        "gov12345": Destination("gov12345", settings.gov12345_url.rstrip("/") + "/tickets/events", key_id,
                                settings.gov12345_secret.get_secret_value()),
    }


@dataclass
class DispatchPolicy:
    """Batching, retry and lease knobs."""

    batch_size: int = 50
    max_batches: int = 4
    scan_limit: int = 2000
    timeout: float = 5.0
    lease_seconds: float = 30.0
    backoff_base: float = 0.5
    backoff_cap: float = 300.0
    max_attempts: int = 15
    idle_poll: float = 0.5
    round_timeout: float = 60.0


@dataclass
class OutboxDispatcher:
    """Delivers outbox rows to their destinations, in order per ticket."""

    sessions: async_sessionmaker[AsyncSession]
    destinations: dict[str, Destination]
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    bus: EventBus | None = None
    clock: Callable[[], datetime] = utcnow
    transport: httpx.AsyncBaseTransport | None = None
    rng: random.Random = field(default_factory=random.Random)
    delivered: int = 0
    _client: httpx.AsyncClient | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    async def __aenter__(self) -> "OutboxDispatcher":
        self._client = httpx.AsyncClient(transport=self.transport, timeout=self.policy.timeout)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def wake(self) -> None:
        """Look for work now (called when a ticket changed)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Dispatch until cancelled or `stop` is set; sleep briefly when there is nothing to send."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                # A round stuck on a connection the database dropped is abandoned; its leases expire.
                sent = await asyncio.wait_for(self.run_once(), self.policy.round_timeout)
            except Exception:  # noqa: BLE001 - a database hiccup must not end delivery
                log.exception("outbox dispatch round failed")
                sent = 0
            if not sent:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.policy.idle_poll)
                except asyncio.TimeoutError:
                    pass

    async def run_once(self) -> int:
        """One round: claim ready batches, send them concurrently, record outcomes; rows sent."""
        claimed = await self._claim()
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(dest, rows) for dest, rows in claimed))
        await self._record([(rows, *outcome) for (_, rows), outcome in zip(claimed, outcomes)])
        return sum(len(rows) for _, rows in claimed)

    def _session(self):
        return resilient_session(self.sessions)

    async def _claim(self) -> list[tuple[str, list[OutboxMessage]]]:
        now = self.clock()
        async with self._session() as s:
            found = (await s.execute(
                select(OutboxMessage.id, OutboxMessage.destination, OutboxMessage.ticket_id, OutboxMessage.state,
                       OutboxMessage.next_attempt_at, OutboxMessage.lease_until)
                .where(OutboxMessage.state.in_(("pending", "dead"))).order_by(OutboxMessage.id)
                .limit(self.policy.scan_limit))).all()
            plan = ready_batches([Row(*r) for r in found], now, batch_size=self.policy.batch_size,
                                 max_batches=self.policy.max_batches)
            until = now + timedelta(seconds=self.policy.lease_seconds)
            tokens = []
            for dest, batches in plan.items():
                for ids in batches:
                    token = secrets.token_hex(8)
                    # Only rows still free are taken: a concurrent dispatcher's claim wins, never both.
                    await s.execute(update(OutboxMessage).where(
                        OutboxMessage.id.in_(ids), OutboxMessage.state == "pending",
                        (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until <= now),
                    ).values(lease_until=until, lease_token=token).execution_options(synchronize_session=False))
                    tokens.append((dest, token))
            if not tokens:
                return []
            await s.commit()
            rows = (await s.scalars(select(OutboxMessage).where(
                OutboxMessage.lease_token.in_([t for _, t in tokens])).order_by(OutboxMessage.id))).all()
            out = []
            for dest, token in tokens:
                mine = [r for r in rows if r.lease_token == token]
                if mine:
                    out.append((dest, mine))
            return out

    async def _deliver(self, dest_name: str, rows: list[OutboxMessage]) -> tuple[dict[str, str], str]:
        dest = self.destinations[dest_name]
        items = [{"idempotency_key": r.idempotency_key, "ticket": r.payload.get("number"), "seq": r.seq,
                  "prev_seq": r.prev_seq, "type": r.event_type, "document": r.payload} for r in rows]
        body = json.dumps({"events": items}, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json",
                   **signed_headers(dest.key_id, dest.secret, body, int(self.clock().timestamp()))}
        try:
            assert self._client is not None, "use `async with OutboxDispatcher(...)`"
            resp = await self._client.post(dest.url, content=body, headers=headers)
            if resp.status_code != 200:
                raise httpx.HTTPStatusError(f"HTTP {resp.status_code}: {resp.text[:200]}", request=resp.request,
                                            response=resp)
            verdicts = classify(resp.json().get("results", []), [r.idempotency_key for r in rows])
            error = "rejected by receiver"
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            verdicts = {r.idempotency_key: "retry" for r in rows}
            error = f"{exc.__class__.__name__}: {exc}"[:500]
        return verdicts, error

    async def _record(self, results: list[tuple[list[OutboxMessage], dict[str, str], str]]) -> None:
        """Store every batch's outcome in one transaction."""
        now = self.clock()
        dead: list[OutboxMessage] = []
        async with self._session() as s:
            ids = [r.id for rows, _, _ in results for r in rows]
            current = {row.id: row for row in (await s.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))}
            for r, verdict, error in ((r, v[r.idempotency_key], e) for rows, v, e in results for r in rows):
                row = current.get(r.id)
                if row is None or row.lease_token != r.lease_token:
                    continue  # our lease ran out and another dispatcher owns the row now
                row.lease_until, row.lease_token = None, None
                if verdict == "delivered":
                    row.state, row.delivered_at = "delivered", now
                    self.delivered += 1
                    continue
                row.attempts += 1
                row.last_error = error
                if verdict == "dead" or row.attempts >= self.policy.max_attempts:
                    row.state = "dead"
                    dead.append(row)
                else:
                    delay = backoff_delay(row.attempts, base=self.policy.backoff_base, cap=self.policy.backoff_cap,
                                          rand=self.rng.random())
                    row.next_attempt_at = now + timedelta(seconds=delay)
            await s.commit()
        for row in dead:
            self._alarm(row)

    def _alarm(self, row: OutboxMessage) -> None:
        log.warning("outbox row %s (%s) moved to the dead-letter list: %s", row.id, row.idempotency_key, row.last_error)
        if self.bus is not None:
            self.bus.publish("alarm.raised", {
                "kind": "outbox.dead", "severity": "major", "key": f"outbox:{row.id}",
                "message": f"工单推送失败，已转入死信队列：{row.idempotency_key}",
                "destination": row.destination, "attempts": row.attempts, "error": row.last_error,
                "at": self.clock().isoformat()})


async def resend(session: AsyncSession, row_id: int, now: datetime) -> list[OutboxMessage]:
    """Admin re-send: put a dead row back in the queue with the later dead rows of its ticket
    (they died in the same outage and must follow it); LookupError if the row is not dead."""
    row = await session.get(OutboxMessage, row_id)
    if row is None or row.state != "dead":
        raise LookupError(f"死信不存在 (no dead-letter row {row_id})")
    rows = (await session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == row.ticket_id, OutboxMessage.destination == row.destination,
        OutboxMessage.state == "dead", OutboxMessage.id >= row.id).order_by(OutboxMessage.id))).all()
    for r in rows:
        r.state, r.attempts, r.next_attempt_at, r.last_error = "pending", 0, now, ""
        r.lease_until = r.lease_token = None
    return list(rows)
