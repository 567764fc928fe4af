"""The component on the bus: call.connected → MixMonitor through routing.actions; call.ended → ingest."""
from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from recordings.component import RecordingsComponent
from recordings.models import RecordedCall, Recording, TranscriptionJob
from routing.results import AmiError
from routing.testing import FakeAmi
from tests.recordings.audio_kit import silent_wav

CONNECTED = {"linkedid": "1795901609.0", "uniqueid": "1795901609.0", "node": "node1", "queue": "q-410100-consult",
             "seat_extension": "1001", "caller_channel": "PJSIP/caller-00000000",
             "seat_channel": "PJSIP/seat1001-00000001", "caller_number": "13500003333", "waited_seconds": 2.0,
             "at": "2026-11-28T21:33:41.000000+00:00"}


async def _until(cond, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if await cond():
            return True
        await asyncio.sleep(0.05)
    return False


async def _call(kernel):
    async with kernel.sessions() as s:
        return await s.scalar(select(RecordedCall))


async def test_answered_call_gets_mixmonitor_with_both_legs_and_its_owner_is_kept(kernel):
    ami = FakeAmi()
    kernel.services["ami"] = ami
    comp = RecordingsComponent()
    await comp.start(kernel, {"engine"})
    try:
        kernel.bus.publish("call.connected", CONNECTED)
        kernel.bus.publish("call.connected", CONNECTED)  # repeated event: still one recording
        assert await _until(lambda: _call(kernel))
        await asyncio.sleep(0.2)
    finally:
        await comp.stop()
    root = kernel.settings.recordings_dir.resolve()
    [action] = ami.actions("MixMonitor")
    assert action["Channel"] == "PJSIP/caller-00000000"
    assert action["File"] == f"{root}/2026/11/28/1795901609.0-mix.wav"
    assert action["Options"] == f"r({root}/2026/11/28/1795901609.0-in.wav)t({root}/2026/11/28/1795901609.0-out.wav)"
    call = await _call(kernel)
    assert (call.seat_extension, call.center_code, call.monitor_error) == ("1001", "410100", "")


async def test_mixmonitor_failure_is_kept_on_the_call(kernel):
    ami = FakeAmi()
    ami.script("MixMonitor", AmiError("Could not start monitor"))
    kernel.services["ami"] = ami
    comp = RecordingsComponent()
    await comp.start(kernel, {"engine"})
    try:
        kernel.bus.publish("call.connected", CONNECTED)
        assert await _until(lambda: _has_error(kernel))
    finally:
        await comp.stop()
    assert "Could not start monitor" in (await _call(kernel)).monitor_error


async def _has_error(kernel):
    call = await _call(kernel)
    return call is not None and call.monitor_error


async def test_call_end_ingests_the_files_and_announces_them(kernel):
    kernel.settings.transcription_workers = 0  # ingest only: no model in this test
    ami = FakeAmi()
    kernel.services["ami"] = ami
    comp = RecordingsComponent(ingest_delay=0.0, scan_seconds=3600)
    ingested = kernel.bus.subscribe("recording.ingested")
    await comp.start(kernel, {"engine", "worker"})
    try:
        kernel.bus.publish("call.connected", CONNECTED)
        assert await _until(lambda: _call(kernel))
        opts = ami.actions("MixMonitor")[0]
        paths = [opts["File"], *re.findall(r"[rt]\(([^)]*)\)", opts["Options"])]
        for p in paths:  # what Asterisk writes
            silent_wav(__import__("pathlib").Path(p), 1.0)
        kernel.bus.publish("call.ended", {"linkedid": "1795901609.0", "outcome": "answered", "seat_extension": "1001",
                                          "at": "2026-11-28T21:33:55+00:00"})
        msg = await asyncio.wait_for(ingested.queue.get(), 10)
    finally:
        await comp.stop()
    assert msg.payload["linkedid"] == "1795901609.0"
    assert sorted(r["status"] for r in msg.payload["recordings"]) == ["ok", "ok", "ok"]
    async with kernel.sessions() as s:
        assert len(list(await s.scalars(select(Recording)))) == 3
        assert len(list(await s.scalars(select(TranscriptionJob)))) == 2
        assert (await s.scalar(select(RecordedCall))).ended_at is not None


async def test_worker_role_applies_the_retention_policy_by_itself(kernel):
    from datetime import timedelta

    from hotline.models import AuditLog
    from tests.recordings.seed import T0, seed_call, words

    kernel.settings.transcription_workers = 0
    await seed_call(kernel, "1795000000.1", seat="1001", center="410100", caller=[words("离婚", 0.5)], seat_said=[])
    async with kernel.sessions() as s:  # make the call older than the retention period
        from sqlalchemy import update

        await s.execute(update(Recording).values(recorded_on=T0 - timedelta(days=400)))
        await s.commit()
    comp = RecordingsComponent(scan_seconds=3600)
    await comp.start(kernel, {"worker"})
    try:
        async def purged():
            async with kernel.sessions() as s:
                return {r.status for r in await s.scalars(select(Recording))} == {"purged"}
        assert await _until(purged)
    finally:
        await comp.stop()
    async with kernel.sessions() as s:
        actors = set(await s.scalars(select(AuditLog.actor).where(AuditLog.action == "recording.purge")))
    assert actors == {"retention-policy"}


async def test_missing_speech_model_leaves_the_worker_degraded_but_ready_and_still_listening_for_calls(kernel, tmp_path):
    kernel.settings.vosk_model_path = tmp_path / "no-such-model"
    kernel.settings.transcription_workers = 1
    comp = RecordingsComponent(scan_seconds=3600, ingest_delay=0)
    await comp.start(kernel, {"worker"})
    try:
        answer = await comp.ready()
        assert answer.startswith("degraded: ") and str(tmp_path / "no-such-model") in answer
        assert comp.pool is None and any(t.get_name() == "recordings-call.ended" for t in comp._tasks)
    finally:
        await comp.stop()
