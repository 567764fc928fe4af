"""Alarm thresholds per metric (yellow/red) and the pure rule deciding what is raised or cleared."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator

LEVELS = ("yellow", "red")
METRIC_LABELS = {
    "waiting": "排队数", "longest_wait_seconds": "最长等待(秒)", "answer_rate": "接听率",
    "service_level": "服务水平", "asa_seconds": "平均应答时间(秒)", "abandoned": "放弃数",
}


class Threshold(BaseModel):
    """Yellow and red limits of one metric; `above` = bad when higher (waits), else bad when lower (rates)."""

    yellow: float
    red: float
    above: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Threshold:
        if (self.red < self.yellow) if self.above else (self.red > self.yellow):
            raise ValueError("red must be worse than yellow")
        return self


RATE_METRICS = frozenset({"answer_rate", "service_level"})


class Thresholds(BaseModel):
    """Thresholds by metric (metrics left out never alarm); rates alarm only from `min_calls` offered calls
    on (one abandoned call at 8:01 is not a 0 % answer rate worth a red light)."""

    min_calls: int = Field(10, ge=0)
    metrics: dict[str, Threshold] = Field(default_factory=lambda: {
        "waiting": Threshold(yellow=3, red=6), "longest_wait_seconds": Threshold(yellow=30, red=60),
        "answer_rate": Threshold(yellow=0.9, red=0.8, above=False),
        "service_level": Threshold(yellow=0.8, red=0.7, above=False),
        "asa_seconds": Threshold(yellow=20, red=40),
    })

    @model_validator(mode="after")
    def _known(self) -> Thresholds:
        unknown = set(self.metrics) - set(METRIC_LABELS)
        if unknown:
            raise ValueError(f"unknown alarm metrics: {sorted(unknown)}")
        return self


def level_of(value: float | None, t: Threshold) -> Literal["yellow", "red"] | None:
    """The alarm level of a value (None: no data, or within limits)."""
    if value is None:
        return None
    worse = (lambda limit: value >= limit) if t.above else (lambda limit: value <= limit)
    return "red" if worse(t.red) else "yellow" if worse(t.yellow) else None


@dataclass(frozen=True)
class AlarmChange:
    """An alarm raised (or moved to another level) or cleared for one (scope, metric)."""

    kind: Literal["raised", "cleared"]
    scope: str
    metric: str
    level: str | None
    value: float | None
    threshold: float | None


def evaluate(values: Mapping[str, Mapping[str, float | None]], thresholds: Thresholds,
             active: Mapping[tuple[str, str], str]) -> list[AlarmChange]:
    """Changes between the `active` alarms ((scope, metric) → level) and the current `values` by scope."""
    out: list[AlarmChange] = []
    for scope, metrics in values.items():
        for metric, t in thresholds.metrics.items():
            value = metrics.get(metric)
            if metric in RATE_METRICS and (metrics.get("offered") or 0) < thresholds.min_calls:
                value = None
            level, before = level_of(value, t), active.get((scope, metric))
            if level == before:
                continue
            if before is not None:
                out.append(AlarmChange("cleared", scope, metric, before, value, None))
            if level is not None:
                out.append(AlarmChange("raised", scope, metric, level, value, getattr(t, level)))
    return out
