"""Prometheus gauges of the queue metrics shown on the wallboard (same definitions, same numbers)."""
from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Gauge

QUEUE = ["queue", "center"]
WAITING = Gauge("hotline_queue_waiting", "Callers waiting in the queue now", QUEUE)
LONGEST = Gauge("hotline_queue_longest_wait_seconds", "Longest current wait in the queue", QUEUE)
SEATS = Gauge("hotline_queue_seats", "Member seats of the queue by state (ready, on_call, acw, paused)",
              QUEUE + ["state"])
TODAY = Gauge("hotline_queue_calls_today", "Today's calls of the queue (offered, answered, abandoned, "
              "short_abandoned, overflowed)", QUEUE + ["kind"])
RATE = Gauge("hotline_queue_ratio_today", "Today's ratios of the queue (answer_rate, service_level, "
             "service_level_inclusive); NaN when there is no denominator", QUEUE + ["metric"])
ASA = Gauge("hotline_queue_asa_seconds_today", "Today's average speed of answer", QUEUE)
COUNTS = ("offered", "answered", "abandoned", "short_abandoned", "overflowed")
RATIOS = ("answer_rate", "service_level", "service_level_inclusive")


def _v(value) -> float:
    return float("nan") if value is None else float(value)


_children: dict[tuple[str, str], tuple] = {}


def _gauges(queue: str, center: str) -> tuple:
    """The labelled gauges of one queue, looked up once (labels() is the costly part)."""
    got = _children.get((queue, center))
    if got is None:
        labels = (queue, center)
        got = _children[(queue, center)] = (
            WAITING.labels(*labels), LONGEST.labels(*labels),
            {s: SEATS.labels(*labels, s) for s in ("ready", "on_call", "acw", "paused")},
            {k: TODAY.labels(*labels, k) for k in COUNTS}, {m: RATE.labels(*labels, m) for m in RATIOS},
            ASA.labels(*labels))
    return got


def update(frame: Mapping) -> None:
    """Set every gauge from a wallboard frame."""
    for row in frame["queues"]:
        waiting, longest, seats, today, rates, asa = _gauges(row["queue"], row["center_code"])
        waiting.set(row["waiting"])
        longest.set(row["longest_wait_seconds"] or 0)
        for state, g in seats.items():
            g.set(row[state])
        for kind, g in today.items():
            g.set(row[kind])
        for metric, g in rates.items():
            g.set(_v(row[metric]))
        asa.set(_v(row["asa_seconds"]))
