"""The commands: `transcribe` batch with progress, `asr install-model`, `recordings verify`."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recordings.ingest import ingest_call
from tests.recordings.audio_kit import speech_wav
from tests.recordings.seed import T0
from tests.recordings.test_maintenance import _model_archive
from tests.recordings.test_queue import write_call

CLI = [sys.executable, "-m", "hotline.cli"]


def run(args, env=None):
    return subprocess.run(CLI + args, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300)


@pytest.mark.slow
def test_transcribe_batch_reports_bad_files_and_goes_on(tmp_path, model_path):
    good = speech_wav(tmp_path / "good.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    r = run(["transcribe", str(good), str(tmp_path / "empty.wav"), "--model", str(model_path)])
    assert r.returncode == 1
    lines = {Path(d["file"]).name: d for d in map(json.loads, r.stdout.splitlines())}
    assert lines["good.wav"]["ok"] and lines["good.wav"]["text"] and lines["good.wav"]["segments"][0]["words"]
    assert not lines["empty.wav"]["ok"] and "zero-length" in lines["empty.wav"]["error"]
    assert "转写" in r.stderr and "2/2" in r.stderr  # the progress bar


def test_transcribe_without_a_model_says_how_to_get_one(tmp_path):
    r = run(["transcribe", str(tmp_path / "x.wav"), "--model", str(tmp_path / "nomodel")])
    assert r.returncode == 2 and "Vosk model directory not found" in r.stderr


def test_asr_install_model_from_a_local_archive(tmp_path):
    archive = _model_archive(tmp_path, "zip")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    bad = run(["asr", "install-model", str(archive), "--sha256", "f" * 64, "--models-dir", str(tmp_path / "m")])
    ok = run(["asr", "install-model", str(archive), "--sha256", digest, "--models-dir", str(tmp_path / "m")])
    assert bad.returncode == 1 and "sha256 mismatch" in bad.stderr
    assert ok.returncode == 0 and f"HOTLINE_VOSK_MODEL_PATH={tmp_path / 'm' / 'vosk-model-small-cn-0.22'}" in ok.stdout


async def test_recordings_verify_exits_1_on_a_changed_file(lite_kernel):
    root = lite_kernel.settings.recordings_dir
    write_call(root, "1795901950.1")
    async with lite_kernel.sessions() as s:
        await ingest_call(s, root, "1795901950.1", T0)
    env = {"HOTLINE_DATABASE_URL": lite_kernel.settings.database_url, "HOTLINE_RECORDINGS_DIR": str(root)}
    clean = run(["recordings", "verify"], env)
    (root / "2026/11/28/1795901950.1-mix.wav").write_bytes(b"RIFF")
    broken = run(["recordings", "verify"], env)
    assert clean.returncode == 0 and "checked 3, problems 0" in clean.stdout
    assert broken.returncode == 1 and "1795901950.1-mix.wav" in broken.stderr
