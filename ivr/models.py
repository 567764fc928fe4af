"""IVR tables: every step of a caller's path, survey answers, callback requests, 留言."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


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


class SurveyResult(Base):
    """A post-call satisfaction answer (1–5); `unsatisfied` marks the call 不满意 for a 回访."""

    __tablename__ = "survey_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unsatisfied: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CallbackRequest(Base):
    """A caller asked to be called back (预约回电) instead of waiting."""

    __tablename__ = "ivr_callback_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    number: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class VoiceMessage(Base):
    """A 留言 recorded by the IVR."""

    __tablename__ = "ivr_voicemails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    uniqueid: Mapped[str] = mapped_column(String(64))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    path: Mapped[str] = mapped_column(String(255))
    seconds: Mapped[float] = mapped_column(default=0.0)
    ended_by: Mapped[str] = mapped_column(String(16), default="")
    skill: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
