"""Metric definitions against hand-computed expectations (docs/supervisor.md, 'Metric definitions')."""
from __future__ import annotations

from datetime import timedelta

import pytest

from supervisor.metrics import (
    MetricParams,
    Window,
    acw_by_call,
    call_counts,
    center_of,
    in_window,
    scoped,
    seat_times,
    summarize,
    with_revisit_scores,
)
from tests.supervisor.scripted import CALLS, DAY, EVENTS, QA_CHECKED, at

WINDOW = Window(DAY, DAY + timedelta(days=1), DAY + timedelta(days=3))
PARAMS = MetricParams(short_abandon_seconds=5, service_level_seconds=20, satisfied_min=4)
DAY_CALLS = [c for c in CALLS if in_window(c, WINDOW)]


def test_window_keeps_calls_offered_inside_it_only():
    assert len(DAY_CALLS) == 9 and "c-J010" not in {c["linkedid"] for c in DAY_CALLS}


WHOLE = {  # A B C D E G I offered; F ended in the IVR; H is an outbound callback
    "offered": 7, "answered": 4, "abandoned": 1, "short_abandoned": 1, "abandoned_in_ivr": 1, "overflowed": 0,
    "callbacks_requested": 1, "callbacks_placed": 1, "callbacks_answered": 1,
    "answer_rate": 4 / 6, "service_level": 2 / 4, "service_level_inclusive": 2 / 5, "answered_within_sl": 2,
    "asa_seconds": (10 + 30 + 65 + 20) / 4, "longest_wait_seconds": 65,
    "talk_seconds": 80 + 200 + 50 + 60, "hold_seconds": 20, "acw_seconds": 30, "aht_seconds": (390 + 20 + 30) / 4,
    "surveys": 2, "satisfied": 1, "satisfaction_rate": 0.5, "qa_checked": 1, "qa_coverage": 0.25,
    "legal_consultations": 3, "legal_aid_matters": 0, "disputes_mediated": 1, "phone_answer_rate": 4 / 6,
}
ZHENGZHOU = {  # E left 郑州's queue for the province after 60 s: overflowed here
    "offered": 7, "answered": 3, "abandoned": 1, "short_abandoned": 1, "overflowed": 1,
    "answer_rate": 3 / 6, "service_level": 2 / 3, "service_level_inclusive": 2 / 4,
    "asa_seconds": 20, "longest_wait_seconds": 60, "legal_consultations": 2,
}


@pytest.mark.parametrize(("scope", "expected"), [
    (lambda q: True, WHOLE),
    (lambda q: center_of(q) == "410100", ZHENGZHOU),
    (lambda q: q == "q-410000-consult", {"offered": 1, "answered": 1, "asa_seconds": 65, "service_level": 0.0}),
    (lambda q: q == "q-410100-aid", {"offered": 2, "answered": 0, "abandoned": 1, "short_abandoned": 1,
                                     "answer_rate": 0.0, "service_level": None, "service_level_inclusive": 0.0}),
], ids=["province", "zhengzhou-center", "province-consult-queue", "zhengzhou-aid-queue"])
def test_summary_matches_hand_computed_values(scope, expected):
    records = [s for c in DAY_CALLS if (s := scoped(c, scope) if c["queues"] else c) is not None]
    got = summarize(records, WINDOW, PARAMS, acw=acw_by_call(EVENTS, WINDOW), qa_checked=QA_CHECKED)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value), key


def test_short_abandon_threshold_is_a_parameter():
    wider = call_counts(DAY_CALLS, MetricParams(short_abandon_seconds=60))
    assert (wider["short_abandoned"], wider["abandoned"], wider["answer_rate"]) == (2, 0, pytest.approx(4 / 5))


def test_service_level_boundary_is_inclusive():
    assert call_counts(DAY_CALLS, MetricParams(service_level_seconds=19.999))["answered_within_sl"] == 1
    assert call_counts(DAY_CALLS, MetricParams(service_level_seconds=30))["answered_within_sl"] == 3


def test_empty_group_has_no_rates_rather_than_zero():
    got = summarize([], WINDOW, PARAMS)
    assert got["offered"] == 0 and got["answer_rate"] is None and got["asa_seconds"] is None


def test_seat_time_is_clipped_to_the_window_and_occupancy_is_busy_over_staffed():
    times = seat_times(EVENTS, WINDOW)
    # 1001: 08:00–09:00 staffed, 110 s on call + 30 s wrap-up; 1002: 00:00–01:00 (signed in the day before)
    assert times["staffed_seconds"] == 7200
    assert times["state_seconds"]["on_call"] == 110 and times["acw_seconds"] == 30
    assert times["occupancy"] == pytest.approx(140 / 7200)


def test_open_interval_ends_at_now_not_at_window_end():
    now = at("08:30:00")
    events = EVENTS[:4]  # 1001 still available at `now`
    times = seat_times(events, Window(DAY, DAY + timedelta(days=1), now))
    assert times["staffed_seconds"] == 30 * 60


def test_acw_is_attributed_to_the_call_before_it():
    assert acw_by_call(EVENTS, WINDOW) == {"c-A001": 30.0}


def test_scoped_call_outside_the_scope_is_none():
    assert scoped(CALLS[0], lambda q: q.startswith("q-410300")) is None


def test_a_revisit_score_rates_a_call_without_a_survey_answer():
    merged = with_revisit_scores(DAY_CALLS, {"c-E005": 5, "c-A001": 1})  # A already answered the survey (5)
    got = satisfaction_of(merged)
    assert (got["surveys"], got["satisfied"], got["satisfaction_rate"]) == (3, 2, pytest.approx(2 / 3))


def satisfaction_of(records):
    from supervisor.metrics import satisfaction

    return satisfaction(records, PARAMS)
