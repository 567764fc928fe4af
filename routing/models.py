"""Call records: one row per call (Linkedid), complete enough for every supervisor statistic."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


class CallRecord(Base):
    """A finished call: legs, IVR path, queues visited, waits, seat, outcome and timestamps."""

    __tablename__ = "routing_call_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    linkedid: Mapped[str] = mapped_column(String(80), unique=True)
    node: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(16))  # inbound | callback
    caller_number: Mapped[str | None] = mapped_column(String(40), index=True)
    caller_name: Mapped[str | None] = mapped_column(String(80))
    did: Mapped[str | None] = mapped_column(String(20))
    prefecture_code: Mapped[str | None] = mapped_column(String(6), index=True)
    skill: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(60))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    green: Mapped[bool] = mapped_column(Boolean, default=False)
    ivr_path: Mapped[list] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_reason: Mapped[str | None] = mapped_column(String(60))
    handoff_ticket: Mapped[str | None] = mapped_column(String(60))
    queues: Mapped[list] = mapped_column(JSON, default=list)  # [{queue, joined_at, left_at, wait_seconds, result, …}]
    first_queue: Mapped[str | None] = mapped_column(String(60), index=True)
    last_queue: Mapped[str | None] = mapped_column(String(60))
    rings: Mapped[list] = mapped_column(JSON, default=list)
    legs: Mapped[list] = mapped_column(JSON, default=list)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    talk_seconds: Mapped[float | None] = mapped_column(Float)
    hold_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    seat_extension: Mapped[str | None] = mapped_column(String(8), index=True)
    seat_interface: Mapped[str | None] = mapped_column(String(60))
    seat_name: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    abandoned_in: Mapped[str | None] = mapped_column(String(12))
    short_abandon: Mapped[bool] = mapped_column(Boolean, default=False)
    overflowed: Mapped[bool] = mapped_column(Boolean, default=False)
    ring_no_answer: Mapped[int] = mapped_column(Integer, default=0)
    hangup_by: Mapped[str | None] = mapped_column(String(10))
    complete_reason: Mapped[str | None] = mapped_column(String(12))
    transfer: Mapped[dict | None] = mapped_column(JSON)
    originate_action_id: Mapped[str | None] = mapped_column(String(80))
    originate_reason: Mapped[str | None] = mapped_column(String(8))
    resynced: Mapped[bool] = mapped_column(Boolean, default=False)
    survey_score: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_routing_call_records_outcome_offered", "outcome", "offered_at"),)


RECORD_COLUMNS = frozenset(c.name for c in CallRecord.__table__.columns) - {"id", "created_at"}
