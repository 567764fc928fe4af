"""Seat tables: who is signed in where (current state), every status change, queue membership, roster."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


class SeatSession(Base):
    """The current state of one seat (one row per extension; `status=offline` when nobody is signed in)."""

    __tablename__ = "seat_sessions"

    extension: Mapped[str] = mapped_column(String(8), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    center_code: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16), default="offline")
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acw_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    pending_pause: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # which console holds the seat: a second browser is refused unless it takes over explicitly
    console_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    device: Mapped[str] = mapped_column(String(16), default="unknown")
    # the call ringing or up (channels, caller, queue) so call controls survive a restart
    call: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SeatEvent(Base):
    """One status change of one seat: the statistics compute login, pause, wrap-up and talk time from these."""

    __tablename__ = "seat_events"
    __table_args__ = (Index("ix_seat_events_extension_at", "extension", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extension: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    center_code: Mapped[str] = mapped_column(String(6))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SeatMembership(Base):
    """A queue the seat was added to (what the database believes; reconciled with QueueStatus at resync)."""

    __tablename__ = "seat_memberships"
    __table_args__ = (UniqueConstraint("queue", "interface", name="uq_seat_memberships_queue_interface"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    extension: Mapped[str] = mapped_column(String(8), index=True)
    queue: Mapped[str] = mapped_column(String(64))
    interface: Mapped[str] = mapped_column(String(64))
    penalty: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DutyShift(Base):
    """A roster entry (排班): an operator on a seat for a time span, set by a supervisor or admin."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_span", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    extension: Mapped[str] = mapped_column(String(8))
    center_code: Mapped[str] = mapped_column(String(6), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), default="day")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
