"""`hotline12348 settings …`: the settings reference (kept in docs/hotline.md) and the values in force."""
from __future__ import annotations

import json
from typing import Literal, get_args, get_origin

import typer
from pydantic import BaseModel, SecretStr

from hotline.settings import ROOT, Settings

name = "settings"
app = typer.Typer(help="配置项 (settings): reference and current values", no_args_is_help=True)


def _default(field) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
    else:
        value = field.default
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        value = [v.model_dump(mode="json", exclude={"secret"}) for v in value]
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text.replace(str(ROOT), ".")


def _type(annotation) -> str:
    if get_origin(annotation) is Literal:
        return " \\| ".join(map(str, get_args(annotation)))
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("pathlib.", "").replace("hotline.settings.", "").replace("|", "\\|")


def settings_markdown() -> str:
    """Markdown table of every setting: environment variable, type, default, meaning."""
    rows = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for key, field in Settings.model_fields.items():
        default = _default(field).replace("|", "\\|")
        rows.append(f"| `HOTLINE_{key.upper()}` | {_type(field.annotation)} | `{default}` | {field.description or ''} |")
    return "\n".join(rows) + "\n"


@app.command("doc")
def doc() -> None:
    """Print the settings reference as a Markdown table (the one in docs/hotline.md)."""
    typer.echo(settings_markdown(), nl=False)


@app.command("show")
def show() -> None:
    """Print the settings in force (environment + .env + defaults), secrets masked."""
    from hotline.cli import load_settings_or_exit

    values = load_settings_or_exit().model_dump(mode="json")
    for key, value in values.items():
        typer.echo(f"HOTLINE_{key.upper()}={json.dumps(value, ensure_ascii=False)}")
