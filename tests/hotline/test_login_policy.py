"""The lock-out decision: plain data in, plain data out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hotline.login import lockout

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def ago(*seconds: int) -> list[datetime]:
    return [NOW - timedelta(seconds=s) for s in seconds]


def test_fewer_failures_than_the_limit_do_not_lock():
    assert lockout(ago(10, 20), NOW, 3, 300).locked is False


def test_reaching_the_limit_locks_until_the_oldest_counted_failure_leaves_the_window():
    state = lockout(ago(100, 50, 10), NOW, 3, 300)
    assert state.locked and state.failures == 3 and state.retry_after == 200


def test_failures_outside_the_window_are_ignored():
    assert lockout(ago(301, 400, 500, 10), NOW, 3, 300).failures == 1


def test_with_more_failures_than_the_limit_the_lock_lasts_until_enough_have_aged_out():
    # 5 failures, limit 3: unlocked when only 2 remain, i.e. when the 3rd newest (at -60 s) ages out.
    assert lockout(ago(250, 200, 60, 30, 10), NOW, 3, 300).retry_after == 240


def test_retry_after_is_never_zero_while_locked():
    assert lockout(ago(299.9999, 1, 1), NOW, 3, 300).retry_after >= 1
