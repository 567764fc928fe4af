"""`hotline12348 asr install-model URL|FILE --sha256 …`: speech model installation."""
from __future__ import annotations

from pathlib import Path

import typer

from hotline.cli import load_settings_or_exit as get_settings

name = "asr"
app = typer.Typer(help="语音识别模型 (speech recognition model)", no_args_is_help=True)


@app.command("install-model")
def install_model(
    source: str = typer.Argument(..., help="URL or local archive (.zip / .tar.gz) of a Vosk model"),
    sha256: str = typer.Option(..., "--sha256", help="Expected sha256 of the archive"),
    models_dir: Path = typer.Option(None, help="Where to unpack (default: the parent of settings.vosk_model_path)"),
    force: bool = typer.Option(False, help="Replace an installed model of the same name"),
) -> None:
    """Fetch, verify and unpack a model; prints the directory to set as HOTLINE_VOSK_MODEL_PATH."""
    from recordings.install import InstallError
    from recordings.install import install_model as do_install

    target = models_dir or get_settings().vosk_model_path.parent
    try:
        dest = do_install(source, sha256, target, force=force)
    except InstallError as exc:
        typer.echo(f"安装失败 (install failed): {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"模型已安装 (installed): {dest}")
    typer.echo(f"HOTLINE_VOSK_MODEL_PATH={dest}")
