"""Outbox decisions as plain functions: which rows go out now (in order per ticket), retry spacing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Row:
    """What the batching decision needs to know about one undelivered outbox row."""

    id: int
    destination: str
    ticket_id: int
    state: str
    next_attempt_at: datetime
    lease_until: datetime | None


def backoff_delay(attempt: int, *, base: float, cap: float, rand: float) -> float:
    """Seconds before retry `attempt` (1-based): exponential, capped, "equal jitter" in [d/2, d]."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + ceiling / 2 * rand


def ready_batches(rows: list[Row], now: datetime, *, batch_size: int, max_batches: int) -> dict[str, list[list[int]]]:
    """Group rows that may be sent now into batches per destination.

    Rows are taken in id order. The first row of a ticket (per destination) that is not ready —
    waiting for its retry time, leased by a dispatcher, or dead — blocks every later row of that
    ticket, so a change never overtakes an earlier one. All ready rows of one ticket go into the
    same batch (the receiver applies a batch in order), never split across concurrent requests.
    """
    blocked: set[tuple[str, int]] = set()
    placed: dict[tuple[str, int], int] = {}
    out: dict[str, list[list[int]]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        key = (row.destination, row.ticket_id)
        if key in blocked:
            continue
        ready = row.state == "pending" and row.next_attempt_at <= now and (
            row.lease_until is None or row.lease_until <= now)
        if not ready:
            blocked.add(key)
            continue
        batches = out.setdefault(row.destination, [])
        index = placed.get(key)
        if index is None:
            if not batches or len(batches[-1]) >= batch_size:
                if len(batches) >= max_batches:
                    blocked.add(key)
                    continue
                batches.append([])
            index = placed[key] = len(batches) - 1
        if len(batches[index]) >= batch_size:
            blocked.add(key)
            continue
        batches[index].append(row.id)
    return out


def classify(results: list[dict], sent_keys: list[str]) -> dict[str, str]:
    """Map each idempotency key sent to delivered / retry / dead from the receiver's answer."""
    by_key = {str(r.get("idempotency_key")): str(r.get("status")) for r in results if isinstance(r, dict)}
    out = {}
    for key in sent_keys:
        status = by_key.get(key)
        if status in ("accepted", "duplicate"):
            out[key] = "delivered"
        elif status == "invalid":
            out[key] = "dead"
        else:
            out[key] = "retry"
    return out
