"""Outbox decisions: batches keep per-ticket order, blocked heads hold their ticket, backoff spacing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from integrations.outbox import Row, backoff_delay, classify, ready_batches

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)


def _row(i, ticket, dest="platform", state="pending", wait=0.0, lease=None):
    return Row(i, dest, ticket, state, NOW + timedelta(seconds=wait), lease)


def test_ready_rows_are_batched_in_id_order_per_destination():
    rows = [_row(1, 10), _row(2, 11), _row(3, 10), _row(4, 10, "gov12345")]
    assert ready_batches(rows, NOW, batch_size=10, max_batches=2) == {"platform": [[1, 2, 3]], "gov12345": [[4]]}


def test_a_row_waiting_for_retry_blocks_later_changes_of_its_ticket_only():
    rows = [_row(1, 10, wait=5), _row(2, 11), _row(3, 10)]
    assert ready_batches(rows, NOW, batch_size=10, max_batches=2) == {"platform": [[2]]}


def test_dead_and_leased_rows_block_their_ticket():
    rows = [_row(1, 10, state="dead"), _row(2, 10), _row(3, 11, lease=NOW + timedelta(seconds=1)), _row(4, 11),
            _row(5, 12, lease=NOW - timedelta(seconds=1))]
    assert ready_batches(rows, NOW, batch_size=10, max_batches=2) == {"platform": [[5]]}


def test_one_tickets_rows_never_split_across_concurrent_batches():
    rows = [_row(1, 10), _row(2, 11), _row(3, 12), _row(4, 10), _row(5, 13), _row(6, 10)]
    plan = ready_batches(rows, NOW, batch_size=2, max_batches=3)
    # ticket 10 starts in batch 0 with ticket 11; batch 0 is full when its 2nd change comes, so it waits.
    assert plan == {"platform": [[1, 2], [3, 5]]}


def test_batches_are_capped():
    rows = [_row(i, i) for i in range(1, 8)]
    assert ready_batches(rows, NOW, batch_size=2, max_batches=2) == {"platform": [[1, 2], [3, 4]]}


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half():
    assert [backoff_delay(a, base=1, cap=10, rand=1.0) for a in (1, 2, 3, 4, 5, 6)] == [1, 2, 4, 8, 10, 10]
    assert backoff_delay(3, base=1, cap=10, rand=0.0) == 2
    assert 2 < backoff_delay(3, base=1, cap=10, rand=0.5) < 4


def test_receiver_answers_are_classified_per_key_and_missing_answers_retry():
    results = [{"idempotency_key": "a", "status": "accepted"}, {"idempotency_key": "b", "status": "duplicate"},
               {"idempotency_key": "c", "status": "out_of_order"}, {"idempotency_key": "d", "status": "invalid"}]
    assert classify(results, ["a", "b", "c", "d", "e"]) == {
        "a": "delivered", "b": "delivered", "c": "retry", "d": "dead", "e": "retry"}
