"""Time per state from seat_events rows: what the supervisor statistics add up."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from seats.timeline import Transition, durations

T0 = datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc)  # 08:30 Shanghai


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


SHIFT = [
    Transition(at(0), "offline", "paused", "登录未就绪"),
    Transition(at(2), "paused", "available"),
    Transition(at(5), "available", "ringing"),
    Transition(at(5.25), "ringing", "on_call"),
    Transition(at(15.25), "on_call", "wrap_up", "话后处理"),
    Transition(at(15.75), "wrap_up", "available"),
    Transition(at(60), "available", "paused", "小休"),
    Transition(at(75), "paused", "available"),
    Transition(at(120), "available", "offline"),
]


@pytest.mark.parametrize("state,minutes", [
    ("login", 120), ("on_call", 10), ("wrap_up", 0.5), ("ringing", 0.25), ("paused", 17),
    ("pause:小休", 15), ("pause:登录未就绪", 2), ("available", 120 - 10 - 0.5 - 0.25 - 17),
])
def test_a_shift_adds_up(state, minutes):
    assert durations(SHIFT, at(0), at(480))[state] == pytest.approx(minutes * 60)


def test_a_window_cuts_the_spans():
    d = durations(SHIFT, at(10), at(65))
    assert d["on_call"] == pytest.approx(5.25 * 60)      # 10 → 15.25
    assert d["pause:小休"] == pytest.approx(5 * 60)        # 60 → 65
    assert d["login"] == pytest.approx(55 * 60)


def test_a_seat_still_signed_in_counts_up_to_the_end_of_the_window():
    d = durations(SHIFT[:4], at(0), at(6.25))
    assert d["on_call"] == pytest.approx(60) and d["login"] == pytest.approx(6.25 * 60)


def test_a_window_opening_mid_state_counts_the_state_before_the_first_row():
    d = durations([Transition(at(30), "on_call", "wrap_up", "话后处理")], at(20), at(31))
    assert d["on_call"] == pytest.approx(600) and d["wrap_up"] == pytest.approx(60)


def test_no_rows_no_time():
    assert durations([], at(0), at(60)) == {}
