"""The durable job queue on both backends: one claimer wins, expired leases are retried, writes are unique."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from recordings import jobs
from recordings.ingest import ingest_call, scan
from recordings.models import Recording, Transcript, TranscriptionJob
from recordings.store import store_transcript
from tests.recordings.audio_kit import silent_wav

T0 = datetime(2026, 11, 28, 10, tzinfo=timezone.utc)


def write_call(root, linkedid, day="2026/11/28", seconds=1.0):
    for leg in ("mix", "in", "out"):
        silent_wav(root / day / f"{linkedid}-{leg}.wav", seconds)


async def test_ingest_stores_checksum_and_queues_both_legs_once(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.1")
    async with kernel.sessions() as s:
        first = await ingest_call(s, root, "1795901609.1", T0)
        again = await ingest_call(s, root, "1795901609.1", T0)
        recs = list(await s.scalars(select(Recording).order_by(Recording.leg)))
        queued = await s.scalar(select(func.count()).select_from(TranscriptionJob))
    assert [r.status for r in first] == ["ok"] * 3 and [r.status for r in again] == ["known"] * 3
    assert [(r.leg, r.size_bytes, r.duration_seconds) for r in recs] == [("in", 16044, 1.0), ("mix", 16044, 1.0),
                                                                          ("out", 16044, 1.0)]
    assert all(len(r.sha256) == 64 for r in recs)
    assert queued == 2  # the legs; the mix is for playback


async def test_two_claimers_never_get_the_same_job(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.2")
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901609.2", T0)

    async def claimer(name):
        async with kernel.sessions() as s:
            return await jobs.claim(s, name, T0, 30)

    got = await asyncio.gather(*(claimer(f"w{i}") for i in range(4)))
    ids = [g.job_id for g in got if g]
    assert len(ids) == 2 and len(set(ids)) == 2


async def test_expired_lease_is_retried_with_the_attempt_counted(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.3")
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901609.3", T0)
        a = await jobs.claim(s, "dead", T0, 30)
        b = await jobs.claim(s, "other", T0, 30)
        assert await jobs.claim(s, "late", T0 + timedelta(seconds=10), 30) is None  # leases still held
        retry = await jobs.claim(s, "alive", T0 + timedelta(seconds=31), 30)
        assert not await jobs.renew(s, a.job_id, "dead", T0 + timedelta(seconds=32), 30)
    assert {retry.job_id} <= {a.job_id, b.job_id} and retry.attempt == 2


async def test_a_job_whose_worker_died_every_time_is_failed_with_the_reason(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.4")
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901609.4", T0)
        now = T0
        for _ in range(6):
            await jobs.claim(s, "crashy", now, 5)
            now += timedelta(seconds=6)
        assert await jobs.reap(s, now) == 2
        states = list(await s.scalars(select(TranscriptionJob)))
    assert {(j.state, j.attempts) for j in states} == {("failed", 3)}
    assert "worker died" in states[0].error


async def test_transcript_write_is_unique_per_leg_even_when_a_retry_finishes_too(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.5")
    words = [[{"word": "您好", "start": 0.1, "end": 0.4, "conf": 1.0}]]
    async with kernel.sessions() as s:
        await ingest_call(s, root, "1795901609.5", T0)
        slow = await jobs.claim(s, "slow", T0, 5)
        fast = await jobs.claim(s, "fast", T0, 600)  # the other leg, still held
        retry = await jobs.claim(s, "retry", T0 + timedelta(seconds=60), 30)  # slow's job, lease expired
        assert retry.job_id == slow.job_id and fast.job_id != slow.job_id
        assert await store_transcript(s, retry, "retry", words, "m", T0)
    async with kernel.sessions() as s:
        # the slow worker wakes up and tries to write the same leg: refused, nothing duplicated
        assert not await store_transcript(s, slow, "slow", words, "m", T0)
        n = await s.scalar(select(func.count()).select_from(Transcript).where(Transcript.recording_id == slow.recording_id))
        job = await s.get(TranscriptionJob, slow.job_id)
    assert n == 1 and job.state == "done"


async def test_bad_files_are_stored_invalid_with_failed_jobs_and_others_go_on(kernel):
    root = kernel.settings.recordings_dir
    day = root / "2026/11/28"
    write_call(root, "1795901609.6")
    day.joinpath("1795901609.7-in.wav").write_bytes(b"")
    silent_wav(day / "1795901609.7-out.wav", 1.0, rate=44100)
    day.joinpath("1795901609.8-in.wav").write_bytes(day.joinpath("1795901609.6-in.wav").read_bytes()[:-5])
    day.joinpath("1795901609.8-out.wav").symlink_to("/etc/hostname")
    async with kernel.sessions() as s:
        results = {r.relpath: r for r in await scan(s, root, now=T0.timestamp() + 1e9, settle_seconds=0)}
        failed = {j.recording_id: j.error for j in await s.scalars(
            select(TranscriptionJob).where(TranscriptionJob.state == "failed"))}
        queued = await s.scalar(select(func.count()).select_from(TranscriptionJob).where(TranscriptionJob.state == "queued"))
    assert "zero-length" in results["2026/11/28/1795901609.7-in.wav"].error
    assert "44100" in results["2026/11/28/1795901609.7-out.wav"].error
    assert "truncated" in results["2026/11/28/1795901609.8-in.wav"].error
    assert results["2026/11/28/1795901609.8-out.wav"].status == "refused"
    assert "outside" in results["2026/11/28/1795901609.8-out.wav"].error
    assert len(failed) == 3 and all(failed.values())
    assert queued == 2  # the good call goes on


async def test_scan_leaves_files_still_being_written(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.9")
    import time

    async with kernel.sessions() as s:
        assert await scan(s, root, now=time.time(), settle_seconds=600) == []
        assert len(await scan(s, root, now=time.time() + 601, settle_seconds=600)) == 3


async def test_two_hosts_ingesting_the_same_call_store_it_once(kernel):
    root = kernel.settings.recordings_dir
    write_call(root, "1795901609.10")

    async def host():
        async with kernel.sessions() as s:
            return await ingest_call(s, root, "1795901609.10", T0)

    a, b = await asyncio.gather(host(), host())
    async with kernel.sessions() as s:
        n = await s.scalar(select(func.count()).select_from(Recording))
        q = await s.scalar(select(func.count()).select_from(TranscriptionJob))
    assert (n, q) == (3, 2)
    assert sorted(r.status for r in a + b) == ["known"] * 3 + ["ok"] * 3
