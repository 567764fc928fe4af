"""Seed stored calls with transcripts directly through the store (for search, API and access tests)."""
from __future__ import annotations

from datetime import datetime, timezone

from recordings import jobs
from recordings.ingest import ingest_call
from recordings.models import RecordedCall
from recordings.store import store_transcript
from tests.recordings.audio_kit import silent_wav

T0 = datetime(2026, 11, 28, 10, tzinfo=timezone.utc)


def words(text: str, start: float, step: float = 0.4) -> list[dict]:
    """Space-separated words laid out `step` seconds apart from `start`."""
    return [{"word": t, "start": round(start + i * step, 2), "end": round(start + (i + 1) * step, 2), "conf": 1.0}
            for i, t in enumerate(text.split())]


async def seed_call(kernel, linkedid: str, *, seat: str, center: str, caller: list[list[dict]],
                    seat_said: list[list[dict]], seconds: float = 2.0) -> None:
    """A recorded call (files on disk, owner row) with both legs transcribed as given."""
    root = kernel.settings.recordings_dir
    for leg in ("mix", "in", "out"):
        silent_wav(root / "2026/11/28" / f"{linkedid}-{leg}.wav", seconds)
    async with kernel.sessions() as s:
        s.add(RecordedCall(linkedid=linkedid, seat_extension=seat, center_code=center, queue=f"q-{center}-consult",
                           answered_at=T0))
        await s.commit()
        await ingest_call(s, root, linkedid, T0)
        for _ in range(2):
            job = await jobs.claim(s, "seed", T0, 30)
            await store_transcript(s, job, "seed", caller if job.leg == "in" else seat_said, "test-model", T0)
