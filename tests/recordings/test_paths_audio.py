"""File naming, path confinement and WAV checks (bad input gets a clear reason)."""
from __future__ import annotations

import os
import wave
from datetime import datetime, timezone

import pytest

from recordings.audio import BadAudioError, inspect_wav
from recordings.paths import UnsafePathError, parse_relpath, recording_names, resolve_inside
from tests.recordings.audio_kit import silent_wav


def test_names_follow_date_and_linkedid_layout():
    names = recording_names("1795901609.0", datetime(2026, 11, 28, 23, 59, tzinfo=timezone.utc))
    assert {leg: n.relpath for leg, n in names.items()} == {
        "mix": "2026/11/28/1795901609.0-mix.wav", "in": "2026/11/28/1795901609.0-in.wav",
        "out": "2026/11/28/1795901609.0-out.wav"}


@pytest.mark.parametrize("linkedid", ["../x", "17959.0/../../etc", "a b.1", "1795901609.0\r\nAction: Hangup", ""])
def test_malformed_linkedid_is_refused(linkedid):
    with pytest.raises(UnsafePathError):
        recording_names(linkedid, datetime.now(timezone.utc))


@pytest.mark.parametrize("relpath", ["../../etc/passwd", "/etc/passwd", "2026/11/28/../../../x-in.wav",
                                     "2026/11/28/x.wav", "2026/11/28/1.2-in.wav\n"])
def test_paths_outside_the_store_or_not_ours_are_refused(tmp_path, relpath):
    with pytest.raises(UnsafePathError):
        parse_relpath(relpath)
        resolve_inside(tmp_path, relpath)


def test_symlink_leading_out_of_the_store_is_refused(tmp_path):
    root = tmp_path / "rec"
    (root / "2026/11/28").mkdir(parents=True)
    os.symlink("/etc/hostname", root / "2026/11/28/1.1-in.wav")
    with pytest.raises(UnsafePathError, match="outside"):
        resolve_inside(root, "2026/11/28/1.1-in.wav")


def test_good_telephone_wav_is_measured(tmp_path):
    info = inspect_wav(silent_wav(tmp_path / "s.wav", 1.5))
    assert (info.sample_rate, info.frames, round(info.duration, 3)) == (8000, 12000, 1.5)
    assert len(info.sha256) == 64 and info.size_bytes == 44 + 24000


def test_zero_length_file_is_refused(tmp_path):
    (tmp_path / "z.wav").write_bytes(b"")
    with pytest.raises(BadAudioError, match="zero-length"):
        inspect_wav(tmp_path / "z.wav")


def test_truncated_wav_is_refused(tmp_path):
    data = silent_wav(tmp_path / "s.wav", 1.0).read_bytes()
    (tmp_path / "t.wav").write_bytes(data[:-3])
    with pytest.raises(BadAudioError, match="truncated"):
        inspect_wav(tmp_path / "t.wav")


def test_corrupt_wav_is_refused(tmp_path):
    (tmp_path / "c.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4)
    with pytest.raises(BadAudioError, match="corrupt"):
        inspect_wav(tmp_path / "c.wav")


def test_wrong_sample_rate_is_refused(tmp_path):
    with pytest.raises(BadAudioError, match="44100"):
        inspect_wav(silent_wav(tmp_path / "hi.wav", 0.5, rate=44100))


def test_stereo_is_refused(tmp_path):
    with wave.open(str(tmp_path / "st.wav"), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0" * 3200)
    with pytest.raises(BadAudioError, match="mono"):
        inspect_wav(tmp_path / "st.wav")
