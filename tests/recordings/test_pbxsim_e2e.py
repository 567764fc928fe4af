"""On pbxsim: a call answered by a seat is recorded by MixMonitor over AMI, ingested at hang-up,
transcribed by a worker process, searchable and scored."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from hotline.auth import Principal, Role
from pbxsim.parties import CallerScript, place_call
from recordings.component import RecordingsComponent
from recordings.models import QualityScore, RecordedCall, Recording, Transcript
from recordings.search import search
from tests.recordings.audio_kit import speech_wav
from tests.routing.test_pbxsim_e2e import Engine

pytestmark = pytest.mark.slow


async def _wait(kernel, query, timeout=240.0):
    for _ in range(int(timeout / 0.1)):
        async with kernel.sessions() as s:
            got = await query(s)
        if got:
            return got
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_call_on_pbxsim_is_recorded_transcribed_searchable_and_scored(lite_kernel, directory, tmp_path):
    kernel = lite_kernel
    engine = Engine(directory, tmp_path / "pbx")
    await engine.start(seat_answer=0.2)
    kernel.bus = engine.bus  # the routing engine's bus: call.connected / call.ended
    kernel.services["ami"] = engine.link
    kernel.settings.transcription_workers = 1
    comp = RecordingsComponent(ingest_delay=0.5, scan_seconds=3600)
    await comp.start(kernel, {"engine", "worker"})
    try:
        await engine.log_in("1001")
        voice = speech_wav(tmp_path / "caller.wav", "이혼 문제로 상담을 받고 싶습니다")
        place_call(engine.sim, CallerScript(number="13803710000", name="测试", talk_time=4.0, speech=str(voice)))
        score = await _wait(kernel, lambda s: s.scalar(select(QualityScore)))
        async with kernel.sessions() as s:
            call = await s.scalar(select(RecordedCall))
            recs = list(await s.scalars(select(Recording).order_by(Recording.leg)))
            legs = {t.leg: t for t in await s.scalars(select(Transcript))}
            words = [w["word"] for w in legs["in"].words]
            hits = await search(s, max(words, key=len), Principal("sup", Role.SUPERVISOR, "410100"))
    finally:
        await comp.stop()
        await engine.stop()
    assert (call.seat_extension, call.center_code, call.monitor_error) == ("1001", "410100", "")
    assert [(r.leg, r.status, r.sample_rate) for r in recs] == [("in", "ok", 8000), ("mix", "ok", 8000),
                                                                 ("out", "ok", 8000)]
    assert recs[0].duration_seconds > 3.0 and len({r.size_bytes for r in recs}) == 1
    assert legs["in"].speaker == "来电人" and legs["out"].speaker == "坐席" and words
    assert hits and hits[0].linkedid == call.linkedid and hits[0].speaker == "来电人"
    assert score.linkedid == call.linkedid and score.center_code == "410100"
    assert any(f["rule"] == "opening" for f in score.findings)  # the seat never said “您好，12348”
