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


def update(frame: Mapping) -> None:
    """Set every gauge from a wallboard frame."""
    for row in frame["queues"]:
        labels = (row["queue"], row["center_code"])
        WAITING.labels(*labels).set(row["waiting"])
        LONGEST.labels(*labels).set(row["longest_wait_seconds"] or 0)
        for state in ("ready", "on_call", "acw", "paused"):
            SEATS.labels(*labels, state).set(row[state])
        for kind in COUNTS:
            TODAY.labels(*labels, kind).set(row[kind])
        for metric in RATIOS:
            RATE.labels(*labels, metric).set(_v(row[metric]))
        ASA.labels(*labels).set(_v(row["asa_seconds"]))
