"""回访 decisions: calling windows and holidays, retry spacing, order of queue callbacks, seat use."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from integrations.callback_policy import TaskView, choose, next_window, outcome_of, retry_at

UTC = timezone.utc
# Tuesday 2026-11-24 10:00 Asia/Shanghai.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_inside_hours_the_window_is_now(directory):
    assert next_window(NOW, directory) == NOW


def test_at_lunch_the_window_opens_at_13_00(directory):
    lunch = datetime(2026, 11, 24, 4, 30, tzinfo=UTC)  # 12:30 local
    assert next_window(lunch, directory) == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def test_in_the_evening_the_window_is_next_morning(directory):
    evening = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 20:00 local
    assert next_window(evening, directory) == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def test_national_day_is_skipped_and_the_adjusted_saturday_uses_weekday_hours(directory):
    holiday = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    assert next_window(holiday, directory) == datetime(2026, 10, 8, 0, 30, tzinfo=UTC)
    saturday = datetime(2026, 10, 10, 0, 0, tzinfo=UTC)  # 08:00 local on the 调休 Saturday
    assert next_window(saturday, directory) == datetime(2026, 10, 10, 0, 30, tzinfo=UTC)


def test_retries_are_spaced_and_land_in_calling_hours(directory):
    assert retry_at(1, NOW, directory) == NOW + timedelta(minutes=10)
    assert retry_at(2, NOW, directory) == NOW + timedelta(minutes=30)
    late = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 17:30 local + 2 h → next morning
    assert retry_at(3, late, directory) == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def test_originate_reasons_map_to_outcomes():
    assert [outcome_of(r) for r in ("0", "1", "3", "5", "8", "42")] == [
        "failed", "hangup", "no_answer", "busy", "congestion", "failed"]
    assert outcome_of("4", "Success") == "answered"


def _task(i, reason="queue", queue="q-410100-consult", joined=0, seat=None, mode="seat", due=0):
    return TaskView(i, reason, mode, queue if reason == "queue" else None, NOW + timedelta(seconds=joined),
                    NOW + timedelta(seconds=due), seat, NOW + timedelta(seconds=i))


def test_a_queue_callback_waits_while_someone_who_joined_earlier_still_waits():
    tasks = [_task(1, joined=-60)]
    waiting = {"q-410100-consult": [NOW - timedelta(seconds=120)]}
    idle = {"q-410100-consult": ["1001"]}
    assert choose(tasks, NOW, waiting=waiting, idle=idle, busy_seats=set(), limit=5) == []
    # Someone who joined later than the callback does not hold it back.
    waiting = {"q-410100-consult": [NOW - timedelta(seconds=30)]}
    assert [d.task_id for d in choose(tasks, NOW, waiting=waiting, idle=idle, busy_seats=set(), limit=5)] == [1]


def test_queue_callbacks_go_in_the_order_callers_joined_each_to_its_own_idle_seat():
    tasks = [_task(1, joined=-10), _task(2, joined=-50), _task(3, joined=-30)]
    idle = {"q-410100-consult": ["1001", "1002"]}
    picks = choose(tasks, NOW, waiting={}, idle=idle, busy_seats=set(), limit=5)
    assert [(d.task_id, d.seat) for d in picks] == [(2, "1001"), (3, "1002")]


def test_no_idle_member_means_no_queue_callback():
    picks = choose([_task(1)], NOW, waiting={}, idle={"q-410100-consult": []}, busy_seats=set(), limit=5)
    assert picks == []


def test_unsatisfied_goes_before_routine_revisits_and_ivr_first_needs_no_seat():
    tasks = [_task(1, reason="closed", mode="ivr"), _task(2, reason="unsatisfied", seat="1001")]
    picks = choose(tasks, NOW, waiting={}, idle={}, busy_seats=set(), limit=5)
    assert [(d.task_id, d.seat) for d in picks] == [(2, "1001"), (1, None)]


def test_a_busy_seat_is_not_rung_and_tasks_not_yet_due_wait():
    tasks = [_task(1, reason="unsatisfied", seat="1001"), _task(2, reason="unsatisfied", seat="1002", due=60)]
    assert choose(tasks, NOW, waiting={}, idle={}, busy_seats={"1001"}, limit=5) == []
    idle = {"q-410100-consult": ["1003"]}
    picks = choose(tasks, NOW, waiting={}, idle=idle, busy_seats={"1001"}, limit=5)
    assert [(d.task_id, d.seat) for d in picks] == [(1, "1003")]
