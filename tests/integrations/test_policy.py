"""Ticket rules: status moves, hand-offs, 限时办结 in working days, overdue selection."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from integrations.policy import OverdueView, TicketRuleError, check_handoff, check_move, due_at, overdue

UTC = timezone.utc


@pytest.mark.parametrize("current,target", [
    ("accepted", "processing"), ("accepted", "closed"), ("processing", "closed"),
    ("closed", "revisited"), ("closed", "processing"),
])
def test_allowed_moves_pass(current, target):
    check_move(current, target)


@pytest.mark.parametrize("current,target", [
    ("accepted", "revisited"), ("processing", "accepted"), ("revisited", "processing"),
    ("closed", "accepted"), ("accepted", "archived"),
])
def test_forbidden_moves_are_refused_with_a_reason(current, target):
    with pytest.raises(TicketRuleError, match="status|状态"):
        check_move(current, target)


def test_handoff_only_from_open_tickets_and_known_units():
    check_handoff("accepted", "legal_aid")
    with pytest.raises(TicketRuleError):
        check_handoff("closed", "mediation")
    with pytest.raises(TicketRuleError, match="unknown hand-off unit"):
        check_handoff("accepted", "police")


def test_weekends_and_holidays_are_not_business_days_but_adjusted_weekends_are(directory):
    assert directory.is_business_day(date(2026, 11, 24))          # Tuesday
    assert not directory.is_business_day(date(2026, 11, 28))      # Saturday
    assert not directory.is_business_day(date(2026, 10, 5))       # 国庆节 Monday
    assert directory.is_business_day(date(2026, 10, 10))          # 调休 Saturday


def test_due_date_counts_working_days_after_acceptance_day(directory):
    # Tuesday 10:00 local + 3 working days → end of Friday local (= Friday 16:00 UTC).
    created = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert due_at(created, 3, directory) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_due_date_skips_the_weekend(directory):
    # Thursday + 3 working days → Fri, Mon, Tue.
    created = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert due_at(created, 3, directory) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def test_due_date_skips_national_day_and_counts_the_adjusted_saturday(directory):
    # Accepted Wed 2026-09-30: closed 10-01..10-07, Thu 10-08, Fri 10-09, Sat 10-10 (调休) → 3rd day 10-10.
    created = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    assert due_at(created, 3, directory) == datetime(2026, 10, 10, 16, 0, tzinfo=UTC)


def test_acceptance_late_in_the_local_evening_counts_from_the_local_day(directory):
    # 2026-11-24 23:30 Shanghai is still 11-24 15:30 UTC; a UTC-date computation would agree, but
    # 2026-11-24 00:30 Shanghai is 11-23 16:30 UTC (Monday in UTC): the local day must be used.
    created = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    assert due_at(created, 1, directory) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def test_overdue_lists_open_unalerted_tickets_past_due_only():
    now = datetime(2026, 11, 30, tzinfo=UTC)
    past, future = datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    views = [OverdueView(1, "accepted", past, False), OverdueView(2, "processing", past, False),
             OverdueView(3, "closed", past, False), OverdueView(4, "accepted", future, False),
             OverdueView(5, "accepted", past, True)]
    assert overdue(views, now) == [1, 2]
