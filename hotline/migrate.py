"""Run Alembic programmatically: every package's migration branch lives beside its models."""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from hotline.db import make_engine, model_modules

ROOT = Path(__file__).resolve().parent.parent


def version_locations() -> list[str]:
    """`<pkg>/migrations/versions` for every package that has one."""
    locs = []
    for mod in model_modules():
        pkg = mod.split(".")[0]
        d = ROOT / pkg / "migrations" / "versions"
        if d.is_dir() and str(d) not in locs:
            locs.append(str(d))
    return locs


# FTS5 keeps its index in shadow tables named after the virtual table.
_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")


def unmodelled_tables(sync_conn) -> set[str]:
    """Tables migrations create with raw SQL that models cannot describe: SQLite virtual tables
    (full-text search) and their shadow tables. Autogenerate and the model check leave them alone."""
    if sync_conn.dialect.name != "sqlite":
        return set()
    rows = sync_conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
    virtual = {name for (name,) in rows}
    return virtual | {v + suffix for v in virtual for suffix in _SHADOW_SUFFIXES}


def include_object_for(skip: set[str]):
    """Alembic `include_object` hook ignoring the reflected tables in `skip`."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        return not (type_ == "table" and reflected and compare_to is None and name in skip)
    return include


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "hotline" / "migrations"))
    cfg.set_main_option("version_locations", " ".join(version_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(url: str, target: str = "heads") -> None:
    """Upgrade the database at `url` to `target` (all branch heads by default)."""
    cfg = alembic_config(url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        def _run(sync_conn):
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, target)

        await conn.run_sync(_run)
    await engine.dispose()


def upgrade_sync(url: str, target: str = "heads") -> None:
    asyncio.run(upgrade(url, target))
