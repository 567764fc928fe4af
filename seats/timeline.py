"""Per-seat time in each state from `seat_events` — pure: the statistics' login, pause, wrap-up, talk time.

`seat_events` rows are transitions; the time between one row and the next is spent in the first row's
`to_state` (with its reason). A window cuts the spans; a seat still in a state at `end` counts up to `end`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Transition:
    """One `seat_events` row, as far as the arithmetic needs it."""

    at: datetime
    from_state: str
    to_state: str
    reason: str | None = None


def durations(events: list[Transition], start: datetime, end: datetime) -> dict[str, float]:
    """Seconds per state in [start, end), plus `login` (everything but offline) and `pause:<reason>`."""
    out: dict[str, float] = defaultdict(float)
    ordered = sorted(events, key=lambda e: e.at)
    for cur, nxt in zip(ordered, ordered[1:] + [None]):
        span_start = max(cur.at, start)
        span_end = min(nxt.at if nxt else end, end)
        seconds = (span_end - span_start).total_seconds()
        if seconds <= 0:
            continue
        out[cur.to_state] += seconds
        if cur.to_state != "offline":
            out["login"] += seconds
        if cur.to_state == "paused":
            out[f"pause:{cur.reason or '—'}"] += seconds
    first = ordered[0] if ordered else None
    if first is not None and first.at > start and first.from_state != "offline":
        # the window opens before the first row: the seat was already in `from_state` then
        lead = (min(first.at, end) - start).total_seconds()
        out[first.from_state] += lead
        out["login"] += lead
    return dict(out)
