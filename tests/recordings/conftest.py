"""Fixtures for recordings tests: the Korean test model, a SQLite-only kernel for the heavy (model-loading) tests."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
import pytest_asyncio

from hotline.kernel import Kernel
from hotline.migrate import upgrade
from hotline.settings import Settings
from recordings.worker import WorkerConfig, main
from tests.recordings.audio_kit import model_dir


@pytest.fixture(scope="session")
def model_path() -> Path:
    return model_dir()


@pytest_asyncio.fixture
async def lite_kernel(tmp_path, directory, model_path):
    """A migrated SQLite kernel: model-loading tests run once, not once per backend."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'rec.db'}"
    await upgrade(url)
    settings = Settings(database_url=url, var_dir=tmp_path, recordings_dir=tmp_path / "recordings",
                        vosk_model_path=model_path, secret_key="test-secret-key-0123456789abcdef0123456789",
                        redis_url=None, demo_traffic=False, _env_file=None)
    k = Kernel.build(settings, directory=directory)
    yield k
    await k.close()


def worker_config(kernel: Kernel, **kw) -> WorkerConfig:
    s = kernel.settings
    return WorkerConfig(database_url=s.database_url, model_path=str(s.vosk_model_path),
                        recordings_dir=str(s.recordings_dir), **kw)


def run_worker_process(cfg: WorkerConfig, timeout: float = 240) -> list[dict]:
    """Run one worker in a fresh spawned process until the queue is empty; its reported outcomes."""
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    proc = ctx.Process(target=main, args=(cfg, results, None))
    proc.start()
    out = []
    proc.join(timeout)
    assert proc.exitcode == 0, f"worker exited with {proc.exitcode}"
    while not results.empty():
        out.append(results.get())
    return out
