"""IVR tables: every step of a caller's path, survey answers, callback requests, 留言."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


class _CallerRow:
    """Columns of a row a caller left through the IVR: the call, the caller's number, and when."""

    # sort_order keeps the table's column order: these first, `at` last, the table's own columns between
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    linkedid: Mapped[str] = mapped_column(String(64), index=True, sort_order=-1)
    uniqueid: Mapped[str] = mapped_column(String(64), sort_order=-1)
    caller_number: Mapped[str] = mapped_column(String(32), default="", sort_order=-1)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True, sort_order=1)


class IvrStep(Base):
    """One step of a caller's path through the IVR (a prompt, a key, a timeout, a hand-off, a hang-up)."""

    __tablename__ = "ivr_steps"
    __table_args__ = (Index("ix_ivr_steps_call", "linkedid", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str] = mapped_column(String(64))
    script: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    node: Mapped[str] = mapped_column(String(48))
    digits: Mapped[str] = mapped_column(String(32), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SurveyResult(_CallerRow, Base):
    """A post-call satisfaction answer (1–5); `unsatisfied` marks the call 不满意 for a 回访."""

    __tablename__ = "survey_results"

    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unsatisfied: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class CallbackRequest(_CallerRow, Base):
    """A caller asked to be called back (预约回电) instead of waiting."""

    __tablename__ = "ivr_callback_requests"

    number: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)


class VoiceMessage(_CallerRow, Base):
    """A 留言 recorded by the IVR."""

    __tablename__ = "ivr_voicemails"

    path: Mapped[str] = mapped_column(String(255))
    seconds: Mapped[float] = mapped_column(default=0.0)
    ended_by: Mapped[str] = mapped_column(String(16), default="")
    skill: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
