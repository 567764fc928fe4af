"""Ingest: register finished recording files (checksum, size, duration) and queue their legs for transcription."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from recordings import jobs
from recordings.audio import BadAudioError, inspect_wav, sha256_file
from recordings.models import Recording
from recordings.paths import LEGS, RecordingName, UnsafePathError, parse_relpath, resolve_inside

log = logging.getLogger(__name__)
TRANSCRIBED_LEGS = ("in", "out")  # the mix is kept for playback only


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file."""

    relpath: str
    status: str  # ok | invalid | known | refused
    recording_id: int | None = None
    error: str = ""


def _day(name: RecordingName) -> datetime:
    y, m, d = (int(p) for p in name.day.split("/"))
    return datetime(y, m, d, tzinfo=timezone.utc)


async def ingest_file(session: AsyncSession, root: Path, relpath: str) -> IngestResult:
    """Store one file's facts (idempotent by path); bad audio is stored as invalid and its job failed."""
    try:
        name = parse_relpath(relpath)
        path = resolve_inside(root, relpath)
    except UnsafePathError as exc:
        return IngestResult(relpath, "refused", error=str(exc))
    known = await session.scalar(select(Recording).where(Recording.relpath == name.relpath))
    if known is not None:
        return IngestResult(relpath, "known", known.id)
    rec = Recording(linkedid=name.linkedid, leg=name.leg, relpath=name.relpath, recorded_on=_day(name))
    try:
        info = inspect_wav(path)
        rec.sha256, rec.size_bytes, rec.sample_rate = info.sha256, info.size_bytes, info.sample_rate
        rec.duration_seconds = info.duration
    except (BadAudioError, OSError) as exc:
        rec.status, rec.error = "invalid", str(exc)
        if path.is_file():
            rec.sha256, rec.size_bytes = sha256_file(path), path.stat().st_size
    session.add(rec)
    await session.flush()
    if name.leg in TRANSCRIBED_LEGS:
        await jobs.enqueue(session, rec.id, failed_reason=rec.error or None)
    return IngestResult(relpath, rec.status, rec.id, rec.error)


async def ingest_committed(session: AsyncSession, root: Path, relpath: str) -> IngestResult:
    """`ingest_file` and commit; another process ingesting the same file first makes it `known`."""
    try:
        res = await ingest_file(session, root, relpath)
        await session.commit()
        return res
    except IntegrityError:
        # several worker hosts hear the same call.ended / scan the same share: the unique path decides
        await session.rollback()
        return IngestResult(relpath, "known")


async def ingest_call(session: AsyncSession, root: Path, linkedid: str, answered_at: datetime) -> list[IngestResult]:
    """Ingest the files of one call (those that exist), committing each."""
    from recordings.paths import recording_names

    out = []
    for name in recording_names(linkedid, answered_at).values():
        if resolve_inside(root, name.relpath).is_file():
            out.append(await ingest_committed(session, root, name.relpath))
    return out


def scan_candidates(root: Path, now: float, settle_seconds: float) -> list[str]:
    """Relative paths of recording files not modified for `settle_seconds` (MixMonitor is done with them)."""
    root = Path(root)
    if not root.is_dir():
        return []
    out = []
    for path in sorted(root.glob("[0-9]*/[0-9]*/[0-9]*/*.wav")):
        try:
            if now - path.lstat().st_mtime >= settle_seconds:
                out.append(path.relative_to(root).as_posix())
        except OSError:
            continue
    return out


async def scan(session: AsyncSession, root: Path, now: float, settle_seconds: float = 60.0) -> list[IngestResult]:
    """Catch files no call.ended ingested (engine restarts, lost events); commits per file."""
    known = set(await session.scalars(select(Recording.relpath)))
    out = []
    for relpath in scan_candidates(root, now, settle_seconds):
        if relpath in known:
            continue
        res = await ingest_committed(session, root, relpath)
        if res.status == "refused":
            log.warning("recording scan refused %s: %s", relpath, res.error)
        out.append(res)
    return out


__all__ = ["IngestResult", "LEGS", "ingest_call", "ingest_file", "scan", "scan_candidates"]
