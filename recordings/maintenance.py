"""Integrity check and retention purge of stored recordings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import audit
from recordings.audio import sha256_file
from recordings.models import Recording, Transcript
from recordings.paths import UnsafePathError, resolve_inside


@dataclass(frozen=True)
class Problem:
    """A stored recording whose file does not match what ingest recorded."""

    recording_id: int
    relpath: str
    problem: str


def file_problem(root: Path, rec: Recording) -> str | None:
    """Why the file of `rec` is not intact, or None if it is."""
    try:
        path = resolve_inside(root, rec.relpath)
    except UnsafePathError as exc:
        return str(exc)
    if not path.is_file():
        return "文件缺失 (missing)"
    size = path.stat().st_size
    if size != rec.size_bytes:
        return f"大小不符 (size {size} ≠ {rec.size_bytes})"
    if sha256_file(path) != rec.sha256:
        return "校验值不符 (sha256 mismatch)"
    return None


async def verify(session: AsyncSession, root: Path) -> tuple[int, list[Problem]]:
    """Check every kept recording against its stored size and sha256: (files checked, problems)."""
    recs = list(await session.scalars(select(Recording).where(Recording.status != "purged").order_by(Recording.id)))
    problems = [Problem(r.id, r.relpath, p) for r in recs if (p := file_problem(root, r))]
    return len(recs), problems


def retention_cutoff(now: datetime, retention_days: int) -> datetime:
    """Recordings from days before this are past retention."""
    return (now - timedelta(days=retention_days)).replace(hour=0, minute=0, second=0, microsecond=0)


async def purge(session: AsyncSession, root: Path, now: datetime, retention_days: int, *, actor: str,
                dry_run: bool = False) -> list[str]:
    """Delete audio and transcripts of recordings past retention; each deletion is audited."""
    cutoff = retention_cutoff(now, retention_days)
    recs = list(await session.scalars(select(Recording).where(Recording.status != "purged",
                                                              Recording.recorded_on < cutoff)))
    if dry_run:
        return [r.relpath for r in recs]
    out = []
    for rec in recs:
        outcome, detail = "ok", {"relpath": rec.relpath, "sha256": rec.sha256, "retention_days": retention_days}
        try:
            resolve_inside(root, rec.relpath).unlink(missing_ok=True)
        except (UnsafePathError, OSError) as exc:
            outcome, detail["error"] = "error", str(exc)
        if outcome == "ok":
            rec.status, rec.purged_at = "purged", now
            await session.execute(delete(Transcript).where(Transcript.recording_id == rec.id))
            out.append(rec.relpath)
        audit(session, actor=actor, role="system", action="recording.purge", target_type="recording",
              target_id=rec.id, outcome=outcome, detail=detail)
        await session.commit()
    return out
