"""A call recorded → ingested → transcribed → searchable → scored, with a worker SIGKILLed mid-job."""
from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotline.auth import Principal, Role
from recordings.component import RecordingsComponent
from recordings.models import QualityScore, Transcript, TranscriptionJob
from recordings.search import search
from routing.testing import FakeAmi
from tests.recordings.audio_kit import call_files

pytestmark = pytest.mark.slow
LINKEDID = "1795902000.4"
CONNECTED = {"linkedid": LINKEDID, "uniqueid": LINKEDID, "node": "node1", "queue": "q-410100-consult",
             "seat_extension": "1001", "caller_channel": "PJSIP/caller-00000004",
             "seat_channel": "PJSIP/seat1001-00000005", "caller_number": "13500003333", "waited_seconds": 2.0,
             "at": "2026-11-28T21:40:00+00:00"}


async def _wait(kernel, query, timeout=180.0):
    for _ in range(int(timeout / 0.05)):
        async with kernel.sessions() as s:
            got = await query(s)
        if got:
            return got
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_recorded_call_is_transcribed_searchable_and_scored_once_despite_a_killed_worker(lite_kernel):
    kernel = lite_kernel
    kernel.settings.transcription_workers = 1
    ami = FakeAmi()
    kernel.services["ami"] = ami
    ready = kernel.bus.subscribe("transcript.ready")
    comp = RecordingsComponent(ingest_delay=0.0, scan_seconds=3600, lease_seconds=3.0)
    await comp.start(kernel, {"engine", "worker"})
    try:
        kernel.bus.publish("call.connected", CONNECTED)
        action = (await _wait_action(ami))
        mix = Path(action["File"])
        # what Asterisk's MixMonitor leaves on disk: the caller speaks, the seat answers
        files = call_files(mix.parent.parent.parent.parent, LINKEDID, day="/".join(mix.parent.parts[-3:]),
                           caller_text="안녕하세요 법률 상담 센터입니다 이혼 문제로 전화했습니다",
                           seat_text="네 말씀하세요")
        assert {str(files["in"]), str(files["out"])} == set(re.findall(r"[rt]\(([^)]*)\)", action["Options"]))
        kernel.bus.publish("call.ended", {"linkedid": LINKEDID, "outcome": "answered", "seat_extension": "1001",
                                          "at": "2026-11-28T21:40:20+00:00"})

        running = await _wait(kernel, lambda s: s.scalar(select(TranscriptionJob).where(TranscriptionJob.state == "running")))
        victim = int(running.lease_owner.rsplit(":", 1)[1])
        os.kill(victim, signal.SIGKILL)  # mid-decode: no transcript, lease left to expire

        await _wait(kernel, lambda s: s.scalar(select(QualityScore)))
        await asyncio.sleep(1.0)  # let any (wrong) second write or report surface
        async with kernel.sessions() as s:
            jobs = {j.id: j for j in await s.scalars(select(TranscriptionJob))}
            transcripts = list(await s.scalars(select(Transcript)))
            scores = await s.scalar(select(func.count()).select_from(QualityScore))
            words = [w["word"] for t in transcripts if t.leg == "in" for w in t.words]
            hits = await search(s, max(words, key=len), Principal("sup", Role.SUPERVISOR, "410100"))
        assert comp.pool.restarts >= 1
    finally:
        await comp.stop()
    assert {j.state for j in jobs.values()} == {"done"}
    assert jobs[running.id].attempts == 2
    assert sorted(t.leg for t in transcripts) == ["in", "out"] and scores == 1
    assert words and hits and hits[0].linkedid == LINKEDID and hits[0].speaker == "来电人"
    reports = []
    while not ready.queue.empty():
        reports.append(ready.queue.get_nowait().payload)
    assert sorted(r["leg"] for r in reports) == ["in", "out"]  # each leg reported once


async def _wait_action(ami, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if ami.actions("MixMonitor"):
            return ami.actions("MixMonitor")[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no MixMonitor sent")
