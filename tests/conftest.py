"""Shared fixtures: settings, databases (SQLite always, PostgreSQL when reachable), kernel, app client."""
from __future__ import annotations

import asyncio
import os
import re
import socket
import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import text

from hotline.db import import_models
from hotline.directory import load_directory
from hotline.kernel import Kernel
from hotline.migrate import upgrade
from hotline.settings import ROOT, Settings

pytest_plugins = ["tests.browser_support"]  # live server + Chromium fixtures for every package

# Hypothesis: short runs in the suite (every fuzz test together well under 2 minutes), long ones for
# `make fuzz` (HYPOTHESIS_PROFILE=long). No deadline: the machine is shared, time is measured in bench/.
from hypothesis import HealthCheck, settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("suite", max_examples=100, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.register_profile("long", max_examples=20_000, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

SHARED = ROOT.parent / "shared"
TRACES = SHARED / "asterisk-traces"
PG_HOST, PG_PORT = "127.0.0.1", 5432
ARTIFACTS = ROOT / "var" / "test-artifacts"


def postgres_reachable() -> bool:
    if os.environ.get("HOTLINE_TEST_POSTGRES", "auto") == "off":
        return False
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


BACKENDS = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
if os.environ.get("HOTLINE_TEST_POSTGRES") == "required" and "postgresql" not in BACKENDS:
    raise RuntimeError("HOTLINE_TEST_POSTGRES=required but PostgreSQL is not reachable on 127.0.0.1:5432")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Argon2 with test-sized parameters: same code path, milliseconds instead of ~0.3 s per hash."""
    from argon2 import PasswordHasher

    from hotline.auth import set_password_hasher

    previous = set_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    set_password_hasher(previous)


@pytest.fixture(scope="session")
def directory():
    return load_directory(ROOT / "hotline" / "data" / "directory.yaml")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


async def _create_pg_database() -> str:
    import asyncpg

    name = f"hl_test_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user="postgres", database="test")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(request, tmp_path_factory) -> str:
    """A migrated database per backend for the whole session (tables are emptied per test)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'hotline.db'}"
        asyncio.run(upgrade(url))
        yield url
        return
    name = asyncio.run(_create_pg_database())
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    asyncio.run(upgrade(url))
    yield url
    asyncio.run(_drop_pg_database(name))


async def truncate_all(kernel: Kernel) -> None:
    metadata = import_models()
    async with kernel.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            if names:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(metadata.sorted_tables):
                await conn.execute(t.delete())


@pytest.fixture
def settings(db_url, tmp_path) -> Settings:
    return Settings(
        database_url=db_url, var_dir=tmp_path, recordings_dir=tmp_path / "recordings",
        prompts_dir=tmp_path / "prompts", secret_key="test-secret-key-0123456789abcdef0123456789",
        redis_url=None, demo_traffic=False, _env_file=None,
    )


@pytest_asyncio.fixture
async def kernel(settings, directory):
    k = Kernel.build(settings, directory=directory)
    await truncate_all(k)
    yield k
    await k.close()


_BACKEND_ID = re.compile(r"[\[-](sqlite|postgresql)[-\]]")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Report the database-backed tests per backend, so a run shows both SQLite and PostgreSQL."""
    counts: dict[str, dict[str, int]] = {b: {} for b in ("sqlite", "postgresql")}
    for outcome in ("passed", "failed", "error", "skipped"):
        for rep in terminalreporter.stats.get(outcome, []):
            m = _BACKEND_ID.search(getattr(rep, "nodeid", ""))
            if m and (outcome != "passed" or getattr(rep, "when", "call") == "call"):
                counts[m.group(1)][outcome] = counts[m.group(1)].get(outcome, 0) + 1
    terminalreporter.section("database backends")
    for backend, c in counts.items():
        ran = backend in BACKENDS
        text = ", ".join(f"{n} {k}" for k, n in c.items()) or "no tests selected"
        terminalreporter.write_line(f"{backend:<11} {text if ran else 'NOT RUN (server not reachable)'}")
