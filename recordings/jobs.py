"""The durable transcription queue: jobs in the database, held by workers under an expiring lease.

A job is claimed with a conditional UPDATE (only one claimer wins, on SQLite and PostgreSQL alike); a
worker that dies stops renewing its lease, so the job becomes claimable again and is retried up to
`max_attempts`. The transcript write itself is unique per recording, so a retry can never duplicate it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recordings.models import Recording, TranscriptionJob


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds: what to transcribe."""

    job_id: int
    recording_id: int
    attempt: int
    linkedid: str
    leg: str
    relpath: str
    sha256: str
    recording_status: str
    recording_error: str


def _claimable(now: datetime):
    job = TranscriptionJob
    return and_(job.attempts < job.max_attempts, or_(
        job.state == "queued", and_(job.state == "running", job.lease_expires_at < now)))


async def enqueue(session: AsyncSession, recording_id: int, *, failed_reason: str | None = None,
                  max_attempts: int = 3) -> TranscriptionJob:
    """Queue a job for `recording_id` (idempotent); a known-bad recording gets a failed job with the reason."""
    job = await session.scalar(select(TranscriptionJob).where(TranscriptionJob.recording_id == recording_id))
    if job is None:
        job = TranscriptionJob(recording_id=recording_id, max_attempts=max_attempts,
                               state="failed" if failed_reason else "queued", error=failed_reason or "")
        session.add(job)
        await session.flush()
    return job


async def claim(session: AsyncSession, owner: str, now: datetime, lease_seconds: float) -> ClaimedJob | None:
    """Take the oldest claimable job under a lease for `owner`, or None if there is none."""
    for _ in range(5):  # lose a race → try the next candidate
        job_id = await session.scalar(select(TranscriptionJob.id).where(_claimable(now))
                                      .order_by(TranscriptionJob.id).limit(1))
        if job_id is None:
            return None
        res = await session.execute(
            update(TranscriptionJob).where(TranscriptionJob.id == job_id, _claimable(now)).values(
                state="running", lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=TranscriptionJob.attempts + 1).execution_options(synchronize_session=False))
        await session.commit()
        if res.rowcount == 1:
            row = (await session.execute(
                select(TranscriptionJob, Recording).join(Recording, Recording.id == TranscriptionJob.recording_id)
                .where(TranscriptionJob.id == job_id))).one()
            job, rec = row
            return ClaimedJob(job.id, rec.id, job.attempts, rec.linkedid, rec.leg, rec.relpath, rec.sha256,
                              rec.status, rec.error)
    return None


async def renew(session: AsyncSession, job_id: int, owner: str, now: datetime, lease_seconds: float) -> bool:
    """Extend the lease; False if the job is no longer ours (it expired and was taken over)."""
    res = await session.execute(
        update(TranscriptionJob).where(TranscriptionJob.id == job_id, TranscriptionJob.lease_owner == owner,
                                       TranscriptionJob.state == "running")
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds)).execution_options(synchronize_session=False))
    await session.commit()
    return res.rowcount == 1


async def finish(session: AsyncSession, job_id: int, owner: str, now: datetime, *, error: str | None = None) -> bool:
    """Mark our job done (or failed with `error`, not retried) inside the caller's transaction."""
    res = await session.execute(
        update(TranscriptionJob).where(TranscriptionJob.id == job_id, TranscriptionJob.lease_owner == owner,
                                       TranscriptionJob.state == "running")
        .values(state="failed" if error else "done", error=error or "", finished_at=now, lease_expires_at=None)
        .execution_options(synchronize_session=False))
    return res.rowcount == 1


async def reap(session: AsyncSession, now: datetime) -> int:
    """Fail jobs whose worker died on every allowed attempt (so they stop looking 'running')."""
    job = TranscriptionJob
    res = await session.execute(
        update(job).where(job.state == "running", job.lease_expires_at < now, job.attempts >= job.max_attempts)
        .values(state="failed", error="转写进程多次中断 (worker died on every attempt)", finished_at=now,
                lease_expires_at=None).execution_options(synchronize_session=False))
    await session.commit()
    return res.rowcount


async def counts(session: AsyncSession) -> dict[str, int]:
    """Jobs per state (for readiness and the CLI)."""
    from sqlalchemy import func

    rows = await session.execute(select(TranscriptionJob.state, func.count()).group_by(TranscriptionJob.state))
    return {state: n for state, n in rows}
