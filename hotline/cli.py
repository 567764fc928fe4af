"""`hotline12348` command line. Packages add their own sub-commands through `<pkg>/cli.py`
(a module exposing ``app: typer.Typer`` and ``name: str``)."""
from __future__ import annotations

import asyncio
import importlib
import sys

import typer

from hotline.components import ALL_ROLES
from hotline.directory import DirectoryError
from hotline.settings import get_settings

app = typer.Typer(help="12348 公共法律服务热线 call-center system", no_args_is_help=True, add_completion=False)

SUBCOMMAND_MODULES = [
    "hotline.cli_db", "hotline.cli_users", "pbxsim.cli", "routing.cli", "ivr.cli", "seats.cli",
    "recordings.cli", "integrations.cli", "supervisor.cli", "hotline.cli_config", "bench.cli",
]


def _serve(roles: frozenset[str]) -> None:
    import uvicorn
    from pydantic import ValidationError

    from hotline.app import create_app

    try:
        settings = get_settings()
        from hotline.directory import load_directory

        load_directory(settings.directory_file)
    except (ValidationError, DirectoryError) as exc:
        typer.echo(f"配置错误 (configuration error):\n{exc}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(create_app(settings, roles=roles), host=settings.http_host, port=settings.http_port,
                log_config=None)


@app.command()
def run() -> None:
    """Run every component in one process (web, engine, workers, and pbxsim unless a real Asterisk is configured)."""
    roles = set(ALL_ROLES)
    if get_settings().pbx_mode == "asterisk":
        roles.discard("pbxsim")
    _serve(frozenset(roles))


@app.command()
def api() -> None:
    """Run the web/API process only."""
    _serve(frozenset({"api"}))


@app.command()
def engine() -> None:
    """Run the routing engine (AMI link, FastAGI) with its status API."""
    _serve(frozenset({"engine", "api"}))


@app.command()
def worker() -> None:
    """Run background workers (transcription, outbox, dialer) with the health API."""
    _serve(frozenset({"worker"}))


def _register_subcommands() -> None:
    for name in SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name and not name.startswith(exc.name or "\0"):
                raise
            continue
        if isinstance(getattr(mod, "app", None), typer.Typer):
            app.add_typer(mod.app, name=mod.name)
        for fn in getattr(mod, "commands", []):
            app.command()(fn)


def run_async(coro) -> object:
    """Run a coroutine from a command (one place for the event loop policy)."""
    return asyncio.run(coro)


def main() -> None:
    _register_subcommands()
    app(prog_name="hotline12348")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
