"""Tables: recorded calls, recording files, the transcription job queue, transcripts, quality scores."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime, utcnow


class RecordedCall(Base):
    """A call whose recording was started: who answered it, for which center (access control)."""

    __tablename__ = "recorded_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    seat_extension: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    center_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    queue: Mapped[str] = mapped_column(String(64), default="")
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    caller_channel: Mapped[str] = mapped_column(String(128), default="")
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    monitor_error: Mapped[str] = mapped_column(Text, default="")


class Recording(Base):
    """One stored WAV file (a leg or the mix) with its checksum."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("linkedid", "leg", name="uq_recordings_linkedid_leg"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[str] = mapped_column(String(8))
    relpath: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | invalid | purged
    error: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    sample_rate: Mapped[int] = mapped_column(Integer, default=0)
    recorded_on: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TranscriptionJob(Base):
    """A durable queue entry: one per recording leg; a worker holds it under a lease."""

    __tablename__ = "transcription_jobs"
    __table_args__ = (Index("ix_transcription_jobs_state_lease", "state", "lease_expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Transcript(Base):
    """The transcript of one leg: text, words with timestamps, speaker label. Unique per recording."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), unique=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    leg: Mapped[str] = mapped_column(String(8))
    speaker: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list] = mapped_column(JSON, default=list)
    model: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TranscriptSegment(Base):
    """One utterance of a transcript (the unit of search hits and jump-to-time playback)."""

    __tablename__ = "transcript_segments"
    __table_args__ = (
        Index("ix_transcript_segments_text_trgm", "text", postgresql_using="gin",
              postgresql_ops={"text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"), index=True)
    linkedid: Mapped[str] = mapped_column(String(64), index=True)
    speaker: Mapped[str] = mapped_column(String(8))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class QualityScore(Base):
    """质检 result of one call, and the supervisor's review when the call was sampled."""

    __tablename__ = "qa_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkedid: Mapped[str] = mapped_column(String(64), unique=True)
    seat_extension: Mapped[str | None] = mapped_column(String(8), nullable=True)
    center_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    rule_set: Mapped[str] = mapped_column(String(64), default="default")
    score: Mapped[int] = mapped_column(Integer)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    sampled: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    review_state: Mapped[str] = mapped_column(String(16), default="none")  # none | pending | reviewed
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    review_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
