"""Models and migrations agree on every backend, and upgrading twice changes nothing."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from hotline.db import import_models, make_engine
from hotline.migrate import alembic_config, include_object_for, unmodelled_tables, upgrade


async def _diff(url: str) -> list:
    metadata = import_models()  # every package's models, as the migrations must cover them all
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            def _compare(sync_conn):
                ctx = MigrationContext.configure(sync_conn, opts={
                    "compare_type": True, "render_as_batch": sync_conn.dialect.name == "sqlite",
                    "include_object": include_object_for(unmodelled_tables(sync_conn))})
                return compare_metadata(ctx, metadata)
            return await conn.run_sync(_compare)
    finally:
        await engine.dispose()


async def _current_heads(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(db_url):
    diff = await _diff(db_url)
    assert diff == [], "models differ from migrations; run `hotline12348 db revision -p <pkg> -m …`:\n" + \
        "\n".join(map(str, diff))


def _applied(script: ScriptDirectory, heads: set[str]) -> set[str]:
    return {r.revision for r in script.revision_map.iterate_revisions(tuple(heads), "base")}


async def test_every_revision_is_applied_and_upgrade_is_idempotent(db_url):
    script = ScriptDirectory.from_config(alembic_config(db_url))
    every = {r.revision for r in script.walk_revisions()}
    before = await _current_heads(db_url)
    assert _applied(script, before) == every
    await upgrade(db_url)  # a second run must be a no-op, not an error
    assert await _current_heads(db_url) == before
    assert await _diff(db_url) == []


def test_every_package_branch_depends_on_the_kernel_tables():
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    for base in script.get_bases():
        rev = script.get_revision(base)
        if rev.revision == "hotline_0001":
            continue
        deps = rev.dependencies if isinstance(rev.dependencies, (tuple, list)) else (rev.dependencies,)
        assert "hotline_0001" in (deps or ()), f"{rev.revision} must depend on hotline_0001 (users, audit)"


async def test_sqlite_full_text_tables_are_left_out_of_the_model_comparison(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fts.db'}")
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
            await conn.exec_driver_sql("CREATE VIRTUAL TABLE notes_fts USING fts5(text, content='notes')")
            skip = await conn.run_sync(unmodelled_tables)
    finally:
        await engine.dispose()
    assert {"notes_fts", "notes_fts_data", "notes_fts_idx", "notes_fts_config"} <= skip
    assert "notes" not in skip
    include = include_object_for(skip)
    assert include(None, "notes_fts_data", "table", True, None) is False
    assert include(None, "notes", "table", True, None) is True
