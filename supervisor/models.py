"""Supervisor tables: the alarm log (each yellow/red threshold crossing, and when it cleared)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class AlarmLog(Base):
    """One alarm: a metric of one scope past its yellow or red threshold, from raised to cleared."""

    __tablename__ = "supervisor_alarms"
    __table_args__ = (Index("ix_supervisor_alarms_scope_raised", "scope", "raised_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # a queue name or a center code
    center_code: Mapped[str] = mapped_column(String(6), index=True)
    metric: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(8))  # yellow | red
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
