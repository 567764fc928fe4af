"""Database side of transcription results: write a leg's transcript once, score the call once."""
from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recordings import jobs
from recordings.models import QualityScore, RecordedCall, Recording, Transcript, TranscriptSegment
from recordings.paths import SPEAKERS
from recordings.quality import RuleSet, score_call, should_sample
from recordings.transcripts import Segment, leg_segments, leg_text, merge_timeline


async def store_transcript(session: AsyncSession, job: jobs.ClaimedJob, owner: str, utterances: list[list[dict]],
                           model: str, now: datetime) -> bool:
    """Write the transcript of `job`'s leg and close the job in one transaction; False if it already existed."""
    speaker = SPEAKERS[job.leg]
    segments = leg_segments(job.leg, speaker, utterances)
    transcript = Transcript(recording_id=job.recording_id, linkedid=job.linkedid, leg=job.leg, speaker=speaker,
                            text=leg_text(segments), words=[w for u in utterances for w in u], model=model)
    session.add(transcript)
    try:
        await session.flush()
    except IntegrityError:
        # Written by an earlier attempt whose lease ran out after the commit: keep that one.
        await session.rollback()
        await jobs.finish(session, job.job_id, owner, now)
        await session.commit()
        return False
    session.add_all(TranscriptSegment(transcript_id=transcript.id, linkedid=job.linkedid, speaker=speaker,
                                      start_s=s.start, end_s=s.end, text=s.text) for s in segments)
    await jobs.finish(session, job.job_id, owner, now)
    await session.commit()
    return True


async def call_timeline(session: AsyncSession, linkedid: str) -> tuple[list[Segment], dict[str, Transcript]]:
    """The merged timeline of a call from its stored leg transcripts."""
    rows = list(await session.scalars(select(Transcript).where(Transcript.linkedid == linkedid)))
    legs = {t.leg: t for t in rows}
    per_leg = []
    for t in rows:
        segs = await session.scalars(select(TranscriptSegment).where(TranscriptSegment.transcript_id == t.id)
                                     .order_by(TranscriptSegment.start_s))
        words = sorted(t.words, key=lambda w: w["start"])
        per_leg.append([Segment(t.speaker, t.leg, s.start_s, s.end_s, s.text,
                                [w for w in words if s.start_s <= w["start"] and w["end"] <= s.end_s]) for s in segs])
    return merge_timeline(*per_leg), legs


async def legs_pending(session: AsyncSession, linkedid: str) -> int:
    """Transcribable legs of the call that have no transcript and are not failed for good."""
    from recordings.models import TranscriptionJob

    return await session.scalar(
        select(func.count()).select_from(TranscriptionJob).join(Recording, Recording.id == TranscriptionJob.recording_id)
        .where(Recording.linkedid == linkedid, TranscriptionJob.state.in_(("queued", "running")))) or 0


async def score_if_complete(session: AsyncSession, linkedid: str, rules: RuleSet, now: datetime,
                            draw: float | None = None) -> QualityScore | None:
    """Score the call once every leg is transcribed (unique per call); None if legs remain or it was scored."""
    if await legs_pending(session, linkedid):
        return None
    if await session.scalar(select(QualityScore.id).where(QualityScore.linkedid == linkedid)):
        return None
    timeline, legs = await call_timeline(session, linkedid)
    if not legs:
        return None
    duration = max((r.duration_seconds for r in await session.scalars(
        select(Recording).where(Recording.linkedid == linkedid))), default=0.0)
    result = score_call(timeline, duration, rules)
    total = await session.scalar(select(func.count()).select_from(QualityScore)) or 0
    sampled = await session.scalar(select(func.count()).select_from(QualityScore).where(QualityScore.sampled)) or 0
    pick = should_sample(total, sampled, random.random() if draw is None else draw, failed=not result.passed)
    call = await session.scalar(select(RecordedCall).where(RecordedCall.linkedid == linkedid))
    row = QualityScore(linkedid=linkedid, seat_extension=call.seat_extension if call else None,
                       center_code=call.center_code if call else None, rule_set=rules.name, score=result.score,
                       findings=[f.__dict__ for f in result.findings], sampled=pick,
                       review_state="pending" if pick else "none", created_at=now)
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    return row
