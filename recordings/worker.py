"""One transcription worker process: loads the model once, then claims, decodes and stores jobs."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from recordings import jobs
from recordings.audio import BadAudioError, inspect_wav, sha256_file
from recordings.paths import UnsafePathError, resolve_inside
from recordings.quality import RuleSet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker process needs (picklable: workers are spawned)."""

    database_url: str
    model_path: str
    recordings_dir: str
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    exit_when_idle: bool = False
    name: str = "w"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def check_job_file(root: Path, job: jobs.ClaimedJob) -> Path:
    """The job's file, refused if outside the store, changed since ingest, or not usable audio."""
    if job.recording_status != "ok":
        raise BadAudioError(job.recording_error or f"录音状态为 {job.recording_status}")
    path = resolve_inside(root, job.relpath)
    if not path.is_file():
        raise BadAudioError(f"录音文件不存在 (file missing): {job.relpath}")
    inspect_wav(path)
    if sha256_file(path) != job.sha256:
        raise BadAudioError(f"录音文件校验值不符 (sha256 changed since ingest): {job.relpath}")
    return path


async def _keep_lease(sessions, job: jobs.ClaimedJob, owner: str, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        async with sessions() as s:
            if not await jobs.renew(s, job.job_id, owner, _now(), lease):
                log.warning("lease of job %s lost", job.job_id)
                return


async def process_job(engine, sessions, cfg: WorkerConfig, owner: str, job: jobs.ClaimedJob,
                      rules: RuleSet) -> dict[str, Any]:
    """Decode and store one claimed job; bad input fails the job with the reason (not retried)."""
    from recordings.store import score_if_complete, store_transcript

    started, cpu_started = time.time(), time.process_time()
    outcome = {"job_id": job.job_id, "recording_id": job.recording_id, "linkedid": job.linkedid, "leg": job.leg,
               "attempt": job.attempt, "worker": owner, "started": started}
    try:
        path = check_job_file(Path(cfg.recordings_dir), job)
    except (BadAudioError, UnsafePathError, OSError) as exc:
        async with sessions() as s:
            await jobs.finish(s, job.job_id, owner, _now(), error=str(exc))
            await s.commit()
        return {**outcome, "state": "failed", "error": str(exc)}
    keeper = asyncio.create_task(_keep_lease(sessions, job, owner, cfg.lease_seconds))
    decode_started = time.time()
    try:
        utterances = await asyncio.to_thread(engine.transcribe, path)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
    decoded = time.time()
    words = [[asdict(w) for w in u.words] for u in utterances]
    async with sessions() as s:
        written = await store_transcript(s, job, owner, words, engine.name, _now())
    async with sessions() as s:
        scored = await score_if_complete(s, job.linkedid, rules, _now())
    finished = time.time()
    # where a job's time goes: checking the file, decoding, storing and scoring (seconds)
    phases = {"check": round(decode_started - started, 4), "decode": round(decoded - decode_started, 4),
              "store": round(finished - decoded, 4)}
    return {**outcome, "state": "done", "written": written, "words": sum(len(u) for u in words),
            "scored": scored.score if scored is not None else None, "finished": finished, "phases": phases,
            "cpu_seconds": round(time.process_time() - cpu_started, 4)}  # the worker's CPU (all its threads)


async def _fail(sessions, owner: str, job: jobs.ClaimedJob, reason: str) -> dict[str, Any]:
    async with sessions() as s:
        await jobs.finish(s, job.job_id, owner, _now(), error=reason)
        await s.commit()
    return {"job_id": job.job_id, "recording_id": job.recording_id, "linkedid": job.linkedid, "leg": job.leg,
            "attempt": job.attempt, "worker": owner, "state": "failed", "error": reason}


async def run(cfg: WorkerConfig, results=None, stop=None, loaded=None) -> int:
    """Claim and process jobs until `stop` is set (or the queue is empty with exit_when_idle); `loaded` is set
    once the model is in memory."""
    from hotline.db import make_engine, make_sessionmaker
    from recordings.asr import VoskEngine

    engine = VoskEngine(Path(cfg.model_path))
    if loaded is not None:
        loaded.set()
    db = make_engine(cfg.database_url)
    sessions = make_sessionmaker(db)
    owner = f"{cfg.name}@{socket.gethostname()}:{os.getpid()}"
    rules, done = RuleSet(), 0
    try:
        while stop is None or not stop.is_set():
            async with sessions() as s:
                await jobs.reap(s, _now())
                job = await jobs.claim(s, owner, _now(), cfg.lease_seconds)
            if job is None:
                if cfg.exit_when_idle:
                    break
                await asyncio.sleep(cfg.poll_seconds)
                continue
            try:
                outcome = await process_job(engine, sessions, cfg, owner, job, rules)
            except Exception as exc:  # noqa: BLE001 - a decoder or store error fails this job, not the worker
                log.exception("job %s failed", job.job_id)
                outcome = await _fail(sessions, owner, job, f"{exc.__class__.__name__}: {exc}")
            done += 1
            if results is not None:
                results.put(outcome)
    finally:
        await db.dispose()
    return done


def main(cfg: WorkerConfig, results=None, stop=None, loaded=None) -> None:
    """Process entry point (multiprocessing target)."""
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run(cfg, results, stop, loaded))
