"""Golden comparison: the pipeline's transcript equals bare Vosk's on the same audio, word for word."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from recordings.asr import CHUNK_FRAMES, DITHER_SEED
from recordings.ingest import ingest_call
from recordings.models import Transcript, TranscriptionJob
from tests.recordings.audio_kit import call_files, soxi_seconds
from tests.recordings.conftest import run_worker_process, worker_config

BARE = Path(__file__).with_name("bare_vosk.py")
pytestmark = pytest.mark.slow


def bare_vosk(model: Path, wav: Path) -> list[dict]:
    out = subprocess.run([sys.executable, str(BARE), str(model), str(wav), str(CHUNK_FRAMES), str(DITHER_SEED)],
                         check=True, capture_output=True, text=True).stdout
    return [w for u in json.loads(out) for w in u]


async def test_pipeline_transcript_equals_bare_vosk_word_for_word(lite_kernel, model_path):
    root = lite_kernel.settings.recordings_dir
    files = call_files(root, "1795901609.7")  # caller speaks, seat leg silent
    async with lite_kernel.sessions() as s:
        await ingest_call(s, root, "1795901609.7", datetime(2026, 11, 28, 9, tzinfo=timezone.utc))
    outcomes = run_worker_process(worker_config(lite_kernel, exit_when_idle=True))
    assert sorted(o["leg"] for o in outcomes) == ["in", "out"]

    expected = bare_vosk(model_path, files["in"])
    async with lite_kernel.sessions() as s:
        legs = {t.leg: t for t in await s.scalars(select(Transcript))}
        states = set(await s.scalars(select(TranscriptionJob.state)))
    assert states == {"done"}
    assert expected, "bare Vosk recognised nothing: the comparison would be empty"
    got = legs["in"].words
    assert [w["word"] for w in got] == [w["word"] for w in expected]
    assert [(w["start"], w["end"], w["conf"]) for w in got] == [(w["start"], w["end"], w["conf"]) for w in expected]
    assert legs["in"].speaker == "来电人" and legs["out"].speaker == "坐席"

    # the silent seat leg has an empty transcript; every timestamp falls inside the audio
    assert legs["out"].words == [] and legs["out"].text == ""
    duration = soxi_seconds(files["in"])
    assert all(0 <= w["start"] <= w["end"] <= duration for w in got)


def test_bare_vosk_second_decode_differs_but_reseeded_engine_repeats(model_path, tmp_path):
    """The library gap the adapter fixes: Kaldi dither draws from libc rand() for the whole process."""
    from tests.recordings.audio_kit import SHORT, speech_wav

    wav = speech_wav(tmp_path / "a.wav", SHORT)
    script = f"""
import json, wave, sys
sys.path[:0] = {sys.path!r}
from vosk import Model, KaldiRecognizer, SetLogLevel
from recordings.asr import VoskEngine, CHUNK_FRAMES
SetLogLevel(-1)
def bare(model):
    wf = wave.open({str(wav)!r}); rec = KaldiRecognizer(model, wf.getframerate()); rec.SetWords(True)
    while (d := wf.readframes(CHUNK_FRAMES)): rec.AcceptWaveform(d)
    return json.loads(rec.FinalResult()).get("result", [])
eng = VoskEngine({str(model_path)!r})
b1, b2 = bare(eng._model), bare(eng._model)
e1, e2 = eng.transcribe({str(wav)!r}), eng.transcribe({str(wav)!r})
print(json.dumps([b1 == b2, e1 == e2, len(e1)]))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout)
    bare_repeats, engine_repeats, utterances = out
    assert not bare_repeats
    assert engine_repeats and utterances > 0
