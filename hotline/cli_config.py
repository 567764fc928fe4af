"""`hotline12348 config render|check`: the Asterisk configuration, rendered from the directory data."""
from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from pydantic import ValidationError

from hotline.config_check import (
    Finding, cross_check, dialplan_modules, lint_dialplan, modules_problems, prompt_finder,
)
from hotline.config_render import (
    CONFIG_FILES, FASTAGI_SCRIPTS, AsteriskConfigSettings, ConfigValueError, ami_secret, build_options,
    load_or_create_secrets, render, write_files,
)
from hotline.directory import Directory, DirectoryError, load_directory
from hotline.settings import Settings, get_settings

name = "config"
app = typer.Typer(help="Asterisk 22 配置：从目录数据生成并检查 (render / check)", no_args_is_help=True)


def _load(settings: Settings) -> tuple[Directory, AsteriskConfigSettings]:
    try:
        return load_directory(settings.directory_file), AsteriskConfigSettings()
    except (DirectoryError, ValidationError) as exc:
        typer.echo(f"配置错误 (configuration error):\n{exc}", err=True)
        raise typer.Exit(2) from exc


def render_to(out: Path, settings: Settings, directory: Directory, cfg: AsteriskConfigSettings) -> list[Path]:
    """Render every file into `out` (secrets file created on first use); return the paths written."""
    secret_path = cfg.secrets_file or settings.var_dir / "asterisk-secrets.json"
    secrets = load_or_create_secrets(secret_path, directory, ami_secret(settings, cfg))
    files = render(directory, build_options(settings, cfg), secrets)
    return write_files(files, out)


@app.command("render")
def render_cmd(out: Path = typer.Option(..., "--out", help="Directory to write the .conf files into")) -> None:
    """Render pjsip/extensions/queues/manager/... .conf from the directory data."""
    settings = get_settings()
    directory, cfg = _load(settings)
    try:
        written = render_to(out, settings, directory, cfg)
    except ConfigValueError as exc:
        typer.echo(f"无法生成配置 (cannot render): {exc}", err=True)
        raise typer.Exit(2) from exc
    if ami_secret(settings, cfg) is None:
        typer.echo("注意: AMI 密码为随机生成 (secrets file); set the same value in HOTLINE_AMI_NODES for the engine",
                   err=True)
    for path in written:
        typer.echo(str(path))


def check_dir(config_dir: Path, settings: Settings, directory: Directory) -> list[Finding]:
    """All findings for a rendered directory: missing files, asterisklint, cross-checks."""
    files: dict[str, str] = {}
    findings: list[Finding] = []
    for fname in CONFIG_FILES:
        path = config_dir / fname
        if path.is_file():
            files[fname] = path.read_text(encoding="utf-8")
        else:
            findings.append(Finding("error", fname, "missing (run `hotline12348 config render`)"))
    if "extensions.conf" in files:
        findings += lint_dialplan(config_dir)
        findings += modules_problems(files.get("modules.conf", ""), dialplan_modules(config_dir))
    findings += cross_check(directory, files, prompt_finder(settings.prompts_dir), ivr_scripts())
    return findings


def ivr_scripts() -> tuple[str, ...]:
    """The FastAGI scripts the IVR really serves (ivr.flow.SCRIPTS), else the documented contract."""
    try:
        from ivr.flow import SCRIPTS
    except ImportError:
        return FASTAGI_SCRIPTS
    return tuple(SCRIPTS)


@app.command("check")
def check_cmd(config_dir: Path | None = typer.Argument(
        None, help="Rendered directory (default: render into a temporary one)")) -> None:
    """asterisklint + cross-checks: queues exist and are served, seats have endpoints, AGI routes and prompts exist."""
    settings = get_settings()
    directory, cfg = _load(settings)
    with tempfile.TemporaryDirectory(prefix="hotline-astcfg-") as tmp:
        target = config_dir
        if target is None:
            target = Path(tmp)
            try:
                render_to(target, settings, directory, cfg)
            except ConfigValueError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(1) from exc
        findings = check_dir(target, settings, directory)
    for f in findings:
        typer.echo(str(f), err=f.level == "error")
    errors = sum(f.level == "error" for f in findings)
    typer.echo(f"{errors} 个错误 (errors), {len(findings) - errors} 个警告 (warnings)")
    if errors:
        raise typer.Exit(1)


def _probe_command():
    """`hotline12348 probe` lives in integrations/sip; it is registered here with the config commands."""
    from integrations.sip.cli import probe

    return probe


commands = [_probe_command()]
