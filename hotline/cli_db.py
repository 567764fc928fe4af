"""`hotline12348 db …`: schema migrations."""
from __future__ import annotations

import typer

from hotline.migrate import upgrade_sync

name = "db"
app = typer.Typer(help="数据库 (database) schema migrations", no_args_is_help=True)


@app.command()
def upgrade(target: str = typer.Argument("heads", help="Alembic target (default: every branch head)")) -> None:
    """Apply migrations up to TARGET."""
    from hotline.cli import load_settings_or_exit

    url = load_settings_or_exit().database_url
    upgrade_sync(url, target)
    typer.echo(f"database upgraded to {target}")


@app.command()
def revision(
    package: str = typer.Option(..., "--package", "-p", help="Package whose branch gets the migration (e.g. seats)"),
    message: str = typer.Option(..., "--message", "-m", help="What the migration does"),
) -> None:
    """Autogenerate a migration for PACKAGE's models (against a scratch SQLite at every head)."""
    import asyncio
    import tempfile
    from pathlib import Path

    from alembic import command
    from alembic.script import ScriptDirectory

    from hotline.db import make_engine
    from hotline.migrate import ROOT, alembic_config

    vdir = ROOT / package / "migrations" / "versions"
    vdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade_sync(url)
        cfg = alembic_config(url)
        locs = cfg.get_main_option("version_locations").split()
        if str(vdir) not in locs:
            cfg.set_main_option("version_locations", " ".join([*locs, str(vdir)]))
        script = ScriptDirectory.from_config(cfg)
        heads = {s.branch_labels and next(iter(s.branch_labels)): s.revision for s in
                 (script.get_revision(h) for h in script.get_heads())}
        existing = sorted(p.name for p in vdir.glob(f"{package}_*.py"))
        rev_id = f"{package}_{len(existing) + 1:04d}"
        kw = {"head": f"{package}@head"} if package in heads or existing else {
            "head": "base", "branch_label": package, "depends_on": "hotline_0001" if package != "hotline" else None}

        async def _go() -> None:
            engine = make_engine(url)
            async with engine.begin() as conn:
                def _run(sync_conn):
                    cfg.attributes["connection"] = sync_conn
                    command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id,
                                     version_path=str(vdir), **kw)
                await conn.run_sync(_run)
            await engine.dispose()

        asyncio.run(_go())
