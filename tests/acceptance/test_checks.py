"""The acceptance kit's own checks, run on every test run against a migrated database (no Asterisk)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from .checks import call_record, check_answered, recording_files, ticket_for_call

AT = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)


def _record(**kw):
    from routing.models import CallRecord

    values = dict(linkedid="1795900000.12", node="node1", direction="inbound", caller_number="13800138000",
                  queues=[{"queue": "q-410100-consult"}], offered_at=AT, answered_at=AT + timedelta(seconds=9),
                  ended_at=AT + timedelta(seconds=30), talk_seconds=20.0, seat_extension="1001",
                  outcome="answered", category="consult.labor")
    values.update(kw)
    return CallRecord(**values)


@pytest.fixture
async def sessions(db_url):
    engine = create_async_engine(db_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


async def test_checks_pass_on_an_answered_call_with_files_and_a_ticket(sessions, tmp_path, directory):
    linkedid = f"acc-{tmp_path.name[-8:]}"
    async with sessions() as s:
        s.add(_record(linkedid=linkedid))
        await s.commit()
    rec = await call_record(sessions, linkedid, timeout=1)
    check_answered(rec, seat="1001", queue="q-410100-consult", caller="13800138000", min_talk=4)
    folder = tmp_path / "2026/11/28"
    folder.mkdir(parents=True)
    for leg in ("mix", "in", "out"):
        (folder / f"{linkedid}-{leg}.wav").write_bytes(b"\0" * 1000)
    assert len(await recording_files(tmp_path, rec, timeout=1)) == 3
    ticket, outbox = await ticket_for_call(sessions, directory, rec, "1001")
    assert ticket.linkedid == linkedid and ticket.category_id == "consult.labor" and outbox


async def test_checks_name_what_is_wrong(sessions, tmp_path):
    with pytest.raises(AssertionError, match="call record of nope"):
        await call_record(sessions, "nope", timeout=0.1)
    rec = _record(outcome="abandoned", seat_extension=None, talk_seconds=None)
    with pytest.raises(AssertionError, match="outcome 'abandoned'.*answered by None.*talk time None"):
        check_answered(rec, seat="1001", queue="q-410100-consult", caller="13800138000", min_talk=4)
    with pytest.raises(AssertionError, match="MixMonitor files"):
        await recording_files(tmp_path, _record(), timeout=0.1)
