"""MixMonitor recordings: real 8 kHz 16-bit mono WAVs built from the parties' speech."""
from __future__ import annotations

import array
import wave

from pbxsim.parties import SeatScript
from pbxsim.queues import QueueConfig
from pbxsim.recorder import read_pcm, start_recording, stop_recording
from pbxsim.speech import CALLER_LINES, SEAT_LINES, synthesize
from tests.pbxsim.conformance import run_scenario
from tests.conftest import TRACES
from tests.pbxsim.helpers import add, call, make_sim, named


def _params(path):
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()


def test_speech_is_synthesized_once_as_telephone_audio(tmp_path):
    first = synthesize(CALLER_LINES[0], tmp_path)
    mtime = first.stat().st_mtime_ns
    assert synthesize(CALLER_LINES[0], tmp_path) == first and first.stat().st_mtime_ns == mtime
    rate, channels, width, frames = _params(first)
    assert (rate, channels, width) == (8000, 1, 2) and frames > 8000


async def test_mixmonitor_writes_mix_and_legs_from_the_parties_speech(tmp_path):
    caller_wav = synthesize(CALLER_LINES[1], tmp_path / "speech")
    seat_wav = synthesize(SEAT_LINES[0], tmp_path / "speech")
    sim, seen = make_sim([QueueConfig("q")], {"seat1": SeatScript(answer_after=1, speech=str(seat_wav))})
    sim.config.recordings_dir = str(tmp_path / "rec")
    add(sim, "q", "seat1")
    chan = call(sim, "q", speech=str(caller_wav))
    await sim.sched.advance(3)
    start_recording(sim, chan, "2026/11/28/x-mix.wav", "r(2026/11/28/x-in.wav)t(2026/11/28/x-out.wav)")
    await sim.sched.advance(4)
    assert stop_recording(sim, chan)
    day = tmp_path / "rec" / "2026" / "11" / "28"
    files = {p.name: _params(p) for p in day.iterdir()}
    assert set(files) == {"x-mix.wav", "x-in.wav", "x-out.wav"}
    assert {v for v in files.values()} == {(8000, 1, 2, 32000)}
    rx, tx, mix = (read_pcm(day / n) for n in ("x-in.wav", "x-out.wav", "x-mix.wav"))
    caller = read_pcm(caller_wav)
    offset = round((3 - 0.0) * 8000)  # recording starts 3 s after the caller's channel
    assert rx[:100] == array.array("h", [caller[(offset + i) % len(caller)] for i in range(100)])
    assert any(tx) and any(rx)
    assert all(m == max(-32768, min(32767, a + b)) for m, a, b in zip(mix[:2000], rx[:2000], tx[:2000]))
    assert [e["Event"] for e in named(seen, "MixMonitorStart") + named(seen, "MixMonitorStop")] == [
        "MixMonitorStart", "MixMonitorStop"]


async def test_mixmonitor_trace_scenario_leaves_three_equal_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    await run_scenario(TRACES, "mixmonitor")
    files = sorted((tmp_path / "var" / "recordings").glob("*.wav"))
    assert [p.name for p in files] == ["hotline-1795901609.0-rx.wav", "hotline-1795901609.0-tx.wav",
                                       "hotline-1795901609.0.wav"]
    assert {_params(p) for p in files} == {(8000, 1, 2, 64000)}  # 8.00 s, as the capture
