"""The commands: `transcribe` batch with progress, `asr install-model`, `recordings verify`."""
from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline import cli
from hotline.migrate import upgrade
from hotline.settings import get_settings
from recordings.ingest import ingest_call
from tests.recordings.audio_kit import speech_wav
from tests.recordings.seed import T0
from tests.recordings.test_maintenance import _model_archive
from tests.recordings.test_queue import write_call

runner = CliRunner()


@pytest.fixture
def invoke(tmp_path, monkeypatch):
    """Run `hotline12348 ARGS…` in-process with settings from the environment, as in production."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HOTLINE_RECORDINGS_DIR", str(tmp_path / "recordings"))
    get_settings.cache_clear()
    cli._register_subcommands()
    yield lambda *args: runner.invoke(cli.app, list(args))
    get_settings.cache_clear()


@pytest.mark.slow
def test_transcribe_batch_reports_bad_files_and_goes_on(invoke, tmp_path, model_path):
    good = speech_wav(tmp_path / "good.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    r = invoke("transcribe", str(good), str(tmp_path / "empty.wav"), "--model", str(model_path))
    assert r.exit_code == 1
    lines = {Path(d["file"]).name: d for d in map(json.loads, r.stdout.splitlines())}
    assert lines["good.wav"]["ok"] and lines["good.wav"]["text"] and lines["good.wav"]["segments"][0]["words"]
    assert not lines["empty.wav"]["ok"] and "zero-length" in lines["empty.wav"]["error"]
    assert "转写" in r.stderr and "2/2" in r.stderr  # the progress bar


def test_transcribe_without_a_model_says_how_to_get_one(invoke, tmp_path):
    r = invoke("transcribe", str(tmp_path / "x.wav"), "--model", str(tmp_path / "nomodel"))
    assert r.exit_code == 2 and "Vosk model directory not found" in r.stderr


def test_asr_install_model_from_a_local_archive(invoke, tmp_path):
    archive = _model_archive(tmp_path, "zip")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    bad = invoke("asr", "install-model", str(archive), "--sha256", "f" * 64, "--models-dir", str(tmp_path / "m"))
    ok = invoke("asr", "install-model", str(archive), "--sha256", digest, "--models-dir", str(tmp_path / "m"))
    assert bad.exit_code == 1 and "sha256 mismatch" in bad.stderr
    assert ok.exit_code == 0 and f"HOTLINE_VOSK_MODEL_PATH={tmp_path / 'm' / 'vosk-model-small-cn-0.22'}" in ok.stdout


def test_recordings_verify_exits_1_on_a_changed_file(invoke, tmp_path):
    s = get_settings()
    asyncio.run(upgrade(s.database_url))
    write_call(s.recordings_dir, "1795901950.1")

    async def _ingest():
        from hotline.db import make_engine, make_sessionmaker

        engine = make_engine(s.database_url)
        async with make_sessionmaker(engine)() as ses:
            await ingest_call(ses, s.recordings_dir, "1795901950.1", T0)
        await engine.dispose()

    asyncio.run(_ingest())
    clean = invoke("recordings", "verify")
    (s.recordings_dir / "2026/11/28/1795901950.1-mix.wav").write_bytes(b"RIFF")
    broken = invoke("recordings", "verify")
    assert clean.exit_code == 0 and "checked 3, problems 0" in clean.stdout
    assert broken.exit_code == 1 and "1795901950.1-mix.wav" in broken.stderr
