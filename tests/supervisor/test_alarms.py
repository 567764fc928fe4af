"""Alarm rules: levels per threshold direction, raise / escalate / clear, small samples, bad thresholds."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from supervisor.alarms import AlarmChange, Threshold, Thresholds, evaluate, level_of

WAIT = Threshold(yellow=30, red=60)
RATE = Threshold(yellow=0.9, red=0.8, above=False)


@pytest.mark.parametrize(("value", "t", "level"), [
    (None, WAIT, None), (29.9, WAIT, None), (30, WAIT, "yellow"), (59, WAIT, "yellow"), (60, WAIT, "red"),
    (0.95, RATE, None), (0.9, RATE, "yellow"), (0.85, RATE, "yellow"), (0.8, RATE, "red"), (0.0, RATE, "red"),
])
def test_level_of(value, t, level):
    assert level_of(value, t) == level


TH = Thresholds(min_calls=10, metrics={"longest_wait_seconds": WAIT, "answer_rate": RATE})


def test_raise_escalate_and_clear():
    q = "q-410100-consult"
    assert evaluate({q: {"longest_wait_seconds": 31}}, TH, {}) == [
        AlarmChange("raised", q, "longest_wait_seconds", "yellow", 31, 30)]
    assert evaluate({q: {"longest_wait_seconds": 61}}, TH, {(q, "longest_wait_seconds"): "yellow"}) == [
        AlarmChange("cleared", q, "longest_wait_seconds", "yellow", 61, None),
        AlarmChange("raised", q, "longest_wait_seconds", "red", 61, 60)]
    assert evaluate({q: {"longest_wait_seconds": 61}}, TH, {(q, "longest_wait_seconds"): "red"}) == []
    assert evaluate({q: {"longest_wait_seconds": None}}, TH, {(q, "longest_wait_seconds"): "red"}) == [
        AlarmChange("cleared", q, "longest_wait_seconds", "red", None, None)]


def test_rates_do_not_alarm_on_a_handful_of_calls():
    assert evaluate({"410100": {"answer_rate": 0.0, "offered": 9}}, TH, {}) == []
    assert [c.level for c in evaluate({"410100": {"answer_rate": 0.0, "offered": 10}}, TH, {})] == ["red"]


@pytest.mark.parametrize("bad", [
    {"metrics": {"waiting": {"yellow": 5, "red": 3}}},
    {"metrics": {"answer_rate": {"yellow": 0.8, "red": 0.9, "above": False}}},
    {"metrics": {"coffee": {"yellow": 1, "red": 2}}},
])
def test_inconsistent_thresholds_are_refused(bad):
    with pytest.raises(ValidationError):
        Thresholds.model_validate(bad)

