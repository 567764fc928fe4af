"""Reading what reports need from the database: call records, seat events, quality-checked calls."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from supervisor.metrics import Window

REACH_DAYS = 7  # an abandoned call counts as reached when the citizen got through within a week
# what the metrics read: legs, rings and routing details stay in the database (a year of calls must fit)
RECORD_FIELDS = ("linkedid", "direction", "caller_number", "prefecture_code", "skill", "queues", "first_queue",
                 "last_queue", "offered_at", "answered_at", "wait_seconds", "talk_seconds", "hold_seconds",
                 "seat_extension", "outcome", "abandoned_in", "overflowed", "survey_score")


async def load_records(session: AsyncSession, window: Window, *, reach_days: int = REACH_DAYS) -> list[dict]:
    """Call records offered in the window, plus the following days' (to see who was reached later)."""
    from routing.models import CallRecord

    columns = [getattr(CallRecord, name) for name in RECORD_FIELDS]
    stmt = select(*columns).where(CallRecord.offered_at >= window.start,
                                  CallRecord.offered_at < window.end + timedelta(days=reach_days))
    return [dict(zip(RECORD_FIELDS, row)) for row in await session.execute(stmt.order_by(CallRecord.offered_at))]


async def load_events(session: AsyncSession, window: Window) -> list[dict]:
    """Seat events of the window, and each seat's last event before it (its state when the window opened)."""
    from seats.models import SeatEvent

    last = (select(SeatEvent.extension, func.max(SeatEvent.at).label("at"))
            .where(SeatEvent.at < window.start).group_by(SeatEvent.extension).subquery())
    before = select(SeatEvent).join(last, and_(SeatEvent.extension == last.c.extension, SeatEvent.at == last.c.at))
    inside = select(SeatEvent).where(SeatEvent.at >= window.start, SeatEvent.at < window.end)
    rows = list(await session.scalars(before)) + list(await session.scalars(inside))
    return [{"extension": e.extension, "center_code": e.center_code, "from_state": e.from_state,
             "to_state": e.to_state, "reason": e.reason, "linkedid": e.linkedid, "at": e.at, "id": e.id}
            for e in sorted(rows, key=lambda e: (e.at, e.id))]


async def load_qa_checked(session: AsyncSession, linkedids: list[str]) -> frozenset[str]:
    """The calls among `linkedids` that have a quality check (质检)."""
    from recordings.models import QualityScore

    found: set[str] = set()
    for i in range(0, len(linkedids), 500):
        chunk = linkedids[i:i + 500]
        found.update(await session.scalars(select(QualityScore.linkedid).where(QualityScore.linkedid.in_(chunk))))
    return frozenset(found)


async def load_revisit_scores(session: AsyncSession, linkedids: list[str]) -> dict[str, int]:
    """回访 satisfaction (1–5) recorded on the tickets of these calls, by Linkedid."""
    from integrations.models import Ticket

    out: dict[str, int] = {}
    for i in range(0, len(linkedids), 500):
        rows = await session.execute(select(Ticket.linkedid, Ticket.satisfaction).where(
            Ticket.linkedid.in_(linkedids[i:i + 500]), Ticket.satisfaction.is_not(None)))
        out.update({lid: int(score) for lid, score in rows})
    return out
